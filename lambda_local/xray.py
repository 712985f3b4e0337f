"""AWS X-Ray for functions: the trace header of each invocation, sampling, the daemon, the function's segments.

What Lambda does, as documented (https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html and
https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader):

* Every invocation gets ``_X_AMZN_TRACE_ID`` = ``Root=1-<8 hex epoch seconds>-<24 hex>;Parent=<16 hex>;Sampled=0|1``.
  ``Parent`` is the id of the function's own ``AWS::Lambda::Function`` segment, so what the X-Ray SDK records inside
  the handler hangs under it.
* ``TracingConfig`` ``Active``: an upstream header's sampling decision is followed; without one Lambda samples with
  X-Ray's default rule, the first request each second plus 5% of the others (a reservoir of 1/s and a fixed rate of
  0.05; here per function, on the sandbox's virtual clock, with a seeded random generator).
  ``PassThrough``: only a request whose upstream header says ``Sampled=1`` is recorded.
* The SDK sends (sub)segments as UDP datagrams to ``AWS_XRAY_DAEMON_ADDRESS``, never through the API. The sandbox's
  daemon is a loopback UDP socket; after each invocation it reads what arrived and puts it, with the function's
  ``AWS::Lambda`` (the service) and ``AWS::Lambda::Function`` segments, into moto's X-Ray, where
  ``get_trace_summaries`` and ``batch_get_traces`` find it. As the X-Ray service does, the subsegments the SDK
  streamed are assembled into the document of the segment they belong to.
* A browser tab (the course's JupyterLite edition) has no UDP: there the daemon is in-process, and before each
  invocation the environment's SDK recorder gets an emitter (the SDK's own seam, ``xray_recorder.emitter``) that
  hands it the same datagrams the UDP emitter would send. The same documents reach the same collector.

Tracers patch shared libraries (botocore, http.client, requests, sqlite3) at import. :class:`TracerPatches` keeps
each execution environment's patches to itself: applied while it runs, removed when it leaves, so they never reach
another function or the notebook.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import random
import socket
import sys
from dataclasses import dataclass

from . import browser

__all__ = ["TraceHeader", "XRay", "TracerPatches", "begin", "end"]

DEFAULT_RESERVOIR_PER_SECOND = 1
DEFAULT_FIXED_RATE = 0.05
_DATAGRAM_HEADER = b'{"format": "json", "version": 1}\n'
_SDK_DATAGRAM_HEADER = b'{"format":"json","version":1}\n'  # as the SDK's UDPEmitter writes it


@dataclass(frozen=True)
class TraceHeader:
    """An ``X-Amzn-Trace-Id`` value; extra keys (``Lineage``, ...) are kept and passed on."""

    root: str | None = None
    parent: str | None = None
    sampled: str | None = None  # "1", "0", "?" or None
    extra: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, value: str | None) -> "TraceHeader | None":
        if not value:
            return None
        fields: dict[str, str] = {}
        for part in value.split(";"):
            key, sep, val = part.strip().partition("=")
            if sep:
                fields[key.strip()] = val.strip()
        known = {"Root", "Parent", "Sampled"}
        return cls(fields.get("Root"), fields.get("Parent"), fields.get("Sampled"),
                   tuple((k, v) for k, v in fields.items() if k not in known))

    def __str__(self) -> str:
        parts = [f"Root={self.root}"]
        if self.parent:
            parts.append(f"Parent={self.parent}")
        if self.sampled is not None:
            parts.append(f"Sampled={self.sampled}")
        parts += [f"{k}={v}" for k, v in self.extra]
        return ";".join(parts)


@dataclass
class _Request:
    """What the caller of one invocation knows: the function's tracing mode and the upstream header."""

    xray: "XRay"
    mode: str
    upstream: TraceHeader | None
    function_arn: str


@dataclass
class Trace:
    """One invocation's trace: the header the function sees and the segments the runtime writes."""

    request: _Request
    header: TraceHeader
    service_segment_id: str
    function_segment_id: str
    start: float
    environment: object = None

    @property
    def sampled(self) -> bool:
        return self.header.sampled == "1"


