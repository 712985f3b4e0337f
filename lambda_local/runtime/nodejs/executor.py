"""The Node.js runtime behind the executor seam: INIT starts the environment's ``node`` process and waits for its
first ``GET /next``; an invocation hands the event over the Runtime API and waits for ``/response`` or ``/error``.

What differs from Python in this process is reported through :class:`~..executor.PhaseResult`: the runtime's own
error object (``{errorType, errorMessage, trace}``) is passed through, Init Duration is measured from the process
(node's start included), and Max Memory Used is the process's own peak resident memory.
"""

from __future__ import annotations

import json
import os

from ..clocks import stopwatch
from .. import errors
from ..executor import InvokeRequest, PhaseResult
from ..runtime_api import Outcome
from ..timeouts import Stopper
from .install import NodeNotFound
from .process import NodeProcess

__all__ = ["NodeExecutor"]

_SIGNALS = {9: "killed", 6: "aborted", 11: "segmentation fault", 15: "terminated"}


class NodeExecutor:
    """A Node.js function's runtime: a process of its own per environment (kept as ``env.runtime_process``).

    ``service`` says where the process reaches the sandbox's AWS (``service.process_environment()``: a loopback
    endpoint its SDK calls). Stoppers are not used: a process is stopped by killing it at its deadline.

    Not ``exclusive``: the code runs in the node process, so an invocation waits without the Python turn, and the
    functions it invokes through the SDK (Python ones included) can have theirs while it waits.
    """

    exclusive = False

    def __init__(self, service):
        self.service = service

    def init(self, env, log, timeout_s: float, stopper: Stopper) -> PhaseResult:
        old = env.runtime_process
        if old is not None:  # a reset environment's process is gone for good
            old.stop()
        process = env.runtime_process = NodeProcess(env, self.service.clock.time)
        t0 = stopwatch.perf_counter()
        try:
            outcome = process.start(log, self.service.process_environment(), timeout_s)
        except NodeNotFound as exc:
            raise errors.ServiceError("InvalidRuntimeException", str(exc), 502) from None
        # node's start, the client's and the function's INIT, all measured (nothing modelled but a VPC)
        result = PhaseResult(duration_ms=(stopwatch.perf_counter() - t0) * 1000, runtime_start_measured=True,
                             absolute_peak_bytes=process.peak_bytes)
        if outcome.kind != "ready":
            _fail(result, outcome, process, "", timeout_s)
            process.stop()
        return result

    def invoke(self, env, request: InvokeRequest, log, stopper: Stopper) -> PhaseResult:
        process: NodeProcess = env.runtime_process
        if not process.await_next(request.timeout_s):  # it exited after its last answer and was not reset
            result = PhaseResult(fatal=True)
            _fail(result, _exited(process), process, request.request_id, request.timeout_s)
            return result
        t1 = stopwatch.perf_counter()
        outcome = process.invoke(request.request_id, request.payload or b"{}", _headers(request), request.timeout_s,
                                 log)
        took = (stopwatch.perf_counter() - t1) * 1000
        result = PhaseResult(duration_ms=took, absolute_peak_bytes=process.peak_bytes)
        if outcome.kind == "response":
            result.payload = outcome.body
        else:
            _fail(result, outcome, process, request.request_id, request.timeout_s)
            if result.timed_out:  # billing stops at the deadline
                result.duration_ms = request.timeout_s * 1000
        if outcome.kind in ("response", "error") and not process.await_next(request.timeout_s):
            # The process answered, then exited (an unhandled rejection, process.exit in a callback): the
            # environment is reset, and the next request runs INIT.
            result.fatal = True
        if result.reset:
            process.stop()
        return result


def _headers(request: InvokeRequest) -> dict[str, str]:
    """The Lambda-Runtime-* headers of GET /next (the runtime builds ``context`` from them)."""
    now = stopwatch.wall()  # node's Date.now() measures the deadline: the machine's wall-clock milliseconds
    headers = {
        "Lambda-Runtime-Deadline-Ms": str(int((now + request.timeout_s) * 1000)),
        "Lambda-Runtime-Invoked-Function-Arn": request.invoked_function_arn,
        "Lambda-Runtime-Trace-Id": request.trace_id or f"Root=1-{int(now):08x}-{os.urandom(12).hex()};Sampled=0",
    }
    if request.client_context is not None:
        headers["Lambda-Runtime-Client-Context"] = json.dumps(request.client_context)
    if request.cognito_identity is not None:
        headers["Lambda-Runtime-Cognito-Identity"] = json.dumps(request.cognito_identity)
    return headers


def _exited(process: NodeProcess) -> Outcome:
    return Outcome("exited", code=process.exit_code)


def _fail(result: PhaseResult, outcome: Outcome, process: NodeProcess, request_id: str, timeout_s: float) -> None:
    """Fill ``result`` for anything but a response: the runtime's own error object, a timeout, or a process that
    died (the platform's two-field error object, as Node.js runtimes answer it)."""
    if outcome.kind in ("error", "init_error"):
        body = process.aws_paths(outcome.body.decode("utf-8", "replace")).encode()
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = {}
        if not isinstance(parsed, dict):
            parsed = {}
        result.error_type = outcome.error_type or parsed.get("errorType") or "Runtime.Unknown"
        result.error_message = str(parsed.get("errorMessage", ""))
        trace = parsed.get("trace")
        result.stack_trace = [str(line) for line in trace] if isinstance(trace, list) else []
        result.error_payload = body
        result.fatal = outcome.kind == "init_error"
        return
    result.platform_error = True  # (INIT has no request id yet: the platform's object is made with the request's)
    if outcome.kind == "timed_out":
        result.timed_out = True
        if request_id:
            result.error_payload = errors.platform_error(errors.TIMEOUT, errors.timeout_message(request_id, timeout_s))
        return
    result.fatal = True
    if outcome.kind == "out_of_memory":
        result.error_type, result.error_message = errors.OUT_OF_MEMORY, "Runtime exited with error: signal: killed"
    else:
        code = outcome.code if outcome.code is not None else 1
        result.error_type = errors.EXIT_ERROR
        result.error_message = f"Runtime exited with error: signal: {_SIGNALS.get(-code, -code)}" if code < 0 \
            else errors.exit_message(code)
    if request_id:
        result.error_payload = errors.platform_error(result.error_type,
                                                     f"RequestId: {request_id} Error: {result.error_message}")
