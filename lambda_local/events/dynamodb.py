"""Amazon DynamoDB Streams records, as the stream event source mapping hands them to Lambda."""

from __future__ import annotations

import decimal
import functools
import json
import math
import random
from collections.abc import Mapping, Set
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from ._common import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_PARTITION,
    DEFAULT_REGION,
    TimeLike,
    arn,
    b64,
    check_choice,
    check_int,
    check_location,
    given,
    random_hex,
    records_event,
    time_sequence,
    to_datetime,
)

EVENT_NAMES = ("INSERT", "MODIFY", "REMOVE")
STREAM_VIEW_TYPES = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
# The label is the stream's creation time; this is the one AWS's own samples use.
DEFAULT_STREAM_LABEL = "2015-06-27T00:48:05.899"

_SERIALIZER = TypeSerializer()


def to_dynamodb_json(item: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Plain Python values to DynamoDB JSON, the typed form stream records carry.

    Floats become numbers too (boto3 alone insists on ``Decimal``) and binary values base64 text.

    >>> to_dynamodb_json({"Id": 101, "Tags": ["a"], "Price": 9.5, "Raw": b"hi"})
    {'Id': {'N': '101'}, 'Tags': {'L': [{'S': 'a'}]}, 'Price': {'N': '9.5'}, 'Raw': {'B': 'aGk='}}
    """
    if not isinstance(item, Mapping):
        raise TypeError(f"an item must be a mapping of attribute names to values, not {type(item).__name__}")
    typed = {}
    for name, value in item.items():
        if not isinstance(name, str):
            raise TypeError(f"attribute names must be strings; got {name!r}")
        try:
            typed[name] = _json_ready(_SERIALIZER.serialize(_decimals(value)))
        except TypeError as error:
            raise TypeError(f"attribute {name!r} cannot be stored in DynamoDB: {error}") from None
        except ArithmeticError:  # boto3 signals decimal.Inexact, Rounded, Overflow...
            raise ValueError(f"attribute {name!r} holds a number DynamoDB cannot store: at most 38 digits, "
                             "magnitude 1E-130 to 1E+126") from None
        except ValueError as error:
            raise ValueError(f"attribute {name!r} cannot be stored in DynamoDB: {error}") from None
    return typed


def _json_ready(typed: dict[str, Any]) -> dict[str, Any]:
    # boto3 leaves binary as bytes and sets in hash order; events are JSON, where DynamoDB
    # writes binary as base64 text. Sorting sets keeps seeded events identical run to run.
    (kind, value), = typed.items()
    if kind == "B":
        return {"B": b64(bytes(value))}
    if kind == "BS":
        return {"BS": sorted(b64(bytes(item)) for item in value)}
    if kind in ("SS", "NS"):
        return {kind: sorted(value)}
    if kind == "M":
        return {"M": {key: _json_ready(item) for key, item in value.items()}}
    if kind == "L":
        return {"L": [_json_ready(item) for item in value]}
    return typed


def _decimals(value: Any) -> Any:
    # DynamoDB numbers are decimals; str(float) keeps the digits a person typed.
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a number")
        return decimal.Decimal(str(value))
    if isinstance(value, Mapping):
        return {key: _decimals(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_decimals(item) for item in value]
    if isinstance(value, Set):
        if not value:
            raise ValueError("sets must not be empty")
        return {_decimals(item) for item in value}
    return value


def _typed(item: Mapping[str, Any] | None, typed: bool, name: str) -> dict[str, Any] | None:
    if item is None:
        return None
    if typed:
        if not isinstance(item, Mapping):
            raise TypeError(f"{name} must be a mapping in DynamoDB JSON, not {type(item).__name__}")
        return dict(item)
    return to_dynamodb_json(item)


def dynamodb_record(
    *,
    event_name: str = "INSERT",
    keys: Mapping[str, Any] | None = None,
    new_image: Mapping[str, Any] | None = None,
    old_image: Mapping[str, Any] | None = None,
    typed: bool = False,
    table: str = "ExampleTableWithStream",
    stream_label: str = DEFAULT_STREAM_LABEL,
    stream_view_type: str = "NEW_AND_OLD_IMAGES",
    sequence_number: str | None = None,
    size_bytes: int | None = None,
    event_id: str | None = None,
    time: TimeLike = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    partition: str = DEFAULT_PARTITION,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """One change to one item, as a DynamoDB Streams record.

    ``keys`` and the images are plain values, or DynamoDB JSON with ``typed=True`` (what moto's
    stream records already hold). Images appear as the event and ``stream_view_type`` allow:
    an INSERT has no OldImage, a REMOVE no NewImage, KEYS_ONLY neither. ``keys`` defaults to
    ``{"Id": 101}``.

    >>> record = dynamodb_record(event_name="MODIFY", keys={"pk": "u1"}, old_image={"pk": "u1", "n": 1},
    ...                          new_image={"pk": "u1", "n": 2})
    >>> record["dynamodb"]["NewImage"]["n"], record["dynamodb"]["OldImage"]["n"]
    ({'N': '2'}, {'N': '1'})
    """
    check_location(region, account_id, partition)
    check_choice(event_name, EVENT_NAMES, "event_name")
    check_choice(stream_view_type, STREAM_VIEW_TYPES, "stream_view_type")
    when = to_datetime(time)
    change: dict[str, Any] = {
        "ApproximateCreationDateTime": int(when.timestamp()),
        "Keys": _typed(keys, typed, "keys") if keys is not None else {"Id": {"N": "101"}},
    }
    if event_name != "INSERT" and stream_view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        change["OldImage"] = given(_typed(old_image, typed, "old_image"), change["Keys"])
    if event_name != "REMOVE" and stream_view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
        change["NewImage"] = given(_typed(new_image, typed, "new_image"), change["Keys"])
    change["SequenceNumber"] = given(sequence_number, time_sequence(when, 21, rng))
    # AWS counts the record's bytes; the compact JSON of the change is a fair stand-in.
    change["SizeBytes"] = check_int(given(size_bytes, len(json.dumps(change, separators=(",", ":")))), "size_bytes")
    change["StreamViewType"] = stream_view_type
    table_arn = arn("dynamodb", f"table/{table}", region=region, account_id=account_id, partition=partition)
    return {
        "eventID": given(event_id, random_hex(32, rng)),
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": change,
        "eventSourceARN": f"{table_arn}/stream/{stream_label}",
    }


def dynamodb_event(*records: Mapping[str, Any]) -> dict[str, list]:
    """Wrap records built by :func:`dynamodb_record` into one batch.

    >>> len(dynamodb_event(dynamodb_record(), dynamodb_record(event_name="REMOVE"))["Records"])
    2
    """
    return records_event(records, "DynamoDB Streams")


def dynamodb_update_event(
    *,
    keys: Mapping[str, Any] | None = None,
    old_image: Mapping[str, Any] | None = None,
    new_image: Mapping[str, Any] | None = None,
    table: str = "ExampleTableWithStream",
    time: TimeLike = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    partition: str = DEFAULT_PARTITION,
    rng: random.Random | None = None,
) -> dict[str, list]:
    """An item's life in one batch, like ``sam local generate-event dynamodb update``: INSERT, MODIFY, REMOVE.

    >>> [r["eventName"] for r in dynamodb_update_event()["Records"]]
    ['INSERT', 'MODIFY', 'REMOVE']
    """
    keys = {"Id": 101} if keys is None else keys
    if not isinstance(keys, Mapping):
        raise TypeError(f"keys must be a mapping of attribute names to values, not {type(keys).__name__}")
    old_image = {**keys, "Message": "New item!"} if old_image is None else old_image
    new_image = {**keys, "Message": "This item has changed"} if new_image is None else new_image
    when = to_datetime(time)
    # One shard's sequence numbers grow record by record.
    first = int(time_sequence(when, 21, rng))
    record = functools.partial(dynamodb_record, keys=keys, table=table, time=when, region=region,
                               account_id=account_id, partition=partition, rng=rng)
    return dynamodb_event(
        record(event_name="INSERT", new_image=old_image, sequence_number=f"{first:021d}"),
        record(event_name="MODIFY", old_image=old_image, new_image=new_image, sequence_number=f"{first + 1:021d}"),
        record(event_name="REMOVE", old_image=new_image, sequence_number=f"{first + 2:021d}"),
    )
