"""The Lambda Runtime API, served to one runtime process: AWS's language-neutral contract between the Lambda
service and a runtime (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).

The process asks ``GET /2018-06-01/runtime/invocation/next`` for work; the request is held until an invocation
arrives and then answered with the event and the ``Lambda-Runtime-*`` headers. The process answers with
``POST .../invocation/{id}/response`` or ``.../{id}/error``, or ``POST .../init/error`` when INIT fails.

One thread drives everything: the caller waiting for an outcome runs a selector over the listening socket, the
process's connections and its stdout/stderr pipes. So there is no thread hand-off on the hot path, and a line the
function printed before it answered is always read before the answer is acted on (Node.js and Python write to a pipe
synchronously, so it is in the pipe before the response is on the socket).
"""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from .clocks import stopwatch

__all__ = ["Outcome", "RuntimeApi"]

_PREFIX = "/2018-06-01/runtime/"
_WATCH_EVERY_S = 0.05  # how often a quiet process's memory is looked at
_MAX_HEADER = 64 * 1024


@dataclass(slots=True)
class Outcome:
    """What the runtime did: ``kind`` is ``ready`` (asked for the next invocation), ``response``, ``error``,
    ``init_error``, ``exited`` (the process ended; ``code`` its exit status, negative for a signal), ``timed_out``
    or ``out_of_memory``."""

    kind: str
    body: bytes = b""
    error_type: str | None = None
    code: int | None = None


class _Connection:
    __slots__ = ("buffer", "sock")

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""


