"""Amazon CloudWatch Logs subscription filter deliveries to Lambda."""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import random
from collections.abc import Mapping, Sequence
from typing import Any

from ._common import (
    DEFAULT_ACCOUNT_ID,
    TimeLike,
    check_choice,
    check_int,
    epoch_millis,
    given,
    random_hex,
    str_list,
    time_sequence,
    to_datetime,
)

MESSAGE_TYPES = ("DATA_MESSAGE", "CONTROL_MESSAGE")
_LAST_MILLISECOND = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z

LogMessage = Any  # a message string, or {"message": str, "timestamp": epoch ms, "id": str}


def _log_event(item: LogMessage, default_ms: int, rng: random.Random | None) -> dict[str, Any]:
    if isinstance(item, str):
        item = {"message": item}
    if not isinstance(item, Mapping) or not isinstance(item.get("message"), str):
        raise TypeError(f"a log event is a message string or a mapping with a 'message' string; got {item!r}")
    timestamp = check_int(item.get("timestamp", default_ms), "log event timestamp")
    if timestamp > _LAST_MILLISECOND:
        raise ValueError(f"log event timestamp {timestamp} is past the year 9999")
    # Event ids are 56 digits that grow with the event's time.
    event_id = given(item.get("id"), time_sequence(to_datetime(timestamp / 1000), 56, rng))
    return {"id": event_id, "timestamp": timestamp, "message": item["message"]}


def cloudwatch_logs_payload(
    *,
    messages: Sequence[LogMessage] = ("[ERROR] First test message", "[ERROR] Second test message"),
    log_group: str = "/aws/lambda/example-function",
    log_stream: str | None = None,
    subscription_filters: Sequence[str] = ("ExampleFilter",),
    message_type: str = "DATA_MESSAGE",
    owner: str = DEFAULT_ACCOUNT_ID,
    time: TimeLike = None,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """The decoded form of a delivery: what ``awslogs.data`` holds once unzipped.

    ``messages`` are strings (stamped with ``time``) or mappings with ``message`` and optionally
    ``timestamp`` (epoch ms, as PutLogEvents takes them) and ``id``. The default stream is named
    like a Lambda environment's: ``YYYY/MM/DD/[$LATEST]<32 hex>``.

    >>> cloudwatch_logs_payload(messages=["hi"], time=0)["logEvents"][0]["timestamp"]
    0
    """
    check_choice(message_type, MESSAGE_TYPES, "message_type")
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise TypeError(f"messages must be a list of log messages, not {type(messages).__name__}")
    when = to_datetime(time)
    default_stream = f"{when.year:04d}/{when.month:02d}/{when.day:02d}/[$LATEST]{random_hex(32, rng)}"
    return {
        "messageType": message_type,
        "owner": owner,
        "logGroup": log_group,
        "logStream": given(log_stream, default_stream),
        "subscriptionFilters": str_list(subscription_filters, "subscription_filters"),
        "logEvents": [_log_event(item, epoch_millis(when), rng) for item in messages],
    }


def cloudwatch_logs_event(**fields: Any) -> dict[str, dict[str, str]]:
    """``{"awslogs": {"data": base64(gzip(JSON))}}``; ``fields`` are :func:`cloudwatch_logs_payload`'s.

    >>> event = cloudwatch_logs_event(messages=["boom"])
    >>> decode_cloudwatch_logs(event)["logEvents"][0]["message"]
    'boom'
    """
    payload = json.dumps(cloudwatch_logs_payload(**fields)).encode("utf-8")
    # mtime=0 keeps the gzip bytes, and so the event, reproducible.
    return {"awslogs": {"data": base64.b64encode(gzip.compress(payload, mtime=0)).decode("ascii")}}


def decode_cloudwatch_logs(event: Mapping[str, Any]) -> dict[str, Any]:
    """The payload inside a subscription event, as a handler would unpack it.

    >>> decode_cloudwatch_logs(cloudwatch_logs_event(owner="111122223333"))["owner"]
    '111122223333'
    """
    try:
        data = event["awslogs"]["data"]
        return json.loads(gzip.decompress(base64.b64decode(data)))
    except (KeyError, TypeError, binascii.Error, OSError, EOFError, ValueError) as error:
        raise ValueError(f"not a CloudWatch Logs subscription event: {error}") from None
