"""One invocation, start to finish: limits, an environment, INIT on a cold start, the handler under its timeout,
the response marshalled as the real runtime marshals it, errors in AWS's shapes, the log framed, the bill."""

from __future__ import annotations

import decimal
import json
import math
import re
import time

from .. import billing, coldstart, logs, quotas
from . import errors
from .context import LambdaContext
from .environment import InitError, measure
from .invocation import Invocation
from .guard import ProcessExit
from .timeouts import OutOfMemory, call_with_timeout, memory_watchdog

__all__ = ["invoke"]

INIT_TIMEOUT_S = quotas.INIT_TIMEOUT_S
_ERROR_INDENT = "\u00a0"  # the runtime indents stack lines in error logs with no-break spaces


_DECIMAL = re.compile(r'"\\u0000(-?[0-9.Ee+-]+)\\u0000"')


def _decimal_marker(obj):
    # The real runtime (simplejson) writes a Decimal as the number it is, digits intact ("1.10", not 1.1).
    if isinstance(obj, decimal.Decimal):
        return float(obj) if not obj.is_finite() else f"\x00{obj}\x00"
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def marshal(result) -> bytes:
    """The response as the Python runtime sends it; raises TypeError/ValueError when it cannot be encoded."""
    if isinstance(result, bytes):
        return result
    text = json.dumps(result, default=_decimal_marker, ensure_ascii=False)
    if "\\u0000" in text:
        text = _DECIMAL.sub(r"\1", text)
    return text.encode("utf-8")


def _error_payload(error_type: str, message: str, request_id: str, stack: list[str] | None) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type, "requestId": request_id,
                       "stackTrace": stack or []}, ensure_ascii=False).encode("utf-8")


def _error_log(error_type: str, message: str, stack: list[str] | None) -> str:
    lines = [f"[ERROR] {error_type}: {message}" if message else f"[ERROR] {error_type}"]
    if stack is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack:
            for line in element.splitlines():
                stripped = line.lstrip(" ")
                lines.append(_ERROR_INDENT * (len(line) - len(stripped)) + stripped)
    return "\n".join(lines)


def check_payload(payload: bytes, invocation_type: str):
    """The request's event, or the ServiceError AWS answers a payload too large or not JSON with."""
    limit = errors.ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else errors.SYNC_PAYLOAD_LIMIT
    if len(payload) > limit:
        raise errors.request_too_large(len(payload), limit)
    if not payload.strip():
        return {}
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.invalid_request_content(f"Could not parse payload into json: {exc}") from None


def invoke(service, pool, config, payload: bytes, *, invocation_type: str = "RequestResponse",
           client_context: dict | None = None, cognito_identity: dict | None = None,
           invoked_arn: str | None = None, credentials: dict[str, str] | None = None,
           request_id: str | None = None) -> Invocation:
    """Run one invocation of ``config`` with the raw request ``payload``; returns its record.

    ``request_id`` is given when the invocation continues an earlier request (an asynchronous retry keeps the id of
    its first attempt, as on AWS); otherwise a new one is made.

    Raises :class:`~lambda_local.runtime.errors.ServiceError` when AWS would refuse the call itself (payload too
    large or not JSON, throttled).
    """
    event = check_payload(payload, invocation_type)
    with service.lock:
        env, cold = pool.acquire(config, credentials or {})
        try:
            if config.runtime.startswith("nodejs"):  # a runtime process of its own, through the Runtime API
                from .nodejs.invoke import run

                return run(service, pool, config, env, cold, payload, invocation_type, client_context,
                           cognito_identity, invoked_arn or config.function_arn)
            return _run(service, config, env, cold, event, invocation_type, client_context, cognito_identity,
                        invoked_arn or config.function_arn, pool, request_id)
        except BaseException:
            pool.release(env, discard=True)
            raise


