"""The generators behind ``lambda-local events SERVICE KIND``, named after ``sam local generate-event``.

Each generator's options are its builder's keyword arguments, spelled as command-line flags
(``queue_name`` is ``--queue-name``), with SAM's spelling where SAM has the option.
Command-line text is turned into the builder's types here, so builders stay plain Python.
"""

from __future__ import annotations

import inspect
import random
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, Union, get_args, get_origin, get_type_hints

from . import alb, apigateway, awslambda, cloudwatch_logs, cognito, dynamodb, eventbridge, kinesis, s3, sns, sqs
from ._common import parse_json

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")

#: One help text per keyword argument name, shared by every builder that takes it.
HELP = {
    "account_id": "AWS account id (12 digits)",
    "api_id": "API id (random if omitted)",
    "auth_type": "function URL auth type: NONE or AWS_IAM",
    "authorizer": "JSON object of requestContext.authorizer, e.g. {\"lambda\": {...}} from a Lambda authorizer",
    "body": "message or request body",
    "bucket": "bucket name",
    "client_id": "user pool app client id (random if omitted)",
    "client_metadata": "JSON object of client metadata passed to the trigger",
    "configuration_id": "id of the bucket's notification configuration",
    "data": "record payload (base64-encoded into the event)",
    "detail": "event detail: JSON object text",
    "detail_type": "event detail-type",
    "domain_name": "domain name the request came in on (derived if omitted)",
    "etag": "object ETag (random if omitted)",
    "event_bus": "event bus of the rule (default bus if omitted)",
    "event_id": "event id (random if omitted)",
    "first_receive_time": "first receive time (defaults to the sent time)",
    "headers": "JSON object of request headers; values may be lists",
    "host_id": "x-amz-id-2 response element (random if omitted)",
    "identity": "JSON object of caller fields for requestContext.identity (accessKey, caller, userArn, ...)",
    "invoke_identity_arn": "ARN of the role the event source mapping reads with",
    "is_base64_encoded": "body is base64 text",
    "key": "object key, unencoded (it is URL-encoded into the event as S3 does)",
    "key1": "value of key1",
    "key2": "value of key2",
    "key3": "value of key3",
    "keys": "JSON object of the item's key attributes",
    "log_group": "log group name",
    "log_stream": "log stream name (a Lambda-style name if omitted)",
    "message": "message text",
    "message_attributes": "JSON object of message attributes: plain values or {DataType, StringValue}",
    "message_deduplication_id": "FIFO deduplication id (SHA-256 of the body if omitted)",
    "message_group_id": "FIFO message group id",
    "message_id": "message id (random if omitted)",
    "message_type": "DATA_MESSAGE or CONTROL_MESSAGE",
    "messages": "JSON list of log messages: strings or {message, timestamp}",
    "method": "HTTP method",
    "multi_value_headers": "target group has multi-value headers enabled",
    "new_image": "JSON object of the item after the change",
    "old_image": "JSON object of the item before the change",
    "owner": "account id that owns the log group",
    "owner_id": "bucket owner's canonical id (random if omitted)",
    "partition": "AWS partition",
    "partition_key": "record partition key",
    "path": "request path",
    "path_parameters": "JSON object of path parameters (read off the path if omitted)",
    "principal_id": "principal that made the request (random if omitted)",
    "query": "query string, e.g. 'a=1&b=2'",
    "receipt_handle": "receipt handle (random if omitted)",
    "queue_name": "queue name",
    "receive_count": "ApproximateReceiveCount: 1 on first delivery, more after retries",
    "region": "AWS Region",
    "request_id": "request id (random if omitted)",
    "resource": "REST API resource, e.g. /{proxy+} (derived from the path if omitted)",
    "resource_id": "REST API resource id (random if omitted)",
    "resources": "JSON list of resource ARNs",
    "route_key": "route key: $default or 'METHOD /route'",
    "rule": "rule name",
    "sdk_version": "SDK version the caller used",
    "sender_id": "sender id (the account id if omitted)",
    "sent_time": "time the message was sent (now if omitted)",
    "sequence_number": "sequence number (increasing with time if omitted)",
    "sequencer": "object sequencer (increasing with time if omitted)",
    "shard_id": "shard id",
    "size": "object size in bytes",
    "size_bytes": "record size in bytes (estimated if omitted)",
    "source": "event source, e.g. com.example.app",
    "source_ip": "caller's IP address",
    "stage": "stage name",
    "stage_variables": "JSON object of stage variables",
    "stream": "stream name",
    "stream_label": "stream label (the stream's creation time)",
    "stream_view_type": "KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES",
    "subject": "message subject",
    "subscription_filters": "JSON list of subscription filter names",
    "subscription_id": "subscription id (random if omitted)",
    "table": "table name",
    "target_group": "target group name",
    "target_group_arn": "target group ARN (derived if omitted)",
    "time": "event time: ISO-8601 or epoch seconds (now if omitted)",
    "topic": "topic name",
    "trigger_source": "trigger source, e.g. PreSignUp_SignUp",
    "typed": "keys and images are already DynamoDB JSON",
    "url_id": "function URL id (random if omitted)",
    "user_agent": "caller's User-Agent",
    "user_attributes": "JSON object of user attributes",
    "user_name": "user name",
    "user_pool_id": "user pool id (random if omitted)",
    "user_sub": "user's sub (random if omitted)",
    "validation_data": "JSON object of validation data",
    "version_id": "object version id (only for versioned buckets)",
}


