"""The execution role, enforced: calls a handler makes run with the role's credentials and are checked against the
role's policies, action and resource ARN, as IAM checks them.

How: each environment gets temporary credentials (``ASIA...``) that name its role. A botocore ``before-call``
handler, registered for every client, looks at the credentials a call is signed with; for a role's credentials it
evaluates the role's identity policies (inline and attached, AWS managed ones included) and answers a denied call
with AWS's ``AccessDenied`` error before moto sees it. The learner's own calls carry other credentials and are never
limited. Which action and resource a call is checked as comes from the Service Authorization Reference
(``iam_requests``); ``Condition`` blocks are evaluated (``iam_conditions``). Not modelled: permission boundaries,
SCPs, session policies, resource-based policies on the target (S3 bucket policies, SQS queue policies), tag keys.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

from . import iam_reference
from .aws import state
from .iam_conditions import conditions_match, glob_matches
from .iam_requests import Request, checks_for, iam_service, is_missing_object

__all__ = ["credentials_for", "decision", "document_decision", "evaluate", "install", "is_allowed", "logging_requests"]


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
    _decisions.clear()


# --- which action, which resource: iam_requests (from the Service Authorization Reference) ------------------------
# How a service answers a denied call depends on its protocol: JSON services (DynamoDB, Kinesis, Secrets Manager,
# SSM, KMS, Step Functions, EventBridge, Logs, Firehose) with 400 AccessDeniedException, REST-JSON ones (Lambda,
# Scheduler, SES v2, API Gateway) with 403 AccessDeniedException, XML ones (S3, SES, STS, IAM, CloudWatch) with 403
# AccessDenied; SQS keeps its query-protocol code and SNS has its own.
_ACCESS_DENIED = {"sqs": ("AccessDenied", 403), "sns": ("AuthorizationError", 403)}
_ACCESS_DENIED_BY_PROTOCOL = {"json": ("AccessDeniedException", 400), "rest-json": ("AccessDeniedException", 403)}


def _access_denied(service: str, protocol: str) -> tuple[str, int]:
    return _ACCESS_DENIED.get(service) or _ACCESS_DENIED_BY_PROTOCOL.get(protocol, ("AccessDenied", 403))


# --- policy evaluation ----------------------------------------------------------------------------------------------
def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _matches(globs, value: str, case_sensitive: bool) -> bool:
    return any(glob_matches(g, value, not case_sensitive) for g in _as_list(globs))


def _statement_applies(statement: dict, action: str, resource: str, context: Mapping[str, Any]) -> bool:
    if "Action" in statement and not _matches(statement["Action"], action, False):
        return False
    if "NotAction" in statement and _matches(statement["NotAction"], action, False):
        return False
    if "Resource" in statement and not _matches(statement["Resource"], resource, True):
        return False
    if "NotResource" in statement and _matches(statement["NotResource"], resource, True):
        return False
    return conditions_match(statement.get("Condition"), context)


def _role_statements(role_arn: str) -> tuple[tuple | None, list[dict]]:
    """The statements of the role's identity policies, and the revision of those policies they were parsed from."""
    role = state.role_or_none(role_arn)
    if role is None:
        return None, []
    # Parsing the policy documents (AWS managed ones are long) is most of a check's cost; parse once per revision
    # of the role's policies: a changed inline policy or a new default version of a managed one makes a new key.
    # (CloudFormation's Policies property leaves a document as a dict, the API as a JSON string.)
    inline = tuple((name, doc if isinstance(doc, str) else json.dumps(doc, sort_keys=True))
                   for name, doc in role.policies.items())
    revision = (role_arn, id(role), inline,
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
    return revision, statements


_statements_by_revision: dict[tuple, list[dict]] = {}


_NEVER_DENIED = {"sts:GetCallerIdentity"}  # IAM cannot deny it


def decision(role_arn: str, action: str, resource: str, context: Mapping[str, Any] | None = None) -> str:
    """IAM's decision for the role's identity policies: "Deny" (explicit), "Allow", or "ImplicitDeny".

    ``context`` holds the request's condition keys, names lower-cased."""
    if action in _NEVER_DENIED:
        return "Allow"
    revision, statements = _role_statements(role_arn)
    context = context or {}
    # A warm handler makes the same calls again and again: remember the verdict per revision of the role's policies.
    key = (revision, action, resource, tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                                                    for k, v in context.items())))
    verdict = _decisions.get(key)
    if verdict is None:
        verdict = evaluate(statements, action, resource, context)
        if len(_decisions) > 4096:
            _decisions.clear()
        _decisions[key] = verdict
    return verdict


