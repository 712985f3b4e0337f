"""What one API call asks IAM: which action(s), on which resource ARN(s), with which request context keys.

The action and its resource types come from the Service Authorization Reference (``iam_reference``); a resource's
ARN is the reference's template filled from the call's parameters. Most template variables are named after the
parameter that carries them (``${TableName}`` <- ``TableName``, ``${StreamName}`` <- ``StreamName``); the table
``_VARIABLES`` says where the others come from (``${BucketName}`` <- ``Bucket``, ``${QueueName}`` <- the queue URL,
...). A parameter that already is an ARN (``TopicArn``, ``StreamARN``, a function ARN) is used as it is when it fits
a resource type's template.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlparse

from . import iam_reference
from .aws import state

__all__ = ["Check", "Request", "checks_for", "iam_service", "is_missing_object"]


@dataclass(frozen=True)
class Check:
    """One (action, resource) pair IAM evaluates for a call, with the request's condition context keys."""
    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Request:
    """An API call as the botocore hook sees it."""
    service: str  # the IAM service prefix
    operation: str  # botocore's operation name
    params: dict[str, Any]
    region: str
    account: str
    url: str = ""
    method: str = "POST"

    @functools.cached_property
    def lowered(self) -> dict[str, Any]:
        """The parameters by lower-cased name (logs writes ``logGroupName`` where a template says LogGroupName)."""
        return {k.lower(): v for k, v in self.params.items()}

    @functools.cached_property
    def bindings(self) -> dict[str, list[str]]:
        """Template variable -> its values, computed once per call."""
        return {}


# botocore's signing name -> IAM's service prefix, where they differ.
_IAM_PREFIX = {"monitoring": "cloudwatch", "email": "ses"}


def iam_service(signing_name: str) -> str:
    return _IAM_PREFIX.get(signing_name, signing_name)


# --- the action ------------------------------------------------------------------------------------------------------
# Operations whose IAM action has another name (the reference lists actions, not API operations).
_ACTIONS = {
    ("s3", "ListObjectsV2"): "ListBucket", ("s3", "ListObjects"): "ListBucket", ("s3", "HeadBucket"): "ListBucket",
    ("s3", "ListObjectVersions"): "ListBucketVersions", ("s3", "HeadObject"): "GetObject",
    ("s3", "ListBuckets"): "ListAllMyBuckets", ("s3", "DeleteObjects"): "DeleteObject",
    ("s3", "CopyObject"): "PutObject", ("s3", "CreateMultipartUpload"): "PutObject",
    ("s3", "UploadPart"): "PutObject", ("s3", "UploadPartCopy"): "PutObject",
    ("s3", "CompleteMultipartUpload"): "PutObject", ("s3", "ListParts"): "ListMultipartUploadParts",
    ("s3", "PutBucketNotificationConfiguration"): "PutBucketNotification",
    ("s3", "GetBucketNotificationConfiguration"): "GetBucketNotification",
    ("lambda", "Invoke"): "InvokeFunction", ("lambda", "InvokeWithResponseStream"): "InvokeFunction",
    ("sqs", "SendMessageBatch"): "SendMessage", ("sqs", "DeleteMessageBatch"): "DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "ChangeMessageVisibility", ("sns", "PublishBatch"): "Publish",
    ("execute-api", "PostToConnection"): "ManageConnections", ("execute-api", "GetConnection"): "ManageConnections",
    ("execute-api", "DeleteConnection"): "ManageConnections",
}


def _action(service: str, operation: str) -> iam_reference.Action:
    name = _ACTIONS.get((service, operation), operation)
    known = iam_reference.action(service, name)
    # An operation the reference does not list keeps its own name; IAM then matches it only by wildcards.
    return known or iam_reference.Action(service, name, (), frozenset())


