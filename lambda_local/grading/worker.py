"""The grading process's side of the learner's process: start it, ask it things, stop it.

The checks run here, in the grading process; the learner's code runs only in the child started here
(:mod:`lambda_local.grading.child`), in its own session and process group, with a clean environment and a scratch
working folder. The two talk over a pipe only this process reads. Every answer is untrusted data: JSON only,
bounded in size, read against a wall-clock deadline. When the deadline passes, or the child ends, or it answers
something that is not the protocol, the whole process group is killed and the check that was waiting fails with a
plain message: no exit status and no silence ever counts as a pass.
"""

from __future__ import annotations

import io
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn

from .wire import MAX_LINE, decode, dumps

__all__ = ["LearnerProcess", "LearnerProcessLost", "RemoteFunction", "RemoteModule", "RemoteSandbox",
           "adopt_orphans"]

# Variables the learner's process keeps; everything else (CI tokens, secrets, paths to hidden checks) stays out.
_KEPT_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TEMP", "TMP", "SYSTEMROOT", "TZ")
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class LearnerProcessLost(BaseException):
    """The learner's process ended, hung past the limit, or broke the protocol. A BaseException, so that a check's
    ``except Exception`` cannot swallow it into a pass."""

    def __init__(self, got: str, hint: str):
        super().__init__(got)
        self.got, self.hint = got, hint


_adopting = False
_live: set = set()  # learner's processes not stopped yet
_PR_SET_CHILD_SUBREAPER = 36


def adopt_orphans() -> bool:
    """Make this process the reaper of its descendants (Linux): a learner's process that escapes its process group
    (``setsid()`` and a double fork) is re-parented here instead of to init, and is killed when the learner's
    process is stopped. For a process that exists to grade (``lambda-local grade``); True when it is in effect."""
    global _adopting
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        _adopting = ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        _adopting = False
    return _adopting


def _kill_adopted() -> None:
    """Kill the children of this process that left its session (with :func:`adopt_orphans`, a learner's escaped
    descendants become children here; the host's own children stay in its session and are left alone), until none
    is left. Live learner's processes of other gradings are spared."""
    own_session, spared = os.getsid(0), {p._process.pid for p in _live}
    for _ in range(50):
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            pid = int(entry.name)
            if int(fields[1]) == os.getpid() and fields[0] != "Z" and int(fields[3]) != own_session \
                    and pid not in spared:
                children.append(pid)
        if not children:
            return
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError, PermissionError):
                pass


def _child_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in _KEPT_ENVIRONMENT or k.startswith("LAMBDA_LOCAL_")}
    # The same lambda_local as this process (a checkout or an installed package), then what the user had.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")) if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


