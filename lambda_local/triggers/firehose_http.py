"""One delivery request of a Data Firehose HTTP endpoint destination, as the Firehose developer guide specifies it
("Understand HTTP endpoint delivery request and response specifications", "Troubleshooting HTTP endpoints").

The request: ``POST`` to the configured URL with a JSON body ``{"requestId", "timestamp", "records": [{"data":
base64}]}`` and the headers ``X-Amz-Firehose-Protocol-Version: 1.0``, ``X-Amz-Firehose-Request-Id`` (the same on every
attempt of the request), ``X-Amz-Firehose-Source-Arn``, ``X-Amz-Firehose-Access-Key`` (the configured key, verbatim)
and ``X-Amz-Firehose-Common-Attributes`` (``{"commonAttributes": {...}}``), the body gzipped with
``Content-Encoding: gzip`` when ``RequestConfiguration.ContentEncoding`` is ``GZIP``.

The answer must be a 200 with a JSON body carrying the request's ``requestId`` (and a ``timestamp``), as
``application/json``; any other status is ``HttpEndpoint.DestinationException`` (with the status and the start of the
body in the message), a malformed 200 ``HttpEndpoint.InvalidResponseFromDestination``.

Where requests go: this sandbox has no network. AWS accepts only ``https`` URLs on port 443 on the internet; here a
URL may name this sandbox's own Function URLs and API Gateway APIs (``https://<id>.lambda-url.<region>.on.aws/``,
``https://<api>.execute-api.<region>.amazonaws.com/<stage>/...``, answered in process) or a server on this machine
(``localhost``, ``127.0.0.1``, ``::1``, over ``http`` or ``https``, any port). Any other host is not contacted: the
attempt fails with ``HttpEndpoint.ConnectionFailed`` and a message saying why, like an endpoint that cannot be
reached. An endpoint on this machine has 30 s of real time to answer (AWS allows 3 minutes), so that a server that
hangs does not hold the notebook for long.
"""

from __future__ import annotations

import base64
import gzip
import ipaddress
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from .host import TriggerHost
from .http import route

__all__ = ["Outcome", "post", "request_for"]

_LOCAL_TIMEOUT_S = 30.0
_IN_PROCESS_HOSTS = (".lambda-url.", ".execute-api.")

DESTINATION_EXCEPTION = "HttpEndpoint.DestinationException"
INVALID_RESPONSE = "HttpEndpoint.InvalidResponseFromDestination"
CONNECTION_FAILED = "HttpEndpoint.ConnectionFailed"


@dataclass(frozen=True)
class Outcome:
    """How one attempt ended: delivered, or the error code and message Firehose records."""

    delivered: bool
    code: str = ""
    message: str = ""


def request_for(config: dict, stream_arn: str, request_id: str, data: list[bytes], now_ms: int
                ) -> tuple[dict[str, str], bytes]:
    """The headers and body of the request delivering ``data`` (one item per record)."""
    body = json.dumps({"requestId": request_id, "timestamp": now_ms,
                       "records": [{"data": base64.b64encode(item).decode("ascii")} for item in data]}).encode()
    headers = {"Content-Type": "application/json", "X-Amz-Firehose-Protocol-Version": "1.0",
               "X-Amz-Firehose-Request-Id": request_id, "X-Amz-Firehose-Source-Arn": stream_arn}
    access_key = (config.get("EndpointConfiguration") or {}).get("AccessKey")
    if access_key:
        headers["X-Amz-Firehose-Access-Key"] = access_key
    request_config = config.get("RequestConfiguration") or {}
    attributes = {a.get("AttributeName"): a.get("AttributeValue") for a in request_config.get("CommonAttributes") or []}
    if attributes:
        headers["X-Amz-Firehose-Common-Attributes"] = json.dumps({"commonAttributes": attributes})
    if request_config.get("ContentEncoding") == "GZIP":
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    return headers, body


def post(sandbox: TriggerHost, url: str, headers: dict[str, str], body: bytes, request_id: str) -> Outcome:
    """Send one attempt and judge the answer."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return Outcome(False, CONNECTION_FAILED, f"The endpoint URL {url!r} is not an http(s) URL.")
    if any(marker in host for marker in _IN_PROCESS_HOSTS):
        answer = route(sandbox, "POST", url, headers, body)
        status, answer_headers, answer_body = answer.status, answer.headers, answer.body
    elif _is_loopback(host):
        try:
            status, answer_headers, answer_body = _post_local(url, headers, body)
        except OSError as error:
            return Outcome(False, CONNECTION_FAILED, f"Unable to connect to the destination endpoint {url}: "
                                                     f"{getattr(error, 'reason', error)}.")
    else:
        return Outcome(False, CONNECTION_FAILED,
                       f"Unable to connect to the destination endpoint: lambda-local has no network, so {host} was "
                       "not contacted. Deliver to a server on this machine (localhost, 127.0.0.1, ::1) or to a "
                       "Function URL or API Gateway API of this sandbox.")
    return _judge(status, answer_headers, answer_body, request_id)


def _judge(status: int, headers: dict[str, str], body: bytes, request_id: str) -> Outcome:
    if status != 200:
        text = body[:1024].decode("utf-8", errors="replace")
        return Outcome(False, DESTINATION_EXCEPTION,
                       f"The following response was received from the endpoint destination. {status}: {text}")
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    try:
        answer = json.loads(body) if content_type.split(";")[0].strip().lower() == "application/json" else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or answer.get("requestId") != request_id:
        return Outcome(False, INVALID_RESPONSE, "The response received from the specified endpoint is invalid. "
                                                "Contact the owner of the endpoint to resolve the issue.")
    return Outcome(True)


def _post_local(url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        # no proxy: a proxy set in the environment would take the request off this machine
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=_LOCAL_TIMEOUT_S) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:  # a status other than 2xx: an answer all the same
        return error.code, dict(error.headers.items()), error.read()


def _is_loopback(host: str) -> bool:
    """A name or address that can only mean this machine (as the offline guard and ``serve`` judge it)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
