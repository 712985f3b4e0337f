"""Every change this project makes to moto, named, in one place: the patch table and the route table.

Each patch replaces one moto attribute with a function of ours that hands the work to the active sandbox and falls
back to moto's original when no ``lambda_local.mock_aws()`` is active. Each route answers a Lambda API URL moto
does not serve at all. ``tests/test_moto_bridge.py`` checks that each patched attribute still exists with the
signature we rely on, and that each route is still missing from moto, so a moto upgrade that moves one fails loudly.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import functools
import inspect
import json
import re
import threading
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlparse

from ..runtime import virtual_time
from ..runtime.errors import ServiceError
from . import state, validation

__all__ = ["PATCHES", "ROUTES", "install", "current"]


@dataclass(frozen=True)
class Patch:
    name: str
    target: str  # "module:Class.attribute"
    signature: tuple[str, ...]  # the parameters we rely on
    replacement: Callable | property  # a property replaces a property (its getter's signature is checked)
    why: str
    # Applied when moto imports the module (not at install): importing it costs seconds (moto.cloudformation loads
    # nearly every service), and a sandbox that never uses it should not pay.
    lazy: bool = False

    @property
    def module(self) -> str:
        return self.target.partition(":")[0]

    def resolve(self):
        import importlib

        module_name, _, path = self.target.partition(":")
        owner_name, _, attribute = path.rpartition(".")
        module = importlib.import_module(module_name)
        return (getattr(module, owner_name) if owner_name else module), attribute


_originals: dict[str, Any] = {}  # patch name -> moto's original; route name -> what moto had under its actions


def _no_sandbox() -> None:
    return None


_current: Callable[[], Any] = _no_sandbox  # set by install(): returns the active Sandbox or None


def current():
    """The active sandbox (the handle ``lambda_local.mock_aws()`` yields), or None under plain moto."""
    return _current()


def original(name: str) -> Callable:
    return _originals[name]


class _LambdaServiceError(Exception):
    """Carries a ServiceError out through moto's response machinery as an HTTP error."""


def _reply(status: int, headers: dict, body):
    headers["status"] = status  # moto takes the status from this header
    return status, headers, body


def _error_response(error: ServiceError):
    headers = {"x-amzn-ErrorType": error.code, "content-type": "application/json"}
    body = {"__type": error.code, **error.body()}
    return _reply(error.status, headers, json.dumps(body))


def _invoke_response(self) -> Any:
    """LambdaResponse.invoke: Qualifier honoured, the function run by our runtime, AWS's status codes and errors."""
    sandbox = _current()
    if sandbox is None:
        return original("lambda-invoke-response")(self)
    function_name = unquote(self.path.rsplit("/", 2)[-2])
    # Invoke's Qualifier is a query parameter only: not moto's _get_param, which also looked in the body (an event
    # with a "Qualifier" key picked the version), nor its querystring, which holds a body's text parsed as a form
    # when the URL has no query (an event holding "&Qualifier=2" asked for version '2"}')
    qualifier = (parse_qs(self.parsed_url.query).get("Qualifier") or [None])[0]
    headers = self.headers
    invocation_type = _header(headers, "x-amz-invocation-type")
    if invocation_type is None:
        invocation_type = "RequestResponse"
    if invocation_type not in ("RequestResponse", "Event", "DryRun"):
        return _error_response(ServiceError(
            "InvalidParameterValueException",
            f"1 validation error detected: Value '{invocation_type}' at 'invocationType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"))
    invalid_name = validation.function_name_error(function_name)
    if invalid_name:
        return _error_response(ServiceError("ValidationException", invalid_name))
    fn = self.backend.get_function(function_name, qualifier)  # moto raises ResourceNotFoundException
    body = self.raw_body if isinstance(getattr(self, "raw_body", None), bytes) else self.body
    payload = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    client_context = _header(headers, "x-amz-client-context")
    try:
        if client_context:
            client_context = json.loads(base64.b64decode(client_context))
    except ValueError:
        return _error_response(ServiceError("InvalidRequestContentException",
                                            "Client context must be a valid Base64-encoded JSON object."))
    try:
        if invocation_type == "Event":
            sandbox.invoke_async(self.backend, fn, payload, qualifier)
            result = None
        else:
            result = sandbox.invoke(fn, payload, invocation_type=invocation_type, client_context=client_context,
                                    qualifier=qualifier, trace_header=_header(headers, "x-amzn-trace-id"))
    except ServiceError as error:
        return _error_response(error)
    response_headers = {"content-type": "application/json", "x-amz-executed-version": str(fn.version)}
    if invocation_type == "DryRun":
        return _reply(204, response_headers, "")
    if invocation_type == "Event":
        return _reply(202, response_headers, "")
    assert result is not None  # a RequestResponse invocation always has a record
    if result.function_error:
        response_headers["x-amz-function-error"] = result.function_error
    if _header(headers, "x-amz-log-type") == "Tail":
        tail = result.log.encode("utf-8")[-4096:]
        response_headers["x-amz-log-result"] = base64.b64encode(tail).decode("ascii")
    return _reply(200, response_headers, result.raw_payload)


def _header(headers, name: str) -> str | None:
    """A request header by its lower-case name, whatever its case: werkzeug's headers (boto3 through moto) look it
    up case-insensitively themselves; a plain dict (moto's server, a test) is searched."""
    value = headers.get(name)
    if value is None and isinstance(headers, dict):
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def _function_invoke(self, body, request_headers, response_headers):
    """LambdaFunction.invoke: the path moto's own triggers take; runs the function in our runtime."""
    sandbox = _current()
    if sandbox is None:
        return original("lambda-function-invoke")(self, body, request_headers, response_headers)
    payload = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    invocation_type = (request_headers or {}).get("x-amz-invocation-type", "Event")
    result = sandbox.invoke(self, payload, invocation_type=invocation_type)
    if result is None:
        return b""
    if result.function_error:
        response_headers["x-amz-function-error"] = result.function_error
    return result.raw_payload


def _backend_invoke(self, function_name, qualifier, body, headers, response_headers):
    """LambdaBackend.invoke (and LambdaSimpleBackend's, which answers without running anything): the call other
    services make inside moto — Secrets Manager's rotation steps — runs the function in our runtime, synchronously
    unless the caller asks for an Event invocation."""
    sandbox = _current()
    if sandbox is None:
        return original(f"{_backend_kind(self)}-invoke")(self, function_name, qualifier, body, headers,
                                                         response_headers)
    fn = self.get_function(function_name, qualifier)
    payload = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    invocation_type = (headers or {}).get("x-amz-invocation-type", "RequestResponse")
    if invocation_type == "Event":
        sandbox.invoke_async(self, fn, payload, qualifier)
        return b""
    result = sandbox.invoke(fn, payload, invocation_type=invocation_type, qualifier=qualifier)
    if result is None:
        return b""
    if result.function_error:
        response_headers["x-amz-function-error"] = result.function_error
    response_headers["Content-Length"] = str(len(result.raw_payload))
    return result.raw_payload


def _backend_kind(backend) -> str:
    return "lambda-simple" if type(backend).__name__ == "LambdaSimpleBackend" else "lambda-backend"


def _create_function(self, spec):
    """LambdaBackend.create_function: AWS's checks moto leaves out (zip, handler, limits, runtime); keeps the
    DeadLetterConfig moto drops."""
    sandbox = _current()
    if sandbox is not None:
        validation.validate_function_spec(spec, self, enforce_iam=sandbox.enforce_iam)
    fn = original("lambda-create-function")(self, spec)
    stored = self.get_function(fn.function_name)
    if spec.get("DeadLetterConfig"):
        stored.dead_letter_config = fn.dead_letter_config = spec["DeadLetterConfig"]
    if spec.get("LoggingConfig"):
        stored.lambda_local_logging_config = fn.lambda_local_logging_config = dict(spec["LoggingConfig"])
    return fn


def _update_function_configuration(self, function_name, qualifier, body):
    sandbox = _current()
    if sandbox is not None:
        validation.validate_function_spec(body, self, update=True, enforce_iam=sandbox.enforce_iam)
    if "DeadLetterConfig" in body:
        self.get_function(function_name, qualifier).dead_letter_config = body["DeadLetterConfig"] or None
    if "EphemeralStorage" in body:  # moto ignores it on update
        size = int((body["EphemeralStorage"] or {}).get("Size", 512))
        validation.check_ephemeral_storage(size)
        self.get_function(function_name, qualifier).ephemeral_storage = size
    if body.get("TracingConfig"):  # moto ignores it on update; X-Ray sampling follows the mode
        self.get_function(function_name, qualifier).tracing_config = {
            "Mode": body["TracingConfig"].get("Mode") or "PassThrough"}
    if "LoggingConfig" in body:
        fn = self.get_function(function_name, qualifier)
        fn.lambda_local_logging_config = {**(getattr(fn, "lambda_local_logging_config", None) or {}),
                                          **body["LoggingConfig"]}
    return original("lambda-update-configuration")(self, function_name, qualifier, body)