def _run(service, config, env, cold, event, invocation_type, client_context, cognito_identity, invoked_arn, pool,
         request_id=None):
    clock_ms = service.clock_ms
    request_id = request_id or service.ids.request_id()
    started_at = service.clock.time()
    init_sink = logs.LogSink(clock_ms)
    sink = logs.LogSink(clock_ms)
    stream = logs.SinkStream(init_sink)
    error_type = error_message = None
    stack: list[str] | None = None
    raw = b""
    init_ms = function_init_ms = None
    timed_out = discard = False
    duration_ms = 0.0
    peak = 0

    env.enter(init_sink, stream)
    try:
        if cold:
            t0 = time.perf_counter()
            outcome, init_peak = measure(lambda: call_with_timeout(env.init, INIT_TIMEOUT_S))
            env.init_memory_bytes = init_peak
            # Init Duration = the platform's part (modelled from published measurements) + the function's INIT
            # (measured here), kept apart in the record so a learner sees which part is theirs.
            function_init_ms = (time.perf_counter() - t0) * 1000
            init_ms = function_init_ms + coldstart.runtime_init_ms(config.runtime, package_mb=config.package_mb,
                                                                   vpc=config.vpc)
            env.init_duration_ms = init_ms
            if outcome.timed_out:
                error_type, error_message = errors.TIMEOUT, errors.timeout_message(request_id, INIT_TIMEOUT_S)
            elif isinstance(outcome.error, InitError):
                error_type, error_message, stack = outcome.error.error_type, outcome.error.message, outcome.error.stack
                init_sink.write_event(_error_log(error_type, error_message, stack))
            elif outcome.error is not None:
                error_type, error_message = _exit_error(outcome.error)
            if error_type:
                discard = True
        stream.sink = sink
        env.log_handler.sink = sink
        env.log_handler.ids.request_id = request_id
        if error_type is None:
            context = LambdaContext(
                aws_request_id=request_id, function_name=config.function_name,
                function_version=config.version, invoked_function_arn=invoked_arn,
                memory_limit_in_mb=config.memory_size, log_group_name=config.log_group_name,
                log_stream_name=env.log_stream_name, deadline=time.monotonic() + config.timeout,
                client_context=client_context, cognito_identity=cognito_identity,
                log_sink=sink.write_text)
            handler = env.handler
            t1 = time.perf_counter()
            traced = env.should_trace()
            watchdog = memory_watchdog(config.memory_size, env.memory_used_mb(0), traced)
            outcome, peak = measure(lambda: call_with_timeout(lambda: handler(event, context), config.timeout,
                                                              watchdog), traced)
            duration_ms = (time.perf_counter() - t1) * 1000
            if outcome.timed_out:
                timed_out = discard = True
                error_type, error_message = errors.TIMEOUT, errors.timeout_message(request_id, config.timeout)
                sink.write_event(f"{_iso(service.clock.time())} {request_id} Task timed out after "
                                 f"{config.timeout:.2f} seconds")
            elif outcome.error is not None:
                error_type, error_message, stack, discard = _classify(outcome.error, config, request_id)
                if stack is not None:
                    sink.write_event(_error_log(error_type, error_message, stack))
                else:
                    sink.write_event(f"RequestId: {request_id} Error: {error_message}\n{error_type}")
            else:
                try:
                    raw = marshal(outcome.value)
                except (TypeError, ValueError, OverflowError) as exc:
                    error_type, error_message = errors.MARSHAL_ERROR, f"Unable to marshal response: {exc}"
                    stack = []
                    sink.write_event(_error_log(error_type, error_message, stack))
                else:
                    if invocation_type != "Event" and len(raw) > errors.SYNC_RESPONSE_LIMIT:
                        error_type = errors.RESPONSE_TOO_LARGE
                        error_message = errors.response_too_large_message(len(raw))
                        stack = []
    finally:
        env.exit()
        init_sink.close()
        sink.close()

    if error_type is not None:
        raw = _error_payload(error_type, error_message or "", request_id, stack)
    billed = billing.billed_duration_ms(duration_ms, init_ms if cold else None)
    max_used = env.memory_used_mb(peak)
    status = "timeout" if timed_out else ("error" if discard else None)
    framed = logs.start_line(request_id, config.version), logs.end_line(request_id), logs.report_line(
        request_id, duration_ms, billed, config.memory_size, max_used, init_ms if cold else None,
        status, error_type if status == "error" else None)
    now_ms = clock_ms()
    init_events = ([logs.LogEvent(int(started_at * 1000), logs.init_start_line(config.runtime, config.region))]
                   + init_sink.events) if cold else init_sink.events
    events = (init_events + [logs.LogEvent(int(started_at * 1000), framed[0])] + sink.events
              + [logs.LogEvent(now_ms, framed[1]), logs.LogEvent(now_ms, framed[2])])
    record = Invocation(
        function_name=config.function_name, request_id=request_id, cold_start=cold,
        init_duration_ms=init_ms if cold else None, duration_ms=duration_ms, billed_duration_ms=billed,
        memory_size_mb=config.memory_size, max_memory_used_mb=max_used, error_type=error_type,
        cost_usd=float(billing.invocation_cost(billed, config.memory_size, config.architecture,
                                               ephemeral_storage_mb=config.ephemeral_storage)),
        raw_payload=raw,
        log="\n".join(e.message for e in events) + "\n",
        function_version=config.version, error_message=error_message,
        function_error="Unhandled" if error_type else None, invocation_type=invocation_type,
        status_code=202 if invocation_type == "Event" else 200, architecture=config.architecture,
        environment_id=env.id, log_stream_name=env.log_stream_name, timestamp=started_at, timed_out=timed_out,
        extra={"function_init_ms": function_init_ms} if cold else {})
    env.invocations += 1
    pool.release(env, discard=discard)
    service.record(record, config, env, events)
    return record


