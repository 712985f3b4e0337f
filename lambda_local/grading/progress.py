"""``progress``: which lessons a learner ran, and which labs pass.

The rule for lessons: a lesson counts as run when its last cell called :func:`mark_lesson_run` in a Jupyter
kernel. That call appends the lesson's name and the time to ``.lambda-local/progress.json`` in the course folder.
With no argument it takes the notebook's name from the kernel (JupyterLab and Jupyter Server tell the kernel which
notebook it runs, in ``JPY_SESSION_NAME``); under nbval, nbclient or plain Python it does nothing, so running the
test suite never marks a lesson as run. A browser tab's kernel (the JupyterLite edition) is not told the notebook's
name: there the lesson is the notebook of the kernel's folder that holds the running cell, found by the id
JupyterLab sends with each cell it runs (nothing is recorded unless exactly one notebook has it).

Labs are graded by their checks, and the result is kept in ``.lambda-local/grades-cache.json`` under a key made
of the content of the lab's files and the version of its checks: while neither changes, ``progress`` shows the
kept result without running anything. The cache is for the learner's own overview only: ``grade`` (what CI runs)
never reads it. In a browser tab, which cannot start the learner's process, the checks run in the kernel, as
``check_lab`` runs them there (:mod:`.feedback`), and ``progress`` says that its lab results are feedback.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .. import browser
from .checks import Failure
from .feedback import FEEDBACK_NOTE, kernel_is_mocked
from .results import CheckResult, LabResult
from .runner import KERNEL_IS_MOCKED, GradingError, _Learner, TIME_LIMIT, lab_definitions, lab_folders, run_lab

__all__ = ["LessonProgress", "Progress", "mark_lesson_run", "progress"]

PROGRESS_FILE = Path(".lambda-local") / "progress.json"
GRADES_CACHE = Path(".lambda-local") / "grades-cache.json"
_NOT_GRADED = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}


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
    if lesson is None and not session.endswith(".ipynb") and browser.IN_BROWSER:
        lesson = _notebook_of_running_cell(Path("."))
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


def _notebook_of_running_cell(folder: Path) -> str | None:
    """The name of the notebook in ``folder`` holding the cell this kernel runs, by the cell id JupyterLab sends in
    the request's metadata (``cellId``); None unless exactly one notebook there has a cell with that id."""
    try:
        from IPython import get_ipython

        cell_id = get_ipython().kernel.get_parent()["metadata"]["cellId"]
    except (ImportError, AttributeError, KeyError, TypeError):
        return None
    holding = [path.stem for path in sorted(folder.glob("*.ipynb"))
               if any(isinstance(cell, dict) and cell.get("id") == cell_id
                      for cell in _read(path).get("cells") or ())]
    return holding[0] if len(holding) == 1 else None


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
    feedback: bool = False  # the labs were checked in this kernel (a browser tab): feedback, not a grade

    def format(self) -> str:
        """Two checklists: lessons run, labs passing; then what to do next."""
        lines = [f"Lessons ({sum(l.ran for l in self.lessons)} of {len(self.lessons)} run)"]
        lines += [f"  [{'x' if l.ran else ' '}] {l.name}" + (f"  (last run {l.last_run})" if l.ran else "")
                  for l in self.lessons]
        graded = [lab for lab in self.labs if lab.checks]
        lines.append(f"Labs ({sum(lab.passed for lab in graded)} of {len(graded)} pass)")
        if self.feedback:
            lines.append(f"  {FEEDBACK_NOTE}")
        for lab in self.labs:
            mark = "x" if lab.checks and lab.passed else " "
            score = f"{lab.points}/{lab.max_points} points" if lab.checks else lab.note
            lines.append(f"  [{mark}] {lab.lab:<24} {score}")
        todo = [l.name for l in self.lessons if not l.ran][:1] + [lab.lab for lab in graded if not lab.passed][:1]
        lines.append("Next: " + (", then ".join(todo) if todo else "nothing: everything is done"))
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.format())