# --- where each ARN part comes from ---------------------------------------------------------------------------------
def _values(value) -> list[str]:
    if value is None or value == "":
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def _param(request: Request, *names: str) -> list[str]:
    lowered = request.lowered
    for name in names:
        if lowered.get(name.lower()) not in (None, "", []):
            return _values(lowered[name.lower()])
    return []


def _queue_name(request: Request) -> list[str]:
    if request.params.get("QueueUrl"):
        return [urlparse(request.params["QueueUrl"]).path.rstrip("/").rsplit("/", 1)[-1]]
    return _param(request, "QueueName")


def _object_keys(request: Request) -> list[str]:
    if request.operation == "DeleteObjects":
        return [o["Key"] for o in (request.params.get("Delete") or {}).get("Objects", [])]
    if request.operation in ("ListObjects", "ListObjectsV2", "ListObjectVersions"):
        return []
    return _param(request, "Key")


def _parameter_names(request: Request) -> list[str]:
    names = _param(request, "Names") or _param(request, "Name") or _param(request, "Path")
    return [n.split(":parameter/", 1)[-1].lstrip("/") for n in names]


def _ses_identity(request: Request) -> list[str]:
    source = _param(request, "Source", "FromEmailAddress", "EmailIdentity", "Identity")
    if not source and request.params.get("RawMessage"):
        from email import message_from_bytes

        data = request.params["RawMessage"].get("Data") or b""
        source = _values(message_from_bytes(data if isinstance(data, bytes) else data.encode()).get("From"))
    identities = []
    for value in source:
        address = parseaddr(value)[1] or value
        identities.append(_verified_identity(address, request))
    return identities


def _event_buses(request: Request) -> list[str]:
    # EventBusName takes a bus's name or its ARN (arn:aws:events:REGION:ACCOUNT:event-bus/NAME): the resource is
    # the bus either way, so an ARN is reduced to its name before the ARN is built again.
    if request.operation == "PutEvents":
        names = {_bus_name(e.get("EventBusName")) for e in request.params.get("Entries") or []}
        return sorted(names or {"default"})
    return [_bus_name(name) for name in _param(request, "EventBusName")] or ["default"]


def _bus_name(name: str | None) -> str:
    if not name:
        return "default"
    return name.split(":event-bus/", 1)[1] if name.startswith("arn:") and ":event-bus/" in name else name


def _connection_part(part: str) -> Callable[[Request], list[str]]:
    # An @connections endpoint is https://{api-id}.execute-api.{region}.amazonaws.com/{stage}; the call's path is
    # /{stage}/@connections/{connection-id}.
    def value(request: Request) -> list[str]:
        url = urlparse(request.url)
        host, path = url.hostname or "", unquote(url.path)
        stage, _, rest = path.lstrip("/").partition("/@connections/")
        return {"ApiId": [host.split(".", 1)[0]] if ".execute-api." in host else [],
                "Stage": [stage] if rest else [], "Method": [request.method],
                "ApiSpecificResourcePath": [f"@connections/{rest}"] if rest else []}[part]
    return value


_VARIABLES: dict[str, Callable[[Request], list[str]]] = {
    "Partition": lambda r: ["aws"],
    "Region": lambda r: [r.region],
    "Account": lambda r: [r.account],
    "BucketName": lambda r: _param(r, "Bucket"),
    "ObjectName": _object_keys,
    "QueueName": _queue_name,
    "TopicName": lambda r: _param(r, "Name") if r.operation == "CreateTopic" else [],
    "ParameterNameWithoutLeadingSlash": _parameter_names,
    "SecretId": lambda r: [_secret_arn(s, r).split(":secret:", 1)[1] for s in _param(r, "SecretId", "Name")],
    "IdentityName": _ses_identity,
    "EventBusName": _event_buses,
    "RuleName": lambda r: _param(r, "Rule", "Name") if "Rule" in r.operation or r.operation == "PutTargets"
    or r.operation == "RemoveTargets" else [],
    "ScheduleName": lambda r: _param(r, "Name"),
    "GroupName": lambda r: _param(r, "GroupName") or ["default"],
    "StreamName": lambda r: _param(r, "StreamName") or [
        s for s in map(state.kinesis_iterator_stream, _param(r, "ShardIterator") if r.service == "kinesis" else [])
        if s],
    "TableName": lambda r: _param(r, "TableName") or list((r.params.get("RequestItems") or {}).keys()),
    "ApiId": _connection_part("ApiId"),
    "Stage": _connection_part("Stage"),
    "Method": _connection_part("Method"),
    "ApiSpecificResourcePath": _connection_part("ApiSpecificResourcePath"),
}