def _get_configuration(self, on_create: bool = False):
    """LambdaFunction.get_configuration: report the DeadLetterConfig and LoggingConfig, as AWS does; CreateFunction
    answers State Pending (moto: Active), and the function is Active by the next call (the functions-states page of
    Lambda's guide: creating takes a moment on AWS, hence the function_active_v2 waiter)."""
    config = original("lambda-get-configuration")(self, on_create)
    if on_create:
        config.update(State="Pending", StateReason="The function is being created.", StateReasonCode="Creating")
    dlq = getattr(self, "dead_letter_config", None)
    if dlq and dlq.get("TargetArn"):
        config["DeadLetterConfig"] = {"TargetArn": dlq["TargetArn"]}
    logging_config = getattr(self, "lambda_local_logging_config", None) or {}
    config["LoggingConfig"] = {"LogFormat": logging_config.get("LogFormat", "Text"),
                               "LogGroup": logging_config.get("LogGroup", f"/aws/lambda/{self.function_name}")}
    if logging_config.get("LogFormat") == "JSON":
        config["LoggingConfig"]["ApplicationLogLevel"] = logging_config.get("ApplicationLogLevel", "INFO")
        config["LoggingConfig"]["SystemLogLevel"] = logging_config.get("SystemLogLevel", "INFO")
    return config


def _create_event_source_mapping(self, spec):
    """LambdaBackend.create_event_source_mapping: AWS's checks first; a new mapping polls what is already waiting."""
    sandbox = _current()
    if sandbox is not None:
        from ..triggers.mappings import check_new_mapping

        check_new_mapping(self, spec)
    esm = original("lambda-create-esm")(self, spec)
    if sandbox is not None:
        sandbox.sqs.mapping_changed(esm)
        sandbox.streams.mapping_created(esm)
    return esm


def _update_event_source_mapping(self, uuid, spec):
    sandbox = _current()
    if sandbox is not None:
        from ..triggers.mappings import check_mapping_update

        check_mapping_update(spec)
    esm = original("lambda-update-esm")(self, uuid, spec)
    if sandbox is not None and esm is not None:
        sandbox.sqs.mapping_changed(esm)
    return esm


def _function_url_to_dict(self):
    """FunctionUrlConfig.to_dict: AWS's URL ends with '/'; behind ``lambda-local serve`` it points at the server."""
    config = original("lambda-function-url")(self)
    url = config["FunctionUrl"].rstrip("/") + "/"
    sandbox = _current()
    if sandbox is not None and sandbox.endpoint:
        url = url.replace("https://", "http://").replace(".on.aws/", f".localhost:{sandbox.endpoint_port}/")
    config["FunctionUrl"] = url
    return config


def _put_event_invoke_config(self, function_name, config):
    """LambdaBackend.put_function_event_invoke_config: a put replaces the configuration (moto keeps every put and
    answers get with the first)."""
    response = original("lambda-put-event-invoke-config")(self, function_name, config)
    fn = self.get_function(function_name)
    fn.event_invoke_config[:] = fn.event_invoke_config[-1:]
    return response


def _update_event_invoke_config(self, function_name, config):
    """LambdaBackend.update_function_event_invoke_config: an update changes only the fields it names."""
    fn = self.get_function(function_name)
    current = dict(fn.event_invoke_config[-1].config) if fn.event_invoke_config else {}
    return _put_event_invoke_config(self, function_name, {**current, **config})


# --- S3 ---------------------------------------------------------------------------------------------------------
def _get_s3_event(event_name, bucket, key, notification_id):
    """moto.s3.notifications._get_s3_event: the full S3 record (moto's lacks userIdentity, requestParameters,
    responseElements, ownerIdentity and sequencer, and encodes '/' in keys)."""
    sandbox = _current()
    if sandbox is None:
        return original("s3-notification-event")(event_name, bucket, key, notification_id)
    from ..triggers.s3 import notification_event

    return notification_event(sandbox, str(getattr(event_name, "value", event_name)), bucket, key, notification_id)


def _put_bucket_notification_configuration(self, bucket_name, notification_config):
    """S3Backend.put_bucket_notification_configuration: S3 checks that it may invoke each function (its resource
    policy must allow s3.amazonaws.com lambda:InvokeFunction), as AWS does before it accepts the configuration."""
    sandbox = _current()
    if sandbox is not None and sandbox.enforce_iam:
        from moto.s3.exceptions import S3ClientError

        from ..triggers.permissions import resource_policy_allows, service_context

        for item in (notification_config or {}).get("CloudFunctionConfiguration") or []:
            arn = item.get("CloudFunction", "")
            # A missing function fails validation like a missing permission.
            fn = state.get_function_or_none(state.lambda_backend(arn.split(":")[4], arn.split(":")[3]),
                                            ":".join(arn.split(":")[:7])) if arn.count(":") >= 6 else None
            if fn is None or not resource_policy_allows(fn, "s3.amazonaws.com", "lambda:InvokeFunction",
                                                     service_context(f"arn:aws:s3:::{bucket_name}", self.account_id)):
                raise S3ClientError("InvalidArgument", "Unable to validate the following destination configurations")
    return original("s3-put-notification")(self, bucket_name, notification_config)


def _s3_invoke_lambda(account_id, event_body, fn_arn, region_name):
    """moto.s3.notifications._invoke_awslambda: S3 invokes asynchronously (retries, destinations, DLQ)."""
    sandbox = _current()
    if sandbox is None:
        return original("s3-invoke-lambda")(account_id, event_body, fn_arn, region_name)
    parts = fn_arn.split(":")
    qualifier = parts[7] if len(parts) == 8 else None
    sandbox.queue_event(state.lambda_backend(account_id, region_name), ":".join(parts[:7]),
                               json.dumps(event_body).encode("utf-8"), qualifier)


def _s3_send_event_bridge_message(account_id, bucket, event_name, key):
    """moto.s3.notifications._send_event_bridge_message: S3 puts the event, in its documented shape, on the default
    bus of the bucket's account and Region only (moto: every bus, with a fixed sequencer and reason)."""
    sandbox = _current()
    if sandbox is None:
        return original("s3-eventbridge-message")(account_id, bucket, event_name, key)
    from ..triggers.s3 import eventbridge_notification

    event = eventbridge_notification(sandbox, account_id, str(getattr(event_name, "value", event_name)), bucket, key)
    if event is not None:
        sandbox.eventbridge.route(account_id, bucket.region_name, "default", event, from_service=True)
    return None


def _events_service_notification(source, event_name, region, resources, detail):
    """moto.events.notifications._send_safe_notification: moto sends an "Object Created" event for CreateBucket to
    every rule naming the call and invokes Lambda targets synchronously; on AWS the call reaches EventBridge as an
    "AWS API Call via CloudTrail" event, only while a CloudTrail trail is logging, and the default bus's rules that
    match it deliver it (Lambda asynchronously)."""
    sandbox = _current()
    if sandbox is None:
        return original("events-service-notification")(source, event_name, region, resources, detail)
    account_id = (detail or {}).get("requester")  # moto's only caller (S3 CreateBucket) names the bucket's account
    if source != "aws.s3" or event_name != "CreateBucket" or not account_id \
            or not state.cloudtrail_logs_management_events(account_id, region):
        return None
    from .. import events

    bucket = (detail.get("bucket") or {}).get("name", "")
    event = events.cloudtrail_api_call_event(
        event_source="s3.amazonaws.com", event_name="CreateBucket",
        request_parameters={"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com"},
        time=sandbox.clock.time(), region=region, account_id=account_id, partition=state.partition(region),
        rng=sandbox.rng)
    sandbox.eventbridge.route(account_id, region, "default", event, from_service=True)
    return None


def _s3_key_response(self, request, full_url, headers):
    """S3Response.key_response: the notifications an object request raises are sent once it has completed."""
    if _current() is None:
        return original("s3-key-response")(self, request, full_url, headers)
    from ..triggers.s3 import object_request

    with object_request():
        return original("s3-key-response")(self, request, full_url, headers)


def _s3_send_event(account_id, event_name, bucket, key):
    """moto.s3.notifications.send_event: wait until the request that wrote the object has stored all of it."""
    if _current() is None:
        return original("s3-send-event")(account_id, event_name, bucket, key)
    from ..triggers.s3 import notify_after_write

    notify_after_write(lambda: original("s3-send-event")(account_id, event_name, bucket, key))
    return None


