"""HTTP in front of functions: Function URLs, API Gateway REST APIs (Lambda proxy, payload 1.0) and HTTP APIs
(payload 2.0; Lambda, JWT and IAM authorization in ``authorizers``, ``jwt_authorizers``, ``iam_authorization``; AWS
service integrations in ``integrations``), with the request events AWS builds and the response mapping AWS applies.

``route(sandbox, method, url, headers, body)`` takes any URL a learner got from the API
(``https://<id>.lambda-url.<region>.on.aws/...``, ``https://<api>.execute-api.<region>.amazonaws.com/<stage>/...``)
and returns an :class:`HttpResponse`. The local endpoint (``lambda-local serve``) uses the same function.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from .. import events
from ..aws import state
from ..runtime.errors import ServiceError
from .authorizers import authorize
from .iam_authorization import authorize_iam
from .jwt_authorizers import authorize_jwt
from .host import TriggerHost
from .integrations import service_integration
from .permissions import resource_policy_allows, service_context

__all__ = ["HttpResponse", "route"]

_URL_HOST = re.compile(r"^(?P<id>[a-z0-9]{32})\.lambda-url\.(?P<region>[a-z0-9-]+)\.")
_API_HOST = re.compile(r"^(?P<id>[a-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.")


@dataclass
class HttpResponse:
    """What an HTTP client receives."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    cookies: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<HttpResponse {self.status} {self.text[:60]!r}>"


def _error(status: int, message: str, key: str = "message", headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status, {"content-type": "application/json", **(headers or {})},
                        json.dumps({key: message}).encode())


def route(sandbox: TriggerHost, method: str, url: str, headers: dict | None = None,
          body: bytes | str | None = None, source_ip: str = "127.0.0.1") -> HttpResponse:
    """Send one HTTP request to whatever the URL names; 404/403/502 as AWS answers when something is missing."""
    parts = urlsplit(url)
    host = (headers or {}).get("host") or (headers or {}).get("Host") or parts.hostname or ""
    body = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    request = _Request(method.upper(), parts.path or "/", parts.query, dict(headers or {}), body, source_ip, host)
    match = _URL_HOST.match(host)
    if match:
        return _function_url(sandbox, match.group("id"), match.group("region"), request)
    match = _API_HOST.match(host)
    if match:
        return _api(sandbox, match.group("id"), match.group("region"), request)
    return _error(404, "Not Found")


@dataclass
class _Request:
    method: str
    path: str
    query: str
    headers: dict
    body: bytes
    source_ip: str
    host: str

    def body_fields(self) -> tuple[str | None, bool]:
        if not self.body:
            return None, False
        try:
            return self.body.decode("utf-8"), False
        except UnicodeDecodeError:
            return base64.b64encode(self.body).decode("ascii"), True

    def headers_lower(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}


def _now(sandbox) -> datetime:
    return datetime.fromtimestamp(sandbox.clock.time(), timezone.utc)


def _invoke(sandbox, fn, event: dict, qualifier: str | None = None):
    return sandbox.invoke(fn, json.dumps(event).encode("utf-8"), qualifier=qualifier)


# --- Function URLs ---------------------------------------------------------------------------------------------------
def _function_url(sandbox, url_id: str, region: str, request: _Request) -> HttpResponse:
    fn = _find_url_function(url_id, region)
    if fn is None:
        return _error(404, "Not Found", "Message")
    auth_type = fn.url_config.config.get("AuthType", "NONE")
    if auth_type == "AWS_IAM":
        return _error(403, "Forbidden", "Message")  # unsigned requests; signing is not modelled here
    if sandbox.enforce_iam and not _url_may_invoke(fn, auth_type):
        return _error(403, "Forbidden", "Message")
    text, is_base64 = request.body_fields()
    event = events.function_url_event(
        method=request.method, path=request.path, body=text, is_base64_encoded=is_base64,
        headers=request.headers_lower() or None, query=request.query or None, url_id=url_id,
        source_ip=request.source_ip, time=_now(sandbox), region=region, account_id=fn.account_id,
        rng=sandbox.rng)
    try:
        result = _invoke(sandbox, fn, event)
    except ServiceError as error:
        return _error(error.status, error.message, "Message")
    if result.error_type:
        return HttpResponse(502, {"content-type": "text/plain"}, b"Internal Server Error")
    return _v2_response(result.payload)


