"""Lesson 03, events (`notebooks/03_events.ipynb`): build a test event with the course's builders; read S3
keys safely."""

from __future__ import annotations

import urllib.parse
from typing import Any

from .. import events
from ._core import exercise, right, wrong
from ._run import invoke, not_a_handler, outcome, show

LESSON = "events"

_BUCKET, _KEY, _SIZE = "finance", "reports/2026 q1.csv", 2048


def _child(parent: dict, name: str) -> dict:
    value = parent.get(name)
    return value if isinstance(value, dict) else {}


def _s3_fields(event: Any) -> dict | None:
    """The fields the check looks at (None where missing), or None when ``event`` is not one record's event."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list) or len(records) != 1 or not isinstance(records[0], dict):
        return None
    record = records[0]
    s3 = _child(record, "s3")
    bucket, found = _child(s3, "bucket"), _child(s3, "object")
    return {"source": record.get("eventSource"), "name": record.get("eventName"), "bucket": bucket.get("name"),
            "key": found.get("key"), "size": found.get("size")}


@exercise("03.1", "Build the event of an upload",
          hint=f'let the builder do it: events.s3_put_event(bucket="{_BUCKET}", key="{_KEY}", size={_SIZE}); it '
               "fills in every field S3 sends and encodes the key as S3 does",
          right_sample=events.s3_put_event(bucket=_BUCKET, key=_KEY, size=_SIZE),
          wrong_sample={"Records": [{"s3": {"bucket": {"name": _BUCKET}, "object": {"key": _KEY, "size": _SIZE}}}]},
          solution=f'report_upload = events.s3_put_event(bucket="{_BUCKET}", key="{_KEY}", size={_SIZE})')
def build_s3_event(event):
    fields = _s3_fields(event)
    if fields is None:
        yield wrong(f"an S3 event for one upload is {{\"Records\": [one record]}}; got {show(event)}")
        return
    expected = {"source": "aws:s3", "name": "ObjectCreated:Put", "bucket": _BUCKET,
                "key": events.encode_s3_key(_KEY), "size": _SIZE}
    labels = {"source": "eventSource", "name": "eventName", "bucket": "s3.bucket.name", "key": "s3.object.key",
              "size": "s3.object.size"}
    for field, label in labels.items():
        if fields[field] == expected[field]:
            yield right(f"{label} is {show(expected[field])}")
        elif field == "key" and fields[field] == _KEY:
            yield wrong(f"s3.object.key is {show(_KEY)}: S3 sends it URL-encoded, {show(expected[field])}")
        else:
            found = "is missing" if fields[field] is None else f"is {show(fields[field])}"
            yield wrong(f"{label} {found}; S3 sends {show(expected[field])}")
    if len(event["Records"][0]) < 9:  # eventVersion, awsRegion, eventTime, userIdentity, ... are all there on AWS
        yield wrong("the record lacks fields S3 always sends (eventVersion, awsRegion, eventTime, ...)")


def uploaded_keys(event, context):
    return [urllib.parse.unquote_plus(record["s3"]["object"]["key"]) for record in event["Records"]]


def uploaded_keys_unquoted(event, context):
    return [urllib.parse.unquote(record["s3"]["object"]["key"]) for record in event["Records"]]


_KEYS = ["uploads/my cat.jpg", "reports/q1+q2 (final).csv", "photos/café.png"]


@exercise("03.2", "Read every key of an S3 event, decoded",
          hint="loop over event[\"Records\"] and decode each record's s3.object.key with urllib.parse.unquote_plus "
               "(plain unquote leaves the + that stands for a space)",
          right_sample=uploaded_keys, wrong_sample=uploaded_keys_unquoted)
def read_keys(handler):
    problem = not_a_handler(handler)
    if problem:
        yield wrong(problem)
        return
    event = events.s3_event(*(events.s3_record(bucket="photos", key=key, time=0) for key in _KEYS))
    [result] = invoke(handler, [event])
    if result.error_type or not isinstance(result.payload, list):
        yield wrong(f"an event with {len(_KEYS)} records → {outcome(result)}; expected the list of keys {show(_KEYS)}")
        return
    got = result.payload
    if len(got) != len(_KEYS):
        yield wrong(f"{len(_KEYS)} records → {len(got)} keys: {show(got)}; read every record")
    for raw_key, key, returned in zip((events.encode_s3_key(k) for k in _KEYS), _KEYS, got):
        if returned == key:
            yield right(f"{raw_key} → {key}")
        else:
            yield wrong(f"{raw_key} → {show(returned)}; expected {show(key)}")


EXERCISES = [build_s3_event, read_keys]