def _classify(exc: BaseException, config, request_id: str):
    """(errorType, errorMessage, stackTrace or None, discard environment?) for what the handler raised."""
    if isinstance(exc, (SystemExit, KeyboardInterrupt, ProcessExit)):
        error_type, message = _exit_error(exc)
        return error_type, message, None, True
    if isinstance(exc, (MemoryError, OutOfMemory)):
        return errors.OUT_OF_MEMORY, "Runtime exited with error: signal: killed", None, True
    return type(exc).__name__, str(exc), config.stack_trace(exc.__traceback__), False


def _exit_error(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, ProcessExit):
        return errors.EXIT_ERROR, f"Runtime exited with error: exit status {exc.code}"
    if isinstance(exc, SystemExit):
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return errors.EXIT_ERROR, f"Runtime exited with error: exit status {code}"
    if isinstance(exc, KeyboardInterrupt):
        return errors.EXIT_ERROR, "Runtime exited with error: signal: interrupt"
    return type(exc).__name__, str(exc)


def _iso(epoch: float) -> str:
    seconds = math.floor(epoch)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int((epoch - seconds) * 1000):03d}Z"



def initialize(service, pool, config, credentials: dict[str, str]):
    """Create and INIT an environment ahead of any request (provisioned concurrency); None if INIT failed."""
    env = pool.create(config, credentials)
    env.init_type = "provisioned-concurrency"
    env.environ["AWS_LAMBDA_INITIALIZATION_TYPE"] = env.init_type
    if config.runtime.startswith("nodejs"):
        from .nodejs.invoke import initialize as initialize_process

        return initialize_process(service, pool, env)
    sink = logs.LogSink(service.clock_ms)
    env.enter(sink, logs.SinkStream(sink))
    try:
        outcome, peak = measure(lambda: call_with_timeout(env.init, INIT_TIMEOUT_S))
    finally:
        env.exit()
        sink.close()
    if outcome.error is not None or outcome.timed_out:
        pool.environments.remove(env)
        env.discard()
        return None
    env.init_memory_bytes = peak
    env.provisioned = True
    return env
