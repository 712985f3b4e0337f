"""moto's state, read and written in AWS's terms: the one place outside the patch table that touches moto's backends.

Lookups return ``None`` for "not found" (a deleted function, a queue that is gone, a malformed ARN) instead of
raising moto's exceptions, so callers say what absence means to them with an ``if``. Writes go through moto's
backends the way its own API handlers do, without an HTTP round trip.

moto's lifecycle (``start``/``stop`` of its ``mock_aws``) lives here too: the state it starts is what these
functions read.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, NamedTuple

__all__ = [
    "MotoMock", "start", "moto_config", "decorate_class", "server_app", "unhook_moto",
    "lambda_backend", "get_function_or_none", "function_from_arn", "functions_with_url", "layer_version_or_none",
    "event_source_mappings", "mapping_is_active",
    "role_or_none", "role_tags", "resource_tags", "s3_object_tags", "credentials_owner", "log_group_exists",
    "write_log_events", "put_metric_data", "put_metric_values", "flush_pending",
    "put_trace_segments", "partition", "topic_or_none", "topic_policy",
    "sqs_backend", "queue_or_none", "queue_from_arn", "send_sqs_message", "delete_messages", "ReceivedMessage",
    "receive_for_mapping", "release_timed_out_fifo_messages", "sqs_receipt_handles",
    "publish_to_topic", "put_events", "render_input_transformer",
    "event_pattern_matches", "kinesis_stream_or_none", "dynamodb_table_or_none", "rest_api_or_none", "http_api_or_none",
    "cognito_jwks", "http_api_region",
]

DEFAULT_PARTITION = "aws"


# --- moto's lifecycle ---------------------------------------------------------------------------------------------
# Step Functions runs state machines (its Task states call Lambda through the API, so the runtime runs them).
_SANDBOX_CONFIG = {"iam": {"load_aws_managed_policies": True}, "lambda": {"use_docker": False},
                   "stepfunctions": {"execute_state_machine": True}}


def moto_config(config: dict | None = None) -> dict:
    """moto's configuration for the sandbox: the caller's ``config=`` over ours, section by section; Lambda never
    uses Docker (functions run in this process)."""
    merged = {section: dict(values) for section, values in _SANDBOX_CONFIG.items()}
    for section, values in (config or {}).items():
        merged[section] = {**merged.get(section, {}), **(values or {})}
    merged["lambda"]["use_docker"] = False
    return merged


class MotoMock:
    """moto's ``mock_aws`` as this project starts it: IAM's AWS managed policies loaded, Lambda without Docker,
    and whatever else the caller's moto ``config`` says."""

    def __init__(self, seed: int | None = None, config: dict | None = None):
        # moto's own class, never ``moto.mock_aws``: a test suite may have swapped that name for ours.
        from moto.core.models import MockAWS

        self._mock = MockAWS(moto_config(config))  # type: ignore[arg-type]  # moto's TypedDict of known sections
        self._seed = seed

    def start(self, reset: bool = True) -> "MotoMock":
        if reset:
            _discard_pending()  # writes an earlier mock left would land in the new, empty account
        self._mock.start(reset=reset)
        if self._seed is not None:
            # moto's own ids (API ids, Function URL ids, message ids, mapping UUIDs) from the same seed, so a
            # notebook prints the same ARNs and URLs every run.
            from moto.moto_api._internal import mock_random

            mock_random.seed(self._seed)
        return self

    def stop(self, remove_data: bool = True) -> None:
        flush_pending()  # kept data (remove_data=False) holds every write, as it would have without the queue
        self._mock.stop(remove_data=remove_data)


def start(seed: int | None = None, config: dict | None = None, reset: bool = True) -> MotoMock:
    """Start moto's mock (call ``stop()`` on what it returns to end it)."""
    return MotoMock(seed, config).start(reset=reset)


def decorate_class(mock, klass: type) -> type:
    """Decorate a test class with ``mock`` (anything callable as ``mock(func, reset=, remove_data=)``) by moto's own
    rules: which methods are wrapped, and when a setUp's data carries over to its test."""
    from moto.core.models import MockAWS

    return MockAWS._decorate_class(mock, klass)


def server_app():
    """moto's whole AWS API as a WSGI app (what ``moto_server`` serves)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


def moto_mock_active() -> bool:
    """Whether a moto mock (ours or a plain ``moto.mock_aws()``) answers boto3 now; never imports moto."""
    models = sys.modules.get("moto.core.models")
    return bool(models is not None and getattr(getattr(models, "botocore_stubber", None), "enabled", False))


def answer_request(request):
    """moto's answer (status, headers, body) to a botocore ``AWSPreparedRequest``, as it answers boto3 inside the
    mock; None when no mocked service matches its URL. The grader replays its checks' requests through it."""
    from moto.core.models import botocore_stubber

    return botocore_stubber.process_request(request)


def unhook_moto(client) -> None:
    """Take moto's own ``before-send`` handler off a boto3 client whose requests something else answers (a grading
    check's client, answered through :func:`answer_request` on the learner's side). botocore runs every
    ``before-send`` handler, so with a mock started in the same process both would answer and S3 would see each
    upload twice. Before moto is imported no client has its handler: nothing to do."""
    import sys

    models = sys.modules.get("moto.core.models")
    if models is not None:
        client.meta.events.unregister("before-send", models.botocore_stubber)