@dataclass
class _Sampler:
    """X-Ray's default sampling rule for one function: a reservoir of 1 request a second, then a fixed 5%."""

    second: int = -1
    used: int = 0

    def sample(self, now: float, rng: random.Random) -> bool:
        second = int(now)
        if second != self.second:
            self.second, self.used = second, 0
        if self.used < DEFAULT_RESERVOIR_PER_SECOND:
            self.used += 1
            return True
        return rng.random() < DEFAULT_FIXED_RATE


class _UdpDaemon:
    """The daemon as on AWS: a UDP socket (on loopback) the SDK's ``UDPEmitter`` sends to."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.setblocking(False)
        self.address = "127.0.0.1:%d" % self._socket.getsockname()[1]

    def datagrams(self) -> list[bytes]:
        """What arrived since the last call."""
        arrived = []
        while True:
            try:
                arrived.append(self._socket.recv(65536))
            except OSError:  # nothing more to read (a non-blocking socket), or closed
                return arrived

    def attach(self, modules) -> None:
        pass  # the SDK finds this daemon by its address (AWS_XRAY_DAEMON_ADDRESS)

    def close(self) -> None:
        self._socket.close()


class _InProcessDaemon:
    """The daemon in a browser tab, which has no UDP: the environment's SDK recorder gets an :class:`_Emitter` that
    hands it each datagram in-process."""

    address = "127.0.0.1:2000"  # the SDK's default: AWS_XRAY_DAEMON_ADDRESS is set, as Lambda sets it

    def __init__(self) -> None:
        self._arrived: list[bytes] = []
        self._emitter = _Emitter(self._arrived)

    def datagrams(self) -> list[bytes]:
        arrived, self._arrived[:] = list(self._arrived), []
        return arrived

    def attach(self, modules) -> None:
        """Give the X-Ray SDK's recorder among ``modules`` (an environment's) this daemon's emitter, once."""
        core = modules.get("aws_xray_sdk.core")
        recorder = getattr(core, "xray_recorder", None)
        if recorder is not None and getattr(recorder, "emitter", None) is not self._emitter:
            recorder.emitter = self._emitter

    def close(self) -> None:
        self._arrived.clear()


class _Emitter:
    """What the SDK's ``UDPEmitter`` does (the same datagram: its protocol header, a newline, the entity's JSON),
    without a socket. Duck-typed: the SDK is the function's library, not this runtime's."""

    def __init__(self, arrived: list[bytes]) -> None:
        self._arrived = arrived
        ip, _, port = _InProcessDaemon.address.partition(":")
        self.ip, self.port = ip, int(port)  # what UDPEmitter answers, for code that asks

    def send_entity(self, entity) -> None:
        self._arrived.append(_SDK_DATAGRAM_HEADER + entity.serialize().encode("utf-8"))

    def set_daemon_address(self, address) -> None:
        pass  # there is no address to send to: the daemon is in this process


class XRay:
    """A sandbox's X-Ray: the daemon functions send to, the samplers, the ids.

    The daemon is a loopback UDP socket, as on AWS; in a browser tab (no UDP there) it is in-process
    (``in_process``, by default when running in a browser)."""

    def __init__(self, clock, seed: int | None = None, *, in_process: bool | None = None):
        self.clock = clock
        self._rng = random.Random(seed)
        self._samplers: dict[str, _Sampler] = {}
        in_process = browser.IN_BROWSER if in_process is None else in_process
        self.daemon: _UdpDaemon | _InProcessDaemon = _InProcessDaemon() if in_process else _UdpDaemon()
        self.daemon_address = self.daemon.address

    def close(self) -> None:
        self.daemon.close()

    @contextlib.contextmanager
    def request(self, mode: str | None, upstream: str | None, function_arn: str):
        """The invocation run inside this block is traced per ``mode`` ('Active'/'PassThrough') and ``upstream``."""
        token = _current_request.set(_Request(self, mode or "PassThrough", TraceHeader.parse(upstream),
                                              function_arn))
        try:
            yield
        finally:
            _current_request.reset(token)

    # --- ids and sampling ------------------------------------------------------------------------------------------
    def trace_id(self, now: float) -> str:
        return f"1-{int(now):08x}-{self._rng.getrandbits(96):024x}"

    def segment_id(self) -> str:
        return f"{self._rng.getrandbits(64):016x}"

    def decide(self, request: _Request, now: float) -> bool:
        upstream = request.upstream.sampled if request.upstream else None
        if request.mode == "Active":
            if upstream in ("0", "1"):
                return upstream == "1"
            return self._samplers.setdefault(request.function_arn, _Sampler()).sample(now, self._rng)
        return upstream == "1"

    # --- the daemon ------------------------------------------------------------------------------------------------
    def received(self) -> list[dict]:
        """The (sub)segment documents the SDK sent since the last call."""
        documents: list[dict] = []
        for datagram in self.daemon.datagrams():
            body = datagram[len(_DATAGRAM_HEADER):] if datagram.startswith(_DATAGRAM_HEADER) else \
                datagram.partition(b"\n")[2]
            try:
                document = json.loads(body)
            except ValueError:
                continue  # the daemon drops what it cannot parse
            if isinstance(document, dict):
                documents.append(document)
        return documents

    def put(self, account_id: str, region: str, documents: list[dict]) -> None:
        from .aws import state

        state.put_trace_segments(account_id, region, [json.dumps(d) for d in documents])