def _variable(name: str, request: Request) -> list[str]:
    values = request.bindings.get(name)
    if values is None:
        source = _VARIABLES.get(name)
        values = request.bindings[name] = source(request) if source else _param(request, name)
    return values


# --- parameters that name a resource by ARN -------------------------------------------------------------------------
def _function_arn(name: str, qualifier: str | None, request: Request) -> str:
    """A function's ARN from the name, partial ARN or ARN that FunctionName accepts, qualified as called."""
    if not name.startswith("arn:"):
        parts = name.split(":")
        if len(parts) >= 3 and parts[1] == "function":  # 123456789012:function:name[:qualifier]
            name = f"arn:aws:lambda:{request.region}:{name}"
        else:
            name = f"arn:aws:lambda:{request.region}:{request.account}:function:{name}"
    if qualifier and name.count(":") == 6:
        name = f"{name}:{qualifier}"
    return name


def _arn_params(request: Request) -> list[str]:
    # SecretId is left out: a partial ARN (without the random suffix) is completed from what Secrets Manager holds.
    arns = [v for key, value in request.params.items() if isinstance(value, (str, list)) and key != "SecretId"
            for v in _values(value) if v.startswith("arn:")]
    if request.service == "lambda" and request.params.get("FunctionName"):
        arns.append(_function_arn(request.params["FunctionName"], request.params.get("Qualifier"), request))
    if request.service == "dynamodb":
        arns += [t for t in _param(request, "TableName") if t.startswith("arn:")]
    return arns


def _fill(template: str, request: Request) -> list[str]:
    names = iam_reference.variables(template)
    choices = []
    for name in names:
        values = _variable(name, request)
        if not values:
            return []  # the call does not name this resource type
        choices.append(values)
    arns = []
    for combination in itertools.product(*choices):
        arn = template
        for name, value in zip(names, combination):
            arn = arn.replace("${" + name + "}", value, 1)
        arns.append(arn)
    return arns


def _resources(action: iam_reference.Action, request: Request) -> list[str]:
    """The ARNs the call touches, one resource type of the action at a time; ``*`` when it names none."""
    arn_params = _arn_params(request)
    found: list[str] = []
    for resource_type in action.resource_types:
        pattern = iam_reference.arn_pattern(resource_type.arn)
        given = [arn for arn in arn_params if pattern.match(arn)]
        for arn in given or _fill(resource_type.arn, request):
            if arn not in found:
                found.append(arn)
    if action.service == "events" and any(":rule/" in a for a in found):
        # A rule on the default bus has the short ARN (rule/NAME), a rule on another bus rule/BUS/NAME.
        on_default = (request.params.get("EventBusName") or "default") == "default"
        found = [a for a in found if ":rule/" not in a or (a.count("/") == 1) == on_default]
    if action.service == "logs" and action.name != "CreateLogGroup":
        # Log-group actions are evaluated on the group's ARN with ':*' (AWS's examples and errors write it so).
        found = [f"{a}:*" if ":log-stream:" not in a else a for a in found]
    # A narrower resource replaces the one it lies in: a query on an index is authorised on the index ARN alone.
    found = [a for a in found if not any(b != a and b.startswith(a + "/") for b in found)]
    return found or ["*"]