# --- Lambda -------------------------------------------------------------------------------------------------------
def lambda_backend(account_id: str, region: str):
    """moto's Lambda backend of one account and region (created on first use, as moto does)."""
    from moto.awslambda.utils import get_backend

    return get_backend(account_id, region)


def total_code_size(backend) -> int:
    """AccountUsage.TotalCodeSize: the bytes of every stored deployment package ($LATEST and each published version)
    and every layer version's archive, as AWS counts them. (moto's own listing deep-copies each function.)"""
    functions = sum(int(group["latest"].code_size or 0) + sum(int(v.code_size or 0) for v in group["versions"])
                    for group in backend._lambdas._functions.values())
    layers = sum(int(version.code_size or 0) for layer in backend._layers._layers.values()
                 for version in layer.layer_versions.values())
    return functions + layers


def _arn_parts(arn: str, service: str, minimum: int = 6) -> list[str] | None:
    parts = (arn or "").split(":")
    if len(parts) < minimum or parts[0] != "arn" or parts[2] != service or not parts[4]:
        return None
    return parts


def function_from_uri(uri: str, region: str):
    """``(function, qualifier)`` an integration or authorizer URI names (API Gateway's long form
    ``arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations`` or a plain function ARN), or
    ``(None, None)``."""
    import re

    match = re.search(r"(arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:[^/:]+)(?::([^/]+))?", uri or "")
    if not match:
        return None, None
    arn = match.group(1)
    fn = get_function_or_none(lambda_backend(arn.split(":")[4], arn.split(":")[3]), arn)
    return (fn, match.group(2)) if fn is not None else (None, None)


def get_function_or_none(backend, name_or_arn: str, qualifier: str | None = None):
    """The function (at the version the qualifier names) or None when it, or the version or alias, does not exist."""
    from moto.awslambda.exceptions import LambdaClientError

    try:
        return backend.get_function(name_or_arn, qualifier)
    except (LambdaClientError, ValueError):  # unknown function/qualifier; a name with too many ':'
        return None


def function_from_arn(arn: str):
    """``(function, qualifier)`` for a function ARN (qualified or not), or ``(None, None)``."""
    parts = _arn_parts(arn, "lambda", 7)
    if parts is None or parts[5] != "function":
        return None, None
    qualifier = parts[7] if len(parts) == 8 else None
    fn = get_function_or_none(lambda_backend(parts[4], parts[3]), ":".join(parts[:7]), qualifier)
    return (fn, qualifier) if fn is not None else (None, None)


def functions_with_url(region: str) -> Iterable:
    """Every function (in every account moto knows) that has a Function URL in ``region``."""
    from moto.awslambda_simple.models import lambda_simple_backends

    for account in list(lambda_simple_backends.keys()):
        for fn in lambda_backend(account, region).list_functions():
            if getattr(fn, "url_config", None) is not None:
                yield fn


def layer_version_or_none(account_id: str, region: str, arn: str):
    """A layer version by its ARN, or None."""
    return lambda_backend(account_id, region).layers_versions_by_arn(arn)


def event_source_mappings(account_id: str, region: str) -> list:
    """Every event source mapping of an account and region."""
    return list(lambda_backend(account_id, region)._event_source_mappings.values())


def mapping_is_active(esm, backend=None) -> bool:
    """Whether a mapping is enabled and still exists (not deleted meanwhile); ``backend`` is its account's Lambda
    backend when the caller holds it already (a poller asks at every round)."""
    backend = lambda_backend(esm.account_id, esm.region) if backend is None else backend
    return bool(esm.enabled) and esm.uuid in backend._event_source_mappings


# --- IAM, CloudWatch Logs, CloudWatch metrics ---------------------------------------------------------------------
@functools.cache
def _moto(module: str, name: str) -> Any:
    """``module.name`` of moto, imported on first use (a ``from moto... import`` statement costs ~1.5 µs every time it
    runs: this is for the ones every invocation runs)."""
    return getattr(importlib.import_module(module), name)


def role_or_none(role_arn: str):
    """The IAM role with this ARN, or None."""
    iam_backends = _moto("moto.iam.models", "iam_backends")
    parts = _arn_parts(role_arn, "iam")
    if parts is None:
        return None
    roles = iam_backends[parts[4]][DEFAULT_PARTITION].roles  # (keyed by role id: the ARN needs a scan)
    role = _roles_by_arn.get(role_arn)
    if role is not None and roles.get(role.id) is role:  # still this account's role (not deleted, not reset)
        return role
    role = next((r for r in roles.values() if r.arn == role_arn), None)
    if role is not None:
        if len(_roles_by_arn) > 1024:
            _roles_by_arn.clear()
        _roles_by_arn[role_arn] = role
    return role


_roles_by_arn: dict[str, Any] = {}  # the last role found for an ARN, checked against the backend at each use