# --- SNS --------------------------------------------------------------------------------------------------------
def _sns_subscription_publish(self, message, message_id, subject=None, message_attributes=None, group_id=None,
                              deduplication_id=None, message_structure=None):
    """Subscription.publish: a Lambda subscription gets a real SNS record (moto's has placeholder ARNs)."""
    sandbox = _current()
    if sandbox is None or self.protocol != "lambda":
        return original("sns-subscription-publish")(self, message, message_id, subject, message_attributes,
                                                   group_id, deduplication_id, message_structure)
    if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(message_attributes,
                                                                                           message):
        return None
    if message_structure == "json":
        message = json.loads(message).get("lambda", json.loads(message).get("default", message))
    from ..triggers.sns import deliver

    deliver(sandbox, self, message, message_id, subject, message_attributes)
    return None


# --- EventBridge ------------------------------------------------------------------------------------------------
def _rule_send_to_targets(self, original_event, transform_input=True):
    """Rule.send_to_targets: Lambda targets (asynchronously), SNS topics (moto raises NotImplementedError to the
    caller of PutEvents for both) and other event buses (moto re-puts only source, detail-type and detail); a
    disabled rule matches nothing; any other target moto cannot deliver to counts as a failed invocation."""
    sandbox = _current()
    if sandbox is None:
        return original("events-send-to-targets")(self, original_event, transform_input)
    if self.state != "ENABLED" or not self.event_pattern.matches_event(original_event):
        return None
    ours = [t for t in self.targets if t.get("Arn", "").split(":")[2:3] in (["lambda"], ["sns"])
            or ":event-bus/" in t.get("Arn", "")]
    if ours:
        event = sandbox.eventbridge.event_from_moto(original_event)
        sandbox.eventbridge.deliver(self, event)
        sandbox.eventbridge.deliver_sns(self, event)
        sandbox.eventbridge.deliver_to_buses(self, event)
    saved = self.targets
    try:
        for target in [t for t in saved if t not in ours]:  # moto's own: SQS, logs, buses, archives
            self.targets = [target]
            try:
                original("events-send-to-targets")(self, original_event, transform_input)
            except NotImplementedError:  # a target moto cannot deliver to: the delivery fails, not PutEvents
                sandbox.eventbridge.failed(self)
    finally:
        self.targets = saved
    return None


def _put_rule(self, name, *args, **kwargs):
    """EventsBackend.put_rule: schedule expressions validated with AWS's rules and fired on the virtual clock."""
    sandbox = _current()
    expression = kwargs.get("scheduled_expression")
    if expression is None and len(args) >= 5:
        expression = args[4]
    if sandbox is not None and expression:
        from moto.events.exceptions import ValidationException
        from ..triggers.schedules import InvalidSchedule, parse_schedule

        try:
            parse_schedule(expression)
        except InvalidSchedule:
            raise ValidationException("Parameter ScheduleExpression is not valid.") from None
    rule = original("events-put-rule")(self, name, *args, **kwargs)
    if sandbox is not None and expression:
        sandbox.eventbridge.schedule(self, rule)
    return rule


# --- EventBridge Scheduler ---------------------------------------------------------------------------------------
def _check_schedule_target(sandbox, target) -> None:
    """A universal target Scheduler refuses is refused at creation, as AWS does (moto stores any target)."""
    if sandbox is None:
        return
    from moto.scheduler.exceptions import ValidationException

    try:
        sandbox.scheduler.check(target)
    except ServiceError as error:
        raise ValidationException(error.message) from None


def _scheduler_create_schedule(self, *args, **kwargs):
    """EventBridgeSchedulerBackend.create_schedule: the schedule runs on the virtual clock (moto only stores it)."""
    _check_schedule_target(_current(), kwargs.get("target"))
    schedule = original("scheduler-create-schedule")(self, *args, **kwargs)
    sandbox = _current()
    if sandbox is not None:
        sandbox.scheduler.schedule(self, schedule)
    return schedule


def _scheduler_update_schedule(self, *args, **kwargs):
    """EventBridgeSchedulerBackend.update_schedule: the schedule's turns follow its new settings."""
    _check_schedule_target(_current(), kwargs.get("target"))
    schedule = original("scheduler-update-schedule")(self, *args, **kwargs)
    sandbox = _current()
    if sandbox is not None:
        sandbox.scheduler.schedule(self, schedule)
    return schedule


# --- Data Firehose ----------------------------------------------------------------------------------------------
def _firehose_put_record_batch(self, delivery_stream_name, records):
    """FirehoseBackend.put_record_batch (PutRecord too): a stream with a Lambda processor or a destination other than
    S3 buffers its records, runs them through the function and delivers them on the virtual clock (moto writes each
    put to S3 as it is, posts to an HTTP endpoint at once and fails PutRecord to Splunk)."""
    sandbox = _current()
    stream = self.delivery_streams.get(delivery_stream_name)
    if sandbox is None or stream is None or not sandbox.firehose.delivers(stream):
        return original("firehose-put-record-batch")(self, delivery_stream_name, records)
    return {"FailedPutCount": 0, "Encrypted": False, "RequestResponses": sandbox.firehose.put(stream, records)}


# --- API Gateway @connections ----------------------------------------------------------------------------------
def _gone():
    from moto.core.exceptions import JsonRESTError

    error = JsonRESTError("GoneException", "")
    error.code = 410
    return error


def _post_to_connection(self, data, connection_id):
    """ApiGatewayManagementApiBackend.post_to_connection: the data reaches the connected WebSocket client; a
    connection that is gone is GoneException (410), as on AWS (moto accepts any id)."""
    sandbox = _current()
    if sandbox is None:
        return original("apigw-post-to-connection")(self, data, connection_id)
    if not sandbox.websockets.post(unquote(connection_id), data):  # ids end in '=', sent as %3D
        raise _gone()


def _get_connection(self, connection_id):
    """ApiGatewayManagementApiBackend.get_connection: the client's connection, or GoneException."""
    sandbox = _current()
    if sandbox is None:
        return original("apigw-get-connection")(self, connection_id)
    described = sandbox.websockets.describe(unquote(connection_id))
    if described is None:
        raise _gone()
    return _Connection(described)


@dataclass(frozen=True)
class _Connection:
    """What moto's GetConnection response renders (``to_dict()``)."""

    described: dict

    def to_dict(self) -> dict:
        return self.described


def _delete_connection(self, connection_id):
    """ApiGatewayManagementApiBackend.delete_connection: the server closes the connection ($disconnect runs)."""
    sandbox = _current()
    if sandbox is None:
        return original("apigw-delete-connection")(self, connection_id)
    if not sandbox.websockets.delete(unquote(connection_id)):
        raise _gone()


# --- DynamoDB Streams and Kinesis -------------------------------------------------------------------------------
@contextlib.contextmanager
def _mappings_hidden(source):
    """moto invokes a source's event source mappings inline (once, losing failures); while hidden, it does not,
    and our pollers serve them instead."""
    saved, source.lambda_event_source_mappings = source.lambda_event_source_mappings, {}
    try:
        yield
    finally:
        source.lambda_event_source_mappings = saved


def _dynamodb_stream_add(self, old, new):
    """StreamShard.add: our stream pollers checkpoint and retry (moto re-sends every record on each change)."""
    sandbox = _current()
    if sandbox is None:
        return original("dynamodb-stream-add")(self, old, new)
    with _mappings_hidden(self.table):
        original("dynamodb-stream-add")(self, old, new)
    sandbox.streams.dynamodb_changed(self)


def _kinesis_put_record(self, partition_key, explicit_hash_key, data):
    sandbox = _current()
    if sandbox is None:
        return original("kinesis-put-record")(self, partition_key, explicit_hash_key, data)
    with _mappings_hidden(self):
        result = original("kinesis-put-record")(self, partition_key, explicit_hash_key, data)
    sandbox.streams.kinesis_changed(self)
    return result


def _kinesis_put_records(self, stream_arn, stream_name, records):
    """KinesisBackend.put_records: the whole batch lands before the poller reads it, as one batch."""
    sandbox = _current()
    if sandbox is None:
        return original("kinesis-put-records")(self, stream_arn, stream_name, records)
    sandbox.streams.deferred = True
    try:
        result = original("kinesis-put-records")(self, stream_arn, stream_name, records)
    finally:
        sandbox.streams.deferred = False
    sandbox.streams.kinesis_changed(self.describe_stream(stream_arn=stream_arn, stream_name=stream_name))
    return result


# --- SQS --------------------------------------------------------------------------------------------------------
def _sqs_unix_time(dt=None) -> float:
    sandbox = _current()
    return sandbox.clock.time() if sandbox is not None and dt is None else original("sqs-unix-time")(dt)


def _sqs_unix_time_millis(dt=None) -> float:
    sandbox = _current()
    if sandbox is not None and dt is None:
        return sandbox.clock.time() * 1000
    return original("sqs-unix-time-millis")(dt)


