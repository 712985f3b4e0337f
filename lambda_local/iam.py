"""The execution role, enforced: calls a handler makes run with the role's credentials and are checked against the
role's policies, action and resource ARN, as IAM checks them.

How: each environment gets temporary credentials (``ASIA...``) that name its role. A botocore ``before-call``
handler, registered for every client, looks at the credentials a call is signed with; for a role's credentials it
evaluates the role's identity policies (inline and attached, AWS managed ones included) and answers a denied call
with AWS's ``AccessDenied`` error before moto sees it. The learner's own calls carry other credentials and are never
limited. Not modelled: conditions, permission boundaries, SCPs, session policies, resource-based policies on the
target (S3 bucket policies, SQS queue policies).
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from .aws import state

__all__ = ["credentials_for", "is_allowed", "install", "resource_arns", "action_name"]


@dataclass(frozen=True)
class RoleSession:
    role_arn: str
    session_name: str
    account_id: str

    @property
    def principal(self) -> str:
        role_name = self.role_arn.rsplit("/", 1)[-1]
        return f"arn:aws:sts::{self.account_id}:assumed-role/{role_name}/{self.session_name}"


_sessions: dict[str, RoleSession] = {}


def credentials_for(role_arn: str | None, function_name: str, account_id: str, enforce: bool = True
                    ) -> dict[str, str]:
    """The AWS_* variables Lambda gives an environment: temporary credentials of the execution role.

    With ``enforce``, calls signed with them are checked against the role's policies.
    """
    seed = hashlib.sha256(f"{role_arn}|{function_name}".encode()).hexdigest().upper()
    key = "ASIA" + re.sub(r"[^A-Z0-9]", "", seed)[:16]
    if role_arn and enforce:
        _sessions[key] = RoleSession(role_arn, function_name, account_id)
    return {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": seed[16:56].lower(),
            "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjE" + seed[:48]}


def forget() -> None:
    _sessions.clear()


# --- which action, which resource ------------------------------------------------------------------------------------
_ACTION_OVERRIDES = {
    ("s3", "ListObjectsV2"): "ListBucket", ("s3", "ListObjects"): "ListBucket", ("s3", "HeadBucket"): "ListBucket",
    ("s3", "HeadObject"): "GetObject", ("s3", "ListBuckets"): "ListAllMyBuckets",
    ("s3", "DeleteObjects"): "DeleteObject", ("s3", "CopyObject"): "PutObject",
    ("s3", "CreateMultipartUpload"): "PutObject", ("s3", "UploadPart"): "PutObject",
    ("s3", "CompleteMultipartUpload"): "PutObject", ("s3", "AbortMultipartUpload"): "AbortMultipartUpload",
    ("s3", "GetObjectAcl"): "GetObjectAcl", ("s3", "PutBucketNotificationConfiguration"): "PutBucketNotification",
    ("s3", "GetBucketNotificationConfiguration"): "GetBucketNotification",
    ("lambda", "Invoke"): "InvokeFunction", ("lambda", "InvokeAsync"): "InvokeAsync",
    ("lambda", "InvokeWithResponseStream"): "InvokeFunction",
}
_ACCESS_DENIED_CODE = {"s3": "AccessDenied", "sqs": "AccessDenied", "sns": "AuthorizationError"}


def action_name(service: str, operation: str) -> str:
    return f"{service}:{_ACTION_OVERRIDES.get((service, operation), operation)}"


def resource_arns(service: str, operation: str, params: dict[str, Any], region: str, account: str) -> list[str]:
    """The resource ARNs IAM checks for one API call (``*`` where the action has no resource)."""
    p = params
    if service == "s3":
        bucket = p.get("Bucket")
        if not bucket:
            return ["*"]
        if p.get("Key") is not None and operation not in ("ListObjectsV2", "ListObjects"):
            return [f"arn:aws:s3:::{bucket}/{p['Key']}"]
        if operation == "DeleteObjects":
            return [f"arn:aws:s3:::{bucket}/{o['Key']}" for o in (p.get("Delete") or {}).get("Objects", [])]
        return [f"arn:aws:s3:::{bucket}"]
    if service == "sqs":
        if p.get("QueueUrl"):
            parts = urlparse(p["QueueUrl"]).path.strip("/").split("/")
            queue_account, name = (parts + ["", ""])[:2] if len(parts) >= 2 else (account, parts[0])
            return [f"arn:aws:sqs:{region}:{queue_account}:{name}"]
        if p.get("QueueName"):
            return [f"arn:aws:sqs:{region}:{account}:{p['QueueName']}"]
        return ["*"]
    if service == "sns":
        for field in ("TopicArn", "TargetArn", "ResourceArn"):
            if p.get(field):
                return [p[field]]
        if operation == "CreateTopic" and p.get("Name"):
            return [f"arn:aws:sns:{region}:{account}:{p['Name']}"]
        return ["*"]
    if service == "dynamodb":
        def table(name: str, index: str | None = None) -> str:
            arn = name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{name}"
            return f"{arn}/index/{index}" if index else arn
        if p.get("TableName"):
            return [table(p["TableName"], p.get("IndexName"))]
        if p.get("RequestItems"):
            return [table(name) for name in p["RequestItems"]]
        if p.get("TransactItems"):
            return [table(next(iter(item.values()))["TableName"]) for item in p["TransactItems"]]
        return ["*"]
    if service == "lambda":
        name = p.get("FunctionName")
        if not name:
            return ["*"]
        arn = name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account}:function:{name}"
        return [f"{arn}:{p['Qualifier']}" if p.get("Qualifier") and arn.count(":") == 6 else arn]
    if service == "logs":
        group = p.get("logGroupName")
        if not group:
            return ["*"]
        base = f"arn:aws:logs:{region}:{account}:log-group:{group}"
        if operation == "CreateLogGroup":
            return [base]
        if p.get("logStreamName"):
            return [f"{base}:log-stream:{p['logStreamName']}"]
        return [f"{base}:*"]
    if service == "events":
        if operation == "PutEvents":
            buses = {e.get("EventBusName") or "default" for e in p.get("Entries", [])} or {"default"}
            return [b if b.startswith("arn:") else f"arn:aws:events:{region}:{account}:event-bus/{b}"
                    for b in sorted(buses)]
        if p.get("Rule") or (p.get("Name") and "Rule" in operation):
            return [f"arn:aws:events:{region}:{account}:rule/{p.get('Rule') or p['Name']}"]
        return ["*"]
    if service == "ssm":
        names = [p["Name"]] if p.get("Name") else list(p.get("Names") or [])
        if p.get("Path"):
            names.append(p["Path"])
        if not names:
            return ["*"]
        return [f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}" for name in names]
    if service == "secretsmanager":
        secret = p.get("SecretId") or p.get("Name")
        if not secret:
            return ["*"]
        return [secret if secret.startswith("arn:") else f"arn:aws:secretsmanager:{region}:{account}:secret:{secret}"]
    return ["*"]


# --- policy evaluation ----------------------------------------------------------------------------------------------
def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


@functools.lru_cache(maxsize=4096)
def _pattern(glob: str, case_sensitive: bool) -> re.Pattern:
    regex = fnmatch.translate(glob)
    return re.compile(regex, 0 if case_sensitive else re.IGNORECASE)


def _matches(globs, value: str, case_sensitive: bool) -> bool:
    return any(_pattern(g, case_sensitive).match(value) for g in _as_list(globs))


def _statement_applies(statement: dict, action: str, resource: str) -> bool:
    if "Action" in statement and not _matches(statement["Action"], action, False):
        return False
    if "NotAction" in statement and _matches(statement["NotAction"], action, False):
        return False
    if "Resource" in statement and not _matches(statement["Resource"], resource, True):
        return False
    if "NotResource" in statement and _matches(statement["NotResource"], resource, True):
        return False
    return True


def _role_statements(role_arn: str) -> list[dict]:
    role = state.role_or_none(role_arn)
    if role is None:
        return []
    # Parsing the policy documents (AWS managed ones are long) is most of a check's cost; parse once per revision
    # of the role's policies: a changed inline policy or a new default version of a managed one makes a new key.
    revision = (role_arn, id(role), tuple(role.policies.items()),
                tuple((arn, policy.default_version_id) for arn, policy in role.managed_policies.items()))
    statements = _statements_by_revision.get(revision)
    if statements is None:
        documents = list(role.policies.values())
        for policy in role.managed_policies.values():
            documents += [v.document for v in policy.versions if v.is_default]
        statements = []
        for document in documents:
            parsed = json.loads(document) if isinstance(document, str) else document
            statements += _as_list(parsed.get("Statement", []))
        if len(_statements_by_revision) > 1024:
            _statements_by_revision.clear()
        _statements_by_revision[revision] = statements
    return statements


_statements_by_revision: dict[tuple, list[dict]] = {}


_NEVER_DENIED = {"sts:GetCallerIdentity"}  # IAM cannot deny it


def decision(role_arn: str, action: str, resource: str) -> str:
    """IAM's decision for the role's identity policies: "Deny" (explicit), "Allow", or "ImplicitDeny"."""
    if action in _NEVER_DENIED:
        return "Allow"
    allowed = False
    for statement in _role_statements(role_arn):
        if _statement_applies(statement, action, resource):
            if statement.get("Effect") == "Deny":
                return "Deny"
            allowed = allowed or statement.get("Effect") == "Allow"
    return "Allow" if allowed else "ImplicitDeny"


def is_allowed(role_arn: str, action: str, resource: str) -> bool:
    return decision(role_arn, action, resource) == "Allow"


def trusts_lambda(role_arn: str) -> bool:
    """Whether the role's trust policy lets the Lambda service assume it."""
    role = state.role_or_none(role_arn)
    if role is None:
        return False
    try:
        document = json.loads(role.assume_role_policy_document or "{}")
    except ValueError:
        return False
    for statement in _as_list(document.get("Statement", [])):
        if statement.get("Effect") != "Allow" or not _matches(statement.get("Action", ""), "sts:AssumeRole", False):
            continue
        principal = statement.get("Principal")
        services = principal.get("Service", []) if isinstance(principal, dict) else [principal]
        if "*" in _as_list(services) or "lambda.amazonaws.com" in _as_list(services):
            return True
    return False