def _tag_dict(tags) -> dict[str, str]:
    """moto keeps tags as {key: value}, {key: {"Key", "Value"}} or [{"Key", "Value"}], by service; one shape out."""
    if isinstance(tags, dict):
        return {k: (v.get("Value", "") if isinstance(v, dict) else str(v)) for k, v in tags.items()}
    return {t["Key"]: t.get("Value", "") for t in tags or [] if isinstance(t, dict) and "Key" in t}


def role_tags(role_arn: str) -> dict[str, str]:
    """The tags of the IAM role with this ARN ({} when there is none)."""
    role = role_or_none(role_arn)
    return _tag_dict(role.tags) if role is not None else {}


def resource_tags(arn: str) -> dict[str, str] | None:
    """The tags moto stores for the resource an ARN names (a DynamoDB table, SQS queue, SNS topic, Lambda function,
    Secrets Manager secret or Kinesis stream); None when the resource does not exist or its service is not one of
    those. (S3 objects: :func:`s3_object_tags`.)"""
    parts = (arn or "").split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    service, region, account, resource = parts[2], parts[3], parts[4], parts[5]
    try:
        return _tag_dict(_TAG_READERS[service](account, region, resource, arn))
    except Exception:  # noqa: BLE001 - unknown service (KeyError) or moto's not-found errors
        return None


def _dynamodb_tags(account: str, region: str, resource: str, arn: str):
    from moto.dynamodb.models import dynamodb_backends

    # table/NAME, or an index or stream of it (table/NAME/index/INDEX): the table's tags
    return dynamodb_backends[account][region].get_table(resource.split("/")[1]).tags


def _sqs_tags(account: str, region: str, resource: str, arn: str):
    return sqs_backend(account, region).get_queue(resource).tags


def _sns_tags(account: str, region: str, resource: str, arn: str):
    from moto.sns.models import sns_backends

    return sns_backends[account][region].list_tags_for_resource(arn)


def _lambda_tags(account: str, region: str, resource: str, arn: str):
    # Tags belong to the function, whichever version or alias the ARN names.
    return lambda_backend(account, region).list_tags(":".join(arn.split(":")[:7]))


def _secret_tags(account: str, region: str, resource: str, arn: str):
    from moto.secretsmanager.models import secretsmanager_backends

    return secretsmanager_backends[account][region].describe_secret(arn).tags


def _kinesis_tags(account: str, region: str, resource: str, arn: str):
    from moto.kinesis.models import kinesis_backends

    return kinesis_backends[account][region].describe_stream(stream_arn=arn, stream_name=None).tags


_TAG_READERS = {"dynamodb": _dynamodb_tags, "sqs": _sqs_tags, "sns": _sns_tags, "lambda": _lambda_tags,
                "secretsmanager": _secret_tags, "kinesis": _kinesis_tags}


def s3_object_tags(account_id: str, bucket: str, key: str) -> dict[str, str] | None:
    """The tags of an S3 object (its current version); None when there is no such bucket or key."""
    from moto.s3.models import s3_backends

    backend = s3_backends[account_id][DEFAULT_PARTITION]
    found = backend.buckets.get(bucket)
    obj = found.keys.get(key) if found is not None else None
    if obj is None:
        return None
    return _tag_dict(backend.get_object_tagging(obj).get("Tags", []))


