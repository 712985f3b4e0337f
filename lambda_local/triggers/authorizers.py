"""Lambda authorizers of HTTP APIs (``AuthorizerType`` REQUEST on a route whose ``AuthorizationType`` is CUSTOM), as
API Gateway's developer guide describes them ("Control access to HTTP APIs with AWS Lambda authorizers"):

* the identity sources (``$request.header.X``, ``$request.querystring.X``, ``$context.X``, ``$stageVariables.X``)
  must all be present and non-empty, or the client gets ``401 {"message":"Unauthorized"}`` and the function is not
  invoked;
* the function gets the authorizer request (``events.http_api_authorizer_event``, payload 2.0 or 1.0) and answers a
  simple response (``{"isAuthorized": bool, "context": {...}}``, 2.0 with ``EnableSimpleResponses``) or an IAM
  policy (``principalId``, ``policyDocument``, ``context``) that must allow ``execute-api:Invoke`` on the route ARN;
  a refusal is ``403 {"message":"Forbidden"}``;
* a function API Gateway may not invoke (no resource-policy statement for
  ``arn:aws:execute-api:REGION:ACCOUNT:API/authorizers/ID`` and no ``AuthorizerCredentialsArn``), a function error or
  a response of the wrong shape is ``500 {"message":"Internal Server Error"}``;
* with ``AuthorizerResultTtlInSeconds`` > 0 the answer is cached per identity-source values, on the virtual clock;
* what ``context`` held reaches the integration as ``requestContext.authorizer.lambda``.

JWT authorizers are in ``jwt_authorizers``, IAM authorization (AWS_IAM) in ``iam_authorization``; ``triggers.http``
picks one by the route's ``AuthorizationType``. WebSocket APIs' ``$connect`` authorizer is ``authorize_connect``.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from .. import events, iam
from ..aws import state
from ..runtime.errors import ServiceError
from .permissions import resource_policy_allows, service_context

__all__ = ["Authorization", "authorize", "authorize_connect"]


@dataclass
class Authorization:
    """The outcome: ``status`` 0 lets the request through with ``authorizer`` (for the integration's event);
    otherwise the client gets ``status`` with ``message``."""

    status: int = 0
    message: str = ""
    authorizer: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)  # of the refusal (a JWT authorizer's www-authenticate)
    message_key: str = "message"  # IAM's refusals say "Message"


_UNAUTHORIZED = Authorization(401, "Unauthorized")
_FORBIDDEN = Authorization(403, "Forbidden")
_FAILED = Authorization(500, "Internal Server Error")

# moto's API object -> {(authorizer id, identity values): (expires at on the virtual clock, outcome)}: the cache
# lives and dies with the API, so a new sandbox (whose seeded ids repeat) starts with none.
_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _request_authorizer(api, route):
    """The route's REQUEST Lambda authorizer; or the Authorization to answer with when there is none to run:
    allowed for a route without one, a failure for an authorizer that is missing or not of the REQUEST type."""
    if (route.authorization_type or "NONE") != "CUSTOM":
        return Authorization()
    authorizer = api.authorizers.get(route.authorizer_id or "")
    if authorizer is None or (authorizer.authorizer_type or "REQUEST") != "REQUEST":
        return _FAILED
    return authorizer


def authorize(sandbox, api, account: str, region: str, route, stage, request, path: str,
              params: dict[str, str]) -> Authorization:
    """Run the route's Lambda authorizer (``AuthorizationType`` CUSTOM) for ``request`` (a
    ``triggers.http._Request``), if it has one."""
    authorizer = _request_authorizer(api, route)
    if isinstance(authorizer, Authorization):
        return authorizer  # no authorizer on the route (allowed), or one that cannot run
    sources = _identity_sources(authorizer.identity_source)
    known = {"routeKey": route.route_key, "httpMethod": request.method, "path": request.path,
             "identity.sourceIp": request.source_ip, "stage": getattr(stage, "name", None)}
    found = [identity_value(source, request.headers_lower(), request.query, stage, known) for source in sources]
    values = [value for value in found if value]
    if len(values) < len(sources):
        return _UNAUTHORIZED

    def run() -> Authorization:
        return _invoke_authorizer(sandbox, api, account, region, authorizer, route, stage, request, path, params,
                                  values)

    return _cached(sandbox, api, authorizer, sources, values, run)


def authorize_connect(sandbox, api, account: str, region: str, route, stage, headers: dict[str, str], query: str,
                      event: dict) -> Authorization:
    """Run the Lambda authorizer of a WebSocket API's ``$connect`` route ("Control access to WebSocket APIs with
    AWS Lambda REQUEST authorizers"): identity sources ``route.request.header.X``, ``route.request.querystring.X``,
    ``stageVariables.X``, ``context.X``; the function gets the ``$connect`` request with ``type`` REQUEST and a
    ``methodArn`` ending in ``$connect``, and answers with an IAM policy (WebSocket APIs have no simple responses).
    Allowed: ``authorizer`` is what every route of the connection sees as ``requestContext.authorizer``."""
    authorizer = _request_authorizer(api, route)
    if isinstance(authorizer, Authorization):
        return authorizer  # no authorizer on the route (allowed), or one that cannot run
    sources = _identity_sources(authorizer.identity_source)
    lowered = {name.lower(): value for name, value in headers.items()}
    known = {"routeKey": "$connect", "identity.sourceIp": event["requestContext"]["identity"]["sourceIp"],
             "stage": getattr(stage, "name", None), "connectionId": event["requestContext"]["connectionId"]}
    values = [value for value in (identity_value(s, lowered, query, stage, known) for s in sources) if value]
    if len(values) < len(sources):
        return _UNAUTHORIZED
    method_arn = f"arn:aws:execute-api:{region}:{account}:{api.api_id}/{getattr(stage, 'name', '')}/$connect"
    request = {"type": "REQUEST", "methodArn": method_arn,
               **{name: value for name, value in event.items() if name != "isBase64Encoded"},
               "stageVariables": dict(getattr(stage, "stage_variables", None) or {}) or None}

    def run() -> Authorization:
        started = sandbox.clock.time()
        answer = _call_authorizer(sandbox, api, account, region, authorizer, request)
        if isinstance(answer, Authorization):
            return answer
        outcome = _policy_decision(answer, method_arn)
        if outcome.status or outcome.authorizer is None:
            return outcome
        context = outcome.authorizer["lambda"]
        if any(not isinstance(value, (str, int, float, bool)) for value in context.values()):
            return _FAILED  # like REST APIs, a WebSocket authorizer's context holds strings, numbers, booleans only
        latency = max(0, round((sandbox.clock.time() - started) * 1000))
        return Authorization(authorizer={**{key: _context_string(value) for key, value in context.items()},
                                         "principalId": answer.get("principalId"),
                                         "integrationLatency": latency})

    return _cached(sandbox, api, authorizer, sources, values, run)


def _context_string(value) -> str:
    """A context value as API Gateway hands it to a REST or WebSocket integration: as a string (``true``, ``1``)."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _cached(sandbox, api, authorizer, sources: list[str], values: list[str], run) -> Authorization:
    """``run()``'s outcome, cached per identity-source values for ``AuthorizerResultTtlInSeconds`` (virtual clock);
    an authorizer without identity sources is never cached."""
    ttl = int(authorizer.auth_result_ttl or 0)
    cache = _caches.setdefault(api, {})
    key = (authorizer.id, tuple(values))
    cached = cache.get(key) if ttl > 0 and sources else None
    if cached is not None and cached[0] > sandbox.clock.time():
        return cached[1]
    outcome = run()
    if ttl > 0 and sources and outcome.status in (0, 403):
        cache[key] = (sandbox.clock.time() + ttl, outcome)
    return outcome


