"""Amazon S3 event notifications, as Lambda receives them (``{"Records": [...]}``)."""

from __future__ import annotations

import random
from datetime import datetime
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus

from ._common import (
    DEFAULT_PARTITION,
    DEFAULT_REGION,
    TimeLike,
    arn,
    check_int,
    given,
    check_location,
    epoch_micros,
    iso_millis,
    random_base64,
    random_chars,
    random_hex,
    records_event,
    to_datetime,
)

EVENT_VERSION = "2.1"
_UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def encode_s3_key(key: str) -> str:
    """The object key as S3 writes it into a notification: form-encoded, slashes kept.

    >>> encode_s3_key("photos/red flower (1).jpg")
    'photos/red+flower+%281%29.jpg'
    >>> encode_s3_key("café.txt")
    'caf%C3%A9.txt'
    """
    if not isinstance(key, str):
        raise TypeError(f"key must be a str, not {type(key).__name__}")
    try:
        return quote_plus(key, safe="/")
    except UnicodeEncodeError:
        raise ValueError("key contains characters that are not valid Unicode (lone surrogates)") from None


def s3_record(
    *,
    bucket: str = "example-bucket",
    key: str = "test/key",
    event_name: str = "ObjectCreated:Put",
    size: int = 1024,
    etag: str | None = None,
    version_id: str | None = None,
    sequencer: str | None = None,
    time: TimeLike = None,
    principal_id: str | None = None,
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
    host_id: str | None = None,
    configuration_id: str = "testConfigRule",
    owner_id: str | None = None,
    region: str = DEFAULT_REGION,
    partition: str = DEFAULT_PARTITION,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """One S3 notification record for one object.

    ``key`` is the real key; it is encoded the way S3 encodes it. Removal (``ObjectRemoved:*``)
    records carry no size or eTag, as on AWS. A trigger passes what it knows of the object:

    >>> record = s3_record(bucket="uploads", key="a b.txt", size=3, etag="900150983cd24fb0d6963f7d28e17f72",
    ...                    time=0, rng=random.Random(7))
    >>> record["s3"]["object"]["key"], record["eventTime"]
    ('a+b.txt', '1970-01-01T00:00:00.000Z')
    """
    check_location(region, partition=partition)
    if not isinstance(event_name, str) or ":" not in event_name:
        raise ValueError(f"event_name must look like 'ObjectCreated:Put'; got {event_name!r}")
    when = to_datetime(time)
    obj: dict[str, Any] = {"key": encode_s3_key(key)}
    if not event_name.startswith("ObjectRemoved:"):
        obj["size"] = check_int(size, "size")
        # boto3 and moto quote ETags; notifications never do.
        obj["eTag"] = given(etag, random_hex(32, rng)).strip('"')
    if version_id is not None:
        obj["versionId"] = version_id
    obj["sequencer"] = given(sequencer, _sequencer(when, rng))
    return {
        "eventVersion": EVENT_VERSION,
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": iso_millis(when),
        "eventName": event_name,
        "userIdentity": {"principalId": given(principal_id, "AWS:AIDA" + random_chars(17, rng, _UPPER_ALNUM))},
        "requestParameters": {"sourceIPAddress": source_ip},
        "responseElements": {
            "x-amz-request-id": given(request_id, random_hex(16, rng, upper=True)),
            "x-amz-id-2": given(host_id, random_base64(57, rng)),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": given(owner_id, random_chars(14, rng, _UPPER_ALNUM))},
                "arn": arn("s3", bucket, partition=partition),
            },
            "object": obj,
        },
    }


def _sequencer(when: datetime, rng: random.Random | None) -> str:
    # Sequencers order the events of one key; leading with the time keeps that order across calls.
    return f"{max(0, epoch_micros(when)):016X}{random_hex(2, rng, upper=True)}"


def s3_event(*records: Mapping[str, Any]) -> dict[str, list]:
    """Wrap records built by :func:`s3_record` into the event Lambda receives.

    >>> len(s3_event(s3_record(key="a"), s3_record(key="b"))["Records"])
    2
    """
    return records_event(records, "S3")


def s3_put_event(**fields: Any) -> dict[str, list]:
    """An ``ObjectCreated:Put`` event for one object; ``fields`` are :func:`s3_record`'s.

    >>> s3_put_event(key="in/photo 1.jpg")["Records"][0]["eventName"]
    'ObjectCreated:Put'
    """
    return s3_event(s3_record(event_name="ObjectCreated:Put", **fields))


