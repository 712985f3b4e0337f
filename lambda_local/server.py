"""The local endpoint: the whole mocked AWS API (moto's server) with this runtime behind it, plus Function URLs and
API Gateway invoke URLs, on one port. ``lambda-local serve`` runs it; tests and notebooks can start it in a thread.

State lives in this process only: it is shared with nothing else and is gone when the server stops.

It answers the learner's own tools only. A web page the learner visits can send requests to any local port, so:

* a request whose ``Origin`` is not a loopback origin (``http://localhost:8888``, ``http://127.0.0.1:5500``) nor
  one the user allowed (``--allow-origin``) is refused with 403 before it reaches moto, and moto's blanket CORS
  approval (``Access-Control-Allow-Origin: *``) is narrowed to the request's own, allowed origin;
* the ``Host`` header must be a loopback name or address (``localhost``, ``*.localhost`` as Function URLs use,
  ``127.0.0.1``, ``[::1]``) or one the user allowed (``--allow-host``), so a DNS-rebound name cannot reach it;
* it binds to 127.0.0.1 unless told otherwise.

Each connection has its own thread, which reads the whole request before it joins the queue for the sandbox (the
sandbox handles one request at a time: its invocation chain is shared state), and a connection that sends nothing
for ``idle_timeout`` seconds is closed, so an idle or half-open client cannot stall another.
"""

from __future__ import annotations

import io
import ipaddress
import json
import math
import re
import threading
import time
from urllib.parse import parse_qs, urlsplit

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import iam_http
from .server_websocket import is_upgrade, serve_websocket
from .aws import state
from .triggers.http import route

__all__ = ["LocalEndpoint"]

_HTTP_HOSTS = (".lambda-url.", ".execute-api.")
_AWS_HOST = re.compile(r"(^|\.)(amazonaws\.com(\.cn)?|on\.aws)$")
IDLE_TIMEOUT_S = 15.0


def _host_name(host: str) -> str:
    """``localhost`` from ``localhost:4566``, ``::1`` from ``[::1]:4566``; lowercase, no trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":")[0]
    return host.rstrip(".")


def is_loopback(name: str) -> bool:
    """A name or address that can only mean this machine: localhost, *.localhost (RFC 6761), 127.0.0.0/8, ::1.

    >>> [is_loopback(n) for n in ("localhost", "abc.lambda-url.us-east-1.localhost", "127.0.0.1", "::1",
    ...                           "evil.example", "127.0.0.1.nip.io", "0.0.0.0")]
    [True, True, True, True, False, False, False]
    """
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _runtime_context(environ):
    """The context of the invocation a runtime process's request belongs to (its ``X-Lambda-Local-Runtime``
    header), or None for any other request."""
    token = environ.pop("HTTP_X_LAMBDA_LOCAL_RUNTIME", None)
    if token is None:
        return None
    from .runtime.nodejs.process import invocation_context

    return invocation_context(token)


class _Handler(WSGIRequestHandler):
    """Closes a connection that stays silent for ``timeout`` seconds (socket timeout), so an idle or half-open
    client holds one thread for a while and nothing else. A WebSocket handshake for an API Gateway host leaves WSGI
    here: its connection is the WebSocket's (``server_websocket``), in its own thread like any other."""

    timeout = IDLE_TIMEOUT_S

    def run_wsgi(self) -> None:
        endpoint = self.server.app
        if isinstance(endpoint, LocalEndpoint) and is_upgrade(self.headers, self.path):
            serve_websocket(endpoint, self)
            return
        super().run_wsgi()

    def log_request(self, *args, **kwargs) -> None:  # the AWS CLI's requests are not the learner's concern
        pass


