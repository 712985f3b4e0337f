"""One invocation of a Node.js function: INIT when the environment's process is not running (a cold start, or the
first request after a timeout or crash reset it), the event through the Runtime API, the answer, the log framed,
the bill. The record is the same :class:`Invocation` the Python runtime gives.
"""

from __future__ import annotations

import json
import os
import time

from ... import billing, coldstart, logs, quotas
from .. import errors
from ..invocation import Invocation
from .environment import NodeEnvironment, iso_ms
from .install import NodeNotFound

__all__ = ["initialize", "run"]


def run(service, pool, config, env: NodeEnvironment, cold: bool, payload: bytes, invocation_type: str,
        client_context: dict | None, cognito_identity: dict | None, invoked_arn: str) -> Invocation:
    """Run one invocation in ``env`` (acquired by the caller; released here)."""
    clock_ms = service.clock_ms
    request_id = service.ids.request_id()
    started_at = service.clock.time()
    init_sink, sink = logs.LogSink(clock_ms), logs.LogSink(clock_ms)
    error_type = error_message = None
    raw = b""
    init_ms = function_init_ms = None
    timed_out = discard = reset = False
    duration_ms = 0.0
    # A warm environment whose process has exited since (an unhandled rejection, process.exit) is reset: INIT
    # runs again within this invocation.
    initialising = cold or not env.await_next(config.timeout)
    try:
        if initialising:
            t0 = time.perf_counter()
            try:
                outcome = env.start(init_sink, service.process_environment())
            except NodeNotFound as exc:
                raise errors.ServiceError("InvalidRuntimeException", str(exc), 502) from None
            # Init Duration: node's start, the client's and the function's INIT, all measured; plus the modelled
            # cost of the deployment package and a VPC, as for Python.
            function_init_ms = (time.perf_counter() - t0) * 1000
            init_ms = function_init_ms + (coldstart.runtime_init_ms(config.runtime, config.package_mb, config.vpc)
                                          - coldstart.runtime_init_ms(config.runtime))
            env.init_duration_ms = init_ms
            if outcome.kind != "ready":
                error_type, error_message, raw = _failure(outcome, request_id, quotas.INIT_TIMEOUT_S, env)
                env.stop()
                discard = True
        if error_type is None:
            t1 = time.perf_counter()
            outcome = env.invoke(request_id, payload or b"{}", _headers(config, invoked_arn, client_context,
                                                                        cognito_identity), config.timeout, sink)
            duration_ms = (time.perf_counter() - t1) * 1000
            if outcome.kind == "response":
                raw = outcome.body
                if invocation_type != "Event" and len(raw) > errors.SYNC_RESPONSE_LIMIT:
                    error_type = errors.RESPONSE_TOO_LARGE
                    error_message = errors.response_too_large_message(len(raw))
                    raw = _platform_error(error_type, error_message)
            else:
                error_type, error_message, raw = _failure(outcome, request_id, config.timeout, env)
                if outcome.kind == "timed_out":
                    timed_out = True
                    sink.write_event(f"{iso_ms(clock_ms())} {request_id} Task timed out after "
                                     f"{config.timeout:.2f} seconds")
                if outcome.kind != "error":
                    env.stop()  # the environment is reset: the next request runs INIT again
                    reset = not timed_out
    finally:
        init_sink.close()
        sink.close()

    billed = billing.billed_duration_ms(duration_ms, init_ms if initialising else None)
    max_used = env.memory_used_mb()
    status = "timeout" if timed_out else ("error" if discard or reset else None)
    framed = logs.start_line(request_id, config.version), logs.end_line(request_id), logs.report_line(
        request_id, duration_ms, billed, config.memory_size, max_used, init_ms if initialising else None,
        status, error_type if status == "error" else None)
    now_ms = clock_ms()
    start_ms = int(started_at * 1000)
    init_events = ([logs.LogEvent(start_ms, logs.init_start_line(config.runtime, config.region))]
                   + init_sink.events) if initialising else init_sink.events
    events = (init_events + [logs.LogEvent(start_ms, framed[0])] + sink.events
              + [logs.LogEvent(now_ms, framed[1]), logs.LogEvent(now_ms, framed[2])])
    record = Invocation(
        function_name=config.function_name, request_id=request_id, cold_start=initialising,
        init_duration_ms=init_ms if initialising else None, duration_ms=duration_ms, billed_duration_ms=billed,
        memory_size_mb=config.memory_size, max_memory_used_mb=max_used, error_type=error_type,
        cost_usd=float(billing.invocation_cost(billed, config.memory_size, config.architecture,
                                               ephemeral_storage_mb=config.ephemeral_storage)),
        raw_payload=raw, log="\n".join(e.message for e in events) + "\n",
        function_version=config.version, error_message=error_message,
        function_error="Unhandled" if error_type else None, invocation_type=invocation_type,
        status_code=202 if invocation_type == "Event" else 200, architecture=config.architecture,
        environment_id=env.id, log_stream_name=env.log_stream_name, timestamp=started_at, timed_out=timed_out,
        extra={"function_init_ms": function_init_ms} if initialising else {})
    env.invocations += 1
    pool.release(env, discard=discard)
    service.record(record, config, env, events)
    return record


