"""The Python runtime, in this process: what ``awslambdaric`` does in a real environment (import the handler, call it
with the event and a context, marshal what it returns, report errors as error objects), behind the executor seam."""

from __future__ import annotations

import decimal
import json
import re
from functools import partial
from typing import Any

from .clocks import stopwatch
from . import errors
from .context import LambdaContext
from .environment import InitError, measure
from .executor import InvokeRequest, PhaseResult
from .guard import ProcessExit
from .timeouts import OutOfMemory, Stopper

__all__ = ["PythonExecutor", "marshal"]

_ERROR_INDENT = "\u00a0"  # the runtime indents stack lines in error logs with no-break spaces
_DECIMAL = re.compile(r'"\\u0000(-?[0-9.Ee+-]+)\\u0000"')


def _decimal_marker(obj):
    # The real runtime (simplejson) writes a Decimal as the number it is, digits intact ("1.10", not 1.1).
    if isinstance(obj, decimal.Decimal):
        return float(obj) if not obj.is_finite() else f"\x00{obj}\x00"
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


# json.dumps(result, default=_decimal_marker, ensure_ascii=False), its encoder made once rather than per call
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_decimal_marker)
# The same encoder's C core, called directly: what _ENCODER.encode runs, without the two Python layers around it and
# a new C encoder per call (a third of the time for a small response). Without its circular-reference markers (a
# dict it would share between threads): a circular response ends in a RecursionError here, and the exact path says
# what _ENCODER says ("Circular reference detected"), as it does for every other failure.
_C_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)  # (None without the C accelerator, as on PyPy)
_C_STRINGS: Any = getattr(json.encoder, "c_encode_basestring", None)
_FAST_ENCODE = (_C_ENCODER(None, _decimal_marker, _C_STRINGS, None, ": ", ", ", False, False, True)
                if _C_ENCODER is not None and _C_STRINGS is not None else None)


def marshal(result) -> bytes:
    """The response as the Python runtime sends it; raises TypeError/ValueError when it cannot be encoded."""
    if isinstance(result, bytes):
        return result
    try:
        text = "".join(_FAST_ENCODE(result, 0))  # type: ignore[misc]  # (None: the except below)
    except Exception:  # noqa: BLE001 - the exact encoder again: the same text, or the same error and message
        text = _ENCODER.encode(result)
    if "\\u0000" in text:
        text = _DECIMAL.sub(r"\1", text)
    return text.encode("utf-8")


def error_log(error_type: str, message: str, stack: list[str] | None) -> str:
    """The ``[ERROR]`` line awslambdaric writes for an error it reports."""
    lines = [f"[ERROR] {error_type}: {message}" if message else f"[ERROR] {error_type}"]
    if stack is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack:
            for line in element.splitlines():
                stripped = line.lstrip(" ")
                lines.append(_ERROR_INDENT * (len(line) - len(stripped)) + stripped)
    return "\n".join(lines)