def _url_may_invoke(fn, auth_type: str) -> bool:
    """Whether the resource policy lets anyone call the URL: AWS requires, for every URL created since October
    2025, both ``lambda:InvokeFunctionUrl`` and ``lambda:InvokeFunction`` (the latter usually limited with the
    condition ``lambda:InvokedViaFunctionUrl`` = true); either one alone is a 403."""
    url_keys = service_context(lambda_FunctionUrlAuthType=auth_type, lambda_InvokedViaFunctionUrl="true")
    return all(resource_policy_allows(fn, "*", action, url_keys)
               for action in ("lambda:InvokeFunctionUrl", "lambda:InvokeFunction"))


def _find_url_function(url_id: str, region: str):
    for fn in state.functions_with_url(region):
        if fn.url_config.url.split("//", 1)[1].startswith(url_id):
            return fn
    return None


# --- API Gateway -----------------------------------------------------------------------------------------------------
def _api(sandbox, api_id: str, region: str, request: _Request) -> HttpResponse:
    found = state.http_api_or_none(api_id, region)
    if found is not None:
        return _http_api(sandbox, found[1], found[0], region, request)
    found = state.rest_api_or_none(api_id, region)
    if found is not None:
        return _rest_api(sandbox, found[1], found[0], region, request)
    return _error(404, "Not Found")


def _match(template: str, path: str) -> dict[str, str] | None:
    """Path parameters if ``path`` fits the resource template (``/items/{id}``, ``/{proxy+}``)."""
    pattern = "^" + re.sub(r"\\{(\w+)\\\+\\}", r"(?P<\1>.+)", re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)",
                                                                  re.escape(template))) + "/?$"
    match = re.match(pattern, path)
    return match.groupdict() if match else None


def _rest_api(sandbox, api, account: str, region: str, request: _Request) -> HttpResponse:
    stage_name, _, rest = request.path.lstrip("/").partition("/")
    stage = api.stages.get(stage_name)
    if stage is None:
        return _error(403, "Forbidden")
    path = "/" + rest
    best = None
    for resource in api.resources.values():
        template = resource.get_path()
        params = _match(template, path)
        if params is None:
            continue
        method = request.method if request.method in resource.resource_methods else (
            "ANY" if "ANY" in resource.resource_methods else None)
        if method is None:
            continue
        literal = len(re.sub(r"\{[^}]+\}", "", template))
        if best is None or literal > best[0]:
            best = (literal, resource, template, params, method)
    if best is None:
        return _error(403, "Missing Authentication Token")
    _, resource, template, params, method = best
    integration = resource.get_integration(method)
    if integration is None or integration.integration_type != "AWS_PROXY":
        return _error(500, "Internal server error")
    fn, qualifier = state.function_from_uri(integration.uri, region)
    source = f"arn:aws:execute-api:{region}:{account}:{api.id}/{stage_name}/{request.method}{template}"
    if fn is None or (sandbox.enforce_iam and not resource_policy_allows(
            fn, "apigateway.amazonaws.com", "lambda:InvokeFunction", service_context(source, account))):
        return _error(500, "Internal server error")
    text, is_base64 = request.body_fields()
    event = events.rest_api_event(
        method=request.method, path=path, resource=template, stage=stage_name, body=text,
        is_base64_encoded=is_base64, headers=request.headers or None, query=request.query or None,
        path_parameters=params or None, stage_variables=dict(stage.variables) or None, api_id=api.id,
        resource_id=resource.id, source_ip=request.source_ip, time=_now(sandbox), region=region,
        account_id=account, rng=sandbox.rng)
    try:
        result = _invoke(sandbox, fn, event, qualifier)
    except ServiceError:
        # Lambda's guide, "Handling Lambda errors with an API Gateway API": an invoke Lambda rejects (a throttle, a
        # missing permission) is a 500; a function error or a malformed response a 502; both with this body.
        return _error(500, "Internal server error")
    if result.error_type:
        return _error(502, "Internal server error")
    return _v1_response(result.payload)


