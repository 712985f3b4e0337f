"""The learner's process: runs the learner's code in a sandbox and answers the grading process's requests.

Started by :mod:`lambda_local.grading.worker` as ``python -m lambda_local.grading.child`` in its own process group.
It holds no check, no solution and no result: it only does what a request asks (run a boto3 request against moto,
invoke a function, import a learner's module and call one of its functions, move the clock) and answers with what
happened. Everything it answers is data the grading process judges; nothing it says is a verdict.

The protocol runs on copies of the original stdin/stdout descriptors; the process's own stdin, stdout and stderr
are /dev/null, so what the learner's code prints goes nowhere.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any, Callable

from .wire import MAX_LINE, decode, dumps

__all__ = ["main"]

_SERVICE_CREDENTIALS = dict(aws_access_key_id="testing", aws_secret_access_key="testing",
                            aws_session_token="testing", region_name="us-east-1")


class _Answer(Exception):
    """A request's answer that is a Failure for the check (expected / got / hint)."""

    def __init__(self, expected: str, got: str, hint: str):
        super().__init__(expected)
        self.failure = {"expected": expected, "got": got, "hint": hint}


class Learner:
    """The sandbox of one check (a fresh ``mock_aws()``) and the learner's modules imported in it."""

    def __init__(self):
        self.folder: Path | None = None
        self.mock = None
        self.aws = None
        self.modules: dict[str, Any] = {}
        self.watches: dict[str, tuple[contextlib.ExitStack, list]] = {}

    # --- requests ---------------------------------------------------------------------------------------------------
    def begin(self, folder: str, seed: int, start: str) -> dict:
        from ..sandbox import mock_aws

        self.end()
        self.folder = Path(folder).resolve()
        self.mock = mock_aws(seed=seed, start=start)
        self.aws = self.mock.start()
        return {}

    def end(self) -> dict:
        for stack, _ in self.watches.values():
            stack.close()
        self.watches.clear()
        self.modules.clear()
        if self.mock is not None:
            mock, self.mock, self.aws = self.mock, None, None
            mock.stop()
        return {}

    def send(self, method: str, url: str, headers: dict, body: bytes) -> dict:
        """A check's boto3 request, answered by moto as it answers boto3 inside ``mock_aws()``."""
        from botocore.awsrequest import AWSPreparedRequest
        from botocore.compat import HTTPHeaders

        from ..aws.state import answer_request

        prepared = HTTPHeaders()
        for key, value in headers.items():
            prepared[key] = value
        request = AWSPreparedRequest(method=method, url=url, headers=prepared, body=body, stream_output=False)
        answer = answer_request(request)
        if answer is None:
            return {"status": 404, "headers": {}, "body": f"no mocked service answers {url}".encode()}
        status, response_headers, response_body = answer
        if isinstance(response_body, str):
            response_body = response_body.encode("utf-8")
        return {"status": int(status), "headers": {str(k): str(v) for k, v in response_headers.items()},
                "body": bytes(response_body or b"")}

    def invocations(self, since: int) -> dict:
        from dataclasses import fields

        records = self.aws.invocations[since:]
        # The exception a handler raised stays here: it is a live object for a post mortem, not data to send.
        return {"records": [{f.name: getattr(r, f.name) for f in fields(r) if f.name != "exception"}
                            for r in records]}

    def clock(self) -> dict:
        return {"time": self.aws.clock.time()}

    def advance(self, seconds: float, minutes: float, hours: float) -> dict:
        return {"ran": self.aws.advance(seconds=seconds, minutes=minutes, hours=hours)}

    def http(self, method: str, url: str, headers: dict | None, body: bytes | None) -> dict:
        response = self.aws.http(method, url, headers=headers, body=body)
        return {"status": response.status, "headers": dict(response.headers), "body": bytes(response.body or b""),
                "cookies": list(response.cookies)}

    def watch(self, function_name: str, on: bool) -> dict:
        if on:
            stack = contextlib.ExitStack()
            uses = stack.enter_context(_watch_sdk(self.aws, function_name))
            self.watches[function_name] = (stack, uses)
            return {}
        stack, uses = self.watches.pop(function_name, (contextlib.ExitStack(), []))
        stack.close()
        return {"uses": [list(use) for use in uses]}

    def module(self, relative: str) -> dict:
        """Import one of the lab's Python files fresh; a handle for calling its functions."""
        folder = self.folder
        if folder is None:
            raise RuntimeError("a 'module' request before 'begin'")  # the grader's bug, answered as an error
        path = folder / relative
        if not path.is_file():
            raise _Answer(f"the file {relative} in {folder.name}/", "there is no such file",
                          f"`lambda-local reset {folder.name[:2]}` brings the starting files back "
                          "(it saves your current folder first).")
        name = f"_lab_{path.stem}_{uuid.uuid4().hex[:8]}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:  # not a .py file: nothing Python can import
            raise _Answer(f"the file {relative} in {folder.name}/ to be a Python module", "it is not a .py file",
                          "")
        loader = spec.loader
        module = importlib.util.module_from_spec(spec)
        # The lab's modules this process imported itself (a learner's kernel that ran the lab notebook, when the
        # checks run there as feedback) are hidden while the check imports: it gets the files as they are now.
        hidden = {n: m for n, m in sys.modules.items() if _from_folder(m, folder)}
        for added in hidden:
            del sys.modules[added]
        before = set(sys.modules)
        saved_path, saved_bytecode = list(sys.path), sys.dont_write_bytecode
        sys.path.insert(0, str(path.parent))
        sys.dont_write_bytecode = True
        sys.modules[name] = module  # as an import would (dataclasses in the module need it); removed below
        try:
            self._call(loader.exec_module, (module,), {}, what=f"importing {relative}", timeout=10, hint="")
        finally:
            sys.path[:], sys.dont_write_bytecode = saved_path, saved_bytecode
            for added in set(sys.modules) - before:  # the lab's sibling modules are re-imported next time
                if _from_folder(sys.modules[added], folder):
                    del sys.modules[added]
            sys.modules.update(hidden)
        self.modules[name] = module
        return {"handle": name}

    def call(self, handle: str, attribute: str, args: list, kwargs: dict, what: str, timeout: float,
             hint: str) -> dict:
        module = self.modules.get(handle)
        if module is None:
            raise _Answer(f"{what} to run", "the module was not imported in this check", "a bug in the check")
        func = getattr(module, attribute, None)
        if not callable(func):
            file = Path(module.__file__).name
            raise _Answer(f"a function {attribute}() in {file}", f"{file} has no function named {attribute}",
                          hint or f"Define `def {attribute}(...)` at the top level of {file} (check its spelling).")
        args = [self._argument(a) for a in args]
        kwargs = {k: self._argument(v) for k, v in kwargs.items()}
        return {"value": self._call(func, args, kwargs, what=what, timeout=timeout, hint=hint)}

    # --- helpers ----------------------------------------------------------------------------------------------------
    def _argument(self, value):
        if isinstance(value, dict) and set(value) == {"$client"}:
            import boto3

            return boto3.Session(**_SERVICE_CREDENTIALS).client(str(value["$client"]))
        return value

    def _call(self, func: Callable, args, kwargs, *, what: str, timeout: float, hint: str) -> Any:
        from ..runtime.timeouts import call_with_timeout
        from .checks import describe_exception

        outcome = call_with_timeout(lambda: func(*args, **kwargs), timeout)
        if outcome.timed_out:
            raise _Answer(f"{what} to finish", f"it was still running after {timeout:g} seconds",
                          hint or "Look for a loop that never ends or a call that waits forever.")
        if outcome.error is not None:
            raise _Answer(f"{what} to run without an error", describe_exception(outcome.error, self.folder),
                          hint or "Read the error and the line it points at; run that code in the lab notebook to "
                                  "see the whole traceback.")
        return outcome.value