def _sqs_receive_message(self, queue_name, count, wait_seconds_timeout, visibility_timeout,
                         message_attribute_names=None):
    """SQSBackend.receive_message: long polling waits on the virtual clock, so it returns at once; a FIFO group whose
    in-flight messages timed out is handed out again in order.

    moto releases a timed-out message from its in-flight set only when its loop reaches it, so the first message of a
    group is skipped while a later one of the same group still counts as in flight, and that later one is delivered
    first. Releasing every timed-out message before the loop restores SQS's order.
    """
    if _current() is None:
        return original("sqs-receive-message")(self, queue_name, count, wait_seconds_timeout, visibility_timeout,
                                              message_attribute_names)
    wait_seconds_timeout = 0
    state.release_timed_out_fifo_messages(self.get_queue(queue_name))
    _receiving.active = True  # Queue.messages hands moto's loop a lazy sequence (see _sqs_visible_messages)
    try:
        return original("sqs-receive-message")(self, queue_name, count, wait_seconds_timeout, visibility_timeout,
                                              message_attribute_names)
    finally:
        _receiving.active = False


_receiving = threading.local()


_ATOMIC = (str, int, float, bool, type(None), bytes)


def _sqs_deepcopy(x, memo=None, _nil=None):
    """copy.deepcopy as moto.sqs.models uses it: a received message is copied before its attributes are filtered.
    For a Message, the same copy (a new object whose every field is deep-copied, aliasing kept through one memo)
    without sending its strings and numbers through deepcopy's dispatch one by one: that was a third of a drain.
    (A mapping's receive, state.receive_for_mapping, copies nothing.)"""
    deepcopy = original("sqs-deepcopy")
    cls = type(x)
    if cls is set and memo is None and all(type(item) is str for item in x):
        return set(x)  # every receive copies the FIFO groups in flight (group ids): deepcopy's reduce path cost ~4 µs
    if _current() is None or cls.__name__ != "Message" or not _plain_state(cls):
        return deepcopy(x, memo) if memo is not None else deepcopy(x)
    memo = {} if memo is None else memo
    copied = memo.get(id(x))
    if copied is not None:
        return copied
    new = cls.__new__(cls)
    memo[id(x)] = new
    new.__dict__.update({key: value if type(value) in _ATOMIC else deepcopy(value, memo)
                         for key, value in x.__dict__.items()})
    return new