def allows_logging(role_arn: str, region: str, account: str, group: str, stream: str) -> bool:
    """Whether the Lambda service may write the function's logs with its role (AWSLambdaBasicExecutionRole's job)."""
    base = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    if not state.log_group_exists(account, region, group) and not is_allowed(role_arn, "logs:CreateLogGroup", base):
        return False  # the group does not exist yet and the role may not create it
    return (is_allowed(role_arn, "logs:CreateLogStream", f"{base}:log-stream:{stream}")
            and is_allowed(role_arn, "logs:PutLogEvents", f"{base}:log-stream:{stream}"))


# --- the botocore hook -----------------------------------------------------------------------------------------------
def _denied_response(service: str, session: RoleSession, action: str, resource: str, explicit: bool):
    from botocore.awsrequest import AWSResponse

    code = _ACCESS_DENIED_CODE.get(service, "AccessDeniedException")
    reason = ("with an explicit deny in an identity-based policy" if explicit
              else f"because no identity-based policy allows the {action} action")
    message = f"User: {session.principal} is not authorized to perform: {action} on resource: {resource} {reason}"
    parsed = {"Error": {"Code": code, "Message": message},
              "ResponseMetadata": {"HTTPStatusCode": 403, "HTTPHeaders": {}}}
    return AWSResponse("https://lambda-local.invalid", 403, {}, None), parsed