def initialize(service, pool, env: NodeEnvironment) -> NodeEnvironment | None:
    """INIT ``env`` ahead of any request (provisioned concurrency); None (and the environment gone) if INIT failed."""
    sink = logs.LogSink(service.clock_ms)
    try:
        outcome = env.start(sink, service.process_environment())
    except NodeNotFound as exc:
        pool.environments.remove(env)
        env.discard()
        raise errors.ServiceError("InvalidRuntimeException", str(exc), 502) from None
    finally:
        sink.close()
    if outcome.kind != "ready":
        pool.environments.remove(env)
        env.discard()
        return None
    env.provisioned = True
    return env


def _headers(config, invoked_arn: str, client_context, cognito_identity) -> dict[str, str]:
    """The Lambda-Runtime-* headers of GET /next (the runtime builds ``context`` from them)."""
    now = time.time()  # node's Date.now() measures the deadline: wall-clock milliseconds
    headers = {
        "Lambda-Runtime-Deadline-Ms": str(int((now + config.timeout) * 1000)),
        "Lambda-Runtime-Invoked-Function-Arn": invoked_arn,
        "Lambda-Runtime-Trace-Id": f"Root=1-{int(now):08x}-{os.urandom(12).hex()};Sampled=0",
    }
    if client_context is not None:
        headers["Lambda-Runtime-Client-Context"] = json.dumps(client_context)
    if cognito_identity is not None:
        headers["Lambda-Runtime-Cognito-Identity"] = json.dumps(cognito_identity)
    return headers


def _platform_error(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def _failure(outcome, request_id: str, timeout_s: float, env: NodeEnvironment) -> tuple[str, str, bytes]:
    """(errorType, errorMessage, payload) for anything but a response."""
    if outcome.kind in ("error", "init_error"):
        body = env.aws_paths(outcome.body.decode("utf-8", "replace")).encode()
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = {}
        error_type = outcome.error_type or parsed.get("errorType") or "Runtime.Unknown"
        return error_type, str(parsed.get("errorMessage", "")), body
    if outcome.kind == "timed_out":
        message = errors.timeout_message(request_id, timeout_s)
        return errors.TIMEOUT, message, _platform_error(errors.TIMEOUT, message)
    if outcome.kind == "out_of_memory":
        message = f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"
        return errors.OUT_OF_MEMORY, message, _platform_error(errors.OUT_OF_MEMORY, message)
    code = outcome.code if outcome.code is not None else 1
    reason = f"signal: {_SIGNALS.get(-code, -code)}" if code < 0 else f"exit status {code}"
    message = f"RequestId: {request_id} Error: Runtime exited with error: {reason}"
    return errors.EXIT_ERROR, message, _platform_error(errors.EXIT_ERROR, message)


_SIGNALS = {9: "killed", 6: "aborted", 11: "segmentation fault", 15: "terminated"}