_current_request: contextvars.ContextVar[_Request | None] = contextvars.ContextVar("xray_request", default=None)


def begin(env, now: float) -> Trace | None:
    """Called by the runtime just before the handler runs: sets ``_X_AMZN_TRACE_ID`` in the environment.

    Outside a sandbox (the direct ``Function`` API) nothing is traced and the variable is left alone."""
    request = _current_request.get()
    if request is None:
        return None
    xray = request.xray
    upstream = request.upstream
    root = upstream.root if upstream and upstream.root else xray.trace_id(now)
    sampled = xray.decide(request, now)
    function_segment_id = xray.segment_id()
    header = TraceHeader(root, function_segment_id, "1" if sampled else "0", upstream.extra if upstream else ())
    env.environ["_X_AMZN_TRACE_ID"] = str(header)
    xray.daemon.attach(env.modules.modules if env.modules is not None else sys.modules)
    return Trace(request, header, xray.segment_id(), function_segment_id, now, env)


def end(trace: Trace | None, config, *, request_id: str, duration_ms: float, init_ms: float | None,
        error_type: str | None) -> None:
    """Called by the runtime after the handler: writes the invocation's segments when it was sampled."""
    if trace is None:
        return
    xray = trace.request.xray
    streamed = xray.received()
    if not trace.sampled:
        return
    start = trace.start
    init_s = (init_ms or 0) / 1000
    end_time = start + init_s + duration_ms / 1000
    function_segment = {
        "name": config.function_name, "id": trace.function_segment_id, "trace_id": trace.header.root,
        "parent_id": trace.service_segment_id, "origin": "AWS::Lambda::Function",
        "start_time": start, "end_time": end_time,
        "aws": {"account_id": config.account_id, "function_arn": config.function_arn,
                "resource_names": [config.function_name]},
        "subsegments": [],
    }
    if init_ms:
        function_segment["subsegments"].append(
            {"name": "Init", "id": xray.segment_id(), "start_time": start, "end_time": start + init_s})
    function_segment["subsegments"].append(
        {"name": "Invocation", "id": xray.segment_id(), "start_time": start + init_s, "end_time": end_time})
    service_segment = {
        "name": config.function_name, "id": trace.service_segment_id, "trace_id": trace.header.root,
        "origin": "AWS::Lambda", "start_time": start, "end_time": end_time,
        "aws": {"request_id": request_id}, "http": {"response": {"status": 200}},
    }
    if trace.request.upstream and trace.request.upstream.parent:
        service_segment["parent_id"] = trace.request.upstream.parent
    if error_type:
        function_segment["error"] = True
        function_segment["cause"] = {"exceptions": [{"type": error_type}]}
    _assemble(function_segment, streamed)
    others = [d for d in streamed if not d.get("_lambda_local_attached")]
    for document in others:
        document.pop("type", None)
    xray.put(config.account_id, config.region, [service_segment, function_segment] + others)