class LearnerProcess:
    """One learner's process, alive until :meth:`stop` or until something goes wrong (then :attr:`lost` says what).

    ``deadline`` (a ``time.monotonic()`` value) bounds every request; :meth:`request` raises
    :class:`LearnerProcessLost` past it, after killing the process group.
    """

    def __init__(self, deadline: float, limit: float):
        from ..browser import require_desktop

        require_desktop("Grading a lab in a process of its own")
        self.deadline, self.limit = deadline, limit
        self.lost: LearnerProcessLost | None = None
        self._scratch = tempfile.TemporaryDirectory(prefix="lambda-local-grade-")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "lambda_local.grading.child"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, cwd=self._scratch.name, env=_child_environment(),
            start_new_session=True)
        # stdin=PIPE and stdout=PIPE: Popen has opened both (its attributes are Optional for the other cases).
        assert self._process.stdin is not None and self._process.stdout is not None
        self._stdin, self._stdout = self._process.stdin, self._process.stdout
        _live.add(self)
        self._answers: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, name="lambda-local-grade-reader", daemon=True).start()

    def _read(self) -> None:
        stream = self._stdout
        try:
            while True:
                line = stream.readline(MAX_LINE + 1)
                if len(line) > MAX_LINE:
                    self._answers.put(ValueError("an answer longer than the protocol allows"))
                    return
                self._answers.put(line)
                if not line:
                    return
        except (OSError, ValueError) as error:
            self._answers.put(error)

    @property
    def alive(self) -> bool:
        return self.lost is None and self._process.poll() is None

    def request(self, op: str, **arguments) -> dict:
        """Send one request and wait for its answer: the answer's ``ok`` data; a ``failure`` dict is returned as
        ``{"$failure": ...}`` for the caller to raise."""
        if self.lost is not None:
            raise self.lost
        try:
            self._stdin.write(dumps({"op": op, **arguments}))
            self._stdin.flush()
        except (OSError, ValueError):
            self._lose_after_exit()
        remaining = self.deadline - time.monotonic()
        try:
            line = self._answers.get(timeout=max(remaining, 0))
        except queue.Empty:
            self._lose(f"it was still running when the {self.limit:g} s limit for the lab was reached",
                       "Look for an endless loop, a wait that never ends, or a thread that never stops (at import "
                       "time too): the grader stops the whole lab at its time limit.")
        if isinstance(line, Exception):
            self._lose(f"the learner's process answered something the grader could not read ({line})",
                       "Something in your code wrote to the grader's channel or ended the process.")
        if not line:
            self._lose_after_exit()
        try:
            answer = decode(json.loads(line))
        except ValueError:
            self._lose("the learner's process answered something that is not the grader's protocol",
                       "Something in your code wrote to the grader's channel.")
        if not isinstance(answer, dict):
            self._lose("the learner's process answered something that is not the grader's protocol", "")
        return unwrap(answer)

    def exited(self) -> LearnerProcessLost:
        """Why the process is gone when it ended between requests (no request saw it go); recorded in ``lost``."""
        try:
            self._lose_after_exit()
        except LearnerProcessLost as lost:
            return lost

    def _lose_after_exit(self) -> NoReturn:
        try:
            status = self._process.wait(timeout=max(min(self.deadline - time.monotonic(), 5), 0.1))
        except subprocess.TimeoutExpired:
            status = None
        shown = f"exit status {status}" if status is not None and status >= 0 else \
            f"signal {-status}" if status is not None else "its output closed"
        self._lose(f"the learner's process ended ({shown}) before it answered",
                   "Something in your code ended the Python process (os._exit, sys.exit or exit() at import time, "
                   "os.kill, a crash). Run the lab notebook to see where.")

    def _lose(self, got: str, hint: str) -> NoReturn:
        self.lost = LearnerProcessLost(got, hint)
        self.stop()
        raise self.lost

    def stop(self) -> None:
        """Kill the learner's whole process group (threads, children and grandchildren) and clean up."""
        process = self._process
        try:  # the group, even when its leader is gone: a learner's own child processes go with it
            if hasattr(os, "killpg"):
                os.killpg(process.pid, signal.SIGKILL)
            else:  # pragma: no cover - Windows has no process groups of this kind
                process.kill()
        except (ProcessLookupError, PermissionError):
            pass
        for stream in (self._stdin, self._stdout):
            try:
                stream.close()
            except (OSError, ValueError):
                pass
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not refused
            pass
        _live.discard(self)
        if _adopting:
            _kill_adopted()
        self._scratch.cleanup()
        if self.lost is None:
            self.lost = LearnerProcessLost("the learner's process was stopped", "")


def unwrap(answer: dict) -> dict:
    """A decoded answer of the learner's side as a request returns it: its ``ok`` data; a ``failure`` dict as
    ``{"$failure": ...}`` and an ``error`` as ``{"$error": ...}``, for the caller to raise."""
    if "failure" in answer and isinstance(answer["failure"], dict):
        return {"$failure": answer["failure"]}
    if "error" in answer:
        return {"$error": str(answer["error"])}
    ok = answer.get("ok")
    return ok if isinstance(ok, dict) else {}


# --- what a check sees ----------------------------------------------------------------------------------------------
def _failure(answer: dict):
    from .failure import Failure

    if "$failure" in answer:
        data = answer["$failure"]
        return Failure(str(data.get("expected", "")), str(data.get("got", "")), str(data.get("hint", "")))
    if "$error" in answer:
        return Failure("the grader's request to run", f"it failed: {answer['$error']}",
                       "If that error names one of your files, fix it there; otherwise tell your instructor.")
    return None


def _ask(process: LearnerProcess, op: str, **arguments) -> dict:
    answer = process.request(op, **arguments)
    failure = _failure(answer)
    if failure is not None:
        raise failure
    return answer


class RemoteClock:
    """The sandbox's virtual clock, read through the learner's process: ``time()`` (epoch seconds) and ``now()``."""

    def __init__(self, process: LearnerProcess):
        self._process = process

    def time(self) -> float:
        value = _ask(self._process, "clock").get("time")
        return float(value) if isinstance(value, (int, float)) else 0.0

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), timezone.utc)


