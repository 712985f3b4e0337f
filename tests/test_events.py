"""lambda_local.events: shapes against lambda-facts.md, powertools' data classes and SAM's naming.

Run: PYTHONPATH=. python -m pytest tests/test_events.py
"""

from __future__ import annotations

import base64
import doctest
import functools
import gzip
import hashlib
import importlib
import inspect
import json
import os
import random
import re
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote_plus

import boto3
import pytest
from aws_lambda_powertools.utilities import data_classes as dc
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import (
    PostConfirmationTriggerEvent,
    PreSignUpTriggerEvent,
)
from aws_lambda_powertools.utilities.data_classes.common import DictWrapper
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from lambda_local import events
from lambda_local.events import (
    GENERATORS,
    alb_event,
    cloudwatch_logs_event,
    cognito_post_confirmation_event,
    cognito_pre_signup_event,
    decode_cloudwatch_logs,
    dynamodb_event,
    dynamodb_record,
    dynamodb_update_event,
    encode_s3_key,
    eventbridge_event,
    eventbridge_event_from_entry,
    function_url_event,
    generate,
    hello_world_event,
    http_api_event,
    kinesis_event,
    kinesis_record,
    list_generators,
    md5_of_message_attributes,
    rest_api_event,
    s3_delete_event,
    s3_event,
    s3_put_event,
    s3_record,
    scheduled_event,
    sns_event,
    sns_record,
    sqs_event,
    sqs_record,
    sqs_records_received,
    to_dynamodb_json,
)

# Hypothesis caches under ./.hypothesis, which the repository does not ignore; use the temp dir.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "lambda-local-hypothesis"))

T = datetime(2020, 3, 12, 19, 3, 58, 123000, tzinfo=timezone.utc)
T_MS = 1584039838123
ACCOUNT = "123456789012"
REGION = "us-east-1"
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
EVENTS_DIR = Path(events.__file__).resolve().parent


def rng() -> random.Random:
    return random.Random(42)


def is_plain_json(value) -> bool:
    """JSON-serialisable and unchanged by a round trip (so no tuples, sets or bytes hide inside)."""
    return json.loads(json.dumps(value)) == value


# --- S3 ---------------------------------------------------------------------------------------

def test_s3_put_record_has_every_field_of_the_reference():
    record = s3_record(bucket="uploads", key="photos/red flower.jpg", size=5, etag='"abc123"',
                       version_id="v1", time=T, rng=rng())
    assert record["eventVersion"] == "2.1"
    assert record["eventSource"] == "aws:s3"
    assert record["awsRegion"] == REGION
    assert record["eventTime"] == "2020-03-12T19:03:58.123Z"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["userIdentity"]["principalId"].startswith("AWS:AIDA")
    assert record["requestParameters"] == {"sourceIPAddress": "127.0.0.1"}
    assert re.fullmatch(r"[0-9A-F]{16}", record["responseElements"]["x-amz-request-id"])
    assert record["responseElements"]["x-amz-id-2"]
    s3 = record["s3"]
    assert s3["s3SchemaVersion"] == "1.0"
    assert s3["configurationId"] == "testConfigRule"
    assert s3["bucket"]["name"] == "uploads"
    assert s3["bucket"]["ownerIdentity"]["principalId"]
    assert s3["bucket"]["arn"] == "arn:aws:s3:::uploads"
    assert s3["object"] == {"key": "photos/red+flower.jpg", "size": 5, "eTag": "abc123", "versionId": "v1",
                            "sequencer": s3["object"]["sequencer"]}
    assert re.fullmatch(r"[0-9A-F]{18}", s3["object"]["sequencer"])


def test_s3_delete_event_has_no_size_or_etag_and_no_version_unless_given():
    record = s3_delete_event(key="old file.txt", time=T)["Records"][0]
    assert record["eventName"] == "ObjectRemoved:Delete"
    assert set(record["s3"]["object"]) == {"key", "sequencer"}
    assert record["s3"]["object"]["key"] == "old+file.txt"


def test_s3_sequencers_grow_with_time_for_one_key():
    first = s3_record(key="k", time=T)["s3"]["object"]["sequencer"]
    later = s3_record(key="k", time=T + timedelta(milliseconds=1))["s3"]["object"]["sequencer"]
    assert later > first


def test_s3_event_wraps_several_records_and_refuses_none():
    event = s3_event(s3_record(key="a"), s3_record(key="b", event_name="ObjectRemoved:Delete"))
    assert [r["s3"]["object"]["key"] for r in event["Records"]] == ["a", "b"]
    with pytest.raises(ValueError):
        s3_event()


@pytest.mark.parametrize("key, encoded", [
    ("red flower.jpg", "red+flower.jpg"),
    ("a/b/c.txt", "a/b/c.txt"),
    ("logs/dt=2018-05-04/_SUCCESS", "logs/dt%3D2018-05-04/_SUCCESS"),
    ("c++ notes.txt", "c%2B%2B+notes.txt"),
    ("(1) copy.png", "%281%29+copy.png"),
    ("café/naïve.txt", "caf%C3%A9/na%C3%AFve.txt"),
    ("日本.txt", "%E6%97%A5%E6%9C%AC.txt"),
])
def test_s3_keys_are_encoded_as_s3_does(key, encoded):
    assert encode_s3_key(key) == encoded
    assert s3_put_event(key=key)["Records"][0]["s3"]["object"]["key"] == encoded


@settings(database=None)  # keep the repository free of .hypothesis/
@given(st.text(max_size=60))
def test_s3_key_encoding_keeps_slashes_turns_spaces_to_plus_and_round_trips(key):
    encoded = encode_s3_key(key)
    assert unquote_plus(encoded) == key
    assert " " not in encoded
    assert encoded.count("/") == key.count("/")
    assert re.fullmatch(r"[A-Za-z0-9_.~/%+-]*", encoded)


def test_powertools_decodes_our_s3_key_back():
    assert dc.S3Event(s3_put_event(key="my dir/über file+1.txt")).object_key == "my dir/über file+1.txt"


# --- SQS --------------------------------------------------------------------------------------