class LocalEndpoint:
    """A WSGI app in front of moto's server app; ``start()`` serves it from a background thread.

    >>> with lambda_local.mock_aws() as aws:                      # doctest: +SKIP
    ...     endpoint = LocalEndpoint(aws, port=0).start()
    ...     endpoint.url   # 'http://127.0.0.1:54321'
    """

    def __init__(self, sandbox, host: str = "127.0.0.1", port: int = 4566, *, allow_origins=(), allow_hosts=(),
                 idle_timeout: float = IDLE_TIMEOUT_S, announce: bool = True, aws_hosts: bool = False):
        from .aws.state import server_app
        from .browser import require_desktop

        require_desktop("Serving the AWS API on a port (lambda-local serve, the AWS CLI, curl)")
        self.sandbox = sandbox
        self.moto_app = server_app()
        self.allow_origins = {o.rstrip("/").lower() for o in allow_origins}
        self.allow_hosts = {_host_name(h) for h in allow_hosts}
        handler = type("_Handler", (_Handler,), {"timeout": idle_timeout})
        self.lock = threading.Lock()  # the sandbox's: one request (or WebSocket message) at a time
        self.websocket_sessions: set = set()  # open WebSocket connections (server_websocket), closed by stop()
        self.stopping = False
        self._server = make_server(host, port, self, threaded=True, request_handler=handler)
        self.host, self.port = host, self._server.server_port
        self.url = f"http://{host}:{self.port}"
        # announce: the learner's endpoint (Function URLs print with its port); runtime processes get their own, which
        # also answers requests addressed to AWS hostnames (aws_hosts: a Node.js SDK's, sent here with Host kept)
        self._announce, self._aws_hosts = announce, aws_hosts
        if announce:
            sandbox.endpoint, sandbox.endpoint_port = self.url, self.port
        self._thread: threading.Thread | None = None

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST", "")
        path = environ.get("PATH_INFO", "")
        refusal = self.refusal(host, environ.get("HTTP_ORIGIN"))
        if refusal:
            return Response(json.dumps({"message": refusal}), status=403,
                            mimetype="application/json")(environ, start_response)
        start_response = self._narrow_cors(start_response, environ.get("HTTP_ORIGIN"))
        try:
            _read_body_first(environ)  # a client that stalls mid-body holds its own thread, never the lock
        except OSError:  # it went silent past the idle timeout, or went away
            return Response(json.dumps({"message": "the request body did not arrive"}), status=400,
                            mimetype="application/json")(environ, start_response)
        context = _runtime_context(environ) if self._aws_hosts else None
        if context is not None:
            # A Node.js function's SDK call while its invocation runs: handled as a Python handler's boto3 call is,
            # in that invocation's context (its recursion chain, its deferred triggers, the turn its caller holds),
            # never queued behind the request that is waiting for this very invocation.
            return context.run(self._dispatch, host, path, environ, start_response)
        with self.lock:  # the sandbox is not thread-safe (its invocation chain is shared): one request at a time
            return self._dispatch(host, path, environ, start_response)

    def _dispatch(self, host: str, path: str, environ, start_response):
        try:
            if any(marker in host for marker in _HTTP_HOSTS) and "/@connections/" not in path:
                return self._http(environ, start_response)
            if path.startswith("/_lambda_local/"):
                return self._control(environ, start_response)
            if _INVOKE_PATH.match(path):
                refused = _undecodable_payload(environ)
                if refused is not None:
                    return refused(environ, start_response)
            denied = iam_http.denied(environ)  # a call signed with an execution role's credentials, checked
            if denied is not None:
                return denied(environ, start_response)
            if "/@connections/" in path:
                # an @connections call (PostToConnection, ...) to API/STAGE/@connections/ID: moto's server knows the
                # Management API by the path /@connections/ID only
                for key in ("PATH_INFO", "RAW_URI", "REQUEST_URI"):  # moto matches the raw form
                    value = environ.get(key) or ""
                    if "/@connections/" in value:
                        environ[key] = value[value.index("/@connections/"):]
            state.flush_pending()  # CloudWatch writes queued by invocations, before anything can read them
            return self.moto_app(environ, start_response)
        except Exception as error:  # noqa: BLE001 - a client gets a reason, never a traceback
            body = {"__type": "ServiceException", "message": f"lambda-local could not handle this request: "
                                                             f"{type(error).__name__}: {error}"}
            return Response(json.dumps(body), status=500, mimetype="application/json")(environ, start_response)

    def refusal(self, host: str, origin: str | None) -> str:
        """Why a request is refused ("" when it is not): a Host that is not this machine, or a web page's Origin
        that is not the user's own."""
        name = _host_name(host)
        if not (is_loopback(name) or name in self.allow_hosts or (self._aws_hosts and _AWS_HOST.search(name))):
            return (f"lambda-local serve answers requests for this machine only; the Host {host!r} is not a "
                    "loopback name. Start it with --allow-host NAME to accept that name.")
        if origin is not None and not self.origin_allowed(origin):
            return (f"lambda-local serve refuses requests from web pages on {origin}: a page could otherwise "
                    "create functions and run code on this machine. Start it with --allow-origin ORIGIN to "
                    "accept that page.")
        return ""

    def origin_allowed(self, origin: str) -> bool:
        """A loopback origin (any port) or one the user allowed; ``null`` (a file:// page, a sandboxed frame) and
        every other site are not."""
        origin = origin.strip().rstrip("/").lower()
        if origin in self.allow_origins:
            return True
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and is_loopback(_host_name(parts.netloc))

    @staticmethod
    def _narrow_cors(start_response, origin: str | None):
        """moto approves every origin (``*``); answer with the request's own (already allowed) origin instead."""

        def narrowed(status, headers, exc_info=None):
            kept = [(k, v) for k, v in headers if k.lower() != "access-control-allow-origin" or v != "*"]
            if origin is not None and len(kept) < len(headers):
                kept.append(("Access-Control-Allow-Origin", origin))
                kept.append(("Vary", "Origin"))
            return start_response(status, kept, exc_info) if exc_info else start_response(status, kept)

        return narrowed

    def _http(self, environ, start_response):
        request = Request(environ)
        query = environ.get("QUERY_STRING", "")
        url = f"http://{request.host}{request.path}" + (f"?{query}" if query else "")
        result = route(self.sandbox, request.method, url, dict(request.headers), request.get_data(),
                       source_ip=request.remote_addr or "127.0.0.1")
        response = Response(result.body, status=result.status, headers=result.headers)
        for cookie in result.cookies:
            response.headers.add("Set-Cookie", cookie)
        return response(environ, start_response)

    def _control(self, environ, start_response):
        """POST /_lambda_local/advance?minutes=5 moves the virtual clock; GET /_lambda_local/invocations lists."""
        request = Request(environ)
        action = request.path.rsplit("/", 1)[-1]
        if action == "advance":
            args, problem = _advance_arguments(environ.get("QUERY_STRING", ""))
            if problem:
                return Response(json.dumps({"message": problem}), status=400,
                                mimetype="application/json")(environ, start_response)
            ran = self.sandbox.advance(**args)
            body = {"now": self.sandbox.clock.now().isoformat(), "callbacks_run": ran}
        elif action == "invocations":
            body = [{"function_name": r.function_name, "request_id": r.request_id, "cold_start": r.cold_start,
                     "duration_ms": round(r.duration_ms, 2), "billed_duration_ms": r.billed_duration_ms,
                     "error_type": r.error_type, "cost_usd": r.cost_usd} for r in self.sandbox.invocations]
        else:
            return Response("unknown control action", status=404)(environ, start_response)
        return Response(json.dumps(body), mimetype="application/json")(environ, start_response)

    def start(self) -> "LocalEndpoint":
        self._thread = threading.Thread(target=self._server.serve_forever, name="lambda-local-serve", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self.stopping = True
        for session in list(self.websocket_sessions):
            session.close(1001, "Going away")
        deadline = time.monotonic() + 5  # their $disconnect runs before the sandbox goes (bounded: best effort)
        while self.websocket_sessions and time.monotonic() < deadline:
            time.sleep(0.01)
        self._server.shutdown()
        self._server.server_close()
        if self._announce:
            self.sandbox.endpoint = self.sandbox.endpoint_port = None


def _read_body_first(environ) -> None:
    """Read the whole request body now (bounded by the socket's idle timeout) and hand it on as a buffer."""
    body = Request(environ).get_data()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))