def credentials_owner(access_key: str) -> dict[str, Any] | None:
    """Whom moto issued ``access_key`` to: an IAM user's access key (``iam.create_access_key``) or the temporary
    credentials of ``sts.assume_role``. A dict with ``type`` ("user" or "assumed-role"), ``arn`` (the caller's
    ARN), ``id`` (AIDA... for a user, AROA...:SESSION for a role), ``account``, ``secret`` (to check a signature),
    ``role_arn`` (assumed roles) and ``documents`` (a user's identity policies, its groups' included); else None."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for account in list(iam_backends.keys()):
        backend = iam_backends[account][DEFAULT_PARTITION]
        for user in list(backend.users.values()):
            key = next((k for k in user.access_keys if k.access_key_id == access_key and k.status == "Active"), None)
            if key is None:
                continue
            holders: list[Any] = [user, *[g for g in backend.groups.values() if user in getattr(g, "users", [])]]
            documents = [doc for holder in holders for doc in holder.policies.values()]
            documents += [v.document for holder in holders for policy in holder.managed_policies.values()
                          for v in policy.versions if v.is_default]
            return {"type": "user", "arn": user.arn, "id": user.id, "account": account,
                    "secret": key.secret_access_key, "documents": documents}
    for account in list(sts_backends.keys()):
        assumed = sts_backends[account][DEFAULT_PARTITION].get_assumed_role_from_access_key(access_key)
        if assumed is not None:
            return {"type": "assumed-role", "arn": assumed.arn, "account": account,
                    "id": assumed.user_id, "secret": assumed.secret_access_key,
                    "role_arn": assumed.role_arn, "documents": []}
    return None


def secret_arn_or_none(account_id: str, region: str, secret_id: str) -> str | None:
    """The full ARN (with Secrets Manager's six random characters) of the secret a name or ARN names, or None."""
    from moto.secretsmanager.models import secretsmanager_backends

    try:
        return secretsmanager_backends[account_id][region].describe_secret(secret_id).arn
    except Exception:  # noqa: BLE001 - moto raises its own not-found error types
        return None


def ses_identities(account_id: str, region: str) -> set[str]:
    """The verified SES identities (email addresses and domains) of an account and region."""
    from moto.ses.models import ses_backends

    return set(ses_backends[account_id][region].email_identities)


def s3_key_exists(account_id: str, bucket: str, key: str) -> bool | None:
    """Whether the bucket holds the key; None when there is no such bucket."""
    from moto.s3.models import s3_backends

    found = s3_backends[account_id][DEFAULT_PARTITION].buckets.get(bucket)
    return None if found is None else key in found.keys


def kinesis_iterator_stream(iterator: str) -> str | None:
    """The stream name a shard iterator moto issued reads, or None for one it did not issue."""
    from moto.kinesis.utils import decompose_shard_iterator

    try:
        return decompose_shard_iterator(iterator)[0]
    except Exception:  # noqa: BLE001 - not base64, or not moto's layout
        return None


# CloudWatch writes are queued until something can read them (issue 20). A warm invocation's START/END/REPORT lines
# and its four metric data points cost more in moto than the invocation itself (group and stream lookups, moto's
# LogEvent and MetricDatum objects, the clock moto reads for the ingestion time), so they wait here in order, each
# with the machine time moto would have stamped, and are written before anything reads CloudWatch: any AWS call that
# is not Lambda's (the botocore stubber: patches.py; the local endpoint: server.py), alarm evaluation
# (``metric_statistic``), the end of a mock, and every ``PENDING_LIMIT`` writes (memory stays flat). What a reader
# sees is what it saw before: the same events, timestamps, ingestion times, event ids, order and metric data. A log
# group with a subscription filter is written at once: its subscribers get the events as they arrive.
PENDING_LIMIT = 64
_pending: list[tuple[Callable, tuple, float]] = []  # (writer, its arguments, time.time() when it was queued)
_pending_groups: set[tuple[str, str, str]] = set()  # log groups the queue creates (IAM asks whether a group exists)
_pending_lock = threading.RLock()
_flushing = 0  # flushes under way: a reader waits for them, even once the queue itself is empty
_ingestion: tuple[int, datetime] | None = None  # (thread, the queued write's time) while that thread writes it


def flush_pending() -> None:
    """Write every queued CloudWatch write into moto, in the order they were made."""
    global _flushing, _ingestion
    if not _pending and not _flushing:
        return
    with _pending_lock:
        _flushing += 1
        try:
            while _pending:
                entries = _pending[:]
                del _pending[:len(entries)]  # writes queued meanwhile (other threads) follow these
                for writer, args, queued_at in _merged(entries):
                    _ingestion = (threading.get_ident(), _naive_utc(queued_at))
                    try:
                        writer(*args)
                    finally:
                        _ingestion = None
            _pending_groups.clear()
        finally:
            _flushing -= 1


def _merged(entries: list[tuple[Callable, tuple, float]]) -> Iterable[tuple[Callable, tuple, float]]:
    """The queued writes, consecutive metric writes to one namespace as one moto call (moto appends each datum in
    order, whichever call brings it: the same data, one validation pass and backend lookup instead of many)."""
    batch: list = []
    key = None
    for entry in entries:
        writer, args, _ = entry
        if writer is _put_metric_data and key == args[:3]:
            batch.append(entry)
            continue
        if batch:
            yield _metric_batch(batch)
        batch, key = ([entry], args[:3]) if writer is _put_metric_data else ([], None)
        if not batch:
            yield entry
    if batch:
        yield _metric_batch(batch)


def _metric_batch(batch: list[tuple[Callable, tuple, float]]) -> tuple[Callable, tuple, float]:
    if len(batch) == 1:
        return batch[0]
    account_id, region, namespace = batch[0][1][:3]
    data = [datum for _, args, _ in batch for datum in _metric_data(args[4], args[5], args[3])]
    return _put_metric_datums, (account_id, region, namespace, data), batch[-1][2]


def _metric_data(data: list[tuple[str, float, str]], dimensions: list[dict], timestamp: float) -> list[dict]:
    """One write's data points as PutMetricData's MetricData (one timestamp for all: converted once)."""
    at = _naive_utc(timestamp)
    return [{"MetricName": name, "Value": value, "Unit": unit, "Dimensions": dimensions, "Timestamp": at}
            for name, value, unit in data]


def _naive_utc(epoch_s: float) -> datetime:
    """Epoch seconds as moto keeps times: a naive datetime in UTC."""
    return datetime.fromtimestamp(epoch_s, timezone.utc).replace(tzinfo=None)


def _put_metric_datums(account_id: str, region: str, namespace: str, data: list[dict]) -> None:
    from moto.cloudwatch.models import cloudwatch_backends

    cloudwatch_backends[account_id][region].put_metric_data(namespace, data)


def ingestion_time() -> datetime | None:
    """While a queued write is written: the machine time (naive UTC, as moto keeps it) it was made at, for moto's
    ingestion and creation times; None otherwise (moto reads its clock)."""
    ingestion = _ingestion
    return ingestion[1] if ingestion is not None and ingestion[0] == threading.get_ident() else None


def _defer(writer: Callable, args: tuple) -> None:
    # time.time() as moto's utcnow() would read it here (the virtual clock inside an invocation, the machine's outside)
    _pending.append((writer, args, time.time()))
    if len(_pending) >= PENDING_LIMIT:
        flush_pending()


def _discard_pending() -> None:
    with _pending_lock:
        _pending.clear()
        _pending_groups.clear()


def log_group_exists(account_id: str, region: str, group: str) -> bool:
    """Whether the log group exists (or a queued write creates it)."""
    if (account_id, region, group) in _pending_groups:
        return True
    return group in _moto("moto.logs.models", "logs_backends")[account_id][region].groups


def write_log_events(account_id: str, region: str, group: str, stream: str, events: list[tuple[int, str]]) -> None:
    """Append ``(timestamp_ms, message)`` events, creating the group and stream as the Lambda service does."""
    key = (account_id, region, group)
    if key not in _pending_groups:  # (a group the queue creates has no subscription filter: adding one flushes)
        log_group = _moto("moto.logs.models", "logs_backends")[account_id][region].groups.get(group)
        if log_group is not None and log_group.subscription_filters:
            flush_pending()  # its subscribers are called as the events arrive, after every earlier write
            _write_log_events(account_id, region, group, stream, events)
            return
    _pending_groups.add(key)  # before the write is queued: a flush that queueing it sets off forgets the group again
    _defer(_write_log_events, (account_id, region, group, stream, events))


def _write_log_events(account_id: str, region: str, group: str, stream: str, events: list[tuple[int, str]]) -> None:
    from moto.logs.exceptions import ResourceAlreadyExistsException
    from moto.logs.models import logs_backends

    backend = logs_backends[account_id][region]
    if group not in backend.groups:
        try:
            backend.create_log_group(group, {})
        except ResourceAlreadyExistsException:  # created meanwhile by another invocation's thread
            pass
    log_group = backend.groups[group]
    if stream not in log_group.streams:
        backend.create_log_stream(group, stream)
    if events:
        # Straight to the stream: moto's API-level put rejects events older than 14 days of *real* time, and these
        # carry virtual-clock timestamps.
        log_group.streams[stream].put_log_events([{"timestamp": t, "message": m} for t, m in events])


def put_metric_data(account_id: str, region: str, namespace: str, timestamp: float,
                    data: list[tuple[str, float, str]], dimensions: list[dict]) -> None:
    """Put ``(name, value, unit)`` data points at ``timestamp`` (epoch seconds)."""
    _defer(_put_metric_data, (account_id, region, namespace, timestamp, data, dimensions))


def _put_metric_data(account_id: str, region: str, namespace: str, timestamp: float,
                     data: list[tuple[str, float, str]], dimensions: list[dict]) -> None:
    _put_metric_datums(account_id, region, namespace, _metric_data(data, dimensions, timestamp))


def put_metric_values(account_id: str, region: str, namespace: str, timestamp: float, name: str,
                      values: list[float], unit: str, dimensions: list[dict], storage_resolution: int = 60) -> None:
    """Put one metric with several values (a MetricDatum's ``Values``) at ``timestamp`` (epoch seconds)."""
    _defer(_put_metric_values, (account_id, region, namespace, timestamp, name, list(values), unit, dimensions,
                                storage_resolution))


def _put_metric_values(account_id: str, region: str, namespace: str, timestamp: float, name: str,
                       values: list[float], unit: str, dimensions: list[dict], storage_resolution: int) -> None:
    _put_metric_datums(account_id, region, namespace, [
        {"MetricName": name, "Values": values, "Unit": unit, "Dimensions": dimensions,
         "Timestamp": _naive_utc(timestamp), "StorageResolution": storage_resolution}])


def put_trace_segments(account_id: str, region: str, documents: list[str]) -> None:
    """X-Ray segment documents (JSON text), as PutTraceSegments stores them."""
    from moto.xray.models import xray_backends

    backend = xray_backends[account_id][region]
    for document in documents:
        backend.process_segment(document)


def partition(region: str) -> str:
    """The partition a region belongs to: aws, aws-cn, aws-us-gov, ..."""
    from moto.utilities.utils import get_partition

    return get_partition(region)


def topic_or_none(topic_arn: str):
    """The SNS topic an ARN names, or None."""
    from moto.sns.models import sns_backends

    parts = _arn_parts(topic_arn, "sns")
    return sns_backends[parts[4]][parts[3]].topics.get(topic_arn) if parts else None


def topic_policy(topic) -> dict:
    """A topic's access policy as a document."""
    return dict(topic._policy_json or {})


# --- SQS, SNS, EventBridge ----------------------------------------------------------------------------------------
def sqs_backend(account_id: str, region: str):
    """moto's SQS backend of one account and region (created on first use, as moto does)."""
    backends = _moto("moto.sqs.models", "sqs_backends")
    # moto's BackendDict[account] takes a lock and compares itself with every service's BackendDict (to note it for
    # reset) even when the account's backends exist: ~10 µs, at every batch a poller receives. An account found in
    # the dict was noted when it was made (a reset empties both), so it is read as a plain dict; else moto's way.
    account = dict.get(backends, account_id)
    if account is None:
        account = backends[account_id]
    found = dict.get(account, region)
    return found if found is not None else account[region]


def queue_or_none(account_id: str, region: str, name: str):
    return sqs_backend(account_id, region).queues.get(name)


def queue_from_arn(arn: str):
    """The queue an ``arn:aws:sqs:...`` ARN names, or None."""
    parts = _arn_parts(arn, "sqs")
    return queue_or_none(parts[4], parts[3], parts[5]) if parts else None


def put_s3_object(account_id: str, bucket: str, key: str, body: bytes) -> None:
    """Write an object as a service writing on the account's behalf would (Firehose's S3 destination); S3 event
    notifications follow, as for any write."""
    from moto.s3.models import s3_backends

    s3_backends[account_id][DEFAULT_PARTITION].put_object(bucket, key, body)


def send_sqs_message(queue_arn: str, body: str, attributes: dict[str, str] | None = None) -> None:
    parts = queue_arn.split(":")
    message_attributes = {k: {"DataType": "String", "StringValue": v} for k, v in (attributes or {}).items()}
    sqs_backend(parts[4], parts[3]).send_message(parts[5], body, message_attributes=message_attributes)


class ReceivedMessage(NamedTuple):
    """A message as an event source mapping's ReceiveMessage got it: ``message`` in ReceiveMessage's shape (boto3's
    ``Messages`` item with ``AttributeNames=["All"]`` and ``MessageAttributeNames=["All"]``), ``chain`` the chain of
    invocations of the function that sent it (None when no function did)."""

    message: dict[str, Any]
    chain: int | None


def receive_for_mapping(queue, count: int, visibility_timeout: int) -> list[ReceivedMessage]:
    """ReceiveMessage (up to ``count``, no long polling, every attribute) as a mapping's poller makes it, each message
    read at once into ReceiveMessage's shape.

    moto's ``SQSBackend.receive_message`` step for step, on the queue's own messages: the same messages in the same
    order (visible, not delayed, not of a FIFO group in flight), the same visibility timeout, receive count and first
    receive time, the same receipt handles from the same draws of moto's generator (drawn together, before any
    message goes to the DLQ, as moto draws them one by one before it moves them), the same redrive to the DLQ and the
    same stop at a message past its retention period (counted as received, not returned). What it leaves out is what
    a mapping does not need and took half of a receive: a deep copy of each message (to filter attributes a mapping
    asks all of), a clock read per field, the pending groups deep-copied. ``test_moto_bridge.py`` runs both on the
    same queues and compares every field, the queues and the generator."""
    models = sys.modules["moto.sqs.models"]
    queue = sqs_backend(queue.account_id, queue.region).get_queue(queue.name)  # (moto's: a queue by name, or raises)
    release_timed_out_fifo_messages(queue)
    now_ms = models.unix_time_millis()  # the virtual clock does not move while a receive runs
    now_s = models.unix_time()
    pending = queue.pending_messages
    groups = {m.group_id for m in pending if m.group_id is not None}
    fifo = queue.fifo_queue
    dlq = queue.dead_letter_queue
    max_receives = queue.redrive_policy["maxReceiveCount"] if dlq is not None and queue.redrive_policy else None
    retention = int(queue.message_retention_period)
    visibility_ms = int(visibility_timeout) * 1000 if visibility_timeout else 0
    received: list = []
    marked: list = []
    to_dlq: list = []
    for message in queue._messages:
        if not (now_ms > message.visible_at and not now_ms < message.delayed_until):
            continue  # in flight or delayed
        # (moto takes a message whose visibility timeout passed out of the in-flight set here and puts it back
        # below: for a FIFO queue the release above did it already, for another queue the set ends as it was.)
        if message.group_id and fifo and message.group_id in groups:
            continue  # a FIFO group in flight waits
        if max_receives is not None and message.approximate_receive_count >= max_receives:
            to_dlq.append(message)
            continue
        pending.add(message)
        # Message.mark_received, the receipt handle drawn below
        if not message.approximate_first_receive_timestamp:
            message.approximate_first_receive_timestamp = int(now_ms)
        message.approximate_receive_count += 1
        if visibility_ms:
            message.visible_at = now_ms + visibility_ms
        message._old_receipt_handles.append(message.receipt_handle)
        marked.append(message)
        if not retention + message.sent_timestamp / 1000 > now_s:
            break  # past its retention period: moto stops here (SQSBackend.is_message_valid_based_on_retention_period)
        received.append(message)
        if len(received) >= count:
            break
    for message, handle in zip(marked, sqs_receipt_handles(len(marked))):
        message.receipt_handle = handle
    for message in to_dlq:
        queue._messages.remove(message)
        dlq.add_message(message)
    return [ReceivedMessage(_received(message), getattr(message, "lambda_local_chain", None)) for message in received]


def release_timed_out_fifo_messages(queue) -> None:
    """A FIFO queue's in-flight messages whose visibility timeout passed are in flight no more. moto releases one
    only when its receive reaches it, so a group's first message was skipped while a later one still counted as in
    flight, and that later one was delivered first: releasing them all before a receive keeps SQS's order."""
    if queue.fifo_queue:
        for message in [m for m in queue.pending_messages if m.visible]:
            queue.pending_messages.discard(message)


_RECEIPT_LENGTH = 185
# A word's top 5 bits are its most significant byte >> 3: that byte maps to its letter; bytes >= 26 << 3 are skipped.
_RECEIPT_TABLE = bytes(ord("abcdefghijklmnopqrstuvwxyz"[b >> 3]) if b < 208 else 0 for b in range(256))
_RECEIPT_SKIPPED = bytes(range(208, 256))


def sqs_receipt_handles(count: int) -> list[str]:
    """``count`` receipt handles as ``count`` calls of moto.sqs.utils.generate_receipt_handle make them: the same
    letters from the same draws of moto's seeded generator, many times sooner (moto makes 185 ``random.choice`` calls
    a handle).

    ``choice`` of 26 letters draws a 32-bit word, keeps its top 5 bits and draws again for values of 26 and above;
    here the words are drawn in bulk (``getrandbits(32 * n)``: word i in bits 32i..32i+31, little-endian), never
    more than the letters still missing, so the generator ends in the same state and every id moto makes afterwards
    stays the same; the handles are consecutive runs of 185 letters of that one stream."""
    mock_random = _moto("moto.moto_api._internal", "mock_random")  # (seeding reseeds it in place)
    wanted = _RECEIPT_LENGTH * count
    letters = b""
    while len(letters) < wanted:
        missing = wanted - len(letters)
        top_bytes = mock_random.getrandbits(32 * missing).to_bytes(4 * missing, "little")[3::4]
        letters += top_bytes.translate(_RECEIPT_TABLE, _RECEIPT_SKIPPED)
    text = letters.decode("ascii")
    return [text[start:start + _RECEIPT_LENGTH] for start in range(0, wanted, _RECEIPT_LENGTH)]


def _received(message) -> dict[str, Any]:
    """A moto message in ReceiveMessage's shape."""
    attributes = {
        "SenderId": message.sender_id,
        "SentTimestamp": str(message.sent_timestamp),
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp or message.sent_timestamp),
    }
    if message.group_id is not None:
        attributes["MessageGroupId"] = message.group_id
    if message.deduplication_id is not None:
        attributes["MessageDeduplicationId"] = message.deduplication_id
    if message.sequence_number is not None:
        attributes["SequenceNumber"] = message.sequence_number
    received = {"MessageId": message.id, "ReceiptHandle": message.receipt_handle, "Body": message.body,
                "Attributes": attributes}
    if message.message_attributes:
        received["MessageAttributes"] = {name: _received_attribute(attribute)
                                         for name, attribute in message.message_attributes.items()}
    return received