def test_sqs_record_has_every_field_of_the_reference():
    record = sqs_record(body="Hello from SQS!", queue_name="jobs", sent_time=T, rng=rng())
    assert UUID_RE.fullmatch(record["messageId"])
    assert record["receiptHandle"].startswith("AQEB")
    assert record["body"] == "Hello from SQS!"
    assert record["attributes"] == {
        "ApproximateReceiveCount": "1",
        "SentTimestamp": str(T_MS),
        "SenderId": ACCOUNT,
        "ApproximateFirstReceiveTimestamp": str(T_MS),
    }
    assert record["messageAttributes"] == {}
    assert "md5OfMessageAttributes" not in record
    assert record["md5OfBody"] == hashlib.md5(b"Hello from SQS!").hexdigest()
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"
    assert record["awsRegion"] == REGION


@pytest.mark.parametrize("body", ["", "plain", '{"json": true}', "héllo ✓ 日本", "x" * 10_000])
def test_sqs_md5_of_body_is_the_real_md5(body):
    assert sqs_record(body=body)["md5OfBody"] == hashlib.md5(body.encode("utf-8")).hexdigest()


def test_sqs_retries_show_in_the_receive_count_and_first_receive_time():
    record = sqs_record(receive_count=3, sent_time=T, first_receive_time=T + timedelta(seconds=1))
    assert record["attributes"]["ApproximateReceiveCount"] == "3"
    assert record["attributes"]["ApproximateFirstReceiveTimestamp"] == str(T_MS + 1000)
    with pytest.raises(ValueError):
        sqs_record(receive_count=0)


def test_sqs_message_attributes_take_lambdas_shape():
    record = sqs_record(message_attributes={
        "Kind": "greeting",
        "Count": 3,
        "Blob": b"\x00\x01",
        "Typed": {"DataType": "String.custom", "StringValue": "x"},
    })
    assert record["messageAttributes"] == {
        "Blob": {"binaryValue": "AAE=", "stringListValues": [], "binaryListValues": [], "dataType": "Binary"},
        "Count": {"stringValue": "3", "stringListValues": [], "binaryListValues": [], "dataType": "Number"},
        "Kind": {"stringValue": "greeting", "stringListValues": [], "binaryListValues": [], "dataType": "String"},
        "Typed": {"stringValue": "x", "stringListValues": [], "binaryListValues": [], "dataType": "String.custom"},
    }
    assert re.fullmatch(r"[0-9a-f]{32}", record["md5OfMessageAttributes"])


# Expected digests published with the aws-md5-of-message-attributes package, checked against SQS.
@pytest.mark.parametrize("attributes, digest", [
    ({"attribName1": {"DataType": "String", "StringValue": "attribValue 1"}}, "19e27d4e946b072f3f58da80d94fd778"),
    ({"customNumberTypeAttrib": {"DataType": "Number.float", "StringValue": "4563442423554324324264524243.32543234"}},
     "9fe1b90bbd9965bdf77bac517c7d2495"),
    ({"binaryAttribute": {"DataType": "Binary", "BinaryValue": b"Hello binary world!"}},
     "31a92b15d92f8db860eda32aceb656c3"),
    ({"attribName1": {"DataType": "String", "StringValue": "attribValue 1"},
      "customNumberTypeAttrib": {"DataType": "Number.float", "StringValue": "4563442423554324324264524243.32543234"},
      "binaryAttribute": {"DataType": "Binary", "BinaryValue": base64.b64encode(b"Hello binary world!").decode()}},
     "c932db14a896c663f83c260297d594ff"),
])
def test_sqs_md5_of_message_attributes_matches_aws(attributes, digest):
    assert md5_of_message_attributes(attributes) == digest


@mock_aws
def test_a_record_built_from_a_received_message_carries_the_digests_sqs_reported():
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="order #1 ✓", MessageAttributes={
        "Kind": {"DataType": "String", "StringValue": "order"},
        "Total": {"DataType": "Number", "StringValue": "12.5"},
        "Raw": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
    })
    message = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
    record = sqs_record(body=message["Body"], queue_name="orders", message_id=message["MessageId"],
                        receipt_handle=message["ReceiptHandle"], message_attributes=message["MessageAttributes"])
    assert record["md5OfBody"] == message["MD5OfBody"]
    assert record["md5OfMessageAttributes"] == message["MD5OfMessageAttributes"]
    assert record["receiptHandle"] == message["ReceiptHandle"]


_RECEIVED_ATTRIBUTES = {"Kind": {"DataType": "String", "StringValue": "order"},
                        "Total": {"DataType": "Number", "StringValue": "12.5"},
                        "Raw": {"DataType": "Binary.gz", "BinaryValue": b"\x00\xff"}}


@pytest.mark.parametrize("queue_name, fifo_fields, message_attributes", [
    ("orders", {}, None),
    ("orders", {}, _RECEIVED_ATTRIBUTES),
    ("orders.fifo", {"MessageGroupId": "g1", "MessageDeduplicationId": "d1", "SequenceNumber": "18892"}, None),
    ("orders.fifo", {}, _RECEIVED_ATTRIBUTES),  # fallbacks drawn: the sequence number's random digits
    ("orders", {"MessageGroupId": "g1"}, None),  # a group id makes the FIFO attributes, as in sqs_record
])
def test_records_of_received_messages_are_sqs_records_byte_for_byte_with_the_same_draws(
        queue_name, fifo_fields, message_attributes):
    """A poller builds its records from what ReceiveMessage returned; a learner builds the same ones with
    sqs_record: the same JSON, key order included, and the seeded generator left where sqs_record leaves it (so
    every id drawn afterwards, such as the invocation's request id, is the same)."""
    received = {"MessageId": "6f8a1c2e-0000-4000-8000-000000000001", "ReceiptHandle": "AQEBhandle", "Body": "order ✓",
                "Attributes": {"SenderId": "AIDAEXAMPLE", "SentTimestamp": str(T_MS), "ApproximateReceiveCount": "2",
                               "ApproximateFirstReceiveTimestamp": str(T_MS + 877), **fifo_fields}}
    if message_attributes:
        received["MessageAttributes"] = message_attributes
    ours, theirs, drawing = rng(), rng(), rng()
    built = sqs_records_received([received, received], queue_name=queue_name, rng=ours)
    fields = dict(body="order ✓", queue_name=queue_name, message_attributes=message_attributes, receive_count=2,
                  sent_time=T_MS / 1000, first_receive_time=(T_MS + 877) / 1000, sender_id="AIDAEXAMPLE",
                  message_group_id=fifo_fields.get("MessageGroupId"),
                  message_deduplication_id=fifo_fields.get("MessageDeduplicationId"),
                  sequence_number=fifo_fields.get("SequenceNumber"))
    expected = [sqs_record(**fields, message_id=received["MessageId"], receipt_handle="AQEBhandle", rng=theirs)
                for _ in range(2)]
    assert json.dumps(built) == json.dumps(expected)
    assert ours.getstate() == theirs.getstate()
    # given ids draw what the ids made up when none is given would have drawn
    [sqs_record(**fields, rng=drawing) for _ in range(2)]
    assert ours.getstate() == drawing.getstate()