def _identity_sources(value) -> list[str]:
    if not value:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [item.strip() for item in items if item.strip()]


def identity_value(source: str, headers: dict[str, str], query: str, stage, known: dict) -> str | None:
    """The value of one identity source in this request (None when absent). HTTP APIs write ``$request.header.X``,
    WebSocket APIs ``route.request.header.X``; both name the same parts of the request."""
    if source.startswith("route.request."):
        source = "$request." + source.removeprefix("route.request.")
    elif source.startswith(("stageVariables.", "context.")):
        source = "$" + source
    if source.startswith("$request.header."):
        return headers.get(source.removeprefix("$request.header.").lower())
    if source.startswith("$request.querystring."):
        name = source.removeprefix("$request.querystring.")
        found = [value for key, value in parse_qsl(query or "", keep_blank_values=True) if key == name]
        return ",".join(found) if found else None
    if source.startswith("$stageVariables."):
        return (getattr(stage, "stage_variables", None) or {}).get(source.removeprefix("$stageVariables."))
    if source.startswith("$context."):
        return known.get(source.removeprefix("$context."))
    return None


def _call_authorizer(sandbox, api, account: str, region: str, authorizer, event: dict):
    """The authorizer function's answer to ``event``, or the 500 when API Gateway may not invoke it or it fails."""
    fn, qualifier = state.function_from_uri(authorizer.authorizer_uri, region)
    source = f"arn:aws:execute-api:{region}:{account}:{api.api_id}/authorizers/{authorizer.id}"
    if fn is None or (sandbox.enforce_iam and not authorizer.auth_creds_arn and not resource_policy_allows(
            fn, "apigateway.amazonaws.com", "lambda:InvokeFunction", service_context(source, account))):
        return _FAILED
    try:
        result = sandbox.invoke(fn, json.dumps(event).encode("utf-8"), qualifier=qualifier)
    except ServiceError:
        return _FAILED
    if result.error_type:
        return _FAILED
    return result.payload


