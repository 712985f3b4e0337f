"""Finding labs and their checks, and running them.

A lab is a folder named ``NN-name`` (``01-greeting``) wherever it is; its checks are the module of
:mod:`lambda_local.grading.labs` whose ``LAB`` is that name, plus any an instructor adds with ``checks_dir``.
Each check runs in its own fresh ``mock_aws()`` (seeded, on a fixed virtual clock), so checks cannot disturb one
another and the same files always get the same result. The checks run in this process; the learner's code and the
sandbox run in a separate process per submission (:mod:`lambda_local.grading.worker`), so the learner's code never
reaches a check, a result or a report. Only ``check_lab`` can run them in this process instead, as feedback (in a
browser tab, which cannot start processes: :mod:`lambda_local.grading.feedback`); ``grade`` never does.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import pkgutil
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from .checks import Check, Failure, LabRun, describe_exception
from .results import CheckResult, GradeReport, LabResult, Submission
from .worker import LearnerProcess, LearnerProcessLost

__all__ = ["RENAMED_LABS", "GradingError", "LabDefinition", "check_lab", "find_lab", "grade", "lab_definitions",
           "load_checks"]

START = "2026-01-01T09:00:00Z"
_LAB_FOLDER = re.compile(r"^(\d{2})-[a-z0-9]+(?:-[a-z0-9]+)*$")


# The labs of the course's first edition that have another name now (issue 18 paired each lab with its lesson):
# old folder name -> where its work goes now. A learner with an old checkout, or used to the old numbers, is told.
RENAMED_LABS: dict[str, str] = {
    "02-s3-trigger-challenge": "04-s3-trigger",
    "04-least-privilege": "05-least-privilege",
    "05-cold-start-fix": "06-cold-start-fix",
    "06-layer": "07-layer",
    "07-sqs-worker": "10-resilient-async/sqs_worker",  # part 2 of the resilient-async lab
    "08-cost-model": "09-cost-model",
    "09-resilient-async": "10-resilient-async",
    "10-scheduled-cleanup": "11-scheduled-cleanup",
    "11-rest-api-capstone": "15-rest-api-capstone",
}


def renamed_lab_message(old: str) -> str:
    """Plain words for a learner who names a lab of the first edition (``07-sqs-worker``): where it is now."""
    new = RENAMED_LABS[old]
    lab, _, part = new.partition("/")
    where = f"part 2 of lab {lab} (its folder {part}/)" if part else f"lab {lab}"
    return (f"{old} is an old name: the course was renumbered so that lab NN goes with lesson NN, and this lab is "
            f"now {where}. Run `lambda-local check {lab[:2]}`, after moving your files into labs/{new}/ if you want "
            "them graded.")


class GradingError(Exception):
    """Something to grade could not be found or loaded (a wrong path, a broken checks folder): plain words."""


@dataclass(frozen=True)
class LabDefinition:
    """A lab of the course: its folder ``name`` (``01-greeting``), a ``title`` and its ``checks``, in order."""

    name: str
    title: str
    checks: tuple[Check, ...]

    @property
    def number(self) -> str:
        return self.name[:2]


def lab_number(folder: str | os.PathLike) -> str | None:
    """``"01"`` for a folder named ``01-greeting``; None for a folder that is not named like a lab."""
    match = _LAB_FOLDER.match(Path(folder).name)
    return match.group(1) if match else None


def _checks_in(module: ModuleType) -> tuple[Check, ...]:
    return tuple(value for value in vars(module).values() if isinstance(value, Check))


@functools.lru_cache(maxsize=1)
def lab_definitions() -> dict[str, LabDefinition]:
    """Every lab the package has checks for, by folder name, in order."""
    from . import labs as package

    found = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found[module.LAB] = LabDefinition(module.LAB, getattr(module, "TITLE", ""), _checks_in(module))
    return found


def load_checks(directory: str | os.PathLike) -> dict[str, tuple[Check, ...]]:
    """An instructor's extra checks from the ``*.py`` files of ``directory``, by lab number.

    Each file sets ``LAB = "01"`` (or ``"01-greeting"``) and defines checks with ``@check`` at module level, exactly
    as the package's own lab modules do.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise GradingError(f"--checks {directory}: there is no such folder")
    found: dict[str, tuple[Check, ...]] = {}
    for path in sorted(folder.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"_instructor_checks_{path.stem}", path)
        if spec is None or spec.loader is None:  # cannot happen for a *.py file; says so if it ever does
            raise GradingError(f"{path}: Python cannot import it")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # as an import would: dataclasses and pickling need it
        try:
            spec.loader.exec_module(module)
        except Exception as error:  # noqa: BLE001 - reported in plain words, not as a traceback
            raise GradingError(f"{path}: could not load it: {describe_exception(error)}") from None
        lab = str(getattr(module, "LAB", ""))
        number = lab[:2] if re.match(r"^\d{2}(-|$)", lab) else None
        if number is None:
            raise GradingError(f'{path}: set LAB = "NN" (the lab number, e.g. "01") at the top of the file')
        found[number] = found.get(number, ()) + _checks_in(module)
    return found


