"""Lab 01: a greeting handler behind API Gateway (REST API, Lambda proxy integration)."""

from __future__ import annotations

import json
import random

from ..checks import Failure, check, describe_invocation_error, show

LAB = "01-greeting"
TITLE = "A greeting behind API Gateway"

FUNCTION = "greeting"
_SHAPE_HINT = ("API Gateway's Lambda proxy integration needs a dict {\"statusCode\": <int>, \"headers\": {...}, "
               "\"body\": <a string>}; anything else becomes a 502 Internal server error. Build the body with "
               "json.dumps(...).")


def _request(lab, query):
    from ...events import rest_api_event

    event = rest_api_event(method="GET", path="/hello", body=None, query=query, time=lab.aws.clock.time(),
                           rng=random.Random(1))
    return lab.invoke(FUNCTION, event)


def _url(query) -> str:
    if not query:
        return "GET /hello"
    return "GET /hello?" + "&".join(f"{k}={v}" for k, v in query.items())


def _proxy_response(record, query, first: bool = True) -> tuple[int, dict, str]:
    """(statusCode, headers, body) of a valid proxy response, or a Failure saying what is wrong with it (in full
    for the shape check itself, ``first``; the other checks point back to it)."""
    request = _url(query)
    shape_hint = _SHAPE_HINT if first else "Make the check \"answers in API Gateway's response shape\" pass first."
    if record.error_type:
        raise Failure(expected=f"an HTTP response for {request}",
                      got=f"the function failed: {describe_invocation_error(record)}",
                      hint=_crash_hint(record) if (record.error_type or "").startswith("Runtime.") else
                      "API Gateway answers 502 when the function fails. Try this request in the lab notebook to see "
                      "the whole error.")
    response = record.payload
    if not isinstance(response, dict) or not {"statusCode", "body"} <= set(response):
        raise Failure(expected=f"a response {{statusCode, headers, body}} for {request}",
                      got=f"the function returned {show(response)}", hint=shape_hint)
    status, headers, body = response.get("statusCode"), response.get("headers") or {}, response.get("body")
    if not isinstance(status, int) or isinstance(status, bool) or not isinstance(headers, dict) \
            or not isinstance(body, str):
        raise Failure(expected="statusCode a number, headers a dict and body a string",
                      got=f"statusCode {show(status)}, headers {show(headers)}, body {show(body)}",
                      hint=shape_hint)
    return status, headers, body


def _json_body(body: str, request: str):
    try:
        return json.loads(body)
    except ValueError:
        raise Failure(expected=f"a JSON body for {request}", got=f"the body {show(body)}, which is not JSON",
                      hint="Turn a dict into JSON text with json.dumps({...}).") from None


def _message(lab, query) -> tuple[int, str | None, str]:
    status, _, body = _proxy_response(_request(lab, query), query, first=False)
    data = _json_body(body, _url(query))
    return status, data.get("message") if isinstance(data, dict) else None, body


@check("answers in API Gateway's response shape", points=2)
def response_shape(lab):
    lab.deploy(FUNCTION)
    query = {"name": "Ada"}
    status, headers, body = _proxy_response(_request(lab, query), query)
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if status != 200:
        return Failure(expected=f"statusCode 200 for {_url(query)}", got=f"statusCode {status}",
                       hint="200 means OK; keep 400 for requests without a name.")
    if "application/json" not in str(content_type):
        return Failure(expected='the header "Content-Type": "application/json"', got=f"headers {show(headers)}",
                       hint="The header tells the browser (or curl) that the body is JSON.")
    _json_body(body, _url(query))


@check("greets the name from the query string", points=2)
def greets_by_name(lab):
    lab.deploy(FUNCTION)
    for name in ("Ada", "Grace Hopper"):
        query = {"name": name}
        status, message, body = _message(lab, query)
        if (status, message) != (200, f"Hello, {name}!"):
            return Failure(expected=f'statusCode 200 and the body {{"message": "Hello, {name}!"}} for {_url(query)}',
                           got=f"statusCode {status} and the body {body}", hint=_greeting_hint(name, status, message))


def _greeting_hint(name: str, status, message) -> str:
    """Point at what is actually wrong: the status, the wording, or (only then) where the name comes from."""
    if status != 200:
        return "A request with a name is a good request: answer it with statusCode 200."
    if isinstance(message, str) and name in message:
        return f'The name is read right; the greeting must read exactly "Hello, {name}!" (comma, space, "!").'
    return ('Read the name from the query string: API Gateway puts it in event["queryStringParameters"], a dict '
            "(None when the URL has no query string).")


@check("answers 400 with an error message when name is missing", points=2)
def missing_name(lab):
    lab.deploy(FUNCTION)
    for query in (None, {"lang": "en"}, {"name": ""}):
        record = _request(lab, query)
        if record.error_type:
            return Failure(expected=f"statusCode 400 and a JSON body with an \"error\" message for {_url(query)}",
                           got=f"the function failed: {describe_invocation_error(record)}",
                           hint=_crash_hint(record))
        status, _, body = _proxy_response(record, query, first=False)
        data = _json_body(body, _url(query))
        error = data.get("error") if isinstance(data, dict) else None
        if status != 400 or not isinstance(error, str) or not error.strip():
            return Failure(expected=f'statusCode 400 and a body like {{"error": "..."}} for {_url(query)}',
                           got=f"statusCode {status} and the body {body}",
                           hint="400 (Bad Request) tells the caller the request was wrong; the error message "
                                "says how to fix it.")


def _crash_hint(record) -> str:
    if (record.error_type or "").startswith("Runtime."):  # the module does not load: no request can succeed
        return "lambda_function.py does not load: fix the error at the line named, then check again."
    return ("API Gateway turns an unhandled error into a 502. Check for a missing or empty name before using it; "
            "queryStringParameters is None when there is no query string.")


@check("starts the greeting with GREETING_PREFIX", points=2)
def greeting_prefix(lab):
    query = {"name": "Ada"}
    for prefix in ("Howdy", None):
        environment = {"GREETING_PREFIX": prefix} if prefix else None
        lab.deploy(FUNCTION, environment=environment)
        status, message, body = _message(lab, query)
        expected = f"{prefix or 'Hello'}, Ada!"
        if message != expected:
            setting = f"GREETING_PREFIX={prefix}" if prefix else "GREETING_PREFIX not set"
            return Failure(expected=f'the body {{"message": "{expected}"}} with {setting}',
                           got=f"the body {body}",
                           hint='Read it with os.environ.get("GREETING_PREFIX", "Hello"): environment variables '
                                "configure a function without changing its code.")
        lab.client("lambda").delete_function(FunctionName=FUNCTION)