def _invoke_authorizer(sandbox, api, account: str, region: str, authorizer, route, stage, request, path: str,
                       params: dict[str, str], values: list[str]) -> Authorization:
    version = authorizer.auth_payload_format_version or "2.0"
    event = events.http_api_authorizer_event(
        method=request.method, path=path, route_key=route.route_key, stage=stage.name, identity_source=values,
        payload_format_version=version, headers=request.headers_lower() or None, query=request.query or None,
        path_parameters=params or None, stage_variables=dict(getattr(stage, "stage_variables", None) or {}) or None,
        api_id=api.api_id, source_ip=request.source_ip, time=sandbox.clock.time(), region=region, account_id=account,
        rng=sandbox.rng)
    answer = _call_authorizer(sandbox, api, account, region, authorizer, event)
    if isinstance(answer, Authorization):
        return answer
    return _decide(answer, version == "2.0" and bool(authorizer.enable_simple_response), event)


def _decide(answer, simple: bool, event: dict) -> Authorization:
    """What API Gateway makes of the authorizer's answer."""
    if not isinstance(answer, dict):
        return _FAILED
    context = answer.get("context")
    if context is not None and not isinstance(context, dict):
        return _FAILED
    if simple:
        if not isinstance(answer.get("isAuthorized"), bool):
            return _FAILED
        if not answer["isAuthorized"]:
            return _FORBIDDEN
        return Authorization(authorizer={"lambda": context or {}})
    return _policy_decision(answer, str(event.get("routeArn") or event.get("methodArn")))


def _policy_decision(answer, resource: str) -> Authorization:
    """An IAM-policy answer (``principalId``, ``policyDocument``, ``context``) judged for ``execute-api:Invoke`` on
    ``resource``: allowed (its context under ``lambda``), 403, or 500 for an answer of the wrong shape."""
    if not isinstance(answer, dict):
        return _FAILED
    context = answer.get("context")
    if context is not None and not isinstance(context, dict):
        return _FAILED
    document = answer.get("policyDocument")
    if not isinstance(document, dict) or not isinstance(document.get("Statement"), (list, dict)):
        return _FAILED
    if iam.document_decision(document, "execute-api:Invoke", resource) != "Allow":
        return _FORBIDDEN
    return Authorization(authorizer={"lambda": context or {}})