def _before_call(model=None, params=None, request_signer=None, context=None, **kwargs):
    credentials = getattr(request_signer, "_credentials", None)
    if credentials is None or not _sessions:
        return None
    session = _sessions.get(getattr(credentials, "access_key", None))
    if session is None:
        return None
    service = model.service_model.signing_name or model.service_model.endpoint_prefix
    region = request_signer._region_name or "us-east-1"
    call_params = (context or {}).get("lambda_local_params") or {}
    for action, resource in _checks(service, model.name, call_params, region, session.account_id):
        verdict = decision(session.role_arn, action, resource)
        if verdict != "Allow":
            return _denied_response(service, session, action, resource, explicit=verdict == "Deny")
    return None


_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def _checks(service: str, operation: str, params: dict, region: str, account: str) -> list[tuple[str, str]]:
    """(action, resource) pairs IAM evaluates for one call. DynamoDB transactions are authorised item by item with
    the item-level actions (TransactWriteItems is not an IAM action)."""
    if service == "dynamodb" and operation in ("TransactWriteItems", "TransactGetItems"):
        pairs = []
        for item in params.get("TransactItems") or []:
            for kind, body in item.items():
                table = body.get("TableName", "")
                arn = table if table.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{table}"
                pairs.append((f"dynamodb:{_TRANSACT_ACTIONS.get(kind, kind)}", arn))
        return pairs
    action = action_name(service, operation)
    return [(action, resource) for resource in resource_arns(service, operation, params, region, account)]


def _remember_params(params=None, context=None, **kwargs):
    # before-call sees the serialized request; the API parameters are only seen here, so keep them for it.
    if context is not None:
        context["lambda_local_params"] = params


_installed = False


def install() -> None:
    """Register the hooks for every botocore client created from now on (moto registers its own the same way)."""
    global _installed
    if _installed:
        return
    from botocore.handlers import BUILTIN_HANDLERS

    BUILTIN_HANDLERS.append(("provide-client-params.*.*", _remember_params))
    BUILTIN_HANDLERS.append(("before-call.*.*", _before_call))
    _installed = True


# --- the same check for calls that arrive over HTTP (a runtime process's SDK: see iam_http) ---------------------------
@dataclass(frozen=True)
class Denial:
    """Why IAM refuses a call: AWS's error code for the service, and its message."""

    code: str
    message: str


def denial_for(access_key: str, service: str, operation: str, params: dict[str, Any], region: str
               ) -> Denial | None:
    """The refusal of a call signed with ``access_key`` when that key is an execution role's and the role's policies
    do not allow the call; None when they do, or when the key is not a role's."""
    session = _sessions.get(access_key)
    if session is None:
        return None
    for action, resource in _checks(service, operation, params, region, session.account_id):
        verdict = decision(session.role_arn, action, resource)
        if verdict != "Allow":
            reason = ("with an explicit deny in an identity-based policy" if verdict == "Deny"
                      else f"because no identity-based policy allows the {action} action")
            return Denial(_ACCESS_DENIED_CODE.get(service, "AccessDeniedException"),
                          f"User: {session.principal} is not authorized to perform: {action} on resource: "
                          f"{resource} {reason}")
    return None


def has_session(access_key: str) -> bool:
    """Whether ``access_key`` is an execution role's (its calls are checked)."""
    return access_key in _sessions