class PythonExecutor:
    """A Python handler run in this process, its environment swapped in around each phase."""

    exclusive = True  # one environment's code at a time in this interpreter

    def init(self, env, log, timeout_s: float, stopper: Stopper) -> PhaseResult:
        if env.config.handler_callable is not None:
            # A handler passed as a Python callable has no static code of its own to run (its module was imported
            # by the caller): its INIT takes no time, exactly, rather than a measurement of this machine's noise.
            env.handler = env.config.handler_callable
            return PhaseResult()
        env.enter(log)
        try:
            t0 = stopwatch.perf_counter()
            outcome, peak = measure(lambda: stopper.run(env.init, timeout_s))
            took = (stopwatch.perf_counter() - t0) * 1000
        finally:
            env.exit()
        result = PhaseResult(duration_ms=min(took, timeout_s * 1000) if outcome.timed_out else took, peak_bytes=peak)
        if outcome.timed_out:
            result.timed_out = True
        elif isinstance(outcome.error, InitError):
            error = outcome.error
            result.error_type, result.error_message, result.stack_trace = error.error_type, error.message, error.stack
            result.fatal = True
            log.write_event(error_log(error.error_type, error.message, error.stack))
        elif outcome.error is not None:
            # sys.exit()/os._exit() in module code: awslambdaric catches only Exception, so the process ends and the
            # platform answers for it (its two-field object, "RequestId: ... Error: Runtime exited with error: ...")
            result.error_type, result.error_message = _exit_error(outcome.error)
            result.fatal = result.platform_error = True
        return result

    def invoke(self, env, request: InvokeRequest, log, stopper: Stopper) -> PhaseResult:
        config = env.config
        timeout_s = request.timeout_s
        if request.client_context is None and request.cognito_identity is None:  # most invocations
            context = LambdaContext.plain(env.context_fields, request.request_id, request.invoked_function_arn,
                                          stopwatch.monotonic() + timeout_s, log.write_text)
        else:
            context = LambdaContext(
                aws_request_id=request.request_id, function_name=config.function_name,
                function_version=config.version, invoked_function_arn=request.invoked_function_arn,
                memory_limit_in_mb=config.memory_size, log_group_name=config.log_group_name,
                log_stream_name=env.log_stream_name, deadline=stopwatch.monotonic() + timeout_s,
                client_context=request.client_context, cognito_identity=request.cognito_identity,
                log_sink=log.write_text)
        answer = self.run_handler(env, context, request.request_id, request.event, timeout_s, log, stopper)
        if isinstance(answer, PhaseResult):
            return answer
        payload, took, peak = answer
        return PhaseResult(payload, duration_ms=took, peak_bytes=peak)

    def run_handler(self, env, context, request_id: str, event: Any, timeout_s: float, log,
                    stopper: Stopper) -> PhaseResult | tuple[bytes, float, int]:
        """Call the handler of ``env`` (initialised) with ``event`` and ``context``: (the response's bytes, duration
        in ms, peak bytes allocated) when it answered, else the PhaseResult of its failure (an error, a timeout, a
        response that cannot be encoded), its error log written. The warm path takes the tuple as it is
        (``invoke._warm``); :meth:`invoke` makes the PhaseResult of it."""
        config = env.config
        call = partial(env.handler, event, context)
        traced = env.should_trace()
        watchdog = env.memory_watch.arm(config.memory_size, env.memory_used_mb(0), traced)
        env.log_handler.ids.request_id = request_id
        env.enter(log)
        try:
            t1 = stopwatch.perf_counter()
            if traced:
                outcome, peak = measure(lambda: stopper.run(call, timeout_s, watchdog))
            else:  # (measure(..., trace=False) without its two extra calls: this is the warm path)
                outcome, peak = stopper.run(call, timeout_s, watchdog), 0
            took = (stopwatch.perf_counter() - t1) * 1000
        finally:
            env.exit()
        if outcome.timed_out:
            # The platform stops the runtime at the deadline: billing stops there too, whatever the code did after.
            return PhaseResult(timed_out=True, duration_ms=timeout_s * 1000, peak_bytes=peak)
        if outcome.error is not None:
            result = PhaseResult(duration_ms=took, peak_bytes=peak)
            result.error_type, result.error_message, result.stack_trace, result.fatal = _classify(
                outcome.error, config)
            result.exception = outcome.error
            # an exit or an out-of-memory kill ends the process: the platform answers for it with its two fields,
            # as for any runtime ({"errorType": "Runtime.OutOfMemory", "errorMessage": "RequestId: ... Error: ..."})
            result.platform_error = result.error_type in (errors.EXIT_ERROR, errors.OUT_OF_MEMORY)
            if result.stack_trace is not None:
                log.write_event(error_log(result.error_type, result.error_message, result.stack_trace))
            return result
        try:
            return marshal(outcome.value), took, peak
        except (TypeError, ValueError, OverflowError) as exc:
            result = PhaseResult(duration_ms=took, peak_bytes=peak)
            result.error_type, result.error_message = errors.MARSHAL_ERROR, f"Unable to marshal response: {exc}"
            result.stack_trace = []
            log.write_event(error_log(result.error_type, result.error_message, result.stack_trace))
            return result


def _classify(exc: BaseException, config):
    """(errorType, errorMessage, stackTrace or None, does the runtime die?) for what the handler raised."""
    if isinstance(exc, (SystemExit, KeyboardInterrupt, ProcessExit)):
        error_type, message = _exit_error(exc)
        return error_type, message, None, True
    if isinstance(exc, (MemoryError, OutOfMemory)):
        return errors.OUT_OF_MEMORY, "Runtime exited with error: signal: killed", None, True
    return type(exc).__name__, config.aws_paths_in(str(exc)), config.stack_trace(exc.__traceback__), False


def _exit_error(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, ProcessExit):
        return errors.EXIT_ERROR, errors.exit_message(exc.code)
    if isinstance(exc, SystemExit):
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return errors.EXIT_ERROR, errors.exit_message(code)
    if isinstance(exc, KeyboardInterrupt):
        return errors.EXIT_ERROR, "Runtime exited with error: signal: interrupt"
    return type(exc).__name__, str(exc)
