"""Amazon SQS messages, as the SQS event source mapping hands them to Lambda."""

from __future__ import annotations

import hashlib
import random
import struct
from collections.abc import Iterable, Mapping
from datetime import datetime
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
    return _md5_of_normalized(normalize_attributes(attributes))


def _md5_of_normalized(normalized: list[tuple[str, str, str | bytes]]) -> str:
    digest = hashlib.md5()
    for name, data_type, value in normalized:
        digest.update(_length_prefixed(name.encode("utf-8")))
        digest.update(_length_prefixed(data_type.encode("utf-8")))
        if isinstance(value, bytes):
            digest.update(bytes([_BINARY_TRANSPORT]) + _length_prefixed(value))
        else:
            digest.update(bytes([_STRING_TRANSPORT]) + _length_prefixed(utf8(value, f"attribute {name!r}")))
    return digest.hexdigest()


def _length_prefixed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _lambda_attributes(normalized: list[tuple[str, str, str | bytes]]) -> dict[str, dict[str, Any]]:
    # Lambda spells SQS attributes in camel case and always lists the (unused) list values.
    shaped = {}
    for name, data_type, value in normalized:
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
        attributes.update(_fifo_attributes(body, sent, sequence_number, message_group_id, message_deduplication_id,
                                           rng))
    return _record(body, attributes, message_attributes, message_id, receipt_handle,
                   arn("sqs", queue_name, region=region, account_id=account_id, partition=partition), region, rng)


def sqs_records_received(
    messages: Iterable[Mapping[str, Any]],
    *,
    queue_name: str = "MyQueue",
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    partition: str = DEFAULT_PARTITION,
    rng: random.Random | None = None,
) -> list[dict[str, Any]]:
    """The records of messages ReceiveMessage returned, as an event source mapping delivers them.

    ``messages`` is ReceiveMessage's ``Messages`` (asked with ``AttributeNames=["All"]`` and
    ``MessageAttributeNames=["All"]``). Each record is the one :func:`sqs_record` makes from the
    same message, field for field, with the same draws from ``rng``; only what SQS wrote is not
    checked again, which is what a poller draining a queue needs.

    >>> received = [{"MessageId": "m1", "ReceiptHandle": "AQEBh", "Body": "hi", "Attributes": {
    ...     "SenderId": "AIDAEXAMPLE", "SentTimestamp": "1600000000000", "ApproximateReceiveCount": "1",
    ...     "ApproximateFirstReceiveTimestamp": "1600000000001"}}]
    >>> record = sqs_records_received(received, queue_name="jobs")[0]
    >>> record["attributes"]["SentTimestamp"], record["eventSourceARN"]
    ('1600000000000', 'arn:aws:sqs:us-east-1:123456789012:jobs')
    """
    check_location(region, account_id, partition)
    source_arn = arn("sqs", queue_name, region=region, account_id=account_id, partition=partition)
    fifo_queue = queue_name.endswith(".fifo")
    records = []
    for message in messages:
        try:
            body = message["Body"]
            received = message["Attributes"]
            attributes = {
                "ApproximateReceiveCount": received["ApproximateReceiveCount"],
                "SentTimestamp": received["SentTimestamp"],
                "SenderId": given(received.get("SenderId"), account_id),
                "ApproximateFirstReceiveTimestamp": received["ApproximateFirstReceiveTimestamp"],
            }
            message_id, receipt_handle = message["MessageId"], message["ReceiptHandle"]
        except (KeyError, TypeError):
            raise ValueError("a received message needs MessageId, ReceiptHandle, Body and the Attributes "
                             'ReceiveMessage returns with AttributeNames=["All"]') from None
        group_id = received.get("MessageGroupId")
        if fifo_queue or group_id is not None:
            sent = to_datetime(int(received["SentTimestamp"]) / 1000)
            attributes.update(_fifo_attributes(body, sent, received.get("SequenceNumber"), group_id,
                                               received.get("MessageDeduplicationId"), rng))
        records.append(_record(body, attributes, message.get("MessageAttributes"), message_id, receipt_handle,
                               source_arn, region, rng))
    return records


def _fifo_attributes(body: str, sent: datetime, sequence_number: str | None, group_id: str | None,
                     deduplication_id: str | None, rng: random.Random | None) -> dict[str, str]:
    return {
        "SequenceNumber": given(sequence_number, time_sequence(sent, 20, rng)),
        "MessageGroupId": given(group_id, "default"),
        # Content-based deduplication: the SHA-256 of the body.
        "MessageDeduplicationId": given(deduplication_id, hashlib.sha256(utf8(body, "body")).hexdigest()),
    }


# new_uuid draws 128 bits, random_base64(120) 960: 34 words of the generator in all.
_ID_DRAW_BITS = 128 + 120 * 8


def _record(body: str, attributes: dict[str, str], message_attributes: Mapping[str, Any] | None,
            message_id: str | None, receipt_handle: str | None, source_arn: str, region: str,
            rng: random.Random | None) -> dict[str, Any]:
    """The record itself: every SQS record, whoever asked for it, is shaped here."""
    if message_id is None or receipt_handle is None:
        message_id = given(message_id, new_uuid(rng))
        # Real handles are opaque base64 starting "AQEB"; code must not parse them.
        receipt_handle = given(receipt_handle, "AQEB" + random_base64(120, rng))
    elif rng is not None:
        # Both given: the fallbacks are still drawn (see given()), here without formatting them.
        rng.getrandbits(_ID_DRAW_BITS)
    normalized = normalize_attributes(message_attributes)
    record: dict[str, Any] = {
        "messageId": message_id,
        "receiptHandle": receipt_handle,
        "body": body,
        "attributes": attributes,
        "messageAttributes": _lambda_attributes(normalized),
        "md5OfBody": md5_of_body(body),
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": region,
    }
    if message_attributes:
        record["md5OfMessageAttributes"] = _md5_of_normalized(normalized)
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