def _http_api(sandbox, api, account: str, region: str, request: _Request) -> HttpResponse:
    stage_name = "$default" if "$default" in api.stages else None
    path = request.path
    if stage_name is None:
        stage_name, _, rest = path.lstrip("/").partition("/")
        if stage_name not in api.stages:
            return _error(404, "Not Found")
        path = "/" + rest
    chosen: tuple[Any, dict] | None = None
    for candidate in api.routes.values():
        key = candidate.route_key
        if key == "$default":
            chosen = chosen or (candidate, {})
            continue
        route_method, _, template = key.partition(" ")
        params = _match(template, path)
        if params is not None and route_method in (request.method, "ANY"):
            if chosen is None or chosen[0].route_key == "$default":
                chosen = (candidate, params)
    if chosen is None:
        return _error(404, "Not Found")
    found, params = chosen
    integration = api.integrations.get((found.target or "").split("/")[-1])
    if integration is None:
        return _error(500, "Internal Server Error")
    authorization = _authorization(sandbox, api, account, region, found, api.stages[stage_name], request, path,
                                   params)
    if authorization.status:
        return _error(authorization.status, authorization.message, authorization.message_key,
                      authorization.headers)
    if integration.integration_subtype:  # an AWS service integration (SQS-SendMessage, ...): no function runs
        status, answer = service_integration(sandbox, account, region, integration, request, params,
                                             api.stages[stage_name])
        return HttpResponse(status, {"content-type": "application/json"}, json.dumps(answer, default=str).encode())
    fn, qualifier = state.function_from_uri(integration.integration_uri, region)
    # The ARN API Gateway invokes with: API/STAGE/METHOD/PATH of the route ($default: API/STAGE/$default).
    route_method, _, route_path = found.route_key.partition(" ")
    source = (f"arn:aws:execute-api:{region}:{account}:{api.api_id}/{stage_name}/"
              + (f"{request.method}{route_path}" if route_path else route_method))
    if fn is None or (sandbox.enforce_iam and not resource_policy_allows(
            fn, "apigateway.amazonaws.com", "lambda:InvokeFunction", service_context(source, account))):
        return _error(500, "Internal Server Error")
    text, is_base64 = request.body_fields()
    if (integration.payload_format_version or "2.0") == "1.0":
        event = events.rest_api_event(
            method=request.method, path=path, resource=found.route_key.partition(" ")[2] or path,
            stage=stage_name, body=text, is_base64_encoded=is_base64, headers=request.headers or None,
            query=request.query or None, path_parameters=params or None, api_id=api.api_id,
            source_ip=request.source_ip, time=_now(sandbox), region=region, account_id=account,
            rng=sandbox.rng, **_v1_authorization(authorization.authorizer))
    else:
        event = events.http_api_event(
            method=request.method, path=path, route_key=found.route_key, stage=stage_name, body=text,
            is_base64_encoded=is_base64, headers=request.headers_lower() or None, query=request.query or None,
            path_parameters=params or None, api_id=api.api_id, source_ip=request.source_ip, time=_now(sandbox),
            region=region, account_id=account, authorizer=authorization.authorizer, rng=sandbox.rng)
    try:
        result = _invoke(sandbox, fn, event, qualifier)
    except ServiceError:
        return _error(500, "Internal Server Error")  # HTTP APIs answer every integration failure with a 500
    if result.error_type:
        return _error(500, "Internal Server Error")
    if (integration.payload_format_version or "2.0") == "1.0":
        return _v1_response(result.payload)
    return _v2_response(result.payload)