@functools.lru_cache(maxsize=8)
def _plain_state(cls) -> bool:
    """Whether deepcopy copies ``cls`` as its ``__dict__`` (no copy hooks of its own, no slots)."""
    hooks = ("__deepcopy__", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__", "__copy__")
    return not hasattr(cls, "__slots__") and all(getattr(cls, name, None) is getattr(object, name, None)
                                                 for name in hooks)


_underscored: dict[str, str] = {}


def _sqs_camelcase_to_underscores(argument):
    """moto.core.utils.camelcase_to_underscores as moto.sqs.models uses it, remembered per name: Queue.attributes
    converts its 14 attribute names character by character on every SendMessage (a pure function of the name)."""
    if not isinstance(argument, str) or len(_underscored) > 4096:
        return original("sqs-camelcase")(argument)
    result = _underscored.get(argument)
    if result is None:
        result = _underscored[argument] = original("sqs-camelcase")(argument)
    return result


def _sqs_count_delayed(self):
    """Queue.approximate_number_of_messages_delayed, the virtual clock read once (moto: once per message; SendMessage
    builds every queue attribute, so filling a queue of 10,000 took minutes)."""
    if _current() is None:
        return original("sqs-count-delayed").fget(self)
    now = moto_sqs_models().unix_time_millis()
    return sum(1 for m in self._messages if now < m.delayed_until)


def _sqs_count_not_visible(self):
    """Queue.approximate_number_of_messages_not_visible, the virtual clock read once (see _sqs_count_delayed)."""
    if _current() is None:
        return original("sqs-count-not-visible").fget(self)
    now = moto_sqs_models().unix_time_millis()
    return sum(1 for m in self._messages if not now > m.visible_at)


def _sqs_visible_messages(self):
    """Queue.messages (a property): the visible messages that are not delayed, the virtual clock read once (it does
    not move while the list is made; moto reads it twice per message). Inside a receive, a lazy sequence: moto's
    loop stops after one batch, and building the whole list first made every receive cost O(queue)."""
    if _current() is None:
        return original("sqs-queue-messages").fget(self)
    now = moto_sqs_models().unix_time_millis()
    visible = (m for m in self._messages if now > m.visible_at and not now < m.delayed_until)
    return visible if getattr(_receiving, "active", False) else list(visible)


def _sqs_send_message_batch(self, queue_name, entries):
    """SQSBackend.send_message_batch: the whole batch lands before a poller looks, so it reads one batch (moto's
    per-message hook would invoke once per message)."""
    sandbox = _current()
    if sandbox is None:
        return original("sqs-send-message-batch")(self, queue_name, entries)
    sandbox.sqs.deferred += 1
    try:
        result = original("sqs-send-message-batch")(self, queue_name, entries)
    finally:
        sandbox.sqs.deferred -= 1
    sandbox.sqs.message_arrived(self.get_queue(queue_name))
    return result


def _sqs_retention_check(self, queue_name, message):
    """SQSBackend.is_message_valid_based_on_retention_period: read the one setting (moto builds every queue
    attribute, counting all messages, for each message it hands out: a 10,000-message queue took minutes)."""
    queue = self.get_queue(queue_name)
    retain_until = int(queue.message_retention_period) + message.sent_timestamp / 1000
    return retain_until > moto_sqs_models().unix_time()


def _sqs_receipt_handle() -> str:
    """moto.sqs.utils.generate_receipt_handle: the same handle from the same draws (``state.sqs_receipt_handles``)."""
    return state.sqs_receipt_handles(1)[0]


def moto_sqs_models():
    import moto.sqs.models

    return moto.sqs.models


def _sqs_add_message(self, message):
    """Queue.add_message: our pollers serve event source mappings (moto's invoke once and lose failures)."""
    sandbox = _current()
    if sandbox is None:
        return original("sqs-add-message")(self, message)
    with _mappings_hidden(self):
        original("sqs-add-message")(self, message)
    sandbox.sqs.message_arrived(self, message)


def _update_function_code(self, function_name, qualifier, body):
    sandbox = _current()
    if sandbox is not None:
        validation.validate_function_spec({"Code": body}, self, update=True, enforce_iam=sandbox.enforce_iam)
    return original("lambda-update-code")(self, function_name, qualifier, body)


def _publish_layer_version(self, spec):
    """LambdaBackend.publish_layer_version: a layer archive that is not a zip is refused, as AWS does."""
    content = (spec or {}).get("Content") or {}
    if _current() is not None and content.get("ZipFile"):
        from moto.awslambda.models import _zipfile_content

        validation.unzipped_size(_zipfile_content(content["ZipFile"])[0])
    return original("lambda-publish-layer")(self, spec)


def _lambda_setup_class(self, request, full_url=None, headers=None, use_raw_body=None):
    """LambdaResponse.setup_class: a request body that is not UTF-8 (a binary Invoke payload) is kept as bytes, so
    Invoke answers InvalidRequestContentException instead of failing inside moto with a UnicodeDecodeError."""
    try:
        return original("lambda-setup-class")(self, request, full_url, headers, use_raw_body)
    except UnicodeDecodeError:
        if _current() is None:
            raise
        return original("lambda-setup-class")(self, request, full_url, headers, True)


def _put_function_concurrency(self, function_name, reserved_concurrency):
    """LambdaBackend.put_function_concurrency: AWS always keeps 100 unreserved; moto only checks with an env var."""
    sandbox = _current()
    if sandbox is not None:
        validation.check_reserved_concurrency(self, function_name, int(reserved_concurrency),
                                              sandbox.service.concurrency_limit)
    return original("lambda-put-concurrency")(self, function_name, reserved_concurrency)


# --- Secrets Manager --------------------------------------------------------------------------------------------
_ROTATION_DENIED = ("Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy "
                    "grants access to the principal secretsmanager.amazonaws.com.")


def _rotate_secret(self, secret_id, client_request_token=None, rotation_lambda_arn=None, rotation_rules=None,
                   rotate_immediately=True):
    """SecretsManagerBackend.rotate_secret: without a RotationLambdaARN the secret's configured function rotates it
    (moto forgets it); the function's resource policy must let Secrets Manager invoke it, else RotateSecret answers
    AccessDeniedException and changes nothing, as AWS does."""
    sandbox = _current()
    if sandbox is not None and secret_id in self.secrets:
        secret = self.secrets[secret_id]
        rotation_lambda_arn = rotation_lambda_arn or getattr(secret, "rotation_lambda_arn", "") or None
        if sandbox.enforce_iam and rotation_lambda_arn:
            from moto.secretsmanager.exceptions import SecretsManagerClientError

            from ..triggers.permissions import secrets_manager_may_invoke

            if not secrets_manager_may_invoke(rotation_lambda_arn, secret.arn, self.account_id):
                raise SecretsManagerClientError("AccessDeniedException", _ROTATION_DENIED)
    return original("secretsmanager-rotate-secret")(self, secret_id, client_request_token, rotation_lambda_arn,
                                                    rotation_rules, rotate_immediately)


# --- CloudFormation ---------------------------------------------------------------------------------------------
class _ResourceCreateFailed(Exception):
    """A stack's resource could not be created: CloudFormation records it in the stack, not in CreateStack."""

    def __init__(self, logical_id: str, resource_type: str, message: str):
        super().__init__(message)
        self.logical_id, self.resource_type, self.message = logical_id, resource_type, message


def _parse_and_create_resource(logical_id, resource_json, resources_map, account_id, region_name):
    """moto.cloudformation.parsing.parse_and_create_resource: a resource whose service refuses it (a Lambda
    function with a retired runtime, a package that is not a zip) fails *that resource*, as on AWS."""
    if _current() is None:
        return original("cfn-create-resource")(logical_id, resource_json, resources_map, account_id, region_name)
    try:
        made = _api_gateway_resource(logical_id, resource_json, resources_map, account_id, region_name)
        if made is not None:
            return made
        return original("cfn-create-resource")(logical_id, resource_json, resources_map, account_id, region_name)
    except _ResourceCreateFailed:
        raise
    except Exception as error:  # whatever the service answered becomes the resource's failure
        if type(error).__module__.startswith("moto.cloudformation"):
            raise  # a template error (an undefined GetAtt target, ...): CreateStack itself answers ValidationError
        message = getattr(error, "message", None) or str(error) or type(error).__name__
        raise _ResourceCreateFailed(logical_id, resource_json.get("Type", ""), message) from error


@dataclass
class _CfnStage:
    """An ``AWS::ApiGateway::Stage`` as a stack's resource: its Ref is the stage's name."""

    rest_api_id: str
    physical_resource_id: str

    def is_created(self) -> bool:
        return True

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.apigateway.models import apigateway_backends

        with contextlib.suppress(Exception):  # the API went first: its stages went with it
            apigateway_backends[account_id][region_name].delete_stage(self.rest_api_id, self.physical_resource_id)


def _api_gateway_resource(logical_id, resource_json, resources_map, account_id, region_name):
    """The two API Gateway resources SAM emits for an ``Api`` event that moto's CloudFormation cannot make: a
    ``RestApi`` defined by its OpenAPI ``Body`` (moto reads only ``Name``) and an ``AWS::ApiGateway::Stage`` (moto has
    no model for it). None for any other resource, which moto makes as usual."""
    kind, properties = resource_json.get("Type"), resource_json.get("Properties") or {}
    if not (kind == "AWS::ApiGateway::RestApi" and "Body" in properties) and kind != "AWS::ApiGateway::Stage":
        return None
    from moto.apigateway.models import apigateway_backends
    from moto.cloudformation.parsing import clean_json

    backend = apigateway_backends[account_id][region_name]
    properties = clean_json(properties, resources_map)
    if kind == "AWS::ApiGateway::Stage":
        backend.create_stage(properties["RestApiId"], properties["StageName"], properties["DeploymentId"],
                             variables=properties.get("Variables"), description=properties.get("Description", ""),
                             tracing_enabled=properties.get("TracingEnabled"))
        made = _CfnStage(properties["RestApiId"], properties["StageName"])
    else:
        body = json.loads(json.dumps(properties["Body"]))  # a copy: the integration types are rewritten
        for path in body.get("paths", {}).values():
            for method in path.values():
                integration = method.get("x-amazon-apigateway-integration") if isinstance(method, dict) else None
                if integration and "type" in integration:
                    integration["type"] = integration["type"].upper()  # API Gateway's name: aws_proxy is AWS_PROXY
        made = backend.create_rest_api(name=properties.get("Name") or body.get("info", {}).get("title", logical_id),
                                       description=properties.get("Description", ""))
        # moto imports OpenAPI 3 only; SAM writes Swagger 2.0 unless OpenApiVersion is set. The paths, methods and
        # x-amazon-apigateway-integration that moto reads have the same shape in both.
        body.pop("swagger", None)
        body["openapi"] = "3.0.1"
        backend.put_rest_api(made.id, body, fail_on_warnings=False, mode="overwrite")
    made.cf_resource_type, made.logical_resource_id = kind, logical_id
    return made


def _stack_create_resources(self):
    """Stack.create_resources: a failed resource shows as CloudFormation shows it — the resource CREATE_FAILED with
    the service's message, then the stack rolled back (ROLLBACK_COMPLETE), or CREATE_FAILED with DisableRollback;
    custom resources' functions are invoked once the resources are under way."""
    from ..triggers.cloudformation import fail_resource, stack_operation

    with stack_operation(self):
        try:
            return original("cfn-stack-create-resources")(self)
        except _ResourceCreateFailed as failed:
            fail_resource(self, failed.logical_id, failed.resource_type,
                          f'Resource handler returned message: "{failed.message}"')
            return None


def _stack_update(self, template, role_arn=None, parameters=None, tags=None):
    """Stack.update: custom resources whose properties changed are asked to update once the update is under way,
    and the stack completes when they answered (moto completes it at once)."""
    if _current() is None:
        return original("cfn-stack-update")(self, template, role_arn, parameters, tags)
    from ..triggers.cloudformation import stack_operation

    with stack_operation(self):
        return original("cfn-stack-update")(self, template, role_arn, parameters, tags)


def _parse_and_update_resource(logical_id, resource_json, resources_map, account_id, region_name):
    """moto.cloudformation.parsing.parse_and_update_resource: a custom resource whose properties changed asks its
    function to update it (moto's CustomModel cannot be updated and drops out of the stack)."""
    resource = resources_map._parsed_resources.get(logical_id)
    if _current() is None or not hasattr(resource, "lambda_local_properties"):
        return original("cfn-update-resource")(logical_id, resource_json, resources_map, account_id, region_name)
    from moto.cloudformation.parsing import clean_json

    from ..triggers.cloudformation import update_custom_resource

    update_custom_resource(resource, clean_json(resource_json, resources_map),
                           state.cloudformation_stack(account_id, region_name, resources_map.stack_id))
    return resource


def _delete_stack(self, name_or_stack_id):
    """CloudFormationBackend.delete_stack: custom resources' functions are asked to delete them first; the stack is
    DELETE_COMPLETE once all answered SUCCESS, DELETE_FAILED otherwise (moto deletes at once, asking nobody)."""
    stack = next((s for s in self.stacks.values() if name_or_stack_id in (s.stack_id, s.name)), None)
    if _current() is None or stack is None:
        return original("cfn-delete-stack")(self, name_or_stack_id)
    from ..triggers.cloudformation import delete_stack

    return delete_stack(stack, lambda: original("cfn-delete-stack")(self, stack.stack_id))


def _custom_resource_create(resource_name, cloudformation_json, account_id, region_name, **kwargs):
    """CustomModel.create_from_cloudformation_json: the function runs in the runtime, invoked asynchronously through
    Lambda's queue once the stack's resources are under way (moto: a thread of its own), and its answer at the
    ResponseURL reaches this sandbox."""
    sandbox = _current()
    if sandbox is None:
        return original("cfn-custom-resource")(resource_name, cloudformation_json, account_id, region_name, **kwargs)
    from ..triggers.cloudformation import create_custom_resource

    return create_custom_resource(sandbox, resource_name, cloudformation_json, account_id, region_name,
                                  kwargs["LogicalId"], kwargs["StackId"], kwargs["ResourceType"])


def _cfn_response(request, full_url, headers):
    """CloudFormationResponse.cfnresponse, where moto routes a custom resource's answer (the ResponseURL, not an
    AWS API): SUCCESS completes the resource, FAILED fails it and rolls the stack back (moto ignores FAILED and the
    PhysicalResourceId)."""
    if _current() is None:
        return original("cfn-response")(request, full_url, headers)
    from moto.cloudformation.models import cloudformation_backends

    from ..triggers.cloudformation import answer

    data = request.get_data() if hasattr(request, "get_data") else getattr(request, "body", b"")
    try:
        body = json.loads(data or "{}")
        # arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID: the stack's own backend answers
        _, _, _, region, account, _ = str(body.get("StackId", "")).split(":", 5)
        backend = cloudformation_backends[account][region]
    except (ValueError, AttributeError, KeyError):
        return 400, {}, ""
    answer(backend, body)
    return 200, {}, ""


_inline_runtime: contextvars.ContextVar[str] = contextvars.ContextVar("lambda_local_inline_runtime", default="")


def _function_from_cloudformation(resource_name, cloudformation_json, account_id, region_name, **kwargs):
    """LambdaFunction.create_from_cloudformation_json: the function's runtime, known while moto zips inline code."""
    token = _inline_runtime.set(str((cloudformation_json.get("Properties") or {}).get("Runtime") or ""))
    try:
        return original("cfn-lambda-function")(resource_name, cloudformation_json, account_id, region_name, **kwargs)
    finally:
        _inline_runtime.reset(token)


def _inline_code_package(code):
    """LambdaFunction._create_zipfile_from_plaintext_code: a Node.js function's inline code is index.js beside
    cfn-response, as CloudFormation packages it (moto writes index.py whatever the runtime)."""
    if _current() is not None and _inline_runtime.get().startswith("nodejs"):
        from ..runtime.nodejs.inline import inline_package

        return inline_package(code)
    return original("cfn-lambda-inline-code")(code)


@functools.lru_cache(maxsize=1)
def _aws_managed_policy_data() -> dict:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


def _init_aws_policies(self):
    """IAMBackend._init_aws_policies: AWS's managed policies in the standard partition only, parsed once.

    moto builds all ~1,600 of them for every partition of every account it touches (about 0.7 s per sandbox);
    a course only ever uses the ``aws`` partition.
    """
    from moto.iam.models import AWSManagedPolicy
    from moto.settings import load_iam_aws_managed_policies

    if not load_iam_aws_managed_policies() or self.region_name != "aws":
        return []
    return [AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
            for name, data in _aws_managed_policy_data().items()]


def _stubber_process_request(self, request):
    """BotocoreStubber.process_request: moto answers a handler's call on the machine's wall clock, as it answers
    every other call, so what it stamps (S3's LastModified, ...) comes from one clock; the handler's own
    ``time.time()`` reads the virtual clock (``runtime/virtual_time.py``)."""
    with virtual_time.machine_time():
        if not request.url.startswith(_LAMBDA_HOST, 8):  # (https://) anything but Lambda may read CloudWatch
            state.flush_pending()
        else:
            response = _invoke_without_routing(request)
            if response is not None:
                return response
        return original("moto-machine-time")(self, request)


_LAMBDA_HOST = "lambda."
# Invoke's URL as botocore builds it (POST, the API version of every Lambda call, a name or a %-quoted ARN)
_INVOKE_URL = re.compile(r"https://lambda\.([a-z0-9-]+)\.amazonaws\.com/2015-03-31/functions/([^/?]+)/invocations"
                         r"(?:\?(.*))?")


def _invoke_without_routing(request):
    """A boto3 Invoke inside ``mock_aws()`` answered by ``LambdaResponse.invoke`` (our ``_invoke_response``) without
    moto's generic dispatch, which costs more than the invocation (issue 20): a werkzeug request built from
    botocore's, the URL matched against every Lambda route, the operation found through botocore's service model, the
    responder's method names listed with ``inspect`` on every call. What that dispatch does that anyone can see is
    done here with moto's own functions, in its order: the account from the access key (or ``MOTO_ACCOUNT_ID``, or
    ``x-moto-account-id``), the region from the URL, the access key marked as used, the request counted for moto's
    IAM (``INITIAL_NO_AUTH_ACTION_COUNT``), the ``server`` and ``date`` headers, errors as moto's error responses,
    and moto's request id drawn from its random generator. Whenever moto would do more than that (its request
    recorder on, IAM authentication due, passthrough or a service whitelist configured, a gzip or streamed body),
    this returns None and moto's dispatch answers."""
    match = _INVOKE_URL.fullmatch(request.url)
    if match is None or request.method != "POST" or _current() is None:
        return None
    body = request.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes):
        return None  # a stream: moto reads it
    headers = request.headers
    if headers.get("Content-Encoding") is not None:
        return None
    from moto import settings
    from moto.core import config
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.moto_api import recorder

    if (recorder._user_enabled or ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT
            or config.passthrough_url(request.url.partition("?")[0]) or config.passthrough_service("awslambda")
            or not config.service_whitelisted("awslambda")):
        return None
    return _invoke_request_class().answer(request, match, body)


