"""Running a learner's answer: a handler through the course's own runtime, in a Lambda service of its own (the
lesson's sandbox, its ids, records and logs are left as they were), and one-line descriptions of what came back."""

from __future__ import annotations

import contextlib
import inspect
import json
from typing import Any, Callable, Iterator, Sequence

from ..runtime import Function, Invocation
from ..runtime.service import LambdaService, activate, deactivate
from ._core import Mark, right, wrong

_SHOWN = 90  # characters of a value shown in a mark


def show(value: Any) -> str:
    """A value as compact JSON (Python's repr where JSON cannot say it), cut to one short line."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


@contextlib.contextmanager
def _own_service() -> Iterator[None]:
    service = LambdaService(seed=0, keep_records=False)
    activate(service)
    try:
        yield
    finally:
        deactivate(service)


def not_a_handler(answer: Any) -> str | None:
    """Why ``answer`` cannot be a Python handler, or None when it can."""
    if not callable(answer):
        return f"a handler is a function `def name(event, context):`, not {type(answer).__name__}"
    try:
        inspect.signature(answer).bind(None, None)
    except TypeError:
        return "a handler takes two arguments, (event, context)"
    except ValueError:  # no signature to read (a builtin): let Lambda try it
        pass
    return None


def invoke(handler: Callable | str, events: Sequence[Any], **config: Any) -> list[Invocation]:
    """Invoke ``handler`` once per event, in one function (warm after the first), and return the records."""
    with _own_service():
        function = Function(handler, name="exercise", **config)
        return [function.invoke(event) for event in events]


def outcome(result: Invocation) -> str:
    """What one invocation gave back, in words: ``returned {...}`` or ``failed with KeyError: 'name'``."""
    if result.error_type:
        return f"failed with {result.error_type}: {result.error_message}"
    return f"returned {show(result.payload)}"


def returns(handler: Any, cases: Sequence[tuple[Any, Any]], **config: Any) -> Iterator[Mark]:
    """For each ``(event, expected)``: right when the handler returns ``expected`` for ``event``."""
    problem = not_a_handler(handler)
    if problem:
        yield wrong(problem)
        return
    results = invoke(handler, [event for event, _ in cases], **config)
    for (event, expected), result in zip(cases, results):
        if not result.error_type and result.payload == expected:
            yield right(f"event {show(event)} → {show(expected)}")
        else:
            yield wrong(f"event {show(event)} → {outcome(result)}; expected {show(expected)}")