def _v1_authorization(authorizer: dict | None) -> dict:
    """What a route's authorizer passes to a payload 1.0 integration, in REST API's places (``rest_api_event``'s
    ``authorizer`` and ``identity``): a JWT authorizer's ``claims`` and ``scopes`` at the top of
    ``requestContext.authorizer`` (the developer guide's 1.0 example shows ``{"claims": null, "scopes": null}``); a
    Lambda authorizer's context keys there, as a REST API's (unverified for HTTP APIs); an IAM caller in
    ``requestContext.identity``, as a REST API's IAM-authorized request (unverified for HTTP APIs)."""
    if not authorizer:
        return {}
    if "jwt" in authorizer:
        return {"authorizer": dict(authorizer["jwt"])}
    if "iam" in authorizer:
        iam_caller = authorizer["iam"]
        return {"identity": {"accessKey": iam_caller["accessKey"], "accountId": iam_caller["accountId"],
                             "caller": iam_caller["callerId"], "user": iam_caller["userId"],
                             "userArn": iam_caller["userArn"]}}
    if "lambda" in authorizer:
        return {"authorizer": dict(authorizer["lambda"] or {})}
    return {"authorizer": dict(authorizer)}


def _authorization(sandbox, api, account: str, region: str, found, stage, request: _Request, path: str,
                   params: dict[str, str]):
    """The route's check, by its ``AuthorizationType``: JWT, AWS_IAM, CUSTOM (a Lambda authorizer) or NONE."""
    kind = found.authorization_type or "NONE"
    if kind == "JWT":
        return authorize_jwt(sandbox, api, found, request, stage)
    if kind == "AWS_IAM":
        resource = f"arn:aws:execute-api:{region}:{account}:{api.api_id}/{stage.name}/{request.method}{path}"
        return authorize_iam(account, region, request, resource)
    return authorize(sandbox, api, account, region, found, stage, request, path, params)


# --- response mapping ------------------------------------------------------------------------------------------------
def _body_bytes(body, is_base64: bool) -> bytes:
    if body is None:
        return b""
    if is_base64:
        return base64.b64decode(body)
    return body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")


def _v1_response(payload) -> HttpResponse:
    """Payload 1.0 (REST proxy): statusCode, headers, multiValueHeaders, body (a string), isBase64Encoded."""
    if not isinstance(payload, dict) or not isinstance(payload.get("statusCode", 200), int) or (
            payload.get("body") is not None and not isinstance(payload["body"], str)):
        return _error(502, "Internal server error")
    headers = {k.lower(): str(v) for k, v in (payload.get("headers") or {}).items()}
    for name, values in (payload.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = ", ".join(str(v) for v in values)
    headers.setdefault("content-type", "application/json")
    return HttpResponse(int(payload.get("statusCode", 200)), headers,
                        _body_bytes(payload.get("body"), bool(payload.get("isBase64Encoded"))))


def _v2_response(payload) -> HttpResponse:
    """Payload 2.0 (HTTP APIs, Function URLs): a dict with statusCode is a response; anything else is a 200
    JSON body."""
    if not isinstance(payload, dict) or "statusCode" not in payload:
        return HttpResponse(200, {"content-type": "application/json"}, json.dumps(payload).encode("utf-8"))
    if not isinstance(payload["statusCode"], int):
        return _error(500, "Internal Server Error")
    headers = {k.lower(): str(v) for k, v in (payload.get("headers") or {}).items()}
    headers.setdefault("content-type", "application/json")
    body = payload.get("body")
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    return HttpResponse(payload["statusCode"], headers, _body_bytes(body, bool(payload.get("isBase64Encoded"))),
                        list(payload.get("cookies") or []))
