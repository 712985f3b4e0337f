"""Event builders: one per kind of event AWS Lambda receives, in AWS's own shapes.

Triggers, the ``lambda-local events`` command and tests all build events here. Every builder
takes keyword arguments with sensible defaults and returns a plain, JSON-serialisable dict.
Ids come from ``rng`` (a ``random.Random``) when one is passed, else they are fresh and random;
times default to now (UTC) and accept a ``datetime``, epoch seconds or ISO-8601 text.

>>> import random
>>> from lambda_local.events import sqs_event, sqs_record
>>> event = sqs_event(sqs_record(body="hello", queue_name="jobs", rng=random.Random(0)))
>>> event["Records"][0]["eventSourceARN"]
'arn:aws:sqs:us-east-1:123456789012:jobs'

Record builders (``s3_record``, ``sqs_record``, ``sns_record``, ``dynamodb_record``,
``kinesis_record``) build one record; ``s3_event(*records)`` and its siblings wrap a batch.
``generate(service, kind, **options)`` is the ``sam local generate-event`` view of them all.
"""

from ._common import DEFAULT_ACCOUNT_ID, DEFAULT_PARTITION, DEFAULT_REGION, TimeLike
from .alb import alb_event
from .apigateway import http_api_authorizer_event, http_api_event, rest_api_event, websocket_event
from .awslambda import function_url_event, hello_world_event
from .cloudwatch_logs import cloudwatch_logs_event, cloudwatch_logs_payload, decode_cloudwatch_logs
from .cognito import cognito_post_confirmation_event, cognito_pre_signup_event
from .dynamodb import dynamodb_event, dynamodb_record, dynamodb_update_event, to_dynamodb_json
from .eventbridge import (
    cloudtrail_api_call_event,
    eventbridge_event,
    eventbridge_event_from_entry,
    scheduled_event,
    scheduler_event,
)
from .firehose import firehose_event, firehose_record, firehose_transformation_event
from .kinesis import kinesis_event, kinesis_get_records_event, kinesis_record
from .registry import GENERATORS, Generator, Option, generate, list_generators
from .s3 import encode_s3_key, s3_delete_event, s3_event, s3_eventbridge_event, s3_put_event, s3_record
from .sns import sns_event, sns_notification_event, sns_record
from .sqs import (
    md5_of_body,
    md5_of_message_attributes,
    sqs_event,
    sqs_receive_message_event,
    sqs_record,
    sqs_records_received,
)

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_PARTITION",
    "DEFAULT_REGION",
    "GENERATORS",
    "Generator",
    "Option",
    "TimeLike",
    "alb_event",
    "cloudtrail_api_call_event",
    "cloudwatch_logs_event",
    "cloudwatch_logs_payload",
    "cognito_post_confirmation_event",
    "cognito_pre_signup_event",
    "decode_cloudwatch_logs",
    "dynamodb_event",
    "dynamodb_record",
    "dynamodb_update_event",
    "encode_s3_key",
    "eventbridge_event",
    "eventbridge_event_from_entry",
    "firehose_event",
    "firehose_record",
    "firehose_transformation_event",
    "function_url_event",
    "generate",
    "hello_world_event",
    "http_api_authorizer_event",
    "http_api_event",
    "kinesis_event",
    "kinesis_get_records_event",
    "kinesis_record",
    "list_generators",
    "md5_of_body",
    "md5_of_message_attributes",
    "rest_api_event",
    "s3_delete_event",
    "s3_event",
    "s3_eventbridge_event",
    "s3_put_event",
    "s3_record",
    "scheduled_event",
    "scheduler_event",
    "sns_event",
    "sns_notification_event",
    "sns_record",
    "sqs_event",
    "sqs_receive_message_event",
    "sqs_record",
    "sqs_records_received",
    "websocket_event",
    "to_dynamodb_json",
]