_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/[^/]+/invocations$")


def _undecodable_payload(environ) -> Response | None:
    """Lambda's answer to an Invoke whose payload is not UTF-8 text (it must be JSON): 400
    InvalidRequestContentException, in its error shape; None for a payload moto and the runtime can read."""
    from .runtime.errors import invalid_request_content

    body = environ["wsgi.input"].getvalue()
    try:
        body.decode("utf-8")
        return None
    except UnicodeDecodeError as error:
        bad = body[error.start]
    fault = invalid_request_content(f"Could not parse payload into json: Invalid UTF-8 start byte 0x{bad:02x}")
    return Response(json.dumps({"__type": fault.code, **fault.body()}), status=fault.status,
                    headers={"x-amzn-ErrorType": fault.code}, mimetype="application/json")


def _advance_arguments(query: str) -> tuple[dict[str, float], str]:
    """``seconds``, ``minutes`` and ``hours`` from a query string; a plain reason instead when one is not a finite,
    non-negative number (the virtual clock only moves forward)."""
    args = {}
    for key, values in parse_qs(query, keep_blank_values=True).items():
        if key not in ("seconds", "minutes", "hours"):
            return {}, f"unknown parameter {key!r}: use seconds, minutes or hours, e.g. ?minutes=5"
        try:
            value = float(values[-1])
        except ValueError:
            return {}, f"{key}={values[-1]!r} is not a number"
        if not math.isfinite(value) or value < 0:
            return {}, f"{key}={values[-1]} must be a finite number of at least 0: the virtual clock only moves forward"
        args[key] = value
    return args, ""