def s3_delete_event(**fields: Any) -> dict[str, list]:
    """An ``ObjectRemoved:Delete`` event for one object; ``fields`` are :func:`s3_record`'s.

    >>> "size" in s3_delete_event(key="old.txt")["Records"][0]["s3"]["object"]
    False
    """
    return s3_event(s3_record(event_name="ObjectRemoved:Delete", **fields))


# S3 event notifications sent to EventBridge (a bucket with EventBridgeConfiguration): the event name S3 uses for
# its own notifications -> (detail-type, reason, deletion-type), as Amazon S3's user guide lists them
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html).
_EVENTBRIDGE_TYPES = {
    "ObjectCreated:Put": ("Object Created", "PutObject", None),
    "ObjectCreated:Post": ("Object Created", "POST Object", None),
    "ObjectCreated:Copy": ("Object Created", "CopyObject", None),
    "ObjectCreated:CompleteMultipartUpload": ("Object Created", "CompleteMultipartUpload", None),
    "ObjectRemoved:Delete": ("Object Deleted", "DeleteObject", "Permanently Deleted"),
    "ObjectRemoved:DeleteMarkerCreated": ("Object Deleted", "DeleteObject", "Delete Marker Created"),
    "LifecycleExpiration:Delete": ("Object Deleted", "Lifecycle Expiration", "Permanently Deleted"),
    "LifecycleExpiration:DeleteMarkerCreated": ("Object Deleted", "Lifecycle Expiration", "Delete Marker Created"),
    "ObjectRestore:Post": ("Object Restore Initiated", None, None),
    "ObjectRestore:Completed": ("Object Restore Completed", None, None),
    "ObjectRestore:Delete": ("Object Restore Expired", None, None),
    "ObjectTagging:Put": ("Object Tags Added", None, None),
    "ObjectTagging:Delete": ("Object Tags Deleted", None, None),
    "ObjectAcl:Put": ("Object ACL Updated", None, None),
    "LifecycleTransition": ("Object Storage Class Changed", None, None),
    "IntelligentTiering": ("Object Access Tier Changed", None, None),
}


def s3_eventbridge_event(
    *,
    bucket: str = "example-bucket",
    key: str = "test/key",
    event_name: str = "ObjectCreated:Put",
    size: int = 1024,
    etag: str | None = None,
    version_id: str | None = None,
    sequencer: str | None = None,
    time: TimeLike = None,
    requester: str = "123456789012",
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
    event_id: str | None = None,
    account_id: str = "123456789012",
    region: str = DEFAULT_REGION,
    partition: str = DEFAULT_PARTITION,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """The event S3 sends to the account's default event bus for a bucket with EventBridge notifications on.

    ``event_name`` is the name S3's own notifications use (``ObjectCreated:Put``, ``ObjectRemoved:Delete``, ...);
    the key is the real key (EventBridge events do not URL-encode it); deletions carry no size or etag.

    >>> event = s3_eventbridge_event(bucket="uploads", key="a b.txt", size=3, time=0, rng=random.Random(7))
    >>> event["detail-type"], event["detail"]["object"]["key"], event["detail"]["reason"], event["time"]
    ('Object Created', 'a b.txt', 'PutObject', '1970-01-01T00:00:00Z')
    """
    from .eventbridge import eventbridge_event

    check_location(region, account_id, partition)
    name = event_name.removeprefix("s3:")
    if name not in _EVENTBRIDGE_TYPES:
        raise ValueError(f"S3 sends no EventBridge event for {event_name!r}; "
                         f"one of {', '.join(sorted(_EVENTBRIDGE_TYPES))}")
    detail_type, reason, deletion_type = _EVENTBRIDGE_TYPES[name]
    when = to_datetime(time)
    obj: dict[str, Any] = {"key": key}
    if detail_type != "Object Deleted":
        obj["size"] = check_int(size, "size")
        obj["etag"] = given(etag, random_hex(32, rng)).strip('"')
    if version_id is not None:
        obj["version-id"] = version_id
    obj["sequencer"] = given(sequencer, _sequencer(when, rng))
    detail: dict[str, Any] = {"version": "0", "bucket": {"name": bucket}, "object": obj,
                              "request-id": given(request_id, random_hex(16, rng, upper=True)),
                              "requester": requester, "source-ip-address": source_ip}
    if reason is not None:
        detail["reason"] = reason
    if deletion_type is not None:
        detail["deletion-type"] = deletion_type
    return eventbridge_event(source="aws.s3", detail_type=detail_type, detail=detail,
                             resources=[arn("s3", bucket, partition=partition)], event_id=event_id, time=when,
                             region=region, account_id=account_id, rng=rng)
