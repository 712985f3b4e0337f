"""The registry of exercises and ``check``, the one call a lesson makes."""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import re
import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Iterable

_LESSON_MODULE = re.compile(r"^lesson_(\d{2})$")
_ID = re.compile(r"^(\d{2})\.(\d+)$")


@dataclass(frozen=True)
class Mark:
    """One thing a check found: right (``ok``) or wrong, said in one line."""

    ok: bool
    text: str


def right(text: str) -> Mark:
    """A part of the answer that is right."""
    return Mark(True, text)


def wrong(text: str) -> Mark:
    """A part of the answer that is wrong, and what was expected instead."""
    return Mark(False, text)


@dataclass(frozen=True)
class Exercise:
    """One "your turn" exercise.

    ``check(answer)`` yields :class:`Mark` s (a generator may stop after the first wrong one when the rest would only
    repeat it); the answer is right when there is at least one mark and none is wrong. ``right_sample`` and
    ``wrong_sample`` are answers the check must accept and reject. ``solution`` is shown by ``check.solution``;
    when it is empty, the source of ``right_sample`` (a function) is shown.
    """

    id: str
    title: str
    check: Callable[[Any], Iterable[Mark]]
    hint: str
    right_sample: Any
    wrong_sample: Any
    solution: str = ""

    def marks(self, answer: Any) -> list[Mark]:
        """What the check finds in ``answer``; an answer the check cannot even look at is one wrong mark."""
        if answer is None or answer is Ellipsis:
            return [wrong("there is no answer yet: fill in the cell above and run it")]
        try:
            return list(self.check(answer))
        except Exception as error:  # noqa: BLE001 - the learner's answer broke it: say what, never a traceback
            return [wrong(f"your answer could not be checked: {type(error).__name__}: {error}")]

    def solution_text(self) -> str:
        if self.solution:
            return textwrap.dedent(self.solution).strip()
        return textwrap.dedent(inspect.getsource(self.right_sample)).strip()


def exercise(id: str, title: str, *, hint: str, right_sample: Any, wrong_sample: Any, solution: str = ""):
    """Decorator: turn a check function ``def f(answer): yield right(...) / wrong(...)`` into an :class:`Exercise`."""
    def declare(function: Callable[[Any], Iterable[Mark]]) -> Exercise:
        return Exercise(id, title, function, hint, right_sample, wrong_sample, solution)
    return declare


@functools.cache
def exercises() -> dict[str, Exercise]:
    """Every declared exercise by id, in lesson order (each ``lesson_NN`` module's ``EXERCISES``)."""
    found: dict[str, Exercise] = {}
    names = sorted(m.name for m in pkgutil.iter_modules(_package_path())
                   if _LESSON_MODULE.match(m.name))
    for name in names:
        lesson = _LESSON_MODULE.match(name).group(1)  # type: ignore[union-attr]
        module = importlib.import_module(f"{__package__}.{name}")
        for declared in module.EXERCISES:
            if not declared.id.startswith(lesson + ".") or declared.id in found:
                raise ValueError(f"exercise {declared.id} is declared in {name}: ids are 'NN.K', each once")
            found[declared.id] = declared
    return found


def _package_path() -> list[str]:
    return list(importlib.import_module(__package__).__path__)


class _Verdict:
    """What ``check`` returns: true when the answer is right. It prints nothing more in a notebook (the feedback is
    already printed) and compares equal to ``True`` / ``False``."""

    def __init__(self, passed: bool):
        self.passed = passed

    def __bool__(self) -> bool:
        return self.passed

    def __eq__(self, other: object) -> bool:
        return bool(self) == other if isinstance(other, bool) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.passed)

    def _ipython_display_(self) -> None:
        pass


class _Check:
    """``check("NN.K", answer)`` and ``check.solution("NN.K")``."""

    def __call__(self, exercise_id: str, answer: Any = None) -> _Verdict:
        """Check ``answer`` against exercise ``exercise_id``: print what is right, what is wrong and one hint."""
        found = self._find(exercise_id)
        if found is None:
            return _Verdict(False)
        marks = found.marks(answer)
        passed = bool(marks) and all(mark.ok for mark in marks)
        lines = [f"{'✓' if passed else '✗'} {found.id} {found.title}: {'right' if passed else 'not yet'}"]
        lines += [f"  {'✓' if mark.ok else '✗'} {mark.text}" for mark in marks]
        if not passed:
            lines.append(f"  Hint: {found.hint}")
            lines.append(f'  (check.solution("{found.id}") shows one right answer)')
        print("\n".join(lines))
        return _Verdict(passed)

    def solution(self, exercise_id: str) -> None:
        """Print one right answer to exercise ``exercise_id``."""
        found = self._find(exercise_id)
        if found is not None:
            print(f"# {found.id} {found.title}: one right answer\n{found.solution_text()}")

    def hint(self, exercise_id: str) -> None:
        """Print the exercise's hint."""
        found = self._find(exercise_id)
        if found is not None:
            print(f"Hint ({found.id}): {found.hint}")

    @staticmethod
    def _find(exercise_id: str) -> Exercise | None:
        declared = exercises()
        if exercise_id in declared:
            return declared[exercise_id]
        match = _ID.match(str(exercise_id))
        same_lesson = [i for i in declared if match and i.startswith(match.group(1) + ".")]
        known = ", ".join(same_lesson or declared) or "none"
        print(f"✗ there is no exercise {exercise_id!r}; the ids are: {known}")
        return None

    def __repr__(self) -> str:
        return '<check: check("NN.K", answer), check.solution("NN.K")>'


check = _Check()