def find_lab(lab: str | int | os.PathLike = ".", labs_dir: str | os.PathLike | None = None) -> Path:
    """The folder of a lab: ``lab`` is a lab folder's path, or a number / name (``1``, ``"01"``,
    ``"01-greeting"``) looked up in ``labs_dir`` (default: the ``labs/`` folder of the current folder or of the
    nearest parent that has one)."""
    candidate = Path(os.fspath(lab)) if not isinstance(lab, int) else None
    if candidate is not None and candidate.is_dir() and lab_number(candidate.resolve()):
        return candidate.resolve()
    text = f"{lab:02d}" if isinstance(lab, int) else os.fspath(lab)
    number = text.zfill(2)[:2] if text.isdigit() else lab_number(text)
    if number is None:
        shown = Path(text).resolve().name if candidate is not None and candidate.is_dir() else text
        raise GradingError(f"{shown}: not a lab folder (those are named like 01-greeting) nor a lab number")
    folders = [Path(labs_dir)] if labs_dir is not None else [p / "labs" for p in (Path.cwd(), *Path.cwd().parents)]
    for folder in folders:
        matches = [p for p in lab_folders(folder) if p.name[:2] == number]
        if matches:
            exact = [p for p in matches if p.name == text]
            if not exact and text in RENAMED_LABS:  # "07-sqs-worker" must not silently check 07-layer
                raise GradingError(renamed_lab_message(text))
            return (exact or matches)[0].resolve()
    if text in RENAMED_LABS:
        raise GradingError(renamed_lab_message(text))
    where = labs_dir or "labs/"
    raise GradingError(f"no lab {number} in {where}: lab folders are named like {number}-name")