# --- condition context keys ------------------------------------------------------------------------------------------
def _context(action: iam_reference.Action, request: Request) -> dict[str, Any]:
    # An AWS SDK always talks TLS to AWS (a runtime's SDK reaches this sandbox over plain HTTP; on AWS it would not).
    context: dict[str, Any] = {"aws:requestedregion": request.region, "aws:securetransport": "true"}
    p = request.params
    if action.service == "s3":
        if action.name == "ListBucket":
            context["s3:prefix"] = p.get("Prefix") or ""
            if p.get("Delimiter") is not None:
                context["s3:delimiter"] = p["Delimiter"]
            if p.get("MaxKeys") is not None:
                context["s3:max-keys"] = p["MaxKeys"]
        for parameter, key in (("ServerSideEncryption", "s3:x-amz-server-side-encryption"),
                               ("ACL", "s3:x-amz-acl"), ("SSEKMSKeyId",
                                                         "s3:x-amz-server-side-encryption-aws-kms-key-id")):
            if p.get(parameter) is not None:
                context[key] = p[parameter]
    if action.service == "dynamodb" and p.get("Select"):
        context["dynamodb:select"] = p["Select"]
    if action.service == "ssm" and "Recursive" in p:
        context["ssm:recursive"] = "Recursive" if p["Recursive"] else "OneLevel"
    if action.service == "cloudwatch" and p.get("Namespace"):
        context["cloudwatch:namespace"] = p["Namespace"]
    return context


# --- tags: of the resource (as moto stores them) and of the request --------------------------------------------------
def _request_tags(request: Request) -> dict[str, str] | None:
    """The tags a create or tag call puts on a resource, whichever shape the service writes them in (a map, a list of
    Key/Value pairs, S3's TagSet or its URL-encoded ``Tagging`` header); None when the call carries none."""
    lowered = request.lowered
    tags = lowered.get("tags")
    if tags is None and isinstance(lowered.get("tagging"), dict):
        tags = lowered["tagging"].get("TagSet")
    if tags is None and isinstance(lowered.get("tagging"), str):
        tags = dict(parse_qsl(lowered["tagging"], keep_blank_values=True))
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    if isinstance(tags, list):
        return {str(t["Key"]): str(t.get("Value", "")) for t in tags if isinstance(t, dict) and "Key" in t}
    return None


def _tag_keys(prefix: str, tags: dict[str, str]) -> dict[str, str]:
    return {f"{prefix}/{key.lower()}": value for key, value in tags.items()}


def _request_tag_context(action: iam_reference.Action, request: Request) -> dict[str, Any]:
    """aws:RequestTag/<key> and aws:TagKeys (S3 objects: s3:RequestObjectTag/<key>, s3:RequestObjectTagKeys), for
    the actions whose reference entry lists them."""
    keys = action.condition_keys
    tags = _request_tags(request)
    names = tags.keys() if tags is not None else _param(request, "TagKeys")
    context: dict[str, Any] = {}
    if tags and "aws:requesttag/${tagkey}" in keys:
        context.update(_tag_keys("aws:requesttag", tags))
    if tags and "s3:requestobjecttag/<key>" in keys:
        context.update(_tag_keys("s3:requestobjecttag", tags))
    if names and "aws:tagkeys" in keys:
        context["aws:tagkeys"] = list(names)
    if names and "s3:requestobjecttagkeys" in keys:
        context["s3:requestobjecttagkeys"] = list(names)
    return context


