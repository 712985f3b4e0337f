"""Amazon Kinesis Data Streams records, as the stream event source mapping hands them to Lambda."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from ._common import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_PARTITION,
    DEFAULT_REGION,
    TimeLike,
    arn,
    b64,
    check_location,
    epoch_seconds,
    given,
    records_event,
    time_sequence,
    to_datetime,
    utf8,
)

DEFAULT_SHARD_ID = "shardId-000000000000"


def kinesis_record(
    *,
    data: str | bytes = "Hello, this is a test 123.",
    partition_key: str = "partitionKey-03",
    sequence_number: str | None = None,
    stream: str = "example-stream",
    shard_id: str = DEFAULT_SHARD_ID,
    time: TimeLike = None,
    invoke_identity_arn: str | None = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    partition: str = DEFAULT_PARTITION,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """One record of one shard; ``data`` is the payload as put (it is base64-encoded here).

    ``time`` is when the record arrived in the stream; ``invoke_identity_arn`` is the role
    the mapping reads with (the function's execution role).

    >>> record = kinesis_record(data=b"hi", sequence_number="42", time=1.5)
    >>> record["kinesis"]["data"], record["eventID"], record["kinesis"]["approximateArrivalTimestamp"]
    ('aGk=', 'shardId-000000000000:42', 1.5)
    """
    check_location(region, account_id, partition)
    when = to_datetime(time)
    sequence = given(sequence_number, time_sequence(when, 56, rng))
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence,
            "data": b64(utf8(data, "data")),
            "approximateArrivalTimestamp": epoch_seconds(when),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": given(invoke_identity_arn, arn("iam", "role/lambda-role", account_id=account_id,
                                                               partition=partition)),
        "awsRegion": region,
        "eventSourceARN": arn("kinesis", f"stream/{stream}", region=region, account_id=account_id,
                              partition=partition),
    }


def kinesis_event(*records: Mapping[str, Any]) -> dict[str, list]:
    """Wrap records built by :func:`kinesis_record` into one batch.

    >>> len(kinesis_event(kinesis_record(data="a"), kinesis_record(data="b"))["Records"])
    2
    """
    return records_event(records, "Kinesis")


def kinesis_get_records_event(**fields: Any) -> dict[str, list]:
    """A batch of one record; ``fields`` are :func:`kinesis_record`'s.

    >>> kinesis_get_records_event(data="x")["Records"][0]["eventName"]
    'aws:kinesis:record'
    """
    return kinesis_event(kinesis_record(**fields))