def lab_folders(folder: str | os.PathLike) -> list[Path]:
    """The lab folders (``NN-name``) directly inside ``folder``, sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and lab_number(p))


# --- running ------------------------------------------------------------------------------------------------------
TIME_LIMIT = 120.0  # seconds of wall-clock time for one lab, learner's code and checks together
_HIDDEN = Failure(expected="this hidden check to pass", got="it did not pass",
                  hint="This is one of your instructor's hidden checks: only its name and result are shown.")


KERNEL_IS_MOCKED = ("the checks need a mocked account of their own, and this kernel has a mock_aws() started: stop "
                    "it first (aws.stop(), or end its `with` block) or restart the kernel, then check again")


class _Learner:
    """The learner's process of one submission, started when a check needs it and again after it was lost.

    ``in_process``: the learner's side runs in this process instead (:class:`~.feedback.InProcessLearner`), for
    feedback only; only :func:`check_lab` asks for it.
    """

    def __init__(self, limit: float, *, in_process: bool = False):
        self.limit, self.in_process = limit, in_process
        self.process: Any = None  # a LearnerProcess, or the in-process InProcessLearner

    def for_lab(self, deadline: float):
        if self.process is None or not self.process.alive:
            if self.in_process:
                from .feedback import InProcessLearner

                self.process = InProcessLearner(deadline, self.limit)
            else:
                self.process = LearnerProcess(deadline, self.limit)
        self.process.deadline = deadline
        return self.process

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


def _run_check(check: Check, folder: Path, seed: int, source: str, process) -> CheckResult:
    started = time.perf_counter()
    failure: Failure | None
    try:
        request = process.request("begin", folder=str(folder), seed=seed, start=START)
        if "$failure" in request or "$error" in request:
            raise LearnerProcessLost(f"the sandbox did not start: {request}", "Tell your instructor.")
        outcome = check.run(LabRun(folder, process))
        process.request("end")  # what the learner's code left running must end cleanly too
        if outcome is None or isinstance(outcome, Failure):
            failure = outcome
        else:
            failure = Failure(expected="the check to return None or a Failure", got=repr(outcome)[:200],
                              hint="This is a bug in the check: tell your instructor.")
    except LearnerProcessLost as lost:
        failure = Failure(expected="the check to run to its end", got=lost.got, hint=lost.hint)
    except Failure as raised:
        failure = raised
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - a check never raises into the learner's face
        failure = Failure(expected="the check to run to its end",
                          got=f"it stopped with {describe_exception(error, folder)}",
                          hint="If that line is in one of your files, fix it there. Otherwise this may be a bug "
                               "in the check: tell your instructor.")
    if failure is None and not process.alive:  # a pass needs a learner's process that answered to the end
        gone = process.lost or process.exited()
        failure = Failure(expected="the check to run to its end", got=gone.got, hint=gone.hint)
    if failure is not None and source == "instructor":
        failure = _HIDDEN  # a hidden check's expected values and code never reach a report
    return CheckResult(name=check.name, points=0 if failure else check.points, max_points=check.points,
                       failure=failure, seconds=time.perf_counter() - started, source=source)


def run_lab(folder: Path, extra: dict[str, tuple[Check, ...]] | None = None, *, learner: _Learner | None = None,
            time_limit: float = TIME_LIMIT) -> LabResult:
    """Run the checks of the lab folder `folder` (the package's, then `extra` ones for its number).

    The checks run here; the learner's code runs in a separate process (``learner``'s, or one started for this
    lab), killed with its whole process group when the lab's ``time_limit`` (seconds) is reached; or, when
    ``learner`` is in-process, here too, and the result is marked as feedback.
    """
    started = time.perf_counter()
    number = lab_number(folder)
    definition = lab_definitions().get(folder.name)
    checks = [(c, "course") for c in (definition.checks if definition else ())]
    if number is not None:
        checks += [(c, "instructor") for c in (extra or {}).get(number, ())]
    title = definition.title if definition else ""
    if not checks or number is None:  # every lab with checks is named NN-name: number is None only without any
        note = (f"not graded: {renamed_lab_message(folder.name)}" if folder.name in RENAMED_LABS and not checks
                else f"no checks for {folder.name} yet: not graded")
        return LabResult(folder.name, title, _display(folder), note=note)
    own = learner is None
    learner = learner or _Learner(time_limit)
    deadline = time.monotonic() + time_limit
    results = []
    try:
        for i, (check, source) in enumerate(checks):
            if time.monotonic() >= deadline:
                results.append(CheckResult(check.name, 0, check.points, Failure(
                    expected="the check to run", got=f"not run: the lab's {time_limit:g} s limit was reached",
                    hint="An earlier check of this lab ran until the limit: fix that one first."), source=source))
                continue
            result = _run_check(check, folder, int(number) * 100 + i, source, learner.for_lab(deadline))
            results.append(result)
    finally:
        if own:
            learner.stop()
    return LabResult(folder.name, title, _display(folder), tuple(results), time.perf_counter() - started,
                     feedback=learner.in_process)


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def check_lab(lab: str | int | os.PathLike = ".", *, labs_dir: str | os.PathLike | None = None,
              checks_dir: str | os.PathLike | None = None, time_limit: float = TIME_LIMIT,
              in_process: bool | None = None) -> LabResult:
    """Run one lab's checks and return the result (a notebook shows it as a table). Never raises for what is in
    the learner's files: each problem is a failed check with its message.

    ``lab`` is the lab's folder (``"."`` in its notebook) or its number (``"01"``, looked up in ``labs/``).
    ``in_process`` runs the learner's code in this process instead of a process of its own: the same checks and
    messages, labelled as feedback, not a grade (see :mod:`lambda_local.grading.feedback`). By default it is on in
    a browser tab (which cannot start processes) and off elsewhere.

    >>> result = check_lab("solutions/01-greeting")        # doctest: +SKIP
    >>> result.points == result.max_points                 # doctest: +SKIP
    True
    """
    from .. import browser
    from .feedback import kernel_is_mocked

    folder = find_lab(lab, labs_dir)
    extra = load_checks(checks_dir) if checks_dir else None
    if not (browser.IN_BROWSER if in_process is None else in_process):
        return run_lab(folder, extra, time_limit=time_limit)
    if kernel_is_mocked():
        raise GradingError(KERNEL_IS_MOCKED)
    learner = _Learner(time_limit, in_process=True)
    try:
        return run_lab(folder, extra, learner=learner, time_limit=time_limit)
    finally:
        learner.stop()


def _names_a_lab(text: str) -> bool:
    """Whether ``text`` is a lab's number (``7``, ``07``) or a lab folder's bare name (``07-layer``)."""
    return (text.isdigit() and len(text) <= 2) or (lab_number(text) is not None and Path(text).name == text)


def _submissions(paths) -> list[tuple[Path, list[Path]]]:
    groups: dict[Path, list[Path]] = {}
    for raw in paths:
        path = Path(raw).resolve()
        if not path.is_dir() and _names_a_lab(str(raw)):
            path = find_lab(str(raw))  # `grade 07` or `grade 07-layer`, looked up in labs/ as `check` does
        if not path.is_dir():
            raise GradingError(f"{raw}: there is no such folder")
        if lab_number(path):
            found = groups.setdefault(path.parent, [])
            if path not in found:
                found.append(path)
        elif lab_folders(path / "labs"):
            groups[path] = lab_folders(path / "labs")
        elif lab_folders(path):
            groups[path] = lab_folders(path)
        else:
            raise GradingError(f"{raw}: no labs there. Give a lab folder (named like 01-greeting), a folder of "
                               "lab folders (like solutions/), or a learner's repository (a folder with labs/).")
    return [(parent, sorted(labs)) for parent, labs in groups.items()]


def grade(paths=(".",), *, checks_dir: str | os.PathLike | None = None, time_limit: float = TIME_LIMIT,
          on_lab=None) -> GradeReport:
    """Grade lab folders and learners' repositories; labs in the same folder form one submission.

    ``paths``: lab folders (``solutions/01-greeting``), folders of them (``solutions/``), or repositories that
    hold a ``labs/`` folder (``submissions/alice``). Each submission's code runs in a process of its own, and each
    lab has ``time_limit`` seconds; ``on_lab(submission_folder, lab_folder)`` is called before each lab.
    Raises :class:`GradingError` only when a path holds nothing to grade or ``checks_dir`` cannot be loaded.

    >>> report = grade(["solutions"])                        # doctest: +SKIP
    >>> report.points == report.max_points                   # doctest: +SKIP
    True
    """
    started = time.perf_counter()
    extra = load_checks(checks_dir) if checks_dir else None
    submissions = tuple(_grade_submission(parent, labs, extra, time_limit, on_lab)
                        for parent, labs in _submissions(list(paths) or ["."]))
    return GradeReport(submissions, time.perf_counter() - started)


def _grade_submission(parent: Path, labs: list[Path], extra, time_limit: float, on_lab) -> Submission:
    """One submission's labs, with one learner's process of its own (never shared with another submission)."""
    learner = _Learner(time_limit)
    results = []
    try:
        for lab in labs:
            if on_lab is not None:
                on_lab(parent, lab)
            results.append(run_lab(lab, extra, learner=learner, time_limit=time_limit))
    finally:
        learner.stop()
    return Submission(parent.name, _display(parent), tuple(results))