class RuntimeApi:
    """The Runtime API endpoint of one execution environment, bound to a loopback port.

    ``start(argv, env, cwd)`` starts the runtime process; ``wait_ready`` runs its INIT; ``invoke`` hands it one
    event. ``on_output(line)`` receives each line the process writes to stdout or stderr.
    """

    def __init__(self, on_output: Callable[[str], None]):
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self._listener.setblocking(False)
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self.on_output = on_output
        # Called while the process is quiet: True when it uses more memory than the function has (it is then killed,
        # as Lambda's memory limit kills it).
        self.over_memory: Callable[[], bool] | None = None
        self._next_watch = 0.0
        self.process: subprocess.Popen | None = None
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, "accept")
        self._held: _Connection | None = None  # the connection whose GET /next is waiting for an invocation
        self._partial: dict[int, bytes] = {}
        self._open_pipes = 0

    # --- the process ------------------------------------------------------------------------------------------------
    def start(self, argv: list[str], env: dict[str, str], cwd: str) -> None:
        from ..browser import require_desktop

        require_desktop("A Node.js function (its runtime is a process)")
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, process_group=0)
        self.process = process
        assert process.stdout is not None and process.stderr is not None  # both are PIPEs
        for pipe in (process.stdout, process.stderr):
            os.set_blocking(pipe.fileno(), False)
            self._selector.register(pipe, selectors.EVENT_READ, "output")
            self._partial[pipe.fileno()] = b""
        self._open_pipes = 2

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def kill(self) -> None:
        """Stop the process at once (SIGKILL, as Lambda stops a timed-out runtime) and close the endpoint."""
        process = self.process
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, 9)
            except (ProcessLookupError, PermissionError):
                process.kill()
            process.wait()
        self.close()

    def close(self) -> None:
        """Close the endpoint and the pipes (again: nothing)."""
        mapping = self._selector.get_map()
        if mapping is None:
            return
        for key in list(mapping.values()):
            fileobj = key.fileobj
            self._selector.unregister(fileobj)
            if isinstance(fileobj, socket.socket):
                fileobj.close()
        self._selector.close()
        if self.process is not None:
            for pipe in (self.process.stdout, self.process.stderr):
                if pipe is not None:
                    pipe.close()

    # --- the two phases ---------------------------------------------------------------------------------------------
    @property
    def waiting(self) -> bool:
        """Whether the runtime has asked for the next invocation (its GET /next is held)."""
        return self._held is not None

    def wait_ready(self, timeout_s: float) -> Outcome:
        """Run until the process asks for its first invocation (INIT is done) or fails."""
        return self._run(stopwatch.monotonic() + timeout_s)

    def invoke(self, request_id: str, body: bytes, headers: dict[str, str], timeout_s: float) -> Outcome:
        """Answer the held ``/next`` with this invocation and run until the process answers it (the runtime must
        be :attr:`waiting`)."""
        deadline = stopwatch.monotonic() + timeout_s
        held, self._held = self._held, None
        assert held is not None, "invoke() before the runtime asked for the next invocation"
        head = ["HTTP/1.1 200 OK", "Content-Type: application/json", f"Content-Length: {len(body)}",
                f"Lambda-Runtime-Aws-Request-Id: {request_id}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        _send(held.sock, ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        outcome = self._run(deadline)
        while outcome.kind == "ready":  # its next GET /next, read before the answer that came on its other connection
            outcome = self._run(deadline)
        return outcome

    # --- the loop ---------------------------------------------------------------------------------------------------
    def _run(self, deadline: float) -> Outcome:
        while True:
            remaining = deadline - stopwatch.monotonic()
            if remaining <= 0:
                return Outcome("timed_out")
            if self.over_memory is not None:
                now = stopwatch.monotonic()
                if now >= self._next_watch:
                    self._next_watch = now + _WATCH_EVERY_S
                    if self.over_memory():
                        return Outcome("out_of_memory")
                remaining = min(remaining, _WATCH_EVERY_S)
            for key, _ in self._selector.select(remaining):
                kind = key.data
                if kind == "output":
                    self._read_output(key.fileobj)
                elif kind == "accept":
                    self._accept()
                else:
                    outcome = self._read_request(kind)
                    if outcome is not None:
                        self._drain_output()
                        return outcome
            if self._open_pipes == 0:  # both pipes closed: the process has ended
                assert self.process is not None  # pipes are only open once start() ran
                code = self.process.wait()
                return Outcome("exited", code=code)

    def _accept(self) -> None:
        try:
            sock, _ = self._listener.accept()
        except BlockingIOError:
            return
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        self._selector.register(sock, selectors.EVENT_READ, _Connection(sock))

    def _read_request(self, conn: _Connection) -> Outcome | None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return None
        except ConnectionError:
            data = b""
        if not data:
            self._selector.unregister(conn.sock)
            conn.sock.close()
            if self._held is conn:
                self._held = None
            return None
        conn.buffer += data
        outcome = None
        while True:
            parsed = _parse(conn.buffer)
            if parsed is None:
                if len(conn.buffer) > _MAX_HEADER and b"\r\n\r\n" not in conn.buffer:
                    conn.buffer = b""
                    _reply(conn, 431, b"")
                return outcome
            method, path, headers, body, rest = parsed
            conn.buffer = rest
            outcome = self._route(conn, method, path, headers, body) or outcome

    def _route(self, conn: _Connection, method: str, path: str, headers: dict[str, str], body: bytes):
        route = path[len(_PREFIX):] if path.startswith(_PREFIX) else None
        if method == "GET" and route == "invocation/next":
            self._held = conn
            return Outcome("ready")
        if method == "POST" and route is not None:
            if route == "init/error":
                _reply(conn, 202, b'{"status":"OK"}')
                return Outcome("init_error", body, headers.get("lambda-runtime-function-error-type"))
            if route.startswith("invocation/") and route.endswith(("/response", "/error")):
                _reply(conn, 202, b'{"status":"OK"}')
                if route.endswith("/response"):
                    return Outcome("response", body)
                return Outcome("error", body, headers.get("lambda-runtime-function-error-type"))
        _reply(conn, 404, b'{"errorMessage":"not found","errorType":"InvalidRequest"}')
        return None

    # --- the process's output ---------------------------------------------------------------------------------------
    def _read_output(self, pipe) -> None:
        fd = pipe.fileno()
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        if not data:
            self._selector.unregister(pipe)
            self._open_pipes -= 1
            rest = self._partial.pop(fd, b"")
            if rest:
                self.on_output(rest.decode("utf-8", "replace"))
            return
        lines = (self._partial[fd] + data).split(b"\n")
        self._partial[fd] = lines.pop()
        for line in lines:
            self.on_output(line.decode("utf-8", "replace"))

    def _drain_output(self) -> None:
        """Read what the process wrote before it answered (already in the pipes)."""
        while True:
            ready = [key for key, _ in self._selector.select(0) if key.data == "output"]
            if not ready:
                return
            for key in ready:
                self._read_output(key.fileobj)


def _parse(buffer: bytes):
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = buffer[:end].decode("latin-1").split("\r\n")
    method, path, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    start = end + 4
    if len(buffer) - start < length:
        return None
    return method, path, headers, buffer[start:start + length], buffer[start + length:]


def _reply(conn: _Connection, status: int, body: bytes) -> None:
    reason = {202: "Accepted", 404: "Not Found", 431: "Request Header Fields Too Large"}.get(status, "OK")
    _send(conn.sock, f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n".encode("latin-1") + body)


def _send(sock: socket.socket, data: bytes) -> None:
    sock.setblocking(True)  # a large event may not fit the socket's buffer at once
    try:
        sock.sendall(data)
    finally:
        sock.setblocking(False)