def _received_attribute(attribute: dict) -> dict[str, Any]:
    # moto keeps what SendMessage was given; a binary value as bytes
    data_type = attribute.get("data_type") or attribute.get("DataType") or "String"
    binary = attribute.get("binary_value") or attribute.get("BinaryValue")
    if binary:
        return {"DataType": data_type, "BinaryValue": binary}
    return {"DataType": data_type, "StringValue": attribute.get("string_value") or attribute.get("StringValue")}


def delete_messages(queue, message_ids: set[str]) -> None:
    """Delete several messages from a moto queue in one pass (moto's delete scans the queue twice per message)."""
    kept: list = []
    left = set(message_ids)
    messages = queue._messages
    for index, message in enumerate(messages):
        if message.id in left:
            queue.pending_messages.discard(message)
            queue.deleted_messages.update(message.all_receipt_handles)
            left.discard(message.id)
            if not left:  # all found (a batch is near the front): only the part scanned is replaced, in place (moto
                messages[:index + 1] = kept  # appends and removes in place too); a new list cost O(queue) a batch
                return
        else:
            kept.append(message)
    queue._messages = kept


def publish_to_topic(topic_arn: str, body: str, attributes: dict[str, str] | None = None) -> None:
    from moto.sns.models import sns_backends

    parts = topic_arn.split(":")
    message_attributes = {k: {"Type": "String", "Value": v} for k, v in (attributes or {}).items()}
    sns_backends[parts[4]][parts[3]].publish(body, arn=topic_arn, message_attributes=message_attributes)