@dataclass(frozen=True)
class Option:
    """One command-line option of a generator: ``--flag`` for the builder's ``param``."""

    flag: str
    param: str
    kind: str  # "str", "int", "float", "bool" or "json": how command-line text is read
    default: Any
    help: str

    @property
    def dest(self) -> str:
        """The name a command-line parser gives the value (``--queue-name`` -> ``queue_name``)."""
        return self.flag[2:].replace("-", "_")

    def parse(self, value: Any) -> Any:
        """Command-line text as the builder's type; values that are not text pass through.

        >>> Option("--size", "size", "int", 1024, "").parse("7")
        7
        """
        if not isinstance(value, str) or self.kind == "str":
            return value
        if self.kind == "json":
            return parse_json(value, self.flag)
        if self.kind == "bool":
            if value.strip().lower() not in _TRUE + _FALSE:
                raise ValueError(f"{self.flag} expects true or false; got {value!r}")
            return value.strip().lower() in _TRUE
        number, expected = (int, "an integer") if self.kind == "int" else (float, "a number")
        try:
            return number(value)
        except ValueError:
            raise ValueError(f"{self.flag} expects {expected}; got {value!r}") from None


class Generator(NamedTuple):
    """A registry entry: the builder, SAM-style help text and the builder's options."""

    builder: Callable[..., Any]
    description: str
    options: tuple[Option, ...]


GENERATORS: dict[tuple[str, str], Generator] = {}
_SEEDABLE: set[tuple[str, str]] = set()  # generators whose builder takes rng=


def _kind(hint: Any) -> str:
    args = set(get_args(hint)) if get_origin(hint) in (Union, types.UnionType) else {hint}
    args.discard(type(None))
    if str in args or Any in args:
        return "str"  # the builder reads text itself (times, query strings, JSON detail)
    if args == {bool}:
        return "bool"
    if args == {int}:
        return "int"
    if args <= {int, float}:
        return "float"
    return "json"


def _options(signature_of: Callable[..., Any], fixed: Iterable[str], flags: dict[str, str]) -> tuple[Option, ...]:
    hints = get_type_hints(signature_of)
    return tuple(
        Option(flags.get(name, "--" + name.replace("_", "-")), name, _kind(hints[name]), parameter.default, HELP[name])
        for name, parameter in inspect.signature(signature_of).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name != "rng" and name not in fixed
    )


def _register(service: str, kind: str, builder: Callable[..., Any], description: str, *,
              signature_of: Callable[..., Any] | None = None, fixed: Iterable[str] = (),
              flags: dict[str, str] | None = None) -> None:
    # Wrappers such as s3_put_event(**fields) take their options from the record builder.
    signature_of = signature_of or builder
    GENERATORS[(service, kind)] = Generator(builder, description, _options(signature_of, fixed, flags or {}))
    if "rng" in inspect.signature(signature_of).parameters:
        _SEEDABLE.add((service, kind))


_register("s3", "put", s3.s3_put_event, "Generates an Amazon S3 Put Event",
          signature_of=s3.s3_record, fixed=("event_name",))
_register("s3", "delete", s3.s3_delete_event, "Generates an Amazon S3 Delete Event",
          signature_of=s3.s3_record, fixed=("event_name", "size", "etag"))  # removals carry neither
