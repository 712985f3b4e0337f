"""One invocation, start to finish, as the Lambda service runs it, in a few steps:

1. the request is checked (payload size, JSON) — :func:`check_payload`;
2. an environment is leased from the function's pool (warm, or new: a cold start; or a throttle) —
   ``EnvironmentPool.lease``, which gives it back exactly once however the invocation ends;
3. the environment gets its turn in this process (``ExecutionLock``);
4. on a cold start, the INIT phase runs (:func:`_init`, the same step provisioned concurrency uses); if it fails,
   INIT runs once more with the request (:func:`_suppressed_init`), as AWS retries it;
5. the runtime runs the event (the executor: ``python_runtime.PythonExecutor``), under the stopper's deadline;
6. the platform checks the response, frames the log (START/END/REPORT), bills (:func:`_finish`);
7. the service records it (CloudWatch Logs, metrics), after the lease is given back.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from typing import Any

from .. import billing, coldstart, logs, quotas, xray
from ..xray import _current_request as _xray_request
from . import errors, virtual_time
from .clocks import stopwatch
from .context import LambdaContext
from .executor import InvokeRequest, PhaseResult, RuntimeExecutor
from .invocation import Invocation
from .python_runtime import PythonExecutor, marshal
from .timeouts import stopper_for

__all__ = ["invoke", "initialize", "check_payload", "marshal", "FROM_PAYLOAD"]

INIT_TIMEOUT_S = quotas.INIT_TIMEOUT_S
PYTHON = PythonExecutor()


class _NoTurn:
    """The turn of a runtime that does not run in this process: nothing to wait for."""

    def acquire(self, holder) -> None:
        pass

    def release(self, holder) -> None:
        pass


_NO_TURN = _NoTurn()


def _turn(service, executor: RuntimeExecutor):
    """The process's turn (``ExecutionLock``) for a runtime that runs code in this process (``exclusive``, the
    default); none for a runtime in a process of its own (Node.js), so the functions it invokes while it waits (and
    which need the turn) can run."""
    return service.execution if getattr(executor, "exclusive", True) else _NO_TURN


_DECODER = json.JSONDecoder()  # json.loads's own decoder for text
_DECODE = _DECODER.decode
_SCAN = _DECODER.scan_once  # type: ignore[attr-defined]  # its scanner (C): what decode() runs, no whitespace match
FROM_PAYLOAD: Any = object()  # (the event is the payload decoded)


def check_payload(payload: bytes, invocation_type: str, event: Any = FROM_PAYLOAD):
    """The request's event, or the ServiceError AWS answers a payload too large or not JSON with. ``event`` is the
    payload decoded already, when the caller made the payload from it with ``json.dumps`` (an event source mapping
    builds each batch's event): it is not decoded again, and the caller no longer touches it."""
    limit = errors.ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else errors.SYNC_PAYLOAD_LIMIT
    if len(payload) > limit:
        raise errors.request_too_large(len(payload), limit)
    if event is not FROM_PAYLOAD:
        return event
    try:
        if payload[:1] == b"{" and payload[1:2] != b"\x00":  # UTF-8 JSON (what json.loads would detect), decoded once
            text = payload.decode("utf-8", "surrogatepass")
            try:
                event, end = _SCAN(text, 0)
            except Exception:  # noqa: BLE001 - not JSON: decode() again, for json.loads's own message
                return _DECODE(text)
            if end == len(text) or not text[end:].strip(" \t\n\r"):  # (decode()'s whitespace) nothing after it
                return event
            return _DECODE(text)  # (it raises "Extra data" with its position)
        if not payload.strip():
            return {}
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.invalid_request_content(f"Could not parse payload into json: {exc}") from None


def executor_for(config) -> RuntimeExecutor:
    """The runtime that runs ``config``'s code: its own executor if it has one, else Python in this process."""
    return config.executor or PYTHON


def runtime_executor(runtime: str, service) -> RuntimeExecutor | None:
    """The executor a new function's config gets (``FunctionConfig.executor``) for its runtime: Node.js runs in a
    process of its own (``nodejs.executor.NodeExecutor``); None: Python, in this process."""
    if runtime.startswith("nodejs"):
        from .nodejs.executor import NodeExecutor

        return NodeExecutor(service)
    return None


def invoke(service, pool, config, payload: bytes, *, invocation_type: str = "RequestResponse",
           client_context: dict | None = None, cognito_identity: dict | None = None,
           invoked_arn: str | None = None, credentials: dict[str, str] | None = None,
           chain: object = None, request_id: str | None = None, event: Any = FROM_PAYLOAD) -> Invocation:
    """Run one invocation of ``config`` with the raw request ``payload`` (``event``: see :func:`check_payload`);
    returns its record.

    ``request_id`` is given when the invocation continues an earlier request (an asynchronous retry keeps the id of
    its first attempt, as on AWS); otherwise a new one is made. ``chain`` is the recursion chain it belongs to.

    Raises :class:`~lambda_local.runtime.errors.ServiceError` when AWS would refuse the call itself (payload too
    large or not JSON, throttled).
    """
    event = check_payload(payload, invocation_type, event)
    if (config.executor is None and client_context is None and cognito_identity is None
            and config.log_format != "JSON" and _xray_request.get() is None):  # (not in an X-Ray traced request)
        record = _warm(service, pool, config, payload, event, invocation_type, invoked_arn, credentials, chain,
                       request_id)
        if record is not None:
            return record
    with pool.lease(config, credentials or {}) as lease:
        env = lease.env
        executor = config.executor or PYTHON
        turn = service.execution if executor is PYTHON else _turn(service, executor)
        turn.acquire(env)  # (inline rather than `with service.turn(env)`: this is the warm path's hottest part)
        try:
            env.chain = chain
            # (by position: InvokeRequest's fields in their order, the quickest way to make one)
            request = InvokeRequest(request_id or service.ids.request_id(), payload, event,
                                    invoked_arn or config.function_arn, config.timeout, client_context,
                                    cognito_identity)
            record, events = _run(service, lease, request, invocation_type)
        finally:
            env = lease.env  # (a failed INIT's retry put a new runtime in its place)
            turn.release(env)
        env.invocations += 1
    service.record(record, config, env, events)
    return record


def _warm(service, pool, config, payload: bytes, event: Any, invocation_type: str, invoked_arn: str | None,
          credentials: dict[str, str] | None, chain: object, request_id: str | None) -> Invocation | None:
    """A warm invocation of a Python function in this process, in one function: the steps of :func:`invoke`,
    :func:`_run` and :func:`_finish` without their per-invocation objects (a Lease, an InvokeRequest, a
    PhaseResult), for the case they come to when the handler answers. Taken only for a plain request (no client
    context, no Cognito identity, text logs, not X-Ray traced: ``invoke`` checks) whose function's only environment
    is warm (``EnvironmentPool.take_warm``); None, with nothing done, otherwise. A handler that fails, times out or
    answers what cannot be sent goes on through the exact path's own steps (``_platform_checks``, ``_finish``)."""
    env = pool.take_warm(config)
    if env is None:
        return None
    reset = False
    try:
        turn = service.execution
        turn.acquire(env)
        try:
            env.chain = chain
            request_id = request_id or service.ids.request_id()
            arn = invoked_arn or config.function_arn
            timeout_s = config.timeout
            stopper = stopper_for(service.stopper)
            started_at = service.clock.time()
            log = logs.LogSink(service.clock_ms)
            clock = virtual_time.enter(started_at)
            try:
                context = LambdaContext.plain(env.context_fields, request_id, arn, stopwatch.monotonic() + timeout_s,
                                              log.write_text)
                answer = PYTHON.run_handler(env, context, request_id, event, timeout_s, log, stopper)
            finally:
                virtual_time.leave(clock)
            if isinstance(answer, PhaseResult):
                result: PhaseResult | None = answer
            elif invocation_type == "Event" or len(answer[0]) <= errors.SYNC_RESPONSE_LIMIT:
                result = None
                log.close()
                record, events = _answered(service, env, False, invocation_type, request_id, started_at, answer[0],
                                           answer[1], answer[2], log)
            else:
                result = PhaseResult(answer[0], duration_ms=answer[1], peak_bytes=answer[2])
            if result is not None:  # the exact path's steps from here (a failure, a response too large)
                request = InvokeRequest(request_id, payload, event, arn, timeout_s, None, None)
                _platform_checks(service, request, invocation_type, result, log)
                log.close()
                lease = pool.lease(config, credentials or {})  # (not entered: _finish reads env, cold and reset)
                lease.env, lease.reset = env, result.reset
                reset = lease.reset
                record, events = _finish(service, lease, request, invocation_type, started_at, None, result, None,
                                         log)
        finally:
            turn.release(env)
    except BaseException:  # as Lease.__exit__: given back once, and discarded
        with service.lock:
            pool._release(env, True, reset)
        raise
    env.invocations += 1  # (before it is given back, as in invoke: a restart carries the count on)
    with service.lock:
        pool._release(env, False, reset)
    service.record(record, config, env, events)
    return record


def _run(service, lease, request: InvokeRequest, invocation_type: str) -> tuple[Invocation, list[logs.LogEvent]]:
    env = lease.env
    executor = env.config.executor or PYTHON  # (executor_for, inline)
    stopper = stopper_for(service.stopper)
    started_at = service.clock.time()
    init_log = logs.LogSink(service.clock_ms) if lease.cold else None
    log = logs.LogSink(service.clock_ms)
    # The function's time.time()/datetime.now() read the virtual clock (a Python function's: it runs in this process)
    clock = virtual_time.enter(started_at) if executor is PYTHON else None
    try:
        init = _init(executor, env, init_log, stopper) if init_log is not None else None  # INIT on a cold start
        retried = False
        if init is not None and init.failed:
            assert init_log is not None  # (a cold start's)
            init = _suppressed_init(service, lease, executor, init_log, request, stopper)
            env, retried = lease.env, True
        trace = None
        if init is not None and init.failed:
            # the handler never ran: the invocation answers with INIT's error, after the retried INIT's time
            result = PhaseResult(duration_ms=env.init_duration_ms or 0.0)
            _platform_checks(service, request, invocation_type, init, log)
        else:
            trace = xray.begin(env, started_at)  # _X_AMZN_TRACE_ID for this request (INIT never sees one)
            result = executor.invoke(env, _after_retried_init(request, env) if retried else request, log, stopper)
            _platform_checks(service, request, invocation_type, result, log)
            if retried:  # INIT ran again inside this request: its time is in Duration, not in Init Duration
                result.duration_ms += env.init_duration_ms or 0.0
    finally:
        virtual_time.leave(clock)
    if init_log is not None:
        init_log.close()
    log.close()
    lease.reset = result.reset or (init is not None and init.failed)
    record, events = _finish(service, lease, request, invocation_type, started_at, init, result, init_log, log,
                             retried)
    if trace is not None:  # (traced only inside a sandbox's request)
        xray.end(trace, env.config, request_id=record.request_id, duration_ms=record.duration_ms,
                 init_ms=record.init_duration_ms, error_type=record.error_type)
    return record, events


def _init(executor: RuntimeExecutor, env, log: logs.LogSink, stopper, timeout_s: float = INIT_TIMEOUT_S,
          phase: str = "init") -> PhaseResult:
    """The INIT phase of a new environment (on demand, or ahead of requests for provisioned concurrency).

    Init Duration (``env.init_duration_ms``) is the runtime's start-up, modelled from published measurements
    (``coldstart``), plus the function's static code, measured here; a process runtime measures its start-up too
    (``runtime_start_measured``), and only a VPC is modelled. Fetching and unpacking the deployment package happen
    before INIT, as on AWS, and are not in it.
    """
    config = env.config
    result = executor.init(env, log, timeout_s, stopper)
    env.initialised = not result.failed
    env.init_memory_bytes = result.peak_bytes
    modelled = coldstart.runtime_init_ms(config.runtime, vpc=config.vpc)
    if result.runtime_start_measured:
        modelled -= coldstart.runtime_init_ms(config.runtime)
    env.init_duration_ms = result.duration_ms + modelled
    if result.failed:
        _init_report(env, log, phase, result)
    return result


def _suppressed_init(service, lease, executor: RuntimeExecutor, log: logs.LogSink, request: InvokeRequest,
                     stopper) -> PhaseResult:
    """INIT failed (an error, an exit, its 10 s): AWS starts a new runtime and runs INIT again with the request, in
    its invoke phase and bounded by the function's timeout (a "suppressed init"). Its output and a second
    ``INIT_REPORT ... Phase: invoke`` come before ``START``; its time is in Duration (no Init Duration). Returns the
    retry's result; the lease holds the new environment, which also takes the process's turn."""
    old = lease.env
    env = lease.restart()
    turn = _turn(service, executor)
    turn.release(old)
    turn.acquire(env)
    return _init(executor, env, log, stopper, request.timeout_s, "invoke")


def _after_retried_init(request: InvokeRequest, env) -> InvokeRequest:
    """The request as the handler sees it after a suppressed init: that INIT ran on the request's own clock, so the
    handler's deadline (``get_remaining_time_in_millis``, the timeout) is what it left; a timeout is still reported
    with the configured seconds (``_platform_checks`` and ``_finish`` read the original request)."""
    left = request.timeout_s - (env.init_duration_ms or 0.0) / 1000
    return dataclasses.replace(request, timeout_s=max(left, 0.001))


def _init_report(env, log: logs.LogSink, phase: str, result: PhaseResult) -> None:
    """``INIT_REPORT`` for an INIT that failed or timed out (with LogFormat JSON: a platform.initReport record at
    INFO)."""
    config = env.config
    status = "timeout" if result.timed_out else "error"
    error_type = None if result.timed_out else result.error_type
    duration = env.init_duration_ms or 0.0
    if config.log_format != "JSON":
        log.write_event(logs.init_report_line(duration, phase, status, error_type))
    elif logs.SYSTEM_LEVELS.get((config.system_log_level or "INFO").upper(), 20) <= 20:
        log.write_event(logs.platform_record(log.now_ms(), "platform.initReport", logs.platform_init_report(
            env.init_type, phase, duration, status, error_type)))


def _platform_checks(service, request: InvokeRequest, invocation_type: str, result: PhaseResult, log) -> None:
    """What the platform adds after the runtime answered (or did not): the timeout line, the line of a runtime that
    died, the response size limit."""
    if result.timed_out:
        log.write_event(f"{_iso(service.clock.time())} {request.request_id} Task timed out after "
                        f"{request.timeout_s:.2f} seconds")
    elif result.fatal and result.stack_trace is None:
        log.write_event(f"RequestId: {request.request_id} Error: {result.error_message}\n{result.error_type}")
    elif result.error_type is None and invocation_type != "Event" and len(result.payload) > errors.SYNC_RESPONSE_LIMIT:
        result.error_type = errors.RESPONSE_TOO_LARGE
        result.error_message = errors.response_too_large_message(len(result.payload))
        result.stack_trace = []


def _finish(service, lease, request: InvokeRequest, invocation_type: str, started_at: float,
            init: PhaseResult | None, result: PhaseResult, init_log, log,
            retried: bool = False) -> tuple[Invocation, list[logs.LogEvent]]:
    """The error object, the framed log, the bill and the record of one invocation. ``retried``: INIT failed and
    ran again with the request (``init`` is that retry's result)."""
    env, config, cold = lease.env, lease.env.config, lease.cold
    request_id = request.request_id
    failed = init if init is not None and init.failed else result
    if (failed is result and result.error_type is None and not result.timed_out and not result.error_message
            and not lease.reset and result.absolute_peak_bytes is None and config.log_format != "JSON"
            and (init is None or cold and not retried and not init.absolute_peak_bytes)):  # answered: most of them
        return _answered(service, env, cold, invocation_type, request_id, started_at, result.payload,
                         result.duration_ms, result.peak_bytes, log, init, init_log)
    if failed.error_type is None and not failed.timed_out:  # the invocation answered (most of them)
        error_type, error_message, raw = None, failed.error_message, result.payload
    else:
        error_type, error_message, raw = _error_object(request, init, failed, retried)
    init_ms = env.init_duration_ms if cold and not retried else None
    billed = billing.billed_duration_ms(result.duration_ms, init_ms)
    if result.absolute_peak_bytes is None and init is None:  # measured here (Python): baseline + allocated
        max_used = env.memory_used_mb(result.peak_bytes)
    else:
        absolute = result.absolute_peak_bytes if result.absolute_peak_bytes is not None else (
            init.absolute_peak_bytes or None if init is not None else None)  # (0: it died before it was measured)
        max_used = env.memory_used_mb(result.peak_bytes) if absolute is None else min(
            -(-absolute // (1024 * 1024)), config.memory_size)
    status = "timeout" if failed.timed_out else ("error" if lease.reset else None)
    now_ms = service.clock_ms()
    start_ms = int(started_at * 1000)
    report = (request_id, result.duration_ms, billed, config.memory_size, max_used, init_ms)
    init_start, start, end = _frame(env, cold, start_ms, now_ms, request_id, report, status,
                                    error_type if status == "error" else None)
    if cold:
        events = init_start + init_log.events + start
    else:
        events = start  # (_frame's own new list, extended in place)
    events += log.events
    events += end
    text = [e.message for e in events]
    text.append("")  # the log ends with a newline
    record = Invocation(
        function_name=config.function_name, request_id=request_id, cold_start=cold,
        init_duration_ms=init_ms, duration_ms=result.duration_ms, billed_duration_ms=billed,
        memory_size_mb=config.memory_size, max_memory_used_mb=max_used, error_type=error_type,
        cost_usd=billing.invocation_cost_usd(billed, config.memory_size, config.architecture, config.ephemeral_storage),
        raw_payload=raw,
        log="\n".join(text),
        function_version=config.version, error_message=error_message,
        function_error="Unhandled" if error_type else None, invocation_type=invocation_type,
        status_code=202 if invocation_type == "Event" else 200, architecture=config.architecture,
        environment_id=env.id, log_stream_name=env.log_stream_name, timestamp=started_at,
        timed_out=result.timed_out, extra={"function_init_ms": init.duration_ms} if init is not None else {},
        exception=failed.exception)
    return record, events


def _answered(service, env, cold: bool, invocation_type: str, request_id: str, started_at: float, payload: bytes,
              duration_ms: float, peak_bytes: int, log, init: PhaseResult | None = None,
              init_log=None) -> tuple[Invocation, list[logs.LogEvent]]:
    """The framed log (text: INIT_START, START, END, REPORT), the bill and the record of an invocation that answered
    (``init``: a cold start's INIT, which succeeded; Python's memory measured here: baseline + allocated)."""
    config = env.config
    init_ms = env.init_duration_ms if cold else None
    billed = billing.billed_duration_ms(duration_ms, init_ms)
    max_used = env.memory_used_mb(peak_bytes)
    now_ms = service.clock_ms()
    start_ms = int(started_at * 1000)
    start = logs.start_line(request_id, config.version)
    end = logs.end_line(request_id)
    report = logs.report_line(request_id, duration_ms, billed, config.memory_size, max_used, init_ms)
    # The lines as events (with their times) only for the service's listeners (CloudWatch Logs, in a sandbox); the
    # record needs their text alone. (A sandbox adds its listener before its first invocation.)
    events: list[logs.LogEvent] = []
    text = []
    if cold:
        init_start = logs.init_start_line(config.runtime, config.region)
        text.append(init_start)
        text += [e.message for e in init_log.events]
    text.append(start)
    text += [e.message for e in log.events]
    text += (end, report, "")  # (the log ends with a newline)
    if service.listeners:
        event = logs.LogEvent
        if cold:
            events.append(event(start_ms, init_start))
            events += init_log.events
        events.append(event(start_ms, start))
        events += log.events
        events.append(event(now_ms, end))
        events.append(event(now_ms, report))
    memory_size, architecture = config.memory_size, config.architecture
    # (by position: Invocation's fields in their order)
    record = Invocation(
        config.function_name, request_id, cold, init_ms, duration_ms, billed, memory_size, max_used, None,
        billing.invocation_cost_usd(billed, memory_size, architecture, config.ephemeral_storage), payload,
        "\n".join(text), config.version, "", None, invocation_type, 202 if invocation_type == "Event" else 200,
        architecture, env.id, env.log_stream_name, started_at, False,
        {"function_init_ms": init.duration_ms} if init is not None else {}, None)
    return record, events


def _error_object(request: InvokeRequest, init: PhaseResult | None, failed: PhaseResult,
                  retried: bool) -> tuple[str, str, bytes]:
    """(errorType, errorMessage, the response's bytes) of an invocation that failed (``failed``: INIT's result or
    the invocation's)."""
    request_id = request.request_id
    error_type, error_message, stack = failed.error_type, failed.error_message, failed.stack_trace
    if failed.timed_out:
        error_type, stack = errors.TIMEOUT, None
        error_message = errors.timeout_message(
            request_id, INIT_TIMEOUT_S if failed is init and not retried else request.timeout_s)
    assert error_type is not None  # (a failure has one, a timeout TIMEOUT's)
    if failed.error_payload is not None:  # a process runtime's own error object, as it sent it
        raw = failed.error_payload
    elif failed.platform_error or failed.timed_out:  # the runtime answered nothing: the platform's two fields
        raw = errors.platform_error(error_type, error_message if failed.timed_out
                                    else f"RequestId: {request_id} Error: {error_message}")
    else:  # the runtime's error object (awslambdaric's INIT errors have no request id: "requestId": "")
        raw = _error_payload(error_type, error_message or "", "" if failed is init else request_id, stack)
    return error_type, error_message, raw


def _frame(env, cold: bool, start_ms: int, now_ms: int, request_id: str,
           report: tuple[str, float, int, int, int, float | None], status: str | None,
           error_type: str | None) -> tuple[list, list, list]:
    """The platform's own lines around an invocation: (before INIT, at START, at the end). Text lines
    (INIT_START, START, END, REPORT), or with LoggingConfig.LogFormat JSON the platform's JSON records, filtered by
    SystemLogLevel."""
    config, event = env.config, logs.LogEvent
    if config.log_format != "JSON":
        return ([event(start_ms, logs.init_start_line(config.runtime, config.region))] if cold else [],
                [event(start_ms, logs.start_line(request_id, config.version))],
                [event(now_ms, logs.end_line(request_id)),
                 event(now_ms, logs.report_line(*report, status, error_type))])
    level = logs.SYSTEM_LEVELS.get((config.system_log_level or "INFO").upper(), 20)
    info, debug = level <= 20, level <= 10
    done = status or "success"
    runtime_version = logs.init_start_line(config.runtime, config.region).split("\t")
    init_start = [event(start_ms, logs.platform_record(start_ms, "platform.initStart", {
        "initializationType": env.init_type, "phase": "init",
        "runtimeVersion": runtime_version[0].removeprefix("INIT_START Runtime Version: "),
        "runtimeVersionArn": runtime_version[1].removeprefix("Runtime Version ARN: ")}))] if cold and info else []
    start = [event(start_ms, logs.platform_record(start_ms, "platform.start", {
        "requestId": request_id, "version": config.version}))] if info else []
    end = ([event(now_ms, logs.platform_record(now_ms, "platform.runtimeDone", {
        "requestId": request_id, "status": done}))] if debug else [])
    if info:
        end.append(event(now_ms, logs.platform_record(now_ms, "platform.report",
                                                      logs.platform_report(*report, done, error_type))))
    return init_start, start, end


def _error_payload(error_type: str, message: str, request_id: str, stack: list[str] | None) -> bytes:
    if error_type == errors.RESPONSE_TOO_LARGE:  # the platform's error, not the function's: two fields only
        return json.dumps({"errorMessage": message, "errorType": error_type}).encode("utf-8")
    return json.dumps({"errorMessage": message, "errorType": error_type, "requestId": request_id,
                       "stackTrace": stack or []}, ensure_ascii=False).encode("utf-8")


def _iso(epoch: float) -> str:
    seconds = math.floor(epoch)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int((epoch - seconds) * 1000):03d}Z"


def initialize(service, pool, config, credentials: dict[str, str]):
    """Create and INIT an environment ahead of any request (provisioned concurrency); None if INIT failed."""
    env = pool.create(config, credentials)
    env.init_type = "provisioned-concurrency"
    env.environ["AWS_LAMBDA_INITIALIZATION_TYPE"] = env.init_type
    log = logs.LogSink(service.clock_ms)
    clock = virtual_time.enter(service.clock.time()) if executor_for(config) is PYTHON else None
    try:
        executor = executor_for(config)
        turn = _turn(service, executor)
        turn.acquire(env)
        try:
            result = _init(executor, env, log, stopper_for(service.stopper))
        finally:
            turn.release(env)
    except BaseException:  # the runtime could not start at all (no Node.js): no environment is left behind
        pool.environments.remove(env)
        env.discard()
        raise
    finally:
        virtual_time.leave(clock)
        log.close()
    if result.failed:
        pool.environments.remove(env)
        env.discard()
        return None
    env.provisioned = True
    return env