def put_events(bus_arn: str, entries: list[dict[str, Any]]) -> None:
    from moto.events.models import events_backends

    parts = bus_arn.split(":")
    events_backends[parts[4]][parts[3]].put_events(entries)


def event_bus_or_none(account_id: str, region: str, name: str):
    from moto.events.models import events_backends

    return events_backends[account_id][region].event_buses.get(name)


def cloudtrail_logs_management_events(account_id: str, region: str) -> bool:
    """Whether a CloudTrail trail of the account that covers ``region`` (its own Region, or multi-Region) is
    logging: EventBridge receives "AWS API Call via CloudTrail" events only then."""
    from moto.cloudtrail.models import cloudtrail_backends

    if account_id not in cloudtrail_backends:
        return False
    return any(trail.status.is_logging and (trail.region_name == region or trail.is_multi_region)
               for backend in list(cloudtrail_backends[account_id].values()) for trail in backend.trails.values())


def cloudformation_stack(account_id: str, region: str, stack_id: str):
    """moto's stack (raises moto's ValidationError for an unknown one)."""
    from moto.cloudformation import cloudformation_backends

    return cloudformation_backends[account_id][region].get_stack(stack_id)


def new_custom_resource(region: str, request_id: str, logical_id: str, resource_name: str):
    """moto's model of a custom resource (created once its function answers SUCCESS)."""
    from moto.cloudformation.custom_model import CustomModel

    return CustomModel(region, request_id, logical_id, resource_name)  # type: ignore[abstract]  # as moto does