_register("sqs", "receive-message", sqs.sqs_receive_message_event, "Generates an Amazon SQS Event",
          signature_of=sqs.sqs_record)
_register("sns", "notification", sns.sns_notification_event, "Generates an Amazon SNS Topic Notification Event",
          signature_of=sns.sns_record)
_register("cloudwatch", "scheduled-event", eventbridge.scheduled_event,
          "Generates an Amazon CloudWatch Events Scheduled Event")
_register("cloudwatch", "logs", cloudwatch_logs.cloudwatch_logs_event, "Generates an Amazon CloudWatch Logs Event",
          signature_of=cloudwatch_logs.cloudwatch_logs_payload)
_register("eventbridge", "custom", eventbridge.eventbridge_event,
          "Generates an Amazon EventBridge custom event, as a PutEvents entry delivers it "
          "(lambda-local's own name: SAM has no eventbridge service)")
_register("dynamodb", "update", dynamodb.dynamodb_update_event,
          "Generates an Amazon DynamoDB Update Event (INSERT, MODIFY and REMOVE records)")
_register("kinesis", "get-records", kinesis.kinesis_get_records_event, "Generates an Amazon Kinesis Data Stream Event",
          signature_of=kinesis.kinesis_record, flags={"sequence_number": "--sequence"})
_register("apigateway", "aws-proxy", apigateway.rest_api_event, "Generates an Amazon API Gateway AWS Proxy Event")
_register("apigateway", "http-api-proxy", apigateway.http_api_event, "Generates an Amazon API Gateway Http API Event")
_register("lambda", "function-url", awslambda.function_url_event,
          "Generates an AWS Lambda Function URL Event (lambda-local's own name: SAM has none)")
_register("alb", "request", alb.alb_event, "Generates an Application Load Balancer Event")
_register("cognito-idp", "pre-signup", cognito.cognito_pre_signup_event,
          "Generates an Amazon Cognito User Pool Pre Sign-up Trigger Event (lambda-local's own name: "
          "SAM's 'cognito' service only has the Cognito Sync trigger)")
_register("cognito-idp", "post-confirmation", cognito.cognito_post_confirmation_event,
          "Generates an Amazon Cognito User Pool Post Confirmation Trigger Event (lambda-local's own name)")
_register("lambda", "hello-world", awslambda.hello_world_event,
          "Generates the Lambda console's default hello-world test event")


def list_generators() -> list[tuple[str, str, str]]:
    """``(service, kind, description)`` for every generator, sorted.

    >>> ("s3", "put", "Generates an Amazon S3 Put Event") in list_generators()
    True
    """
    return sorted((service, kind, entry.description) for (service, kind), entry in GENERATORS.items())


def generate(service: str, kind: str, *, rng: random.Random | None = None, **options: Any) -> Any:
    """Build the event of ``service kind`` from options, as ``sam local generate-event`` does.

    Options are named like the builder's arguments or like their flags (``queue_name``,
    ``queue-name`` or ``--queue-name``); text is converted to the option's type and None means
    "use the default", so a command-line parser's values can be passed straight through.

    >>> event = generate("sqs", "receive-message", body="hi", receive_count="2")
    >>> event["Records"][0]["attributes"]["ApproximateReceiveCount"]
    '2'
    """
    entry = _lookup(service, kind)
    known = {alias: option for option in entry.options for alias in (option.param, option.dest, option.flag)}
    arguments = {}
    for name, value in options.items():
        option = known.get(name) or known.get(name.replace("-", "_"))
        if option is None:
            flags = ", ".join(known_option.flag for known_option in entry.options)
            raise TypeError(f"'{service} {kind}' has no option {name!r}; its options are {flags}")
        if value is not None:
            arguments[option.param] = option.parse(value)
    if rng is not None and (service, kind) in _SEEDABLE:
        arguments["rng"] = rng
    return entry.builder(**arguments)


def _lookup(service: str, kind: str) -> Generator:
    if (service, kind) in GENERATORS:
        return GENERATORS[(service, kind)]
    services = sorted({name for name, _ in GENERATORS})
    if service not in services:
        raise ValueError(f"unknown service {service!r}; choose one of {', '.join(services)}")
    kinds = sorted(k for s, k in GENERATORS if s == service)
    raise ValueError(f"unknown {service} event {kind!r}; choose one of {', '.join(kinds)}")