def _assemble(segment: dict, streamed: list[dict]) -> None:
    """Put each streamed subsegment under the (sub)segment it names as parent, as the X-Ray service does."""
    by_id = {segment["id"]: segment}

    def index(entity):
        for child in entity.get("subsegments") or ():
            by_id[child["id"]] = child
            index(child)

    for document in streamed:
        index(document)
    index(segment)
    pending = [d for d in streamed if d.get("type") == "subsegment" and d.get("parent_id")]
    progress = True
    while pending and progress:
        progress = False
        for document in list(pending):
            parent = by_id.get(document["parent_id"])
            if parent is not None and parent is not document:
                child = {k: v for k, v in document.items() if k not in ("type", "parent_id", "trace_id")}
                parent.setdefault("subsegments", []).append(child)
                by_id[child["id"]] = child
                document["_lambda_local_attached"] = True
                pending.remove(document)
                progress = True


# --- keeping a tracer's patches inside its environment -------------------------------------------------------------
# What tracers (aws-xray-sdk's patch_all, Powertools Tracer) wrap on libraries every environment shares.
_WATCHED = (
    ("botocore.client", "BaseClient", "_make_api_call"),
    ("botocore.endpoint", "Endpoint", "prepare_request"),
    ("http.client", "HTTPConnection", "_send_request"),
    ("http.client", "HTTPConnection", "getresponse"),
    ("http.client", "HTTPResponse", "read"),
    ("requests.sessions", "Session", "request"),
    ("requests.sessions", "Session", "prepare_request"),
    ("sqlite3", None, "connect"),
    # The markers the X-Ray SDK sets on a module it patched ("already done": it would not patch again). They belong to
    # the environment that set them, or a second environment's tracer would find botocore "patched" and unwrapped.
    ("botocore.client", None, "_xray_enabled"),
    ("botocore.httpsession", None, "_xray_enabled"),
    ("http.client", None, "__xray_patched"),
)
_MARKERS = frozenset({"_xray_enabled", "__xray_patched"})
_ABSENT = object()


class TracerPatches:
    """An execution environment's own patches to shared libraries, in place only while it runs.

    Tracers wrap with ``wrapt``. Until an environment has ``wrapt`` loaded this costs one dictionary lookup per
    invocation (the warm path stays fast); from then on its wrappers are put back in on entry and taken out on
    exit, so another function, or the notebook, calls the unwrapped library.
    """

    __slots__ = ("_own", "_saved", "_active")

    def __init__(self) -> None:
        self._own: dict[tuple, object] = {}
        self._saved: list | None = None
        self._active = False

    @staticmethod
    def _owners():
        modules = sys.modules
        for module_name, owner_name, attribute in _WATCHED:
            module = modules.get(module_name)
            if module is None:
                continue
            owner = getattr(module, owner_name, None) if owner_name else module
            if owner is not None:
                yield (module_name, owner_name, attribute), owner, attribute

    def enter(self) -> None:
        if not self._active:
            return
        saved = []
        for key, owner, attribute in self._owners():
            saved.append((key, owner, attribute, owner.__dict__.get(attribute, _ABSENT)))
            own = self._own.get(key)
            if own is not None:
                setattr(owner, attribute, own)
        self._saved = saved

    def exit(self) -> None:
        if not self._active:
            wrapt = sys.modules.get("wrapt")
            if wrapt is None:
                return
            # First sight of a tracer: what this environment wrapped (with its wrapt) goes back to the original.
            self._active = True
            for key, owner, attribute in self._owners():
                current = owner.__dict__.get(attribute, _ABSENT)
                # a wrapt FunctionWrapper (its C type lives in wrapt's "_wrappers" extension)
                if type(current).__module__.split(".")[0] in ("wrapt", "_wrappers"):
                    self._own[key] = current
                    setattr(owner, attribute, current.__wrapped__)
                elif attribute in _MARKERS and current is not _ABSENT:
                    self._own[key] = current
                    delattr(owner, attribute)
            return
        saved, self._saved = self._saved, None
        for key, owner, attribute, original in saved or ():
            current = owner.__dict__.get(attribute, _ABSENT)
            if current is original:
                continue
            self._own[key] = current
            if original is _ABSENT:
                delattr(owner, attribute)
            else:
                setattr(owner, attribute, original)