def add_stack_event(stack, logical_id: str, physical_id: str, resource_type: str, status: str,
                    reason: str | None) -> None:
    """A resource's event in a stack's DescribeStackEvents."""
    from moto.cloudformation.models import Event

    stack.events.append(Event(stack.stack_id, stack.name, logical_id, physical_id, resource_type, status, reason,
                              None))


def render_input_transformer(transformer: dict[str, Any], event: Any):
    """What an EventBridge InputTransformer makes of ``event`` (moto's template parser)."""
    from moto.events.models import EventTemplateParser

    return EventTemplateParser.parse(input_template=transformer.get("InputTemplate", ""),
                                     input_paths_map=transformer.get("InputPathsMap", {}), event=event)


def event_pattern_matches(pattern: dict, event: dict) -> bool:
    """Whether ``event`` matches an EventBridge event pattern (moto's matcher; Lambda's filters share the grammar)."""
    from moto.events.models import EventPattern

    return EventPattern(None, pattern).matches_event(event)  # type: ignore[arg-type]  # a plain dict works


# --- streams and HTTP APIs ----------------------------------------------------------------------------------------
def kinesis_stream_or_none(account_id: str, region: str, name: str):
    from moto.kinesis.models import kinesis_backends

    return kinesis_backends[account_id][region].streams.get(name)