def progress(root: str | os.PathLike = ".", *, on_lab=None) -> Progress:
    """The progress of the course folder at (or above) ``root``: lessons from ``notebooks/*.ipynb`` and the
    progress file, labs from ``labs/`` with their checks' results (run now for a lab whose files or checks changed
    since the last time; ``on_lab(lab_folder)`` is called before each such run)."""
    folder = course_root(root)
    runs = _read(folder / PROGRESS_FILE).get("lessons", {})
    lessons = tuple(LessonProgress(p.stem, (runs.get(p.stem) or {}).get("last_run"))
                    for p in sorted((folder / "notebooks").glob("*.ipynb")))
    cache_file = folder / GRADES_CACHE
    cache = _read(cache_file)
    in_kernel = browser.IN_BROWSER  # a browser tab cannot start the learner's process: the checks run here
    labs, learner, changed = [], _Learner(TIME_LIMIT, in_process=in_kernel), False
    try:
        for lab in lab_folders(folder / "labs"):
            key = content_key(lab)
            kept = cache.get(lab.name)
            if isinstance(kept, dict) and kept.get("key") == key:
                result = _lab_from_dict(kept.get("result"))
                if result is not None:
                    labs.append(result)
                    continue
            if on_lab is not None:
                on_lab(lab)
            if in_kernel and learner.process is None and kernel_is_mocked():  # (not the checks' own mock)
                raise GradingError(KERNEL_IS_MOCKED)
            result = run_lab(lab, learner=learner)
            labs.append(result)
            cache[lab.name] = {"key": key, "result": _lab_to_dict(result)}
            changed = True
    finally:
        learner.stop()
    if changed:
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            cache_file.write_text(json.dumps(cache, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        except OSError:
            pass  # a read-only course folder: graded again next time
    return Progress(folder, lessons, tuple(labs), feedback=in_kernel)


def content_key(lab: Path) -> str:
    """A hash of what decides a lab's grade: its files (names and bytes; not the notebooks, which no check reads
    and which change whenever they run) and the checks' version
    (the source of the package's grading code and of the lab's check module)."""
    digest = hashlib.sha256()
    for path in sorted(lab.rglob("*")):
        relative = path.relative_to(lab)
        if path.is_file() and path.suffix != ".ipynb" and not _NOT_GRADED & set(relative.parts):
            digest.update(relative.as_posix().encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    digest.update(_checks_version(lab.name).encode())
    return digest.hexdigest()


def _checks_version(lab_name: str) -> str:
    import sys
    from importlib import metadata

    try:
        version = metadata.version("lambda-local")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        version = "unknown"
    digest = hashlib.sha256(version.encode())
    package = Path(__file__).resolve().parent
    definition = lab_definitions().get(lab_name)
    module = sys.modules.get(definition.checks[0].run.__module__) if definition and definition.checks else None
    sources = sorted(package.glob("*.py")) + ([Path(module.__file__)] if module and module.__file__ else [])
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _lab_to_dict(lab: LabResult) -> dict:
    return {"lab": lab.lab, "title": lab.title, "path": lab.path, "seconds": lab.seconds, "note": lab.note,
            "checks": [{"name": c.name, "points": c.points, "max_points": c.max_points, "seconds": c.seconds,
                        "source": c.source,
                        "failure": None if c.failure is None else [c.failure.expected, c.failure.got,
                                                                    c.failure.hint]}
                       for c in lab.checks]}


def _lab_from_dict(data) -> LabResult | None:
    try:
        checks = tuple(CheckResult(str(c["name"]), int(c["points"]), int(c["max_points"]),
                                   None if c["failure"] is None else Failure(*map(str, c["failure"])),
                                   float(c["seconds"]), str(c["source"])) for c in data["checks"])
        return LabResult(str(data["lab"]), str(data["title"]), str(data["path"]), checks, float(data["seconds"]),
                         str(data["note"]))
    except (KeyError, TypeError, ValueError):
        return None