_decisions: dict[tuple, str] = {}


def _spellings(action: str, resource: str) -> list[str]:
    """The ARNs a statement may name the resource by. CloudWatch Logs writes a log group both ways,
    ``log-group:NAME`` and ``log-group:NAME:*`` (its access-control overview), and policies grant
    ``logs:CreateLogGroup`` in either form (the Lambda console's own role uses ``:*``), so either one applies."""
    if action == "logs:CreateLogGroup" and ":log-group:" in resource and not resource.endswith(":*"):
        return [resource, resource + ":*"]
    return [resource]


def evaluate(statements: list[dict], action: str, resource: str, context: Mapping[str, Any] | None = None) -> str:
    """IAM's decision for one request against identity-policy statements: "Deny", "Allow" or "ImplicitDeny"."""
    verdicts = [_evaluate(statements, action, spelling, context or {}) for spelling in _spellings(action, resource)]
    return "Deny" if "Deny" in verdicts else "Allow" if "Allow" in verdicts else "ImplicitDeny"


def _evaluate(statements: list[dict], action: str, resource: str, context: Mapping[str, Any]) -> str:
    allowed = False
    for statement in statements:
        if _statement_applies(statement, action, resource, context):
            if statement.get("Effect") == "Deny":
                return "Deny"
            allowed = allowed or statement.get("Effect") == "Allow"
    return "Allow" if allowed else "ImplicitDeny"


def document_decision(document: Mapping[str, Any], action: str, resource: str,
                      context: Mapping[str, Any] | None = None) -> str:
    """IAM's decision for one policy document on its own ("Deny", "Allow" or "ImplicitDeny"): the policy a Lambda
    authorizer returns to API Gateway is judged this way."""
    return _evaluate(_as_list(document.get("Statement", [])), action, resource, context or {})


def is_allowed(role_arn: str, action: str, resource: str, context: Mapping[str, Any] | None = None) -> bool:
    return decision(role_arn, action, resource, context) == "Allow"


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


def logging_requests(region: str, account: str, group: str, stream: str) -> list[tuple[str, str]]:
    """The calls Lambda makes with the function's role to write its logs, as (action, resource ARN): create the
    group (the first time), create the environment's stream, put the lines."""
    base = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    return [("logs:CreateLogGroup", base), ("logs:CreateLogStream", f"{base}:log-stream:{stream}"),
            ("logs:PutLogEvents", f"{base}:log-stream:{stream}")]


def allows_logging(role_arn: str, region: str, account: str, group: str, stream: str) -> bool:
    """Whether the Lambda service may write the function's logs with its role (AWSLambdaBasicExecutionRole's job)."""
    (create_group, base), *writes = logging_requests(region, account, group, stream)
    if not state.log_group_exists(account, region, group) and not is_allowed(role_arn, create_group, base):
        return False  # the group does not exist yet and the role may not create it
    return all(is_allowed(role_arn, action, resource) for action, resource in writes)