def _resource_tag_context(action: iam_reference.Action, resource: str, request: Request) -> dict[str, Any]:
    """aws:ResourceTag/<key> (and secretsmanager:ResourceTag/<key>) from the tags moto stores for the resource, for
    the resource types whose reference entry lists the key; s3:ExistingObjectTag/<key> from an S3 object's tags.
    S3 buckets have no aws:ResourceTag: S3 evaluates bucket tags only once ABAC is enabled on the bucket
    (PutBucketAbac, off by default), which moto does not model."""
    keys = set(action.condition_keys)
    for resource_type in action.resource_types:
        if iam_reference.arn_pattern(resource_type.arn).match(resource):
            keys |= resource_type.condition_keys
            break
    context: dict[str, Any] = {}
    if "s3:existingobjecttag/<key>" in keys and request.params.get("Bucket") and request.params.get("Key"):
        tags = state.s3_object_tags(request.account, request.params["Bucket"], request.params["Key"])
        context.update(_tag_keys("s3:existingobjecttag", tags or {}))
    if action.service != "s3" and "aws:resourcetag/${tagkey}" in keys:
        tags = state.resource_tags(resource) or {}
        context.update(_tag_keys("aws:resourcetag", tags))
        if "secretsmanager:resourcetag/tag-key" in keys:
            context.update(_tag_keys("secretsmanager:resourcetag", tags))
    return context


# --- the checks of one call ------------------------------------------------------------------------------------------
_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def checks_for(request: Request, tags: bool = True) -> list[Check]:
    """The (action, resource) pairs IAM evaluates for one call; every one must be allowed. ``tags=False`` leaves the
    tag keys out of the context (reading them costs a look-up in moto; no policy of the caller reads them)."""
    if request.service == "dynamodb" and request.operation in ("TransactWriteItems", "TransactGetItems"):
        # Not IAM actions: a transaction is authorised item by item with the item-level actions.
        checks = []
        for item in request.params.get("TransactItems") or []:
            for kind, body in item.items():
                sub = Request("dynamodb", _TRANSACT_ACTIONS.get(kind, kind), body, request.region, request.account,
                              request.url, request.method)
                checks += checks_for(sub, tags)
        return checks
    action = _action(request.service, request.operation)
    context = {**_context(action, request), **(_request_tag_context(action, request) if tags else {})}
    checks = [Check(action.qualified, resource,
                    {**context, **_resource_tag_context(action, resource, request)} if tags else context)
              for resource in _resources(action, request)]
    if request.service == "s3" and request.operation in ("CopyObject", "UploadPartCopy"):
        # Copying reads the source object too (x-amz-copy-source: bucket/key[?versionId=]).
        source = request.params.get("CopySource")
        if isinstance(source, dict):
            source = f"{source.get('Bucket')}/{source.get('Key')}"
        if source:
            checks.append(Check("s3:GetObject", f"arn:aws:s3:::{unquote(str(source).split('?')[0])}", context))
    return checks


# --- what moto knows (the real ARN of a secret, the identity SES sends from, a missing key) -------------------------
def _secret_arn(secret_id: str, request: Request) -> str:
    """The secret's ARN with the six random characters Secrets Manager appends to the name."""
    arn = state.secret_arn_or_none(request.account, request.region, secret_id)
    if arn:
        return arn
    # A secret that does not exist: IAM sees the name the call gives.
    return secret_id if secret_id.startswith("arn:") else \
        f"arn:aws:secretsmanager:{request.region}:{request.account}:secret:{secret_id}"


def _verified_identity(address: str, request: Request) -> str:
    """SES authorises sending on the verified identity the From address belongs to: the address, or its domain."""
    identities = state.ses_identities(request.account, request.region)
    if address in identities or "@" not in address:
        return address
    domain = address.rsplit("@", 1)[1]
    return domain if domain.lower() in identities else address


def is_missing_object(request: Request) -> bool:
    """Whether the call reads an S3 key that does not exist (in a bucket that does)."""
    if request.service != "s3" or request.operation not in ("GetObject", "HeadObject"):
        return False
    # No such bucket: S3's own answer (NoSuchBucket) stands.
    bucket, key = request.params.get("Bucket"), request.params.get("Key")
    if not bucket or not key:
        return False
    return state.s3_key_exists(request.account, bucket, key) is False