@functools.lru_cache(maxsize=1)
def _invoke_request_class():
    from moto.awslambda.responses import LambdaResponse
    from moto.core import responses
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.exceptions import HTTPException, ServiceException
    from moto.iam.models import mark_account_as_visited
    from werkzeug.datastructures import Headers

    class LambdaInvokeRequest(LambdaResponse):
        """moto's Lambda responder, set up for one Invoke from botocore's request (what ``setup_class`` sets that
        ``invoke`` reads), answering as ``call_action`` does."""

        @classmethod
        def answer(cls, request, match, body: bytes):
            self = cls()
            region, _, query = match.groups()
            self.region = region
            # (werkzeug's case-insensitive headers, as moto's request has them: text, not botocore's bytes)
            self.headers = Headers([(key, value.decode("utf-8") if isinstance(value, bytes) else value)
                                    for key, value in request.headers.items()])
            self.path = request.url[match.end(1) + len(".amazonaws.com"):match.end(2)] + "/invocations"
            self.parsed_url = urlparse(request.url)
            self.querystring = parse_qs(query, keep_blank_values=True) if query else {}
            self.raw_body = self.body = body
            self.response_headers = response_headers = {"server": "amazon.com",
                                                         "date": responses.http_date(responses.utcnow())}
            self.access_key = self.get_access_key()
            self.current_account = self.get_current_account()
            mark_account_as_visited(account_id=self.current_account, access_key=self.access_key,
                                    service=self.service_name or "", region=region)
            ActionAuthenticatorMixin.request_count += 1
            response: Any
            try:
                response = self.invoke()
            except ServiceException as error:  # (moto's Lambda raises none today) serialised as moto does
                from moto.core.request import normalize_request

                self.normalized_request = normalize_request(request)
                se_status, se_headers, se_body = self.serialized(responses.ActionResult(error))
                se_headers["status"] = se_status
                response = se_body, se_headers
            except HTTPException as error:
                error_headers: dict[str, Any] = dict(error.get_headers() or [])
                error_headers["status"] = error.code
                response = error.description, error_headers
            status, response_headers, reply = self._transform_response(response_headers, response)
            response_headers, reply = self._enrich_response(response_headers, reply)
            return status, response_headers, reply

    return LambdaInvokeRequest


def _logs_utcnow():
    """moto.logs.models.utcnow: a queued CloudWatch Logs write (``state.flush_pending``) is stamped with the time it
    was made, not the time it reached moto: the same ingestion and creation times as a write made at once."""
    return state.ingestion_time() or original("logs-ingestion-time")()


_shared_loaders: dict = {}


def _create_loader(search_path_string=None):
    """botocore.session.create_loader: one model loader (and its parsed-JSON cache) for every botocore session.

    Each execution environment has its own boto3 session, as on AWS, and would parse botocore's service models
    again (50-130 ms per service). A new process on AWS pays that too; here it is paid once, so creating a client
    in a new environment is faster than on AWS (the lessons say so).
    """
    loader = _shared_loaders.get(search_path_string)
    if loader is None:
        loader = _shared_loaders[search_path_string] = original("botocore-shared-loader")(search_path_string)
    return loader