@pytest.mark.parametrize("millis", [0, 1, 999, T_MS, 1_796_421_328_118, 7_258_118_399_999])
def test_a_time_in_epoch_seconds_is_written_as_the_milliseconds_sqs_reported(millis):
    # A poller used to pass SQS's milliseconds to sqs_record as seconds; it now copies SQS's figure: the same text.
    assert sqs_record(sent_time=millis / 1000)["attributes"]["SentTimestamp"] == str(millis)


def test_records_of_received_messages_refuse_a_region_aws_could_not_have():
    with pytest.raises(ValueError, match="Region"):
        sqs_records_received([], region="Virginia")


def test_records_of_received_messages_say_which_attributes_they_need():
    # boto3's receive_message without AttributeNames=["All"] returns no Attributes
    message = {"MessageId": "m1", "ReceiptHandle": "AQEBh", "Body": "hi", "MD5OfBody": hashlib.md5(b"hi").hexdigest()}
    with pytest.raises(ValueError, match=r'AttributeNames=\["All"\]'):
        sqs_records_received([message])


def test_sqs_fifo_records_carry_the_fifo_attributes():
    attributes = sqs_record(body="b", queue_name="jobs.fifo", sent_time=T)["attributes"]
    assert attributes["MessageGroupId"] == "default"
    assert attributes["MessageDeduplicationId"] == hashlib.sha256(b"b").hexdigest()
    assert attributes["SequenceNumber"].isdigit()


# --- SNS --------------------------------------------------------------------------------------

def test_sns_record_has_every_field_of_the_reference():
    record = sns_record(message="hi", subject="greeting", topic="alerts", time=T, rng=rng(),
                        message_attributes={"Level": "high", "Raw": b"\x01"})
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
    assert record["EventVersion"] == "1.0"
    assert record["EventSource"] == "aws:sns"
    assert record["EventSubscriptionArn"].startswith(topic_arn + ":")
    assert UUID_RE.fullmatch(record["EventSubscriptionArn"].rsplit(":", 1)[1])
    sns = record["Sns"]
    assert sns["Type"] == "Notification"
    assert UUID_RE.fullmatch(sns["MessageId"])
    assert sns["TopicArn"] == topic_arn
    assert sns["Subject"] == "greeting"
    assert sns["Message"] == "hi"
    assert sns["Timestamp"] == "2020-03-12T19:03:58.123Z"
    assert sns["SignatureVersion"] == "1"
    assert base64.b64decode(sns["Signature"], validate=True)
    assert re.fullmatch(r"https://sns\.us-east-1\.amazonaws\.com/SimpleNotificationService-[0-9a-f]{32}\.pem",
                        sns["SigningCertUrl"])
    assert sns["UnsubscribeUrl"] == (f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe"
                                     f"&SubscriptionArn={record['EventSubscriptionArn']}")
    assert sns["MessageAttributes"] == {"Level": {"Type": "String", "Value": "high"},
                                        "Raw": {"Type": "Binary", "Value": "AQ=="}}


def test_sns_subject_can_be_null_as_when_published_without_one():
    assert sns_event(sns_record(subject=None))["Records"][0]["Sns"]["Subject"] is None


# --- EventBridge --------------------------------------------------------------------------------

def test_eventbridge_custom_event_has_every_field_of_the_reference():
    event = eventbridge_event(source="shop", detail_type="OrderPlaced", detail={"id": 7},
                              resources=["arn:aws:s3:::b"], time=T, rng=rng())
    assert event == {
        "version": "0",
        "id": event["id"],
        "detail-type": "OrderPlaced",
        "source": "shop",
        "account": ACCOUNT,
        "time": "2020-03-12T19:03:58Z",
        "region": REGION,
        "resources": ["arn:aws:s3:::b"],
        "detail": {"id": 7},
    }
    assert UUID_RE.fullmatch(event["id"])


def test_eventbridge_event_from_a_put_events_entry():
    entry = {"Source": "shop", "DetailType": "OrderPlaced", "Detail": '{"id": 7}', "Resources": ["r"], "Time": T,
             "EventBusName": "default"}
    event = eventbridge_event_from_entry(entry, region="eu-west-1")
    assert (event["source"], event["detail-type"], event["detail"]) == ("shop", "OrderPlaced", {"id": 7})
    assert (event["resources"], event["time"], event["region"]) == (["r"], "2020-03-12T19:03:58Z", "eu-west-1")
    with pytest.raises(ValueError):
        eventbridge_event_from_entry({"Source": "shop"})


def test_eventbridge_detail_must_be_a_json_object():
    with pytest.raises(ValueError):
        eventbridge_event(detail="{not json")
    with pytest.raises(TypeError):
        eventbridge_event(detail="[1, 2]")


