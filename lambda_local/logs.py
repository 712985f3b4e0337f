"""What a function writes, framed as Lambda frames it, and where it goes (CloudWatch Logs in moto).

A stream per execution environment, named ``YYYY/MM/DD/[$LATEST]<32 hex>``; in it ``START``, the function's own
lines, ``END`` and ``REPORT`` with the measured figures. Python ``logging`` goes through a handler on the root logger
with the runtime's format, at WARNING unless the function's ``LoggingConfig`` says otherwise — the real runtime's
well-known gotcha, reproduced on purpose.
"""

from __future__ import annotations

import io
import json
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from . import emf
from .aws import state

__all__ = ["LogEvent", "LogSink", "start_line", "end_line", "report_line", "log_stream_name"]


@dataclass(slots=True)
class LogEvent:
    timestamp_ms: int
    message: str


MAX_EVENT_BYTES = 262_144 - 26  # CloudWatch's limit per event (256 KB including 26 bytes of overhead)
MAX_INVOCATION_LOG = 10 * 1024 * 1024  # kept per invocation here; AWS keeps everything (and bills for it)


class LogSink:
    """Collects one phase's log events (what the function printed or logged), line by line as CloudWatch splits them.

    A line longer than CloudWatch's 256 KB event limit is split into several events. Past 10 MB in one invocation
    the rest is counted and dropped, with a note, so a handler printing in a loop cannot exhaust the machine.
    """

    __slots__ = ("events", "_partial", "_partial_len", "_clock_ms", "closed", "size", "dropped")

    def __init__(self, clock_ms):
        self.events: list[LogEvent] = []
        self._partial: list[str] = []
        self._partial_len = 0
        self._clock_ms = clock_ms
        self.closed = False
        self.size = 0
        self.dropped = 0

    def now_ms(self) -> int:
        """The time a line written now is stamped with (epoch milliseconds)."""
        return self._clock_ms()

    def write_text(self, text: str) -> None:
        """Text written to stdout/stderr: each complete line is one log event."""
        if self.closed or not text:
            return
        if "\n" not in text:
            self._partial.append(text)
            self._partial_len += len(text)
            if self._partial_len > MAX_EVENT_BYTES:
                self.flush()
            return
        first, *lines = text.split("\n")
        tail = lines.pop()
        now = self._clock_ms()
        self._partial.append(first)
        self._add(now, "".join(self._partial))
        for line in lines:
            self._add(now, line)
        self._partial, self._partial_len = ([tail], len(tail)) if tail else ([], 0)

    def write_event(self, message: str) -> None:
        """One framed message (a logging record, an error report): a single event even if it spans lines."""
        if self.closed:
            return
        self.flush()
        self._add(self._clock_ms(), message[:-1] if message.endswith("\n") else message)

    def flush(self) -> None:
        if self._partial:
            self._add(self._clock_ms(), "".join(self._partial))
            self._partial, self._partial_len = [], 0

    def _add(self, timestamp_ms: int, message: str) -> None:
        if self.size + len(message) > MAX_INVOCATION_LOG:
            self.dropped += len(message)
            return
        self.size += len(message)
        while len(message) > MAX_EVENT_BYTES:
            self.events.append(LogEvent(timestamp_ms, message[:MAX_EVENT_BYTES]))
            message = message[MAX_EVENT_BYTES:]
        self.events.append(LogEvent(timestamp_ms, message))

    def close(self) -> None:
        self.flush()
        if self.dropped:
            self.events.append(LogEvent(self._clock_ms(), f"[lambda_local] {self.dropped} more characters of log "
                                                           f"output were dropped (10 MB per invocation are kept)"))
            self.dropped = 0
        self.closed = True