PATCHES = [
    Patch("lambda-invoke-response", "moto.awslambda.responses:LambdaResponse.invoke", ("self",),
          _invoke_response, "moto ignores Qualifier, runs code only in Docker and never throttles"),
    Patch("lambda-function-invoke", "moto.awslambda.models:LambdaFunction.invoke",
          ("self", "body", "request_headers", "response_headers"), _function_invoke,
          "moto's triggers (S3, SNS, SQS, Logs) call this to run a function"),
    Patch("lambda-backend-invoke", "moto.awslambda.models:LambdaBackend.invoke",
          ("self", "function_name", "qualifier", "body", "headers", "response_headers"), _backend_invoke,
          "services inside moto (Secrets Manager rotation) invoke through the backend"),
    Patch("lambda-simple-invoke", "moto.awslambda_simple.models:LambdaSimpleBackend.invoke",
          ("self", "function_name", "qualifier", "body", "headers", "response_headers"), _backend_invoke,
          "without Docker moto answers with the request body and runs nothing"),
    Patch("lambda-create-function", "moto.awslambda.models:LambdaBackend.create_function", ("self", "spec"),
          _create_function, "moto accepts corrupt zips, bad handlers, >5 layers and out-of-range settings"),
    Patch("lambda-update-configuration", "moto.awslambda.models:LambdaBackend.update_function_configuration",
          ("self", "function_name", "qualifier", "body"), _update_function_configuration,
          "the same checks on update"),
    Patch("lambda-update-code", "moto.awslambda.models:LambdaBackend.update_function_code",
          ("self", "function_name", "qualifier", "body"), _update_function_code, "the same checks on new code"),
    Patch("lambda-publish-layer", "moto.awslambda.models:LambdaBackend.publish_layer_version", ("self", "spec"),
          _publish_layer_version, "moto stores a layer that is not a zip"),
    Patch("lambda-setup-class", "moto.awslambda.responses:LambdaResponse.setup_class",
          ("self", "request", "full_url", "headers", "use_raw_body"), _lambda_setup_class,
          "moto decodes every body as UTF-8: a binary Invoke payload raised UnicodeDecodeError"),
    Patch("lambda-put-concurrency", "moto.awslambda.models:LambdaBackend.put_function_concurrency",
          ("self", "function_name", "reserved_concurrency"), _put_function_concurrency,
          "AWS keeps 100 unreserved concurrency; moto checks only when MOTO_LAMBDA_CONCURRENCY_QUOTA is set"),
    Patch("lambda-get-configuration", "moto.awslambda.models:LambdaFunction.get_configuration",
          ("self", "on_create"), _get_configuration, "moto drops DeadLetterConfig; CreateFunction answers Pending"),
    Patch("lambda-create-esm", "moto.awslambda.models:LambdaBackend.create_event_source_mapping", ("self", "spec"),
          _create_event_source_mapping, "a new SQS mapping polls what is already waiting"),
    Patch("lambda-update-esm", "moto.awslambda.models:LambdaBackend.update_event_source_mapping",
          ("self", "uuid", "spec"), _update_event_source_mapping, "re-enabling a mapping polls at once"),
    Patch("lambda-function-url", "moto.awslambda.models:FunctionUrlConfig.to_dict", ("self",),
          _function_url_to_dict, "AWS's URL ends with '/'; served locally it must be reachable"),
    Patch("s3-notification-event", "moto.s3.notifications:_get_s3_event",
          ("event_name", "bucket", "key", "notification_id"), _get_s3_event, "the full S3 record"),
    Patch("lambda-put-event-invoke-config", "moto.awslambda.models:LambdaBackend.put_function_event_invoke_config",
          ("self", "function_name", "config"), _put_event_invoke_config, "a put replaces the configuration"),
    Patch("lambda-update-event-invoke-config",
          "moto.awslambda.models:LambdaBackend.update_function_event_invoke_config",
          ("self", "function_name", "config"), _update_event_invoke_config, "an update merges"),
    Patch("s3-put-notification", "moto.s3.models:S3Backend.put_bucket_notification_configuration",
          ("self", "bucket_name", "notification_config"), _put_bucket_notification_configuration,
          "S3 refuses a Lambda destination it may not invoke"),
    Patch("s3-invoke-lambda", "moto.s3.notifications:_invoke_awslambda",
          ("account_id", "event_body", "fn_arn", "region_name"), _s3_invoke_lambda, "S3 invokes asynchronously"),
    Patch("s3-eventbridge-message", "moto.s3.notifications:_send_event_bridge_message",
          ("account_id", "bucket", "event_name", "key"), _s3_send_event_bridge_message,
          "S3's EventBridge events as AWS shapes them, on the default bus only"),
    Patch("events-service-notification", "moto.events.notifications:_send_safe_notification",
          ("source", "event_name", "region", "resources", "detail"), _events_service_notification,
          "API calls reach EventBridge as CloudTrail events, only with a logging trail"),
    Patch("s3-key-response", "moto.s3.responses:S3Response.key_response", ("self", "request", "full_url", "headers"),
          _s3_key_response, "S3 notifies after the write completes (moto: before metadata is stored)"),
    Patch("s3-send-event", "moto.s3.notifications:send_event", ("account_id", "event_name", "bucket", "key"),
          _s3_send_event, "S3 notifies after the write completes (moto: before metadata is stored)"),
    Patch("sns-subscription-publish", "moto.sns.models:Subscription.publish",
          ("self", "message", "message_id", "subject", "message_attributes", "group_id", "deduplication_id",
           "message_structure"), _sns_subscription_publish, "real SNS records for Lambda subscriptions"),
    Patch("events-send-to-targets", "moto.events.models:Rule.send_to_targets",
          ("self", "original_event", "transform_input"), _rule_send_to_targets, "Lambda targets"),
    Patch("events-put-rule", "moto.events.models:EventsBackend.put_rule",
          ("self", "name", "description", "event_bus_arn", "event_pattern", "role_arn", "scheduled_expression"),
          _put_rule, "schedules validated and fired on the virtual clock"),
    Patch("scheduler-create-schedule", "moto.scheduler.models:EventBridgeSchedulerBackend.create_schedule",
          ("self", "description", "end_date", "flexible_time_window", "group_name", "kms_key_arn", "name",
           "schedule_expression", "schedule_expression_timezone", "start_date", "state", "target"),
          _scheduler_create_schedule, "EventBridge Scheduler schedules run on the virtual clock", lazy=True),
    Patch("scheduler-update-schedule", "moto.scheduler.models:EventBridgeSchedulerBackend.update_schedule",
          ("self", "description", "end_date", "flexible_time_window", "group_name", "kms_key_arn", "name",
           "schedule_expression", "schedule_expression_timezone", "start_date", "state", "target"),
          _scheduler_update_schedule, "EventBridge Scheduler schedules run on the virtual clock", lazy=True),
    Patch("firehose-put-record-batch", "moto.firehose.models:FirehoseBackend.put_record_batch",
          ("self", "delivery_stream_name", "records"), _firehose_put_record_batch,
          "Lambda transformation of a delivery stream's records, buffered on the virtual clock", lazy=True),
    Patch("apigw-post-to-connection", "moto.apigatewaymanagementapi.models:ApiGatewayManagementApiBackend."
          "post_to_connection", ("self", "data", "connection_id"), _post_to_connection,
          "@connections posts reach the connected WebSocket client", lazy=True),
    Patch("apigw-get-connection", "moto.apigatewaymanagementapi.models:ApiGatewayManagementApiBackend.get_connection",
          ("self", "connection_id"), _get_connection, "@connections answers for real connections only", lazy=True),
    Patch("apigw-delete-connection", "moto.apigatewaymanagementapi.models:ApiGatewayManagementApiBackend."
          "delete_connection", ("self", "connection_id"), _delete_connection,
          "DeleteConnection closes the WebSocket client's connection", lazy=True),
    Patch("dynamodb-stream-add", "moto.dynamodb.models.table:StreamShard.add", ("self", "old", "new"),
          _dynamodb_stream_add, "stream mappings served by our in-order pollers"),
    Patch("kinesis-put-record", "moto.kinesis.models:Stream.put_record",
          ("self", "partition_key", "explicit_hash_key", "data"), _kinesis_put_record,
          "stream mappings served by our in-order pollers"),
    Patch("kinesis-put-records", "moto.kinesis.models:KinesisBackend.put_records",
          ("self", "stream_arn", "stream_name", "records"), _kinesis_put_records, "one batch per PutRecords"),
    Patch("sqs-unix-time", "moto.sqs.models:unix_time", ("dt",), _sqs_unix_time,
          "SQS timestamps and visibility timeouts on the virtual clock"),
    Patch("sqs-unix-time-millis", "moto.sqs.models:unix_time_millis", ("dt",), _sqs_unix_time_millis,
          "SQS timestamps and visibility timeouts on the virtual clock"),
    Patch("sqs-receive-message", "moto.sqs.models:SQSBackend.receive_message",
          ("self", "queue_name", "count", "wait_seconds_timeout", "visibility_timeout", "message_attribute_names"),
          _sqs_receive_message, "long polling must not wait in real time on a virtual clock; FIFO order after a "
          "visibility timeout"),
    Patch("sqs-send-message-batch", "moto.sqs.models:SQSBackend.send_message_batch",
          ("self", "queue_name", "entries"), _sqs_send_message_batch, "a batch is polled as one batch"),
    Patch("sqs-retention-check", "moto.sqs.models:SQSBackend.is_message_valid_based_on_retention_period",
          ("self", "queue_name", "message"), _sqs_retention_check, "O(1) instead of O(queue) per message"),
    Patch("sqs-queue-messages", "moto.sqs.models:Queue.messages", ("self",), property(_sqs_visible_messages),
          "a receive reads one batch, not the whole queue (O(batch) instead of O(queue) per receive)"),
    Patch("sqs-deepcopy", "moto.sqs.models:deepcopy", ("x",), _sqs_deepcopy,
          "a received message copied field by field (the same copy, without deepcopy's per-string dispatch); a "
          "mapping's receive reads the message in place"),
    Patch("sqs-camelcase", "moto.sqs.models:camelcase_to_underscores", ("argument",), _sqs_camelcase_to_underscores,
          "attribute names converted once, not on every SendMessage"),
    Patch("sqs-count-delayed", "moto.sqs.models:Queue.approximate_number_of_messages_delayed", ("self",),
          property(_sqs_count_delayed), "the clock read once per count, not twice per message"),
    Patch("sqs-count-not-visible", "moto.sqs.models:Queue.approximate_number_of_messages_not_visible", ("self",),
          property(_sqs_count_not_visible), "the clock read once per count, not twice per message"),
    Patch("sqs-receipt-handle", "moto.sqs.models:generate_receipt_handle", (), _sqs_receipt_handle,
          "the same receipt handles from the same random draws, ~10x sooner (most of a mapping's drain time)"),
    Patch("sqs-add-message", "moto.sqs.models:Queue.add_message", ("self", "message"), _sqs_add_message,
          "event source mappings served by our pollers"),
    Patch("secretsmanager-rotate-secret", "moto.secretsmanager.models:SecretsManagerBackend.rotate_secret",
          ("self", "secret_id", "client_request_token", "rotation_lambda_arn", "rotation_rules",
           "rotate_immediately"), _rotate_secret,
          "Secrets Manager may invoke the rotation function only if its resource policy allows it", lazy=True),
    Patch("cfn-create-resource", "moto.cloudformation.parsing:parse_and_create_resource",
          ("logical_id", "resource_json", "resources_map", "account_id", "region_name"), _parse_and_create_resource,
          "a resource the service refuses fails that resource (moto lets the error break CreateStack)", lazy=True),
    Patch("cfn-stack-create-resources", "moto.cloudformation.models:Stack.create_resources", ("self",),
          _stack_create_resources, "a failed resource rolls the stack back, with AWS's events", lazy=True),
    Patch("cfn-stack-update", "moto.cloudformation.models:Stack.update",
          ("self", "template", "role_arn", "parameters", "tags"), _stack_update,
          "custom resources' Update requests are sent once the update is under way; the stack waits for them",
          lazy=True),
    Patch("cfn-update-resource", "moto.cloudformation.parsing:parse_and_update_resource",
          ("logical_id", "resource_json", "resources_map", "account_id", "region_name"), _parse_and_update_resource,
          "a custom resource whose properties changed gets an Update request (moto drops it)", lazy=True),
    Patch("cfn-delete-stack", "moto.cloudformation.models:CloudFormationBackend.delete_stack",
          ("self", "name_or_stack_id"), _delete_stack,
          "custom resources get Delete requests; the stack is deleted once they answered", lazy=True),
    Patch("cfn-custom-resource", "moto.cloudformation.custom_model:CustomModel.create_from_cloudformation_json",
          ("resource_name", "cloudformation_json", "account_id", "region_name"), _custom_resource_create,
          "custom resources' functions run in the runtime, through Lambda's asynchronous queue", lazy=True),
    Patch("cfn-response", "moto.cloudformation.responses:CloudFormationResponse.cfnresponse",
          ("request", "full_url", "headers"), staticmethod(_cfn_response),
          "a FAILED answer fails the resource and rolls the stack back", lazy=True),
    Patch("cfn-lambda-function", "moto.awslambda.models:LambdaFunction.create_from_cloudformation_json",
          ("resource_name", "cloudformation_json", "account_id", "region_name"), _function_from_cloudformation,
          "inline code is packaged for the function's runtime (see cfn-lambda-inline-code)"),
    Patch("cfn-lambda-inline-code", "moto.awslambda.models:LambdaFunction._create_zipfile_from_plaintext_code",
          ("code",), _inline_code_package, "a Node.js function's inline code is index.js (moto: always index.py)"),
    Patch("moto-machine-time", "moto.core.botocore_stubber:BotocoreStubber.process_request", ("self", "request"),
          _stubber_process_request, "moto keeps the machine's time for calls a handler makes on the virtual clock"),
    Patch("logs-ingestion-time", "moto.logs.models:utcnow", (), _logs_utcnow,
          "queued CloudWatch Logs writes keep the ingestion time of the moment they were made"),
    Patch("botocore-shared-loader", "botocore.session:create_loader", ("search_path_string",), _create_loader,
          "environments' boto3 sessions share botocore's parsed service models"),
    Patch("iam-aws-managed-policies", "moto.iam.models:IAMBackend._init_aws_policies", ("self",),
          _init_aws_policies, "parse AWS managed policies once, for the standard partition only"),
]