# --- the botocore hook -----------------------------------------------------------------------------------------------
def _denied_response(service: str, protocol: str, session: RoleSession, action: str, resource: str, explicit: bool):
    from botocore.awsrequest import AWSResponse

    code, status = _access_denied(service, protocol)
    reason = ("with an explicit deny in an identity-based policy" if explicit
              else f"because no identity-based policy allows the {action} action")
    message = f"User: {session.principal} is not authorized to perform: {action} on resource: {resource} {reason}"
    parsed = {"Error": {"Code": code, "Message": message},
              "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}}}
    return AWSResponse("https://lambda-local.invalid", status, {}, None), parsed


def _before_call(model=None, params=None, request_signer=None, context=None, **kwargs):
    credentials = getattr(request_signer, "_credentials", None)
    if credentials is None or not _sessions:
        return None
    session = _sessions.get(getattr(credentials, "access_key", None))
    if session is None:
        return None
    service = iam_service(model.service_model.signing_name or model.service_model.endpoint_prefix)
    request = Request(service, model.name, (context or {}).get("lambda_local_params") or {},
                      request_signer._region_name or "us-east-1", session.account_id,
                      (params or {}).get("url", ""), (params or {}).get("method", model.http.get("method", "POST")))
    for check in checks_for(request):
        verdict = decision(session.role_arn, check.action, check.resource, check.context)
        if verdict != "Allow":
            return _denied_response(service, model.service_model.protocol, session, check.action, check.resource,
                                    explicit=verdict == "Deny")
    if is_missing_object(request) and not is_allowed(session.role_arn, "s3:ListBucket",
                                                     f"arn:aws:s3:::{request.params['Bucket']}"):
        return _missing_object_response(model.name)
    return None


def _missing_object_response(operation: str):
    """S3 answers a read of a missing key with 403 when the caller may not list the bucket, so that an absent key
    cannot be told from a forbidden one (S3 User Guide, GetObject: "Permissions"). HEAD answers carry no body."""
    from botocore.awsrequest import AWSResponse

    error = {"Code": "403", "Message": "Forbidden"} if operation == "HeadObject" else \
        {"Code": "AccessDenied", "Message": "Access Denied"}
    parsed = {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 403, "HTTPHeaders": {}}}
    return AWSResponse("https://lambda-local.invalid", 403, {}, None), parsed


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
    # Read the Service Authorization Reference now (about 0.3 s, once per process), so that it is never read inside
    # an invocation, where it would count against the function's timeout and its billed duration.
    iam_reference.load()
    from botocore.handlers import BUILTIN_HANDLERS

    BUILTIN_HANDLERS.append(("provide-client-params.*.*", _remember_params))
    BUILTIN_HANDLERS.append(("before-call.*.*", _before_call))
    _installed = True


# --- the same check for calls that arrive over HTTP (a runtime process's SDK: see iam_http) ---------------------------
@dataclass(frozen=True)
class Denial:
    """Why IAM refuses a call: AWS's error code and HTTP status for the service's protocol, and its message."""

    code: str
    status: int
    message: str


def denial_for(access_key: str, service: str, protocol: str, operation: str, params: dict[str, Any], region: str,
               url: str = "", method: str = "POST") -> Denial | None:
    """The refusal of a call signed with ``access_key`` when that key is an execution role's and the role's policies
    do not allow the call (the botocore hook's check, for a request read back from HTTP); None when they do, or when
    the key is not a role's."""
    session = _sessions.get(access_key)
    if session is None:
        return None
    service = iam_service(service)
    request = Request(service, operation, params, region, session.account_id, url, method)
    for check in checks_for(request):
        verdict = decision(session.role_arn, check.action, check.resource, check.context)
        if verdict != "Allow":
            code, status = _access_denied(service, protocol)
            reason = ("with an explicit deny in an identity-based policy" if verdict == "Deny"
                      else f"because no identity-based policy allows the {check.action} action")
            return Denial(code, status, f"User: {session.principal} is not authorized to perform: {check.action} on "
                                        f"resource: {check.resource} {reason}")
    return None


def has_session(access_key: str) -> bool:
    """Whether ``access_key`` is an execution role's (its calls are checked)."""
    return access_key in _sessions


def session_of(access_key: str) -> RoleSession | None:
    """The execution-role session ``access_key`` was issued to (``credentials_for``), or None."""
    return _sessions.get(access_key)