def test_scheduled_event_has_every_field_of_the_reference():
    event = scheduled_event(rule="nightly", time=T)
    assert event["version"] == "0"
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["account"] == ACCOUNT
    assert event["time"] == "2020-03-12T19:03:58Z"
    assert event["region"] == REGION
    assert event["resources"] == [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/nightly"]
    assert event["detail"] == {}
    assert scheduled_event(rule="r", event_bus="orders")["resources"] == [
        f"arn:aws:events:{REGION}:{ACCOUNT}:rule/orders/r"]


# --- DynamoDB Streams -----------------------------------------------------------------------------

def test_to_dynamodb_json_types_every_kind_of_value():
    assert to_dynamodb_json({
        "s": "x", "n": 1, "f": 1.5, "b": True, "null": None, "list": [1, "a"], "map": {"k": 2.25},
        "ss": {"b", "a"}, "bin": b"\x01",
    }) == {
        "s": {"S": "x"}, "n": {"N": "1"}, "f": {"N": "1.5"}, "b": {"BOOL": True}, "null": {"NULL": True},
        "list": {"L": [{"N": "1"}, {"S": "a"}]}, "map": {"M": {"k": {"N": "2.25"}}}, "ss": {"SS": ["a", "b"]},
        "bin": {"B": "AQ=="},
    }
    with pytest.raises(ValueError):
        to_dynamodb_json({"n": float("nan")})


def test_dynamodb_record_has_every_field_of_the_reference():
    record = dynamodb_record(event_name="MODIFY", keys={"pk": "u1"}, old_image={"pk": "u1", "n": 1},
                             new_image={"pk": "u1", "n": 2}, table="users", time=T, rng=rng())
    assert re.fullmatch(r"[0-9a-f]{32}", record["eventID"])
    assert record["eventName"] == "MODIFY"
    assert record["eventVersion"] == "1.1"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["awsRegion"] == REGION
    change = record["dynamodb"]
    assert change["ApproximateCreationDateTime"] == int(T.timestamp())
    assert change["Keys"] == {"pk": {"S": "u1"}}
    assert change["OldImage"] == {"pk": {"S": "u1"}, "n": {"N": "1"}}
    assert change["NewImage"] == {"pk": {"S": "u1"}, "n": {"N": "2"}}
    assert change["SequenceNumber"].isdigit()
    assert isinstance(change["SizeBytes"], int) and change["SizeBytes"] > 0
    assert change["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert record["eventSourceARN"] == f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/users/stream/2015-06-27T00:48:05.899"


@pytest.mark.parametrize("event_name, view, images", [
    ("INSERT", "NEW_AND_OLD_IMAGES", {"NewImage"}),
    ("MODIFY", "NEW_AND_OLD_IMAGES", {"NewImage", "OldImage"}),
    ("REMOVE", "NEW_AND_OLD_IMAGES", {"OldImage"}),
    ("MODIFY", "NEW_IMAGE", {"NewImage"}),
    ("MODIFY", "OLD_IMAGE", {"OldImage"}),
    ("MODIFY", "KEYS_ONLY", set()),
])
def test_dynamodb_images_follow_the_event_and_the_stream_view_type(event_name, view, images):
    change = dynamodb_record(event_name=event_name, stream_view_type=view, old_image={"Id": 1},
                             new_image={"Id": 1})["dynamodb"]
    assert {"NewImage", "OldImage"} & set(change) == images


def test_dynamodb_record_accepts_dynamodb_json_as_moto_streams_hold_it():
    change = dynamodb_record(keys={"Id": {"N": "5"}}, new_image={"Id": {"N": "5"}}, typed=True)["dynamodb"]
    assert change["Keys"] == {"Id": {"N": "5"}} and change["NewImage"] == {"Id": {"N": "5"}}


def test_dynamodb_update_event_is_insert_modify_remove_with_growing_sequence_numbers():
    records = dynamodb_update_event(table="t", time=T)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    with pytest.raises(ValueError):
        dynamodb_record(event_name="UPDATE")
    assert len(dynamodb_event(*records)["Records"]) == 3


# --- Kinesis --------------------------------------------------------------------------------------

def test_kinesis_record_has_every_field_of_the_reference():
    record = kinesis_record(data="Hello, this is a test 123.", partition_key="pk-1", stream="clicks", time=T,
                            rng=rng())
    data = record["kinesis"]
    assert data["kinesisSchemaVersion"] == "1.0"
    assert data["partitionKey"] == "pk-1"
    assert data["sequenceNumber"].isdigit() and len(data["sequenceNumber"]) == 56
    assert base64.b64decode(data["data"]) == b"Hello, this is a test 123."
    assert data["approximateArrivalTimestamp"] == 1584039838.123
    assert isinstance(data["approximateArrivalTimestamp"], float)
    assert record["eventSource"] == "aws:kinesis"
    assert record["eventVersion"] == "1.0"
    assert record["eventID"] == f"shardId-000000000000:{data['sequenceNumber']}"
    assert record["eventName"] == "aws:kinesis:record"
    assert record["invokeIdentityArn"] == f"arn:aws:iam::{ACCOUNT}:role/lambda-role"
    assert record["awsRegion"] == REGION
    assert record["eventSourceARN"] == f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/clicks"


def test_kinesis_sequence_numbers_grow_with_arrival_time_and_bytes_pass_through():
    first = kinesis_record(time=T, rng=rng())["kinesis"]["sequenceNumber"]
    later = kinesis_record(time=T + timedelta(milliseconds=1), rng=rng())["kinesis"]["sequenceNumber"]
    assert int(later) > int(first)
    assert kinesis_event(kinesis_record(data=b"\xff\x00"))["Records"][0]["kinesis"]["data"] == "/wA="


# --- API Gateway, Function URLs, ALB -----------------------------------------------------------------

def test_rest_api_event_has_every_field_of_the_reference():
    event = rest_api_event(method="GET", path="/users/7", resource="/users/{id}", stage="prod",
                           query="expand=1&tag=a&tag=b", headers={"X-Trace": ["1", "2"]}, body="{}",
                           stage_variables={"env": "test"}, time=T, rng=rng())
    assert event["resource"] == "/users/{id}"
    assert event["path"] == "/users/7"
    assert event["httpMethod"] == "GET"
    assert event["headers"]["X-Trace"] == "2"
    assert event["multiValueHeaders"]["X-Trace"] == ["1", "2"]
    assert event["headers"]["Host"] == event["requestContext"]["domainName"]
    assert event["queryStringParameters"] == {"expand": "1", "tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"expand": ["1"], "tag": ["a", "b"]}
    assert event["pathParameters"] == {"id": "7"}
    assert event["stageVariables"] == {"env": "test"}
    context = event["requestContext"]
    assert context["accountId"] == ACCOUNT
    assert re.fullmatch(r"[a-z0-9]{10}", context["apiId"])
    assert re.fullmatch(r"[a-z0-9]{6}", context["resourceId"])
    assert context["stage"] == "prod"
    assert UUID_RE.fullmatch(context["requestId"])
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == event["headers"]["User-Agent"]
    assert context["httpMethod"] == "GET"
    assert context["path"] == "/prod/users/7"
    assert context["resourcePath"] == "/users/{id}"
    assert context["protocol"] == "HTTP/1.1"
    assert context["requestTime"] == "12/Mar/2020:19:03:58 +0000"
    assert context["requestTimeEpoch"] == T_MS
    assert context["domainName"] == f"{context['apiId']}.execute-api.{REGION}.amazonaws.com"
    assert event["body"] == "{}"
    assert event["isBase64Encoded"] is False


def test_rest_api_event_sends_null_for_absent_parts_and_proxies_by_default():
    event = rest_api_event(method="GET", path="/", body=None)
    assert event["resource"] == "/"
    for name in ("queryStringParameters", "multiValueQueryStringParameters", "pathParameters", "stageVariables",
                 "body"):
        assert event[name] is None, name
    proxied = rest_api_event(path="path/to/resource")
    assert proxied["path"] == "/path/to/resource"
    assert proxied["resource"] == "/{proxy+}" and proxied["pathParameters"] == {"proxy": "path/to/resource"}


def test_rest_api_headers_override_case_insensitively_and_bytes_bodies_are_base64():
    event = rest_api_event(headers={"host": "api.example.com"}, body=b"\x00\x01")
    assert "Host" not in event["headers"] and event["headers"]["host"] == "api.example.com"
    assert (event["body"], event["isBase64Encoded"]) == ("AAE=", True)
    with pytest.raises(ValueError):
        rest_api_event(path="/a/b", resource="/x/{id}")


@pytest.mark.parametrize("build", [alb_event, rest_api_event, http_api_event])
def test_a_header_given_no_value_at_all_is_a_clear_error(build):
    # (an empty list: no request carries a header name without a value; ALB's builder failed with IndexError)
    with pytest.raises(TypeError, match="'X-Empty' must be a string or a non-empty list of strings"):
        build(headers={"X-Empty": []})


def test_http_api_event_has_every_field_of_the_reference():
    event = http_api_event(method="POST", path="/items/9", route_key="POST /items/{id}", stage="$default",
                           headers={"Content-Type": "application/json", "Cookie": "a=1; b=2", "X-Multi": ["x", "y"]},
                           query="q=x&q=y&z=", body='{"n": 1}', time=T, rng=rng())
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /items/{id}"
    assert event["rawPath"] == "/items/9"
    assert event["rawQueryString"] == "q=x&q=y&z="
    assert event["cookies"] == ["a=1", "b=2"]
    assert all(name == name.lower() for name in event["headers"])
    assert event["headers"]["content-type"] == "application/json"
    assert event["headers"]["x-multi"] == "x,y"
    assert "cookie" not in event["headers"]
    assert event["queryStringParameters"] == {"q": "x,y", "z": ""}
    context = event["requestContext"]
    assert context["accountId"] == ACCOUNT
    assert context["domainName"] == f"{context['apiId']}.execute-api.{REGION}.amazonaws.com"
    assert context["domainPrefix"] == context["apiId"]
    assert context["http"] == {"method": "POST", "path": "/items/9", "protocol": "HTTP/1.1",
                               "sourceIp": "127.0.0.1", "userAgent": event["headers"]["user-agent"]}
    assert context["requestId"]
    assert context["routeKey"] == "POST /items/{id}"
    assert context["stage"] == "$default"
    assert context["time"] == "12/Mar/2020:19:03:58 +0000"
    assert context["timeEpoch"] == T_MS
    assert event["body"] == '{"n": 1}'
    assert event["pathParameters"] == {"id": "9"}
    assert event["isBase64Encoded"] is False


def test_http_api_event_leaves_absent_parts_out_and_prefixes_named_stages():
    event = http_api_event(method="GET", path="/", body=None)
    for name in ("cookies", "queryStringParameters", "pathParameters", "body", "stageVariables"):
        assert name not in event, name
    assert event["rawQueryString"] == ""
    staged = http_api_event(path="/x", stage="prod")
    assert staged["rawPath"] == "/prod/x" and staged["requestContext"]["http"]["path"] == "/prod/x"


def test_function_url_event_is_payload_2_with_default_route_and_stage():
    event = function_url_event(method="POST", path="/hook", body="hi", url_id="a" * 32, time=T)
    assert event["version"] == "2.0"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "$default"
    assert event["requestContext"]["stage"] == "$default"
    assert event["requestContext"]["domainName"] == f"{'a' * 32}.lambda-url.{REGION}.on.aws"
    assert event["requestContext"]["domainPrefix"] == event["requestContext"]["apiId"] == "a" * 32
    assert event["headers"]["host"] == event["requestContext"]["domainName"]
    assert event["headers"]["content-length"] == "2"
    assert "authorizer" not in event["requestContext"]
    assert re.fullmatch(r"[a-z0-9]{32}", function_url_event()["requestContext"]["apiId"])
    iam = function_url_event(auth_type="AWS_IAM")["requestContext"]["authorizer"]["iam"]
    assert iam["accountId"] == ACCOUNT and iam["userArn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_alb_event_keeps_query_values_encoded_and_sends_an_empty_body():
    event = alb_event(method="GET", path="/health", query="q=a%20b&q=c", body=None, rng=rng())
    assert re.fullmatch(rf"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/lambda-target/[0-9a-f]{{16}}",
                        event["requestContext"]["elb"]["targetGroupArn"])
    assert event["httpMethod"] == "GET" and event["path"] == "/health"
    assert event["queryStringParameters"] == {"q": "c"}
    assert all(name == name.lower() for name in event["headers"])
    assert (event["body"], event["isBase64Encoded"]) == ("", False)
    multi = alb_event(query="q=a%20b&q=c", multi_value_headers=True)
    assert multi["multiValueQueryStringParameters"] == {"q": ["a%20b", "c"]}
    assert "headers" not in multi and "multiValueHeaders" in multi


def test_http_methods_are_checked():
    with pytest.raises(ValueError):
        rest_api_event(method="FETCH")


# --- CloudWatch Logs, Cognito, the console -----------------------------------------------------------

def test_cloudwatch_logs_event_is_base64_gzip_json_with_the_subscription_fields():
    event = cloudwatch_logs_event(messages=["first", {"message": "second", "timestamp": T_MS + 5}],
                                  log_group="/aws/lambda/f", subscription_filters=["errors"], time=T, rng=rng())
    assert list(event) == ["awslogs"] and list(event["awslogs"]) == ["data"]
    payload = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    assert payload == decode_cloudwatch_logs(event)
    assert payload["messageType"] == "DATA_MESSAGE"
    assert payload["owner"] == ACCOUNT
    assert payload["logGroup"] == "/aws/lambda/f"
    assert re.fullmatch(r"2020/03/12/\[\$LATEST\][0-9a-f]{32}", payload["logStream"])
    assert payload["subscriptionFilters"] == ["errors"]
    assert [(e["timestamp"], e["message"]) for e in payload["logEvents"]] == [(T_MS, "first"), (T_MS + 5, "second")]
    assert all(re.fullmatch(r"\d{56}", e["id"]) for e in payload["logEvents"])
    assert cloudwatch_logs_event(time=T, rng=rng()) == cloudwatch_logs_event(time=T, rng=rng())


def test_cognito_pre_signup_event_has_the_trigger_fields():
    event = cognito_pre_signup_event(user_name="ada", user_attributes={"email": "ada@example.com"},
                                     client_metadata={"src": "web"}, rng=rng())
    assert event["version"] == "1"
    assert event["triggerSource"] == "PreSignUp_SignUp"
    assert event["region"] == REGION
    assert re.fullmatch(r"us-east-1_[A-Za-z0-9]{9}", event["userPoolId"])
    assert event["userName"] == "ada"
    assert set(event["callerContext"]) == {"awsSdkVersion", "clientId"}
    assert event["request"] == {"userAttributes": {"email": "ada@example.com"}, "validationData": None,
                                "clientMetadata": {"src": "web"}}
    assert event["response"] == {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False}
    with pytest.raises(ValueError):
        cognito_pre_signup_event(trigger_source="PostConfirmation_ConfirmSignUp")


def test_cognito_post_confirmation_event_has_the_trigger_fields():
    event = cognito_post_confirmation_event(user_name="ada", user_attributes={"email": "ada@example.com"})
    assert event["triggerSource"] == "PostConfirmation_ConfirmSignUp"
    attributes = event["request"]["userAttributes"]
    assert UUID_RE.fullmatch(attributes["sub"])
    assert attributes["cognito:user_status"] == "CONFIRMED"
    assert attributes["email"] == "ada@example.com"
    assert event["response"] == {}


def test_hello_world_is_the_consoles_test_event():
    assert hello_world_event() == {"key1": "value1", "key2": "value2", "key3": "value3"}


# --- times, ids, determinism -----------------------------------------------------------------------

@pytest.mark.parametrize("when", [
    T, T.replace(tzinfo=None), T.astimezone(timezone(timedelta(hours=2))), T.timestamp(), "2020-03-12T19:03:58.123Z",
    "2020-03-12T21:03:58.123+02:00", "1584039838.123",
])
def test_times_accept_datetimes_epochs_and_iso_text(when):
    assert sns_record(time=when)["Sns"]["Timestamp"] == "2020-03-12T19:03:58.123Z"


def test_times_default_to_now_in_utc():
    before = datetime.now(timezone.utc).replace(microsecond=0)
    stamp = datetime.fromisoformat(eventbridge_event()["time"].replace("Z", "+00:00"))
    assert before <= stamp <= datetime.now(timezone.utc)


def test_ids_are_reproducible_with_an_rng_and_fresh_without():
    assert sqs_record(sent_time=T, rng=rng()) == sqs_record(sent_time=T, rng=rng())
    assert sqs_record()["messageId"] != sqs_record()["messageId"]


def test_overriding_one_id_leaves_the_others_unchanged():
    base = s3_record(time=T, rng=rng())
    changed = s3_record(time=T, rng=rng(), request_id="FIXED")
    assert changed["responseElements"]["x-amz-request-id"] == "FIXED"
    assert changed["responseElements"]["x-amz-id-2"] == base["responseElements"]["x-amz-id-2"]
    assert changed["s3"]["bucket"]["ownerIdentity"] == base["s3"]["bucket"]["ownerIdentity"]


def test_location_is_checked():
    with pytest.raises(ValueError):
        sqs_record(region="Virginia")
    with pytest.raises(ValueError):
        sqs_record(account_id="42")
    with pytest.raises(ValueError):
        sqs_record(partition="azure")
    china = sqs_record(region="cn-north-1", partition="aws-cn")
    assert china["eventSourceARN"].startswith("arn:aws-cn:sqs:cn-north-1:")


# --- powertools' data classes read every property ------------------------------------------------------

# Properties that decode a payload as one particular format; they are exercised with such payloads below.
CONTENT_DECODERS = {"SQSRecord": {"json_body", "decoded_nested_s3_event", "decoded_nested_sns_event"}}


def read_every_property(obj, path: str = "event", missing: list | None = None) -> list[str]:
    """Read every public property of a powertools data class, recursively; return what raised."""
    missing = [] if missing is None else missing
    if isinstance(obj, DictWrapper):
        for name, attribute in inspect.getmembers(type(obj)):
            if name.startswith("_") or not isinstance(attribute, (property, functools.cached_property)):
                continue
            if name in CONTENT_DECODERS.get(type(obj).__name__, ()):
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # deprecated aliases still have to work
                    value = getattr(obj, name)
                    value = list(value) if isinstance(value, Iterator) else value
            except Exception as error:  # noqa: BLE001 - the point is to report any failure
                missing.append(f"{type(obj).__name__}.{name} at {path}: {type(error).__name__}: {error}")
                continue
            read_every_property(value, f"{path}.{name}", missing)
    elif isinstance(obj, Mapping):
        for key, value in obj.items():
            read_every_property(value, f"{path}[{key!r}]", missing)
    elif isinstance(obj, (list, tuple)):
        for index, value in enumerate(obj):
            read_every_property(value, f"{path}[{index}]", missing)
    return missing


# Fields AWS itself leaves out, which some powertools properties read unconditionally.
ABSENT_ON_AWS = {
    "s3 delete": {"S3Object.size"},  # removal notifications carry no size
    "sqs attributes": {"SQSMessageAttribute.binary_value",  # a String attribute has no binaryValue
                       "SQSMessageAttribute.string_value"},  # and a Binary one no stringValue
    "rest api": {"APIGatewayProxyEvent.version"},  # only HTTP APIs' payload 1.0 has "version"
}

POWERTOOLS_CASES = {
    "s3 put": (dc.S3Event, lambda: s3_put_event()),
    "s3 delete": (dc.S3Event, lambda: s3_delete_event()),
    "sqs": (dc.SQSEvent, lambda: sqs_event(sqs_record(), sqs_record(queue_name="q.fifo"))),
    "sqs attributes": (dc.SQSEvent, lambda: sqs_event(sqs_record(message_attributes={"s": "x", "b": b"y", "n": 1}))),
    "sns": (dc.SNSEvent, lambda: sns_event(sns_record(message_attributes={"s": "x", "b": b"y"}))),
    "eventbridge": (dc.EventBridgeEvent, lambda: eventbridge_event(detail={"a": 1}, resources=["r"])),
    "schedule": (dc.EventBridgeEvent, lambda: scheduled_event()),
    "dynamodb": (dc.DynamoDBStreamEvent, lambda: dynamodb_update_event(
        new_image={"Id": 101, "tags": {"a", "b"}, "doc": {"x": [1, None, True]}, "bin": b"\x00"})),
    "kinesis": (dc.KinesisStreamEvent, lambda: kinesis_event(kinesis_record(data='{"a": 1}'), kinesis_record())),
    "rest api": (dc.APIGatewayProxyEvent, lambda: rest_api_event(query="a=1&a=2", stage_variables={"s": "v"})),
    "http api": (dc.APIGatewayProxyEventV2, lambda: http_api_event(
        route_key="POST /{proxy+}", headers={"cookie": "a=1"}, query="a=1", stage_variables={"s": "v"})),
    "function url": (dc.LambdaFunctionUrlEvent, lambda: function_url_event(query="a=1", body='{"x": 1}')),
    "function url iam": (dc.LambdaFunctionUrlEvent, lambda: function_url_event(auth_type="AWS_IAM")),
    "alb": (dc.ALBEvent, lambda: alb_event(query="a=1")),
    "alb multi-value": (dc.ALBEvent, lambda: alb_event(query="a=1", multi_value_headers=True)),
    "cloudwatch logs": (dc.CloudWatchLogsEvent, lambda: cloudwatch_logs_event()),
    "cognito pre sign-up": (PreSignUpTriggerEvent, lambda: cognito_pre_signup_event(client_metadata={"k": "v"})),
    "cognito post confirmation": (PostConfirmationTriggerEvent, lambda: cognito_post_confirmation_event()),
}


@pytest.mark.parametrize("case", sorted(POWERTOOLS_CASES))
def test_powertools_reads_every_property(case):
    data_class, build = POWERTOOLS_CASES[case]
    failures = read_every_property(data_class(build()))
    allowed = ABSENT_ON_AWS.get(case, set())
    unexpected = [f for f in failures if f.split(" at ")[0] not in allowed]
    assert unexpected == []
    for name in allowed:  # the exemptions must stay real: AWS really leaves these out
        assert any(f.startswith(name + " ") for f in failures), name


@pytest.mark.parametrize("body, decoder", [
    ('{"order": 1}', "json_body"),
    (json.dumps(s3_put_event()), "decoded_nested_s3_event"),
    (json.dumps(sns_record()["Sns"]), "decoded_nested_sns_event"),
])
def test_powertools_decodes_sqs_bodies_holding_other_events(body, decoder):
    record = next(dc.SQSEvent(sqs_event(sqs_record(body=body))).records)
    nested = getattr(record, decoder)
    assert read_every_property(nested) == []


# --- the registry (sam local generate-event) ---------------------------------------------------------

EXPECTED_GENERATORS = {
    ("s3", "put"), ("s3", "delete"), ("sqs", "receive-message"), ("sns", "notification"),
    ("cloudwatch", "scheduled-event"), ("cloudwatch", "logs"), ("eventbridge", "custom"), ("dynamodb", "update"),
    ("kinesis", "get-records"), ("apigateway", "aws-proxy"), ("apigateway", "http-api-proxy"),
    ("lambda", "function-url"), ("alb", "request"), ("cognito-idp", "pre-signup"),
    ("cognito-idp", "post-confirmation"), ("lambda", "hello-world"),
}

# SAM's own option names (samcli/lib/generated_sample_events/event-mapping.json) that we mirror.
SAM_FLAGS = {
    ("s3", "put"): {"--bucket", "--key", "--region", "--partition"},
    ("s3", "delete"): {"--bucket", "--key", "--region", "--partition"},
    ("sqs", "receive-message"): {"--body", "--queue-name", "--region", "--account-id", "--partition"},
    ("sns", "notification"): {"--topic", "--subject", "--message", "--region", "--account-id", "--partition"},
    ("cloudwatch", "scheduled-event"): {"--rule", "--region", "--account-id", "--partition"},
    ("dynamodb", "update"): {"--table", "--region", "--account-id", "--partition"},
    ("kinesis", "get-records"): {"--data", "--partition-key", "--sequence", "--region", "--partition"},
    ("apigateway", "aws-proxy"): {"--body", "--stage", "--method", "--resource", "--path", "--account-id"},
    ("apigateway", "http-api-proxy"): {"--body", "--stage", "--method", "--path", "--account-id"},
    ("alb", "request"): {"--body", "--method", "--path", "--account-id"},
}

# Wrappers taking **fields get their options from the record builder they wrap.
RECORD_BUILDERS = {
    ("s3", "put"): (s3_record, {"event_name"}),
    ("s3", "delete"): (s3_record, {"event_name", "size", "etag"}),
    ("sqs", "receive-message"): (sqs_record, set()),
    ("sns", "notification"): (sns_record, set()),
    ("kinesis", "get-records"): (kinesis_record, set()),
    ("cloudwatch", "logs"): (events.cloudwatch_logs_payload, set()),
}


def test_the_registry_has_sams_services_and_event_names():
    assert set(GENERATORS) == EXPECTED_GENERATORS
    for key, entry in GENERATORS.items():
        builder, description, options = entry  # a plain 3-tuple for the CLI
        assert callable(builder) and description and isinstance(options, tuple), key
    assert "SAM has no eventbridge" in GENERATORS[("eventbridge", "custom")].description
    assert list_generators() == sorted(list_generators())
    assert {(s, k) for s, k, _ in list_generators()} == EXPECTED_GENERATORS


@pytest.mark.parametrize("key", sorted(SAM_FLAGS))
def test_options_use_sams_names(key):
    assert SAM_FLAGS[key] <= {option.flag for option in GENERATORS[key].options}


@pytest.mark.parametrize("key", sorted(EXPECTED_GENERATORS))
def test_options_are_the_builders_keyword_arguments(key):
    builder, fixed = RECORD_BUILDERS.get(key, (GENERATORS[key].builder, set()))
    parameters = inspect.signature(builder).parameters
    expected = {name for name, p in parameters.items() if p.kind is p.KEYWORD_ONLY} - {"rng"} - fixed
    options = GENERATORS[key].options
    assert {option.param for option in options} == expected
    for option in options:
        assert option.default == parameters[option.param].default
        assert option.flag.startswith("--") and option.help


@pytest.mark.parametrize("key", sorted(EXPECTED_GENERATORS))
def test_every_generator_makes_plain_json_with_defaults(key):
    event = generate(*key)
    assert isinstance(event, dict) and event
    assert is_plain_json(event)
    assert is_plain_json(generate(*key, rng=rng()))


@pytest.mark.parametrize("key", sorted(EXPECTED_GENERATORS))
def test_generators_are_reproducible_with_an_rng(key):
    times = {option.dest: "2020-03-12T19:03:58Z" for option in GENERATORS[key].options if option.param.endswith("time")}
    assert generate(*key, rng=rng(), **times) == generate(*key, rng=rng(), **times)


def test_generate_converts_command_line_text_and_accepts_every_spelling():
    by_param = generate("sqs", "receive-message", queue_name="jobs", receive_count="4", message_attributes='{"a": "b"}')
    by_dest = generate("sqs", "receive-message", **{"queue-name": "jobs", "receive_count": 4, "--message-attributes":
                                                    {"a": "b"}})
    for event in (by_param, by_dest):
        record = event["Records"][0]
        assert record["eventSourceARN"].endswith(":jobs")
        assert record["attributes"]["ApproximateReceiveCount"] == "4"
        assert record["messageAttributes"]["a"]["stringValue"] == "b"
    assert generate("kinesis", "get-records", sequence="7")["Records"][0]["eventID"] == "shardId-000000000000:7"
    assert generate("alb", "request", multi_value_headers="true")["multiValueHeaders"]
    assert generate("s3", "put", key=None)["Records"][0]["s3"]["object"]["key"] == "test/key"  # None: the default


def test_generate_rejects_unknown_names_clearly():
    with pytest.raises(ValueError, match="unknown service"):
        generate("s4", "put")
    with pytest.raises(ValueError, match="unknown s3 event"):
        generate("s3", "copy")
    with pytest.raises(TypeError, match="--bucket"):
        generate("s3", "put", colour="red")
    with pytest.raises(ValueError, match="--size expects an integer"):
        generate("s3", "put", size="big")


def _option_text(option) -> st.SearchStrategy[str]:
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=8,
    )
    plausible = {
        "int": st.integers(min_value=-5, max_value=10**40).map(str),
        "float": st.floats().map(str),
        "bool": st.sampled_from(["true", "false", "yes", "0", "maybe"]),
        "json": json_values.map(json.dumps),
        "str": st.text(max_size=30),
    }[option.kind]
    if option.param.endswith("time"):
        plausible = st.datetimes().map(datetime.isoformat) | st.floats().map(str)
    return st.text(max_size=40) | plausible


def _raised_by_us(error: BaseException) -> bool:
    frame = error.__traceback__
    while frame.tb_next is not None:
        frame = frame.tb_next
    return Path(frame.tb_frame.f_code.co_filename).resolve().is_relative_to(EVENTS_DIR)


@pytest.mark.parametrize("key", sorted(EXPECTED_GENERATORS))
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_option_text_fails_only_with_our_clear_errors(key, data):
    options = GENERATORS[key].options
    chosen = data.draw(st.lists(st.sampled_from(options), unique_by=lambda option: option.param, max_size=4))
    values = {option.dest: data.draw(_option_text(option), label=option.flag) for option in chosen}
    try:
        event = generate(*key, rng=random.Random(0), **values)
    except (ValueError, TypeError) as error:
        assert str(error), "errors must say what was wrong"
        assert _raised_by_us(error), f"{type(error).__name__} escaped from a library: {error}"
    else:
        assert is_plain_json(event)


# --- the examples in the docstrings -------------------------------------------------------------------

@pytest.mark.parametrize("module", sorted(p.stem for p in EVENTS_DIR.glob("*.py")))
def test_docstring_examples(module):
    name = "lambda_local.events" if module == "__init__" else f"lambda_local.events.{module}"
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
