"""The execution role, enforced: calls a handler makes run with the role's credentials and are checked against the
role's policies, action and resource ARN, as IAM checks them.

How: each environment gets temporary credentials (``ASIA...``) that name its role. A botocore ``before-call``
handler, registered for every client, looks at the credentials a call is signed with; for a role's credentials it
evaluates the role's identity policies (inline and attached, AWS managed ones included) and answers a denied call
with AWS's ``AccessDenied`` error before moto sees it. The learner's own calls carry other credentials and are never
limited. Which action and resource a call is checked as comes from the Service Authorization Reference
(``iam_requests``); ``Condition`` blocks are evaluated (``iam_conditions``), with policy variables in ``Resource``
and condition values (``iam_variables``).

The request context a call is checked with: the service's own keys and the tags of the resource and of the request
(``iam_requests``), and the global keys of the principal and the moment (:func:`principal_context`):
``aws:PrincipalArn`` (the role's ARN), ``aws:PrincipalAccount``, ``aws:PrincipalType`` (``AssumedRole``),
``aws:userid`` (``ROLE-ID:FUNCTION-NAME``, Lambda names the session after the function), ``aws:PrincipalTag/<key>``
(the role's tags; Lambda passes no session tags), ``aws:TokenIssueTime``, ``aws:CurrentTime`` and ``aws:EpochTime``,
``aws:SecureTransport`` (true: an SDK talks TLS), ``aws:RequestedRegion``, ``aws:PrincipalIsAWSService`` and
``aws:ViaAWSService`` (false: the function's own call). ``aws:username`` is absent, as for every role session.
The time keys read the sandbox's virtual clock, the one schedules, retries and visibility timeouts follow: a policy's
``DateLessThan`` on ``aws:CurrentTime`` turns after ``advance()``, and every run of a lesson sees the same times.
(A handler's own ``datetime.now()`` reads the same clock from the start of its invocation, plus the real time the
invocation has run: ``runtime/virtual_time``.)
Not modelled: ``aws:SourceIp`` and the VPC keys (absent), permission boundaries, SCPs, session policies,
resource-based policies on the target (S3 bucket policies, SQS queue policies).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from . import browser, iam_reference
from .aws import state
from .iam_conditions import conditions_match, glob_matches
from .iam_requests import Request, checks_for, iam_service, is_missing_object
from .iam_variables import VARIABLES_VERSION, names, substitute, uses_variables

__all__ = ["credentials_for", "decision", "document_decision", "evaluate", "install", "is_allowed", "logging_requests",
           "principal_context", "role_client"]


@dataclass(frozen=True)
class RoleSession:
    role_arn: str
    session_name: str
    account_id: str
    issued_at: float = 0.0  # when Lambda issued the credentials (aws:TokenIssueTime), epoch seconds

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
    key, secret, token = _credential_strings(role_arn, function_name)
    if role_arn and enforce:
        _sessions[key] = RoleSession(role_arn, function_name, account_id, _now())
    return {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token}


@functools.lru_cache(maxsize=1024)
def _credential_strings(role_arn: str | None, function_name: str) -> tuple[str, str, str]:
    """The access key id, secret and session token of a role's credentials for a function: the same every time
    (derived from the two names), so made once (a SHA-256 and a regex per invoke otherwise)."""
    seed = hashlib.sha256(f"{role_arn}|{function_name}".encode()).hexdigest().upper()
    return "ASIA" + re.sub(r"[^A-Z0-9]", "", seed)[:16], seed[16:56].lower(), "IQoJb3JpZ2luX2VjE" + seed[:48]


def role_client(service: str, region: str, role_arn: str | None, session_name: str, account_id: str,
                enforce: bool, cache: dict, config: Any = None):
    """A boto3 client signed with temporary credentials of ``role_arn`` (with ``enforce``, its policies decide every
    call, as for a function's execution role): what a service that acts with a role it was given (API Gateway's
    integration role, Scheduler's execution role) calls with. Kept in the caller's ``cache`` per credentials,
    service and region: building a client takes a while."""
    credentials = credentials_for(role_arn, session_name, account_id, enforce)
    key = (credentials["AWS_ACCESS_KEY_ID"], service, region)
    client = cache.get(key)
    if client is None:
        import boto3

        session = boto3.session.Session(aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
                                        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
                                        aws_session_token=credentials["AWS_SESSION_TOKEN"], region_name=region)
        client = cache[key] = session.client(service, config=config)
    return client


def forget() -> None:
    _sessions.clear()
    _decisions.clear()


# --- the global condition keys of the principal and of the moment -----------------------------------------------------
_clock: Callable[[], float] = time.time  # the sandbox's virtual clock once install() is given it


def _now() -> float:
    return _clock()


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def principal_context(session: RoleSession) -> dict[str, Any]:
    """The global condition keys of a call signed with the role session's credentials, names lower-cased (see the
    module's doc for what each one holds)."""
    role = state.role_or_none(session.role_arn)
    now = _now()
    context: dict[str, Any] = {
        "aws:principalarn": session.role_arn, "aws:principalaccount": session.account_id,
        "aws:principaltype": "AssumedRole", "aws:principalisawsservice": "false", "aws:viaawsservice": "false",
        "aws:currenttime": _iso(now), "aws:epochtime": str(int(now)), "aws:tokenissuetime": _iso(session.issued_at)}
    if role is not None:
        context["aws:userid"] = f"{role.id}:{session.session_name}"
        for key, value in state.role_tags(session.role_arn).items():
            context[f"aws:principaltag/{key.lower()}"] = value
    return context


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


def _resource_patterns(globs, context: Mapping[str, Any], variables: bool) -> list[str | None]:
    """A Resource element's ARNs with their policy variables substituted (None: one that cannot be resolved).
    IAM reads variables only in the resource part of an ARN, after the fifth colon."""
    if not variables:
        return list(_as_list(globs))
    patterns: list[str | None] = []
    for glob in _as_list(globs):
        parts = glob.split(":", 5)
        head, tail = (":".join(parts[:5]) + ":", parts[5]) if len(parts) == 6 else ("", glob)
        resolved = substitute(tail, context)
        patterns.append(None if resolved is None else head + resolved)
    return patterns


def _statement_applies(statement: dict, action: str, resource: str, context: Mapping[str, Any],
                       variables: bool = False) -> bool:
    if "Action" in statement and not _matches(statement["Action"], action, False):
        return False
    if "NotAction" in statement and _matches(statement["NotAction"], action, False):
        return False
    if "Resource" in statement:
        patterns = _resource_patterns(statement["Resource"], context, variables)
        if not any(p is not None and glob_matches(p, resource) for p in patterns):
            return False  # an ARN whose variable cannot be resolved matches no resource
    if "NotResource" in statement:
        patterns = _resource_patterns(statement["NotResource"], context, variables)
        if None in patterns or any(p is not None and glob_matches(p, resource) for p in patterns):
            return False  # an unresolved variable leaves the statement unevaluable: it does not apply
    return conditions_match(statement.get("Condition"), context, variables)


Statements = list[tuple[dict, bool]]  # each statement with whether its policy's version has policy variables


def _parse(document) -> Statements:
    parsed = json.loads(document) if isinstance(document, str) else document
    variables = uses_variables(parsed.get("Version"))
    return [(statement, variables) for statement in _as_list(parsed.get("Statement", []))]


def _referenced_keys(statements: Statements) -> frozenset[str]:
    """The context keys (lower-cased) the statements read, in conditions or as policy variables: a verdict depends
    on these keys only, so a remembered verdict is keyed by them (a clock that ticks does not defeat it)."""
    keys: set[str] = set()
    for statement, variables in statements:
        for keys_of_operator in (statement.get("Condition") or {}).values():
            if isinstance(keys_of_operator, Mapping):
                keys.update(k.lower() for k in keys_of_operator)
                if variables:
                    keys.update(n for values in keys_of_operator.values() for v in _as_list(values)
                                if isinstance(v, str) for n in names(v))
        if variables:
            for element in ("Resource", "NotResource"):
                keys.update(n for v in _as_list(statement.get(element, [])) if isinstance(v, str) for n in names(v))
    return frozenset(keys)


def _role_revision(role_arn: str):
    """(the revision of the role's identity policies, the role), or (None, None) when there is no such role. The
    revision changes whenever what the role may do changes: a policy attached, detached, put, edited or deleted, a
    new default version of a managed one, the role deleted and made again."""
    role = state.role_or_none(role_arn)
    if role is None:
        return None, None
    # (CloudFormation's Policies property leaves a document as a dict, the API as a JSON string.)
    inline = tuple((name, doc if isinstance(doc, str) else json.dumps(doc, sort_keys=True))
                   for name, doc in role.policies.items())
    return (role_arn, id(role), inline,
            tuple((arn, policy.default_version_id) for arn, policy in role.managed_policies.items())), role


def _role_statements(role_arn: str) -> tuple[tuple | None, Statements, frozenset[str]]:
    """The statements of the role's identity policies, the revision of those policies they were parsed from, and the
    context keys they read."""
    revision, role = _role_revision(role_arn)
    if role is None:
        return None, [], frozenset()
    # Parsing the policy documents (AWS managed ones are long) is most of a check's cost; parse once per revision
    # of the role's policies: a changed inline policy or a new default version of a managed one makes a new key.
    parsed = _statements_by_revision.get(revision)
    if parsed is None:
        documents = list(role.policies.values())
        for policy in role.managed_policies.values():
            documents += [v.document for v in policy.versions if v.is_default]
        statements: Statements = []
        for document in documents:
            statements += _parse(document)
        if len(_statements_by_revision) > 1024:
            _statements_by_revision.clear()
        parsed = _statements_by_revision[revision] = (statements, _referenced_keys(statements))
    return revision, parsed[0], parsed[1]


_statements_by_revision: dict[tuple, tuple[Statements, frozenset[str]]] = {}


def _reads_tags(role_arn: str) -> bool:
    """Whether the role's policies read a resource or request tag key (else the look-ups in moto can be spared)."""
    return any(("tag" in key) and not key.startswith("aws:principaltag/") for key in _role_statements(role_arn)[2])


_NEVER_DENIED = {"sts:GetCallerIdentity"}  # IAM cannot deny it


def decision(role_arn: str, action: str, resource: str, context: Mapping[str, Any] | None = None) -> str:
    """IAM's decision for the role's identity policies: "Deny" (explicit), "Allow", or "ImplicitDeny".

    ``context`` holds the request's condition keys, names lower-cased."""
    if action in _NEVER_DENIED:
        return "Allow"
    revision, statements, referenced = _role_statements(role_arn)
    context = context or {}
    # A warm handler makes the same calls again and again: remember the verdict per revision of the role's policies
    # and the values of the context keys those policies read.
    key = (revision, action, resource, tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                                                    for k, v in context.items() if k in referenced)))
    verdict = _decisions.get(key)
    if verdict is None:
        verdict = _decide(statements, action, resource, context)
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