class RemoteSandbox:
    """``lab.aws`` in a check: the sandbox in the learner's process, as its records say it is.

    ``invocations`` (records, oldest first), ``clock`` (``time()``, ``now()``), ``advance(...)`` and
    ``http(method, url, ...)``, as on :class:`lambda_local.sandbox.Sandbox`.
    """

    def __init__(self, process: LearnerProcess):
        self._process = process
        self._records: list = []
        self.clock = RemoteClock(process)

    @property
    def invocations(self) -> list:
        from ..runtime.invocation import Invocation

        answer = _ask(self._process, "invocations", since=len(self._records))
        for data in answer.get("records", []) if isinstance(answer.get("records"), list) else []:
            self._records.append(_record(Invocation, data))
        return list(self._records)

    def advance(self, seconds: float = 0, minutes: float = 0, hours: float = 0) -> int:
        ran = _ask(self._process, "advance", seconds=seconds, minutes=minutes, hours=hours).get("ran")
        return ran if isinstance(ran, int) else 0

    def http(self, method: str, url: str, *, headers: dict | None = None, body: bytes | str | None = None,
             json_body=None):
        from ..triggers.http import HttpResponse

        if json_body is not None:
            body = json.dumps(json_body)
            headers = {"content-type": "application/json", **(headers or {})}
        if isinstance(body, str):
            body = body.encode("utf-8")
        answer = _ask(self._process, "http", method=method, url=url, headers=headers, body=body)
        data = answer.get("body")
        return HttpResponse(status=int(answer.get("status", 0)),
                            headers={str(k): str(v) for k, v in dict(answer.get("headers") or {}).items()},
                            body=data if isinstance(data, bytes) else b"",
                            cookies=[str(c) for c in answer.get("cookies") or []])


def _record(cls, data: Any):
    """An invocation record rebuilt from the learner's process's answer: known fields only, typed as declared."""
    from dataclasses import MISSING, fields

    data = data if isinstance(data, dict) else {}
    values = {}
    for field in fields(cls):
        value = data.get(field.name, MISSING)
        if value is MISSING:
            continue
        values[field.name] = value
    values.setdefault("raw_payload", b"")
    if not isinstance(values["raw_payload"], bytes):
        values["raw_payload"] = b""
    required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
    for name in required:
        values.setdefault(name, None)
    return cls(**values)


class RemoteFunction:
    """A function of a learner's module, called in the learner's process by ``lab.call``."""

    def __init__(self, process: LearnerProcess, handle: str, name: str):
        self.process, self.handle, self.name = process, handle, name

    def __repr__(self) -> str:
        return f"<learner's function {self.name}>"


class RemoteModule:
    """A learner's module imported in the learner's process: its attributes are functions to ``lab.call``."""

    def __init__(self, process: LearnerProcess, handle: str, relative: str):
        self._process, self._handle, self._relative = process, handle, relative

    def __getattr__(self, name: str) -> RemoteFunction:
        if name.startswith("__"):
            raise AttributeError(name)
        return RemoteFunction(self._process, self._handle, name)


def send_request(process: LearnerProcess, request) -> "object":
    """botocore's ``before-send`` hook for a check's client: the HTTP request goes to moto in the learner's
    process (never to the network); its answer comes back as botocore's response."""
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders

    body = request.body
    if hasattr(body, "read"):
        position = body.tell() if hasattr(body, "tell") else None
        data = body.read()
        if position is not None:
            body.seek(position)
        body = data
    if isinstance(body, str):
        body = body.encode("utf-8")
    answer = _ask(process, "send", method=request.method, url=request.url,
                  headers={str(k): (v.decode() if isinstance(v, bytes) else str(v)) for k, v in
                           request.headers.items()}, body=body or b"")
    returned = answer.get("body")
    content = returned if isinstance(returned, bytes) else b""
    headers = HTTPHeaders()
    for key, value in dict(answer.get("headers") or {}).items():
        headers[str(key)] = str(value)
    return AWSResponse(request.url, int(answer.get("status", 500)), headers, _Raw(content))


class _Raw(io.BytesIO):
    """The raw body botocore reads (``read()``, ``stream()``)."""

    def stream(self, **_):
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()
