"""Running a learner's answer: a handler through the course's own runtime, in a Lambda service of its own (the
lesson's sandbox, its ids, records and logs are left as they were), and one-line descriptions of what came back."""

from __future__ import annotations

import contextlib
import inspect
import json
import tempfile
import textwrap
from pathlib import Path
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



def invoke_source(source: Any, events: Sequence[Any], **config: Any) -> list[Invocation] | str:
    """Deploy ``source`` as ``lambda_function.py`` (handler ``lambda_function.lambda_handler``) and invoke it once per
    event, warm after the first; or say why ``source`` is not a module's source."""
    if not isinstance(source, str):
        return f"the function's code is a string holding lambda_function.py, not {type(source).__name__}"
    return invoke_package({"lambda_function.py": textwrap.dedent(source)}, "lambda_function.lambda_handler", events,
                          **config)


def invoke_package(files: dict[str, str], handler: str, events: Sequence[Any], *,
                   layers: Sequence[dict[str, str]] = (), **config: Any) -> list[Invocation]:
    """Deploy ``files`` (path in the zip → text) with ``handler`` and ``layers`` (each a layer zip's files), as AWS
    unzips them, and invoke the function once per event."""
    with tempfile.TemporaryDirectory(prefix="lambda-local-exercise-") as folder:
        code = _unzipped(Path(folder, "task"), files)
        layer_dirs = [_unzipped(Path(folder, f"layer-{n}"), layer) for n, layer in enumerate(layers)]
        return invoke(handler, events, code=code, layers=layer_dirs, **config)


def _unzipped(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, text in files.items():
        path = (folder / name).resolve()
        if folder.resolve() not in path.parents:
            raise ValueError(f"{name!r} is not a path inside a zip archive")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder
