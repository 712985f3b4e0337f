"""``progress``: which lessons a learner ran, and which labs pass.

The rule for lessons: a lesson counts as run when its last cell called :func:`mark_lesson_run` in a Jupyter
kernel. That call appends the lesson's name and the time to ``.lambda-local/progress.json`` in the course folder.
With no argument it takes the notebook's name from the kernel (JupyterLab and Jupyter Server tell the kernel which
notebook it runs, in ``JPY_SESSION_NAME``); under nbval, nbclient or plain Python it does nothing, so running the
test suite never marks a lesson as run. Labs are not recorded: ``progress`` runs their checks.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .results import LabResult
from .runner import run_lab, lab_folders

__all__ = ["LessonProgress", "Progress", "mark_lesson_run", "progress"]

PROGRESS_FILE = Path(".lambda-local") / "progress.json"


def course_root(start: str | os.PathLike = ".") -> Path:
    """The course folder: the nearest of ``start`` and its parents that has ``notebooks/`` or ``labs/``."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / "notebooks").is_dir() or (folder / "labs").is_dir():
            return folder
    return start


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def mark_lesson_run(lesson: str | None = None, *, root: str | os.PathLike | None = None) -> Path | None:
    """Record that a lesson was run to its end; the progress file written, or None when nothing was recorded.

    Put ``mark_lesson_run()`` in a lesson's last cell: in JupyterLab it records that notebook. Pass ``lesson``
    (the notebook's name without ``.ipynb``) to record one explicitly.

    >>> mark_lesson_run()      # under nbval or plain Python: no notebook to name, nothing recorded
    """
    session = os.environ.get("JPY_SESSION_NAME", "")
    if lesson is None:
        if not session.endswith(".ipynb"):
            return None
        lesson = Path(session).stem
    folder = course_root(root or (Path(session).parent if os.path.isabs(session) else "."))
    path = folder / PROGRESS_FILE
    data = _read(path)
    data.setdefault("lessons", {})[lesson] = {"last_run": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class LessonProgress:
    """One lesson notebook: whether it was run to its end (``last_run`` says when, in UTC)."""

    name: str
    last_run: str | None = None

    @property
    def ran(self) -> bool:
        return self.last_run is not None


@dataclass(frozen=True)
class Progress:
    """A learner's lessons (run or not) and labs (their check results) in one course folder."""

    root: Path
    lessons: tuple[LessonProgress, ...]
    labs: tuple[LabResult, ...]

    def format(self) -> str:
        """Two checklists: lessons run, labs passing; then what to do next."""
        lines = [f"Lessons ({sum(l.ran for l in self.lessons)} of {len(self.lessons)} run)"]
        lines += [f"  [{'x' if l.ran else ' '}] {l.name}" + (f"  (last run {l.last_run})" if l.ran else "")
                  for l in self.lessons]
        graded = [lab for lab in self.labs if lab.checks]
        lines.append(f"Labs ({sum(lab.passed for lab in graded)} of {len(graded)} pass)")
        for lab in self.labs:
            mark = "x" if lab.checks and lab.passed else " "
            score = f"{lab.points}/{lab.max_points} points" if lab.checks else lab.note
            lines.append(f"  [{mark}] {lab.lab:<24} {score}")
        todo = [l.name for l in self.lessons if not l.ran][:1] + [lab.lab for lab in graded if not lab.passed][:1]
        lines.append("Next: " + (", then ".join(todo) if todo else "nothing: everything is done"))
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.format())


def progress(root: str | os.PathLike = ".") -> Progress:
    """The progress of the course folder at (or above) ``root``: lessons from ``notebooks/*.ipynb`` and the
    progress file, labs from ``labs/`` with their checks run now."""
    folder = course_root(root)
    runs = _read(folder / PROGRESS_FILE).get("lessons", {})
    lessons = tuple(LessonProgress(p.stem, (runs.get(p.stem) or {}).get("last_run"))
                    for p in sorted((folder / "notebooks").glob("*.ipynb")))
    labs = tuple(run_lab(lab) for lab in lab_folders(folder / "labs"))
    return Progress(folder, lessons, labs)