class SinkStream(io.TextIOBase):
    """Stands in for ``sys.stdout``/``sys.stderr`` while a function runs."""

    def __init__(self, sink: LogSink | None, paths: Callable[[str], str] | None = None):
        self.sink = sink
        self.paths = paths  # a traceback's files as they read on AWS (FunctionConfig.aws_paths_in)

    def write(self, text: str) -> int:
        sink = self.sink
        if sink is not None:  # None: the environment is frozen between invocations, or gone
            sink.write_text(self.paths(text) if self.paths is not None and "File " in text else text)
        return len(text)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]  # a stream that is always UTF-8
        return "utf-8"


class _RequestIdFilter(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


class _TextFormatter(logging.Formatter):
    converter = time.gmtime  # type: ignore[assignment]  # UTC timestamps, as the Lambda runtime writes them

    def __init__(self) -> None:
        super().__init__("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
                         "%Y-%m-%dT%H:%M:%S")


# A record's own attributes: every other one (``extra=``) becomes a field of a JSON log line, as in awslambdaric.
_RECORD_FIELDS = frozenset({"name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module",
                            "exc_info", "exc_text", "stack_info", "lineno", "funcName", "created", "msecs",
                            "relativeCreated", "thread", "threadName", "processName", "process", "aws_request_id",
                            "tenant_id", "_frame_type"})


class _JsonFormatter(logging.Formatter):
    """The runtime's JSON log format (``LoggingConfig.LogFormat=JSON``), field for field as awslambdaric writes it:
    timestamp, level (rounded down to a standard one), message, logger, then for an exception its stackTrace,
    errorType, errorMessage and location, the requestId, and the record's ``extra`` fields; empty ones left out."""

    def __init__(self, aws_path: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self._aws_path = aws_path or (lambda path: path)

    def format(self, record: logging.LogRecord) -> str:
        exc_info = record.exc_info
        entry: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
            + "Z",
            "level": logging.getLevelName(min(50, max(0, record.levelno)) // 10 * 10),
            "message": record.getMessage(),
            "logger": record.name,
        }
        if exc_info:
            entry["stackTrace"] = traceback.format_tb(exc_info[2])
            entry["errorType"] = getattr(exc_info[0], "__name__", "Exception")
            entry["errorMessage"] = str(exc_info[1])
        entry["requestId"] = getattr(record, "aws_request_id", None)  # "" during INIT (awslambdaric's filter)
        if exc_info:
            entry["location"] = f"{self._aws_path(record.pathname)}:{record.funcName}:{record.lineno}"
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and key not in entry:
                entry[key] = value
        return _encode_json({key: value for key, value in entry.items() if value is not None}) + "\n"


_encode_json = json.JSONEncoder(ensure_ascii=False).encode  # awslambdaric's encoder: a value JSON lacks is an error


class LambdaLogHandler(logging.Handler):
    """The handler the Python runtime puts on the root logger: records go to the current invocation's log."""

    def __init__(self, log_format: str = "Text", clock=None, paths: Callable[[str], str] | None = None,
                 aws_path: Callable[[str], str] | None = None):
        super().__init__()
        self.sink: LogSink | None = None
        self.paths = paths  # a traceback's files as they read on AWS (FunctionConfig.aws_paths_in)
        self.ids = _RequestIdFilter()
        self.addFilter(self.ids)
        # (aws_path: one file's path as it reads on AWS, FunctionConfig.aws_path: a JSON line's "location")
        self.setFormatter(_JsonFormatter(aws_path) if log_format == "JSON" else _TextFormatter())
        self._clock = clock

    def emit(self, record: logging.LogRecord) -> None:
        if self.sink is None:  # the environment is frozen between invocations, or gone
            return
        if self._clock is not None:
            record.created = self._clock()
            record.msecs = int(record.created * 1000) % 1000
        try:
            text = self.format(record)
            self.sink.write_event(self.paths(text) if self.paths is not None and "File " in text else text)
        except Exception:  # noqa: BLE001 - a bad format string in the learner's call must not break the invocation
            self.handleError(record)


def log_stream_name(day: datetime, version: str, environment_id: str) -> str:
    return f"{day:%Y/%m/%d}/[{version}]{environment_id}"


def init_start_line(runtime: str, region: str) -> str:
    """The platform's first line in a new environment's stream. The runtime version here is a stand-in: AWS
    publishes its own numbers (python:3.12.vNN) and ARNs."""
    import hashlib

    digest = hashlib.sha256(runtime.encode()).hexdigest()
    return (f"INIT_START Runtime Version: {runtime.replace('python', 'python:')}.v1\t"
            f"Runtime Version ARN: arn:aws:lambda:{region}::runtime:{digest}")


# With LoggingConfig.LogFormat JSON the platform writes JSON records instead of text lines, each at a level that
# SystemLogLevel filters (DEBUG < INFO < WARN): platform.initStart, platform.start and platform.report at INFO,
# platform.runtimeDone (where the text format has END) at DEBUG. Shapes: the Telemetry API's event schema.
SYSTEM_LEVELS = {"DEBUG": 10, "INFO": 20, "WARN": 30}


def platform_record(timestamp_ms: int, event_type: str, record: dict) -> str:
    """One platform event as the JSON log format writes it."""
    when = datetime.fromtimestamp(timestamp_ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return json.dumps({"time": when, "type": event_type, "record": record})


def platform_report(request_id: str, duration_ms: float, billed_ms: int, memory_mb: int, max_used_mb: int,
                    init_duration_ms: float | None, status: str, error_type: str | None) -> dict:
    """The record of a platform.report event (the JSON format's REPORT)."""
    metrics = {"durationMs": round(duration_ms, 2), "billedDurationMs": billed_ms, "memorySizeMB": memory_mb,
               "maxMemoryUsedMB": max_used_mb}
    if init_duration_ms is not None:
        metrics["initDurationMs"] = round(init_duration_ms, 2)
    record = {"requestId": request_id, "metrics": metrics, "status": status}
    if error_type:
        record["errorType"] = error_type
    return record


def init_report_line(duration_ms: float, phase: str, status: str, error_type: str | None = None) -> str:
    """The platform's line for an INIT that failed or timed out (on demand, a successful INIT writes none: its time
    is the REPORT line's Init Duration). ``phase`` is ``init``, or ``invoke`` for INIT retried with the first request
    (a "suppressed init")."""
    line = f"INIT_REPORT Init Duration: {duration_ms:.2f} ms\tPhase: {phase}\tStatus: {status}"
    return line + f"\tError Type: {error_type}" if error_type else line


def platform_init_report(initialization_type: str, phase: str, duration_ms: float, status: str,
                         error_type: str | None) -> dict:
    """The record of a platform.initReport event (the JSON format's INIT_REPORT)."""
    record: dict = {"initializationType": initialization_type, "phase": phase, "status": status}
    if error_type:
        record["errorType"] = error_type
    record["metrics"] = {"durationMs": round(duration_ms, 2)}
    return record


def start_line(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def report_line(request_id: str, duration_ms: float, billed_ms: int, memory_mb: int, max_used_mb: int,
                init_duration_ms: float | None = None, status: str | None = None,
                error_type: str | None = None) -> str:
    line = (f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed_ms} ms\t"
            f"Memory Size: {memory_mb} MB\tMax Memory Used: {max_used_mb} MB\t")
    if init_duration_ms is not None:
        line += f"Init Duration: {init_duration_ms:.2f} ms\t"
    if status:
        line += f"Status: {status}\t"
        if error_type:
            line += f"Error Type: {error_type}\t"
    return line


def write_to_cloudwatch(account_id: str, region: str, group: str, stream: str, events: list[LogEvent]) -> None:
    """Append events to moto's CloudWatch Logs, creating the group and stream as the Lambda service does."""
    state.write_log_events(account_id, region, group, stream, [(e.timestamp_ms, e.message) for e in events])
    if events:
        # CloudWatch Logs turns Embedded Metric Format lines into metrics as they arrive.
        emf.publish(account_id, region, group, events)