def dynamodb_table_or_none(account_id: str, region: str, name: str):
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[account_id][region].tables.get(name)


def rest_api_or_none(api_id: str, region: str):
    """``(account, api)`` of an API Gateway REST API in any account, or None."""
    from moto.apigateway.models import apigateway_backends

    return _find_api(apigateway_backends, api_id, region)


def http_api_or_none(api_id: str, region: str):
    """``(account, api)`` of an API Gateway HTTP API in any account, or None."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    return _find_api(apigatewayv2_backends, api_id, region)


def http_api_region(api_id: str) -> str | None:
    """The region of the API Gateway HTTP or WebSocket API ``api_id`` (ids are unique across regions), or None."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    for account in list(apigatewayv2_backends.keys()):
        for region, backend in list(apigatewayv2_backends[account].items()):
            if api_id in backend.apis:
                return region
    return None


def cognito_jwks(issuer: str) -> dict | None:
    """The JSON Web Key Set that moto serves at ``ISSUER/.well-known/jwks.json`` when ``issuer`` names a user pool of
    this sandbox (``https://cognito-idp.REGION.amazonaws.com/POOL_ID``), else None: the keys its tokens are signed
    with, read without a network request."""
    import re

    from moto.cognitoidp.models import cognitoidp_backends
    from moto.cognitoidp.responses import CognitoIdpJsonWebKeyResponse

    match = re.fullmatch(r"https://cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/([^/]+)", issuer or "")
    if match is None:
        return None
    region, pool_id = match.groups()
    for account in list(cognitoidp_backends.keys()):
        if pool_id in cognitoidp_backends[account][region].user_pools:
            return json.loads(CognitoIdpJsonWebKeyResponse.json_web_key)
    return None


def _find_api(backends, api_id: str, region: str):
    for account in list(backends.keys()):
        api = backends[account][region].apis.get(api_id)
        if api is not None:
            return account, api
    return None



def metric_alarms(account_id: str, region: str) -> list:
    """CloudWatch's metric alarms (moto's objects: name, metric_name, period, threshold, state_value, ...)."""
    from moto.cloudwatch.models import cloudwatch_backends

    return [a for a in cloudwatch_backends[account_id][region].alarms.values() if a.metric_name]


def metric_statistic(account_id: str, region: str, alarm, start: float, end: float) -> float | None:
    """The alarm's statistic of its metric over ``[start, end)`` (epoch seconds), or None when there is no data."""
    from moto.cloudwatch.models import cloudwatch_backends

    flush_pending()
    dimensions = [{"Name": d.name, "Value": d.value} for d in alarm.dimensions]
    buckets = cloudwatch_backends[account_id][region].get_metric_statistics(
        alarm.namespace, alarm.metric_name, _naive_utc(start), _naive_utc(end), int(end - start), [alarm.statistic],
        dimensions, alarm.unit)
    found = [b.get_statistics_for_type(alarm.statistic) for b in buckets]
    values = [float(v) for v in found if v is not None]
    if not values:
        return None
    return sum(values) if alarm.statistic in ("Sum", "SampleCount") else (
        max(values) if alarm.statistic == "Maximum" else min(values) if alarm.statistic == "Minimum" else values[0])


def set_alarm_state(alarm, state_value: str, reason: str, reason_data: str, when: float) -> None:
    """Record an alarm's new state (its history keeps the old one), stamped with the virtual clock."""
    alarm.update_state(reason, reason_data, state_value)
    alarm.state_updated_timestamp = _naive_utc(when)
