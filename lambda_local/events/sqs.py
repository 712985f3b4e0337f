"""Amazon SQS messages, as the SQS event source mapping hands them to Lambda."""

from __future__ import annotations

import hashlib
import random
import struct
from collections.abc import Mapping
from typing import Any

from ._common import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_PARTITION,
    DEFAULT_REGION,
    TimeLike,
    arn,
    b64,
    check_int,
    check_location,
    epoch_millis,
    given,
    normalize_attributes,
    new_uuid,
    random_base64,
    records_event,
    time_sequence,
    to_datetime,
    utf8,
)

# Transport types in SQS's attribute digest: Binary* attributes are 2, String* and Number* are 1.
_STRING_TRANSPORT = 1
_BINARY_TRANSPORT = 2


def md5_of_body(body: str) -> str:
    """The ``md5OfBody`` SQS reports: MD5 hex of the body's UTF-8 bytes.

    >>> md5_of_body("Hello from SQS!")
    '7b270e59b47ff90a553787216d55d91d'
    """
    return hashlib.md5(utf8(body, "body")).hexdigest()


def md5_of_message_attributes(attributes: Mapping[str, Any]) -> str:
    """The ``md5OfMessageAttributes`` SQS reports, computed the way SQS documents it.

    Attributes are taken in name order; each contributes its name, its data type, a transport
    byte (1 string, 2 binary) and its value, every string and value prefixed by its length as
    a 4-byte big-endian integer. ``attributes`` takes what :func:`sqs_record` takes.

    >>> md5_of_message_attributes({"attribName1": {"DataType": "String", "StringValue": "attribValue 1"}})
    '19e27d4e946b072f3f58da80d94fd778'
    """
    digest = hashlib.md5()
    for name, data_type, value in normalize_attributes(attributes):
        digest.update(_length_prefixed(name.encode("utf-8")))
        digest.update(_length_prefixed(data_type.encode("utf-8")))
        if isinstance(value, bytes):
            digest.update(bytes([_BINARY_TRANSPORT]) + _length_prefixed(value))
        else:
            digest.update(bytes([_STRING_TRANSPORT]) + _length_prefixed(utf8(value, f"attribute {name!r}")))
    return digest.hexdigest()


def _length_prefixed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _lambda_attributes(attributes: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    # Lambda spells SQS attributes in camel case and always lists the (unused) list values.
    shaped = {}
    for name, data_type, value in normalize_attributes(attributes):
        value_field = {"binaryValue": b64(value)} if isinstance(value, bytes) else {"stringValue": value}
        shaped[name] = {**value_field, "stringListValues": [], "binaryListValues": [], "dataType": data_type}
    return shaped


def sqs_record(
    *,
    body: str = "Hello from SQS!",
    queue_name: str = "MyQueue",
    message_id: str | None = None,
    receipt_handle: str | None = None,
    message_attributes: Mapping[str, Any] | None = None,
    receive_count: int = 1,
    sent_time: TimeLike = None,
    first_receive_time: TimeLike = None,
    sender_id: str | None = None,
    message_group_id: str | None = None,
    message_deduplication_id: str | None = None,
    sequence_number: str | None = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    partition: str = DEFAULT_PARTITION,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """One SQS message as a record of Lambda's SQS event.

    A poller passes what ReceiveMessage returned; ``receive_count`` climbs with each delivery.
    ``message_attributes`` takes plain values or boto3's ``{"DataType", "StringValue"}`` shape.
    A ``.fifo`` queue's records carry the FIFO attributes, defaulted as content-based
    deduplication would set them.

    >>> record = sqs_record(body="hi", message_attributes={"kind": "greeting"}, rng=random.Random(1))
    >>> record["md5OfBody"], record["messageAttributes"]["kind"]["stringValue"]
    ('49f68a5c8493ec2c0bf489821c21fc3b', 'greeting')
    """
    check_location(region, account_id, partition)
    if not isinstance(body, str):
        raise TypeError(f"an SQS body is text, not {type(body).__name__}")
    check_int(receive_count, "receive_count", minimum=1)
    sent = to_datetime(sent_time)
    first_receive = sent if first_receive_time is None else to_datetime(first_receive_time)
    attributes = {
        "ApproximateReceiveCount": str(receive_count),
        "SentTimestamp": str(epoch_millis(sent)),
        "SenderId": given(sender_id, account_id),
        "ApproximateFirstReceiveTimestamp": str(epoch_millis(first_receive)),
    }
    if queue_name.endswith(".fifo") or message_group_id is not None:
        attributes.update({
            "SequenceNumber": given(sequence_number, time_sequence(sent, 20, rng)),
            "MessageGroupId": given(message_group_id, "default"),
            # Content-based deduplication: the SHA-256 of the body.
            "MessageDeduplicationId": given(message_deduplication_id, hashlib.sha256(utf8(body, "body")).hexdigest()),
        })
    record: dict[str, Any] = {
        "messageId": given(message_id, new_uuid(rng)),
        # Real handles are opaque base64 starting "AQEB"; code must not parse them.
        "receiptHandle": given(receipt_handle, "AQEB" + random_base64(120, rng)),
        "body": body,
        "attributes": attributes,
        "messageAttributes": _lambda_attributes(message_attributes),
        "md5OfBody": md5_of_body(body),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn("sqs", queue_name, region=region, account_id=account_id, partition=partition),
        "awsRegion": region,
    }
    if message_attributes:
        record["md5OfMessageAttributes"] = md5_of_message_attributes(message_attributes)
    return record


def sqs_event(*records: Mapping[str, Any]) -> dict[str, list]:
    """Wrap records built by :func:`sqs_record` into one batch, as the poller delivers it.

    >>> len(sqs_event(sqs_record(body="a"), sqs_record(body="b"))["Records"])
    2
    """
    return records_event(records, "SQS")


def sqs_receive_message_event(**fields: Any) -> dict[str, list]:
    """A batch of one message; ``fields`` are :func:`sqs_record`'s.

    >>> sqs_receive_message_event(body="job 1")["Records"][0]["eventSource"]
    'aws:sqs'
    """
    return sqs_event(sqs_record(**fields))
