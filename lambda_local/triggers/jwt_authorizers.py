"""JWT authorizers of HTTP APIs (``AuthorizerType`` JWT on a route whose ``AuthorizationType`` is JWT), as API
Gateway's developer guide describes them ("Control access to HTTP APIs with JWT authorizers", and its
troubleshooting page):

1. the identity source (``$request.header.Authorization`` unless set otherwise) holds the token, alone or after
   ``Bearer``;
2. the token is decoded and its signature checked with the issuer's key whose ``kid`` the token names; only RSA
   algorithms are accepted;
3. its claims are checked: ``iss`` is the authorizer's issuer, ``aud`` (or ``client_id`` when there is no ``aud``)
   is one of its audiences, ``exp`` is after now, ``nbf`` and ``iat`` before now;
4. a route with ``AuthorizationScopes`` needs one of them in the token's ``scope`` (or ``scp``).

A failure of 1-3 is ``401 {"message":"Unauthorized"}`` with a ``www-authenticate`` header that says why; a missing
scope is ``403 {"message":"Forbidden"}``. The integration gets ``requestContext.authorizer.jwt``: ``claims`` (each
value a string, as API Gateway passes them) and ``scopes``.

Offline, the issuer's keys are the ones moto serves for a Cognito user pool of this sandbox
(``https://cognito-idp.REGION.amazonaws.com/POOL_ID``); tokens from ``initiate_auth`` and friends validate. Any other
issuer's keys would have to be fetched from the internet: its tokens are refused with a 401 that says so.
moto stamps a token's ``iat`` and ``exp`` with the machine's clock, whatever the virtual clock's start; so "now" for
a token is the machine's time plus how far ``advance()`` moved the virtual clock: ``advance(hours=1)`` expires a
Cognito token, as an hour does on AWS.
"""

from __future__ import annotations

import json
import time
from typing import Any

from ..aws import state
from .authorizers import Authorization, identity_value

__all__ = ["authorize_jwt"]

_RSA_ALGORITHMS = ("RS256", "RS384", "RS512")


def _unauthorized(description: str) -> Authorization:
    header = f'Bearer scope="" error="invalid_token" error_description="{description}"'
    return Authorization(401, "Unauthorized", headers={"www-authenticate": header})


def authorize_jwt(sandbox, api, route, request, stage) -> Authorization:
    """Validate the request's JWT for a route whose ``AuthorizationType`` is JWT."""
    authorizer = api.authorizers.get(route.authorizer_id or "")
    if authorizer is None or authorizer.authorizer_type != "JWT":
        return Authorization(500, "Internal Server Error")
    config = {name.lower(): value for name, value in (authorizer.jwt_config or {}).items()}  # moto keeps the wire's
    issuer, audiences = config.get("issuer") or "", list(config.get("audience") or [])
    sources = authorizer.identity_source or ["$request.header.Authorization"]
    source = sources[0] if isinstance(sources, list) else str(sources).split(",")[0].strip()
    value = identity_value(source, request.headers_lower(), request.query, stage, {})
    if not value:
        return Authorization(401, "Unauthorized")
    token_text = value[7:].strip() if value[:7].lower() == "bearer " else value.strip()
    jwks: Any = state.cognito_jwks(issuer)
    if jwks is None:
        return _unauthorized(f"lambda-local can validate tokens of this sandbox's Cognito user pools only; the "
                             f"issuer {issuer} is not one (its keys would be fetched over the internet)")
    # Imported here: joserfc sets up its algorithms with cryptography at import, which the browser edition lacks.
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    try:
        token = jwt.decode(token_text, KeySet.import_key_set(jwks), algorithms=list(_RSA_ALGORITHMS))
    except (JoseError, ValueError, TypeError):
        return _unauthorized("the token is not a JWT signed by the issuer's key")
    claims = token.claims
    # moto signs with the machine's clock: the token ages with it and with every advance() of the virtual clock
    problem = _claims_problem(claims, issuer, audiences, time.time() + sandbox.clock.advanced())
    if problem:
        return _unauthorized(problem)
    scopes = _scopes(claims)
    wanted = list(route.authorization_scopes or [])
    if wanted and not set(wanted) & set(scopes):
        header = f'Bearer scope="{" ".join(wanted)}" error="insufficient_scope" error_description="{_MISSING_SCOPE}"'
        return Authorization(403, "Forbidden", headers={"www-authenticate": header})
    return Authorization(authorizer={"jwt": {"claims": {name: _claim_string(v) for name, v in claims.items()},
                                             "scopes": scopes if wanted else None}})


_MISSING_SCOPE = "the token does not have one of the route's authorization scopes"


def _claims_problem(claims: dict[str, Any], issuer: str, audiences: list[str], now: float) -> str:
    """Why API Gateway refuses these claims ("" when it does not)."""
    if claims.get("iss") != issuer:
        return "the token does not have a valid issuer"
    audience = claims["aud"] if "aud" in claims else claims.get("client_id")
    presented = audience if isinstance(audience, list) else [audience]
    if not set(presented) & set(audiences):
        return "the token does not have a valid audience"
    for name in ("exp", "nbf", "iat"):
        if name in claims and not isinstance(claims[name], (int, float)):
            return f"the token's {name} claim is not a number"
    if "exp" not in claims or claims["exp"] <= now:
        return "the token has expired"
    if claims.get("nbf", now) > now:
        return "the token is not valid yet"
    if claims.get("iat", now) > now:
        return "the token was issued in the future"
    return ""


def _scopes(claims: dict[str, Any]) -> list[str]:
    value = claims.get("scope", claims.get("scp"))
    if isinstance(value, str):
        return value.split()
    return [str(item) for item in value] if isinstance(value, list) else []


def _claim_string(value) -> str:
    """A claim as API Gateway passes it on: strings as they are, numbers and booleans as text, lists in brackets
    separated by spaces (``[admin editors]``), objects as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + " ".join(_claim_string(item) for item in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)