def evaluate(statements: list[dict], action: str, resource: str, context: Mapping[str, Any] | None = None,
             version: str | None = VARIABLES_VERSION) -> str:
    """IAM's decision for one request against identity-policy statements: "Deny", "Allow" or "ImplicitDeny".
    ``version`` is the Version element of the policy the statements come from (2012-10-17: policy variables)."""
    return _decide([(s, uses_variables(version)) for s in statements], action, resource, context or {})


def _decide(statements: Statements, action: str, resource: str, context: Mapping[str, Any]) -> str:
    verdicts = [_evaluate(statements, action, spelling, context) for spelling in _spellings(action, resource)]
    return "Deny" if "Deny" in verdicts else "Allow" if "Allow" in verdicts else "ImplicitDeny"


def _evaluate(statements: Statements, action: str, resource: str, context: Mapping[str, Any]) -> str:
    allowed = False
    for statement, variables in statements:
        if _statement_applies(statement, action, resource, context, variables):
            if statement.get("Effect") == "Deny":
                return "Deny"
            allowed = allowed or statement.get("Effect") == "Allow"
    return "Allow" if allowed else "ImplicitDeny"


def document_decision(document: Mapping[str, Any], action: str, resource: str,
                      context: Mapping[str, Any] | None = None) -> str:
    """IAM's decision for one policy document on its own ("Deny", "Allow" or "ImplicitDeny"): the policy a Lambda
    authorizer returns to API Gateway is judged this way."""
    return _evaluate(_parse(document), action, resource, context or {})


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
    exists = state.log_group_exists(account, region, group)
    # Every invocation asks again for the same role, group and stream: the answer is remembered per revision of the
    # role's policies, so a policy detached (or edited) is seen at the next invocation, as on AWS.
    key = (_role_revision(role_arn)[0], region, account, group, stream, exists)
    verdict = _logging_verdicts.get(key)
    if verdict is None:
        (create_group, base), *writes = logging_requests(region, account, group, stream)
        # the group must exist, or the role must be allowed to create it; then the stream and the lines
        verdict = ((exists or is_allowed(role_arn, create_group, base))
                   and all(is_allowed(role_arn, action, resource) for action, resource in writes))
        if len(_logging_verdicts) > 4096:
            _logging_verdicts.clear()
        _logging_verdicts[key] = verdict
    return verdict


_logging_verdicts: dict[tuple, bool] = {}


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
    principal = principal_context(session)
    for check in checks_for(request, _reads_tags(session.role_arn)):
        verdict = decision(session.role_arn, check.action, check.resource, {**check.context, **principal})
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


def install(clock: Callable[[], float] | None = None) -> None:
    """Register the hooks for every botocore client created from now on (moto registers its own the same way);
    ``clock`` (epoch seconds) is the sandbox's virtual clock, which the time condition keys read."""
    global _installed, _clock
    if clock is not None:
        _clock = clock
    if _installed:
        return
    # Read the Service Authorization Reference now (about 0.3 s, once per process), so that it is never read inside
    # an invocation, where it would count against the function's timeout and its billed duration. In the browser
    # (0.5 s there) once the cell that started the sandbox has finished: a lesson's first output does not wait for
    # it, and the next cell finds it read (a check that comes first reads it itself).
    browser.after_this_cell(iam_reference.load)
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
    principal = principal_context(session)
    for check in checks_for(request, _reads_tags(session.role_arn)):
        verdict = decision(session.role_arn, check.action, check.resource, {**check.context, **principal})
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