def _from_folder(module: Any, folder: Path) -> bool:
    """Whether ``module`` was imported from a file of ``folder`` (the lab's own modules)."""
    return str(getattr(module, "__file__", "") or "").startswith(str(folder) + os.sep)


@contextlib.contextmanager
def _watch_sdk(aws, function_name: str):
    """Record every boto3 client the function creates and every call it makes, as (invocation, kind, service,
    operation), while the function runs (its environment's variables are in os.environ then)."""
    import botocore.client
    import botocore.session

    uses: list[tuple[int, str, str, str]] = []
    create_client, make_call = botocore.session.Session.create_client, botocore.client.BaseClient._make_api_call

    def inside() -> bool:
        return os.environ.get("AWS_LAMBDA_FUNCTION_NAME") == function_name

    def counting_create_client(session, service_name, *args, **kwargs):
        if inside():
            uses.append((len(aws.invocations), "client", service_name, ""))
        return create_client(session, service_name, *args, **kwargs)

    def counting_call(client, operation_name, api_params):
        if inside():
            uses.append((len(aws.invocations), "call", client.meta.service_model.service_name, operation_name))
        return make_call(client, operation_name, api_params)

    botocore.session.Session.create_client = counting_create_client
    botocore.client.BaseClient._make_api_call = counting_call
    try:
        yield uses
    finally:
        botocore.session.Session.create_client, botocore.client.BaseClient._make_api_call = create_client, make_call


_REQUESTS = ("begin", "end", "send", "invocations", "clock", "advance", "http", "watch", "module", "call")


def _answer(learner: Learner, request: dict) -> dict:
    """The answer to one decoded request: ``{"ok": ...}``, ``{"failure": ...}`` or ``{"error": ...}``."""
    op = request.pop("op", None)
    if op not in _REQUESTS:
        return {"error": f"unknown request {op!r}"}
    try:
        return {"ok": getattr(learner, op)(**request)}
    except _Answer as answer:
        return {"failure": answer.failure}
    except Exception as error:  # noqa: BLE001 - answered as data; the grading process decides what it means
        from .checks import describe_exception

        return {"error": describe_exception(error, learner.folder)}


def main() -> None:
    """Serve requests from the original stdin until it closes; answers on the original stdout."""
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "wb")
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)
    sys.stdin = open(os.devnull)
    sys.stdout = sys.stderr = open(os.devnull, "w")
    learner = Learner()
    while True:
        line = requests.readline(MAX_LINE)
        if not line:
            break
        try:
            request = decode(json.loads(line))
        except ValueError:
            break
        answer = _answer(learner, request) if isinstance(request, dict) else {"error": "not a request"}
        try:
            data = dumps(answer)
        except (TypeError, ValueError) as error:
            data = dumps({"error": f"the answer could not be sent: {error}"})
        answers.write(data)
        answers.flush()
    os._exit(0)  # a learner's non-daemon thread must not keep this process alive


if __name__ == "__main__":
    main()
