"""IAM authorization of HTTP API routes (``AuthorizationType`` AWS_IAM), as API Gateway's developer guide describes
it ("Control access to HTTP APIs with IAM authorization", "Control access for invoking an API"), and of WebSocket
APIs' ``$connect`` route (the handshake is the signed request): the request must be
signed with Signature Version 4 for the service ``execute-api``, and the signer's identity policies must allow
``execute-api:Invoke`` on ``arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH``.

* unsigned: ``403 {"message":"Forbidden"}``;
* a signature that does not match the request: 403 with AWS's "The request signature we calculated does not match"
  message;
* denied: ``403 {"Message":"User: ARN is not authorized to perform: execute-api:Invoke on resource: ARN"}`` (the
  account id in the resource masked, as API Gateway writes it; "with an explicit deny" when a Deny matched);
* allowed: an HTTP API's integration gets ``requestContext.authorizer.iam`` (``accessKey``, ``accountId``, ``callerId``,
  ``userArn``, ``userId``, ``cognitoIdentity``, ``principalOrgId``).

Who signed is found by access key: a function's execution role (its environment's credentials), an IAM user's
access key or ``sts.assume_role`` credentials, all known to this sandbox, whose signatures are checked (botocore
computes the expected one). Any other key is the learner's own, which moto treats as the account's root user: allowed,
its signature not checked (its secret is the learner's). Not modelled: presigned query-string signatures,
SigV4a, the 15-minute limit on a signature's age, resource policies (HTTP APIs have none).
"""

from __future__ import annotations

import hmac
import json
import re
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .. import iam
from ..aws import state
from .authorizers import Authorization

__all__ = ["authorize_iam"]

_AUTHORIZATION = re.compile(r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
                            r"(?P<service>[^/]+)/aws4_request,\s*SignedHeaders=(?P<signed>[^,\s]+),\s*"
                            r"Signature=(?P<signature>[0-9a-f]+)$")
_MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS Secret "
             "Access Key and signing method. Consult the service documentation for details.")


def authorize_iam(account: str, region: str, request, resource: str) -> Authorization:
    """Check the SigV4 signature of ``request`` and the signer's permission to ``execute-api:Invoke`` the
    ``resource`` (``arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH``; a WebSocket API's
    ``.../STAGE/$connect``). ``request`` has ``method``, ``host``, ``path``, ``query``, ``body`` and
    ``headers_lower()``."""
    headers = request.headers_lower()
    match = _AUTHORIZATION.match(headers.get("authorization", "").strip())
    if match is None or "x-amz-date" not in headers:
        return Authorization(403, "Forbidden")
    if match["service"] != "execute-api":
        return Authorization(403, "Credential should be scoped to correct service: 'execute-api'. ")
    if match["region"] != region:
        return Authorization(403, "Credential should be scoped to a valid region. ")
    caller = _caller(match["key"], account)
    if caller["secret"] is not None and not _signature_matches(request, headers, match, caller["secret"]):
        return Authorization(403, _MISMATCH)
    verdict = _decision(caller, resource)
    if verdict != "Allow":
        masked = resource.replace(f":{account}:", f":{'*' * 8}{account[-4:]}:", 1)
        explicit = " with an explicit deny" if verdict == "Deny" else ""
        return Authorization(403, f"User: {caller['arn']} is not authorized to perform: execute-api:Invoke on "
                                  f"resource: {masked}{explicit}", message_key="Message")
    return Authorization(authorizer={"iam": {
        "accessKey": match["key"], "accountId": caller["account"], "callerId": caller["id"],
        "cognitoIdentity": None, "principalOrgId": None, "userArn": caller["arn"], "userId": caller["id"]}})


def _caller(access_key: str, account: str) -> dict[str, Any]:
    """Who holds ``access_key``: ``arn``, ``id``, ``account``, ``secret`` (None: not checked) and what decides."""
    session = iam.session_of(access_key)
    if session is not None:
        function = session.session_name
        secret = iam.credentials_for(session.role_arn, function, session.account_id, enforce=False)[
            "AWS_SECRET_ACCESS_KEY"]
        role = state.role_or_none(session.role_arn)
        return {"type": "assumed-role", "arn": session.principal, "account": session.account_id,
                "id": f"{getattr(role, 'id', 'AROA')}:{function}", "secret": secret, "role_arn": session.role_arn}
    owner = state.credentials_owner(access_key)
    if owner is not None:
        return owner
    return {"type": "root", "arn": f"arn:aws:iam::{account}:root", "id": account, "account": account, "secret": None}


def _decision(caller: dict[str, Any], resource: str) -> str:
    if caller["type"] == "root":
        return "Allow"
    if caller["type"] == "assumed-role":
        return iam.decision(caller["role_arn"], "execute-api:Invoke", resource)
    statements: list[dict] = []
    for document in caller["documents"]:
        parsed = json.loads(document) if isinstance(document, str) else document
        found = parsed.get("Statement", [])
        statements += found if isinstance(found, list) else [found]
    return iam.evaluate(statements, "execute-api:Invoke", resource)


def _signature_matches(request, headers: dict[str, str], match: re.Match, secret: str) -> bool:
    """Whether the request's signature is the one its secret key makes (botocore computes it)."""
    signed = match["signed"].split(";")
    kept = {name: headers[name] for name in signed if name in headers}
    query = f"?{request.query}" if request.query else ""
    unsigned = AWSRequest(method=request.method, url=f"https://{request.host}{request.path}{query}",
                          headers=kept, data=request.body)
    unsigned.context["timestamp"] = headers["x-amz-date"]
    signer = SigV4Auth(Credentials(match["key"], secret, headers.get("x-amz-security-token")), match["service"],
                       match["region"])
    try:
        expected = signer.signature(signer.string_to_sign(unsigned, signer.canonical_request(unsigned)), unsigned)
    except (ValueError, KeyError):
        return False
    return hmac.compare_digest(expected, match["signature"])
