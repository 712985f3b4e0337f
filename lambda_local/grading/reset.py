"""``reset``: bring a lab back to its starting files, after saving the learner's version.

The starting files come from the package (``lambda_local/grading/starting_files/NN-name/``, copied from the
course's ``labs/NN-name/`` when the package is built or installed: see setup.py), so a reset works after the
learner committed their work, and with no git at all. A checkout that was never installed uses the repository's
own ``labs/``. Nothing is ever deleted: the whole lab folder is first copied to
``backups/NN-name-YYYYMMDD-HHMMSS/`` next to ``labs/``, and checked, before anything in the lab is replaced.
"""

from __future__ import annotations

import filecmp
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .runner import GradingError, find_lab

__all__ = ["ResetResult", "reset_lab", "starting_files"]

STARTING_FILES = Path(__file__).resolve().parent / "starting_files"  # built from labs/ (setup.py)
_REPOSITORY_LABS = Path(__file__).resolve().parents[2] / "labs"  # a checkout's own course, if never installed
_NOT_STARTING = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")


@dataclass(frozen=True)
class ResetResult:
    """Where the learner's version was saved (``backup``), and the files the lab folder has again (``restored``)."""

    lab: str
    backup: Path
    restored: tuple[str, ...]

    def format(self) -> str:
        return (f"Saved your version of {self.lab} to {_display(self.backup)}\n"
                f"Restored the starting files: {', '.join(self.restored)}")


def starting_files(lab_name: str) -> Path:
    """The package's copy of a lab's starting files (``01-greeting`` -> .../starting_files/01-greeting)."""
    root = STARTING_FILES if STARTING_FILES.is_dir() else _REPOSITORY_LABS
    folder = root / lab_name
    if not folder.is_dir():
        known = ", ".join(sorted(p.name for p in root.iterdir() if p.is_dir())) if root.is_dir() else "none"
        raise GradingError(f"this version of lambda-local has no starting files for {lab_name} (it has: {known})")
    return folder


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _backup(folder: Path, now: datetime) -> Path:
    backups = folder.parent.parent / "backups"
    stamp = now.strftime("%Y%m%d-%H%M%S")
    target, n = backups / f"{folder.name}-{stamp}", 1
    while target.exists():
        n += 1
        target = backups / f"{folder.name}-{stamp}-{n}"
    shutil.copytree(folder, target)
    copied = _files(target)
    if copied != _files(folder) or any(not filecmp.cmp(folder / f, target / f, shallow=False) for f in copied):
        raise GradingError(f"could not make a complete backup in {target}; nothing in {folder} was changed")
    return target


def reset_lab(lab: str | int | os.PathLike, *, labs_dir: str | os.PathLike | None = None,
              now: datetime | None = None) -> ResetResult:
    """Save the lab folder to ``backups/NN-name-<timestamp>/`` (next to ``labs/``), then give it its starting files.

    ``lab`` is a number (``"01"``, looked up in ``labs/``) or a lab folder's path.

    >>> print(reset_lab("01").format())                     # doctest: +SKIP
    Saved your version of 01-greeting to backups/01-greeting-20261126-101500
    Restored the starting files: lab.ipynb, lambda_function.py
    """
    folder = find_lab(lab, labs_dir)
    source = starting_files(folder.name)
    backup = _backup(folder, now or datetime.now())
    for entry in folder.iterdir():  # every one of them is in the backup, checked above
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    shutil.copytree(source, folder, dirs_exist_ok=True, ignore=_NOT_STARTING)
    return ResetResult(folder.name, backup, tuple(_files(folder)))