# --- what moto lacks altogether: routes added to its Lambda API ----------------------------------------------------
@dataclass(frozen=True)
class Route:
    name: str
    path: str  # moto's URL pattern; {0} is the service's base URL
    actions: tuple[str, ...]  # the LambdaResponse methods moto's dispatch calls for these URLs
    handler: Callable  # handler(response: LambdaResponse) -> (status, headers, body)
    why: str


def _provisioned_concurrency_response(self):
    """Put/Get/Delete ProvisionedConcurrencyConfig and List...Configs, for LambdaResponse."""
    from ..provisioned import provisioned_concurrency

    function_name = unquote(self.path.rstrip("/").rsplit("/", 2)[-2])
    qualifier = self.querystring.get("Qualifier", [None])[0]
    list_all = self.querystring.get("List", [None])[0] == "ALL"
    try:
        status, body = provisioned_concurrency(_current(), self.backend, self.method, function_name, qualifier,
                                               list_all, json.loads(self.body or "{}"))
    except ServiceError as error:
        return _error_response(error)
    return status, {"status": status}, "" if body is None else json.dumps(body)


def _account_settings_response(self):
    """GetAccountSettings, for LambdaResponse."""
    from ..provisioned import account_settings

    return 200, {"status": 200}, json.dumps(account_settings(_current(), self.backend))


ROUTES = [
    Route("lambda-provisioned-concurrency",
          r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/provisioned-concurrency/?$",
          ("put_provisioned_concurrency_config", "get_provisioned_concurrency_config",
           "delete_provisioned_concurrency_config", "list_provisioned_concurrency_configs"),
          _provisioned_concurrency_response, "moto answers the provisioned-concurrency API 'Not yet implemented'"),
    Route("lambda-account-settings", r"{0}/(?P<api_version>[^/]+)/account-settings/?$", ("get_account_settings",),
          _account_settings_response, "moto lacks GetAccountSettings; ours reports the sandbox's concurrency limit"),
]


def _install_routes() -> None:
    from moto.awslambda import urls
    from moto.awslambda.responses import LambdaResponse

    for route in ROUTES:
        if route.name in _originals:
            continue
        if route.path not in urls.url_paths:
            urls.url_paths[route.path] = LambdaResponse.dispatch
        # What moto had under these names (None: nothing); the route test checks moto still lacks them.
        _originals[route.name] = {action: getattr(LambdaResponse, action, None) for action in route.actions}
        for action in route.actions:
            setattr(LambdaResponse, action, route.handler)


def install(current: Callable[[], Any]) -> None:
    """Apply every patch and route once (idempotent); ``current`` returns the active sandbox or None."""
    global _current
    _current = current
    _install_routes()
    import sys

    for patch in PATCHES:
        if patch.name in _originals:
            continue
        if patch.lazy and patch.module not in sys.modules:
            _after_import.wait_for(patch)
            continue
        _apply(patch)


def _apply(patch: Patch) -> None:
    owner, attribute = patch.resolve()
    _check_and_set(patch, owner, attribute)


class _AfterImport:
    """A finder that finds nothing itself: when a module a lazy patch targets is imported, its loader runs as
    usual and the patch is applied right after."""

    def __init__(self) -> None:
        self.pending: dict[str, list[Patch]] = {}

    def wait_for(self, patch: Patch) -> None:
        import sys

        waiting = self.pending.setdefault(patch.module, [])
        if patch not in waiting:
            waiting.append(patch)
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def find_spec(self, fullname, path, target=None):  # the importlib finder protocol
        if fullname not in self.pending:
            return None
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        patches, exec_module = self.pending.pop(fullname), spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            for patch in patches:
                if patch.name not in _originals:
                    owner_name, _, attribute = patch.target.partition(":")[2].rpartition(".")
                    owner = getattr(module, owner_name) if owner_name else module
                    _check_and_set(patch, owner, attribute)

        spec.loader.exec_module = exec_and_patch
        return spec


def _check_and_set(patch: Patch, owner, attribute: str) -> None:
    existing = getattr(owner, attribute)
    checked = existing.fget if isinstance(existing, property) else existing
    params = tuple(inspect.signature(checked).parameters)  # type: ignore[arg-type]  # a property has a getter
    if params[: len(patch.signature)] != patch.signature:
        raise RuntimeError(f"moto changed {patch.target}: expected parameters {patch.signature}, got {params}")
    _originals[patch.name] = existing
    setattr(owner, attribute, patch.replacement)


_after_import = _AfterImport()
