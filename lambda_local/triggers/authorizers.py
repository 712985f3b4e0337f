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

JWT and AWS_IAM authorization are not modelled (a route using them is served without a check).
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from .. import events, iam
from ..aws import state
from ..runtime.errors import ServiceError
from .permissions import resource_policy_allows, service_context

__all__ = ["Authorization", "authorize"]


@dataclass
class Authorization:
    """The outcome: ``status`` 0 lets the request through with ``authorizer`` (for the integration's event);
    otherwise the client gets ``status`` with ``message``."""

    status: int = 0
    message: str = ""
    authorizer: dict[str, Any] | None = None


_UNAUTHORIZED = Authorization(401, "Unauthorized")
_FORBIDDEN = Authorization(403, "Forbidden")
_FAILED = Authorization(500, "Internal Server Error")

# moto's API object -> {(authorizer id, identity values): (expires at on the virtual clock, outcome)}: the cache
# lives and dies with the API, so a new sandbox (whose seeded ids repeat) starts with none.
_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def authorize(sandbox, api, account: str, region: str, route, stage, request, path: str,
              params: dict[str, str]) -> Authorization:
    """Run the route's Lambda authorizer for ``request`` (a ``triggers.http._Request``) if it has one."""
    if (route.authorization_type or "NONE") != "CUSTOM":
        return Authorization()
    authorizer = api.authorizers.get(route.authorizer_id or "")
    if authorizer is None or (authorizer.authorizer_type or "REQUEST") != "REQUEST":
        return _FAILED
    sources = _identity_sources(authorizer.identity_source)
    found = [_identity_value(source, request, stage, route) for source in sources]
    values = [value for value in found if value]
    if len(values) < len(sources):
        return _UNAUTHORIZED
    ttl = int(authorizer.auth_result_ttl or 0)
    cache = _caches.setdefault(api, {})
    key = (authorizer.id, tuple(values))
    cached = cache.get(key) if ttl > 0 and sources else None
    if cached is not None and cached[0] > sandbox.clock.time():
        return cached[1]
    outcome = _invoke_authorizer(sandbox, api, account, region, authorizer, route, stage, request, path, params,
                                 values)
    if ttl > 0 and sources and outcome.status in (0, 403):
        cache[key] = (sandbox.clock.time() + ttl, outcome)
    return outcome


def _identity_sources(value) -> list[str]:
    if not value:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [item.strip() for item in items if item.strip()]


def _identity_value(source: str, request, stage, route) -> str | None:
    """The value of one identity source in this request (None when absent)."""
    if source.startswith("$request.header."):
        return request.headers_lower().get(source.removeprefix("$request.header.").lower())
    if source.startswith("$request.querystring."):
        name = source.removeprefix("$request.querystring.")
        found = [value for key, value in parse_qsl(request.query, keep_blank_values=True) if key == name]
        return ",".join(found) if found else None
    if source.startswith("$stageVariables."):
        return (getattr(stage, "stage_variables", None) or {}).get(source.removeprefix("$stageVariables."))
    if source.startswith("$context."):
        known = {"routeKey": route.route_key, "httpMethod": request.method, "path": request.path,
                 "identity.sourceIp": request.source_ip, "stage": getattr(stage, "name", None)}
        return known.get(source.removeprefix("$context."))
    return None


def _invoke_authorizer(sandbox, api, account: str, region: str, authorizer, route, stage, request, path: str,
                       params: dict[str, str], values: list[str]) -> Authorization:
    fn, qualifier = state.function_from_uri(authorizer.authorizer_uri, region)
    source = f"arn:aws:execute-api:{region}:{account}:{api.api_id}/authorizers/{authorizer.id}"
    if fn is None or (sandbox.enforce_iam and not authorizer.auth_creds_arn and not resource_policy_allows(
            fn, "apigateway.amazonaws.com", "lambda:InvokeFunction", service_context(source, account))):
        return _FAILED
    version = authorizer.auth_payload_format_version or "2.0"
    text, _ = request.body_fields()
    event = events.http_api_authorizer_event(
        method=request.method, path=path, route_key=route.route_key, stage=stage.name, identity_source=values,
        payload_format_version=version, headers=request.headers_lower() or None, query=request.query or None,
        path_parameters=params or None, stage_variables=dict(getattr(stage, "stage_variables", None) or {}) or None,
        api_id=api.api_id, source_ip=request.source_ip, time=sandbox.clock.time(), region=region, account_id=account,
        rng=sandbox.rng)
    try:
        result = sandbox.invoke(fn, json.dumps(event).encode("utf-8"), qualifier=qualifier)
    except ServiceError:
        return _FAILED
    if result.error_type:
        return _FAILED
    return _decide(result.payload, version == "2.0" and bool(authorizer.enable_simple_response), event)


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
    document = answer.get("policyDocument")
    if not isinstance(document, dict) or not isinstance(document.get("Statement"), (list, dict)):
        return _FAILED
    resource = str(event.get("routeArn") or event.get("methodArn"))
    if iam.document_decision(document, "execute-api:Invoke", resource) != "Allow":
        return _FORBIDDEN
    return Authorization(authorizer={"lambda": context or {}})
