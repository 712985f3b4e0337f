"""The local endpoint: the whole mocked AWS API (moto's server) with this runtime behind it, plus Function URLs and
API Gateway invoke URLs, on one port. ``lambda-local serve`` runs it; tests and notebooks can start it in a thread.

State lives in this process only: it is shared with nothing else and is gone when the server stops.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qs

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import iam_http
from .triggers.http import route

__all__ = ["LocalEndpoint"]

_HTTP_HOSTS = (".lambda-url.", ".execute-api.")


class LocalEndpoint:
    """A WSGI app in front of moto's server app; ``start()`` serves it from a background thread.

    >>> with lambda_local.mock_aws() as aws:                      # doctest: +SKIP
    ...     endpoint = LocalEndpoint(aws, port=0).start()
    ...     endpoint.url   # 'http://127.0.0.1:54321'
    """

    def __init__(self, sandbox, host: str = "127.0.0.1", port: int = 4566, announce: bool = True):
        from .aws.state import server_app

        self.sandbox = sandbox
        self.moto_app = server_app()
        self._server = make_server(host, port, self, threaded=False,
                                   request_handler=None if announce else _QuietHandler)
        self.host, self.port = host, self._server.server_port
        self.url = f"http://{host}:{self.port}"
        # announce: the learner's endpoint (Function URLs print with its port); runtime processes get their own
        self._announce = announce
        if announce:
            sandbox.endpoint, sandbox.endpoint_port = self.url, self.port
        self._thread: threading.Thread | None = None

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST", "")
        path = environ.get("PATH_INFO", "")
        if any(marker in host for marker in _HTTP_HOSTS):
            return self._http(environ, start_response)
        if path.startswith("/_lambda_local/"):
            return self._control(environ, start_response)
        denied = iam_http.denied(environ)  # a call signed with an execution role's credentials, checked
        if denied is not None:
            return denied(environ, start_response)
        return self.moto_app(environ, start_response)

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
            args = {k: float(v[0]) for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()
                    if k in ("seconds", "minutes", "hours")}
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
        if self._thread is not None:
            self._server.shutdown()
        self._server.server_close()
        if self._announce:
            self.sandbox.endpoint = self.sandbox.endpoint_port = None


class _QuietHandler(WSGIRequestHandler):
    """No access log: a runtime process's SDK calls are not the learner's terminal output."""

    def log_request(self, *args, **kwargs) -> None:
        pass
