"""Amazon Data Firehose data transformation: the batch a delivery stream hands its Lambda processor."""

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
    epoch_millis,
    given,
    new_uuid,
    time_sequence,
    to_datetime,
    utf8,
)


def firehose_record(
    *,
    data: str | bytes = "Hello, this is a test 123.",
    record_id: str | None = None,
    time: TimeLike = None,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """One record of a transformation batch (Direct PUT): ``data`` as put, base64-encoded here; ``time`` is when
    Firehose received it.

    >>> firehose_record(data="hi", record_id="1", time=1.5)
    {'recordId': '1', 'approximateArrivalTimestamp': 1500, 'data': 'aGk='}
    """
    when = to_datetime(time)
    return {
        "recordId": given(record_id, time_sequence(when, 56, rng) + "000000"),
        "approximateArrivalTimestamp": epoch_millis(when),
        "data": b64(utf8(data, "data")),
    }


def firehose_event(
    *records: Mapping[str, Any],
    delivery_stream: str = "example-stream",
    invocation_id: str | None = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    partition: str = DEFAULT_PARTITION,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """The event a delivery stream's Lambda processor receives: ``invocationId``, ``deliveryStreamArn``, ``region``
    and the ``records`` (``firehose_record``).

    >>> event = firehose_event(firehose_record(data="hi", record_id="1", time=0), delivery_stream="logs")
    >>> event["deliveryStreamArn"], [r["data"] for r in event["records"]]
    ('arn:aws:firehose:us-east-1:123456789012:deliverystream/logs', ['aGk='])
    """
    check_location(region, account_id, partition)
    return {
        "invocationId": given(invocation_id, new_uuid(rng)),
        "deliveryStreamArn": arn("firehose", f"deliverystream/{delivery_stream}", region=region,
                                 account_id=account_id, partition=partition),
        "region": region,
        "records": [dict(record) for record in records],
    }


def firehose_transformation_event(
    *,
    data: str | bytes = "Hello, this is a test 123.",
    delivery_stream: str = "example-stream",
    time: TimeLike = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    partition: str = DEFAULT_PARTITION,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """A transformation batch of one record (the ``lambda-local events`` view of ``firehose_event``)."""
    return firehose_event(firehose_record(data=data, time=time, rng=rng), delivery_stream=delivery_stream,
                          region=region, account_id=account_id, partition=partition, rng=rng)

