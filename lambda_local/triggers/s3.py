"""S3 event notifications: the record S3 sends (to Lambda, SQS or SNS), built by the one S3 event builder."""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime, timezone

from .. import events
from ..aws import state
from .host import TriggerHost

__all__ = ["eventbridge_notification", "notification_event", "notify_after_write", "object_request"]


def notification_event(sandbox: TriggerHost, event_name: str, bucket, key, configuration_id: str) -> dict:
    """The event S3 sends for ``key`` in ``bucket`` (``event_name`` like ``s3:ObjectCreated:Put``)."""
    clock = sandbox.clock
    version = getattr(key, "version_id", None)
    record = events.s3_record(
        bucket=bucket.name, key=key.name, event_name=event_name.removeprefix("s3:"),
        size=key.size if "ObjectCreated" in event_name else 0,
        etag=key.etag.replace('"', "") if "ObjectCreated" in event_name else None,
        version_id=version if version not in (None, "null") else None,
        sequencer=f"{int(clock.time() * 1000):016X}",
        time=datetime.fromtimestamp(clock.time(), timezone.utc), configuration_id=configuration_id,
        region=bucket.region_name, partition=state.partition(bucket.region_name), rng=sandbox.rng)
    return events.s3_event(record)


def eventbridge_notification(sandbox: TriggerHost, account_id: str, event_name: str, bucket, key) -> dict | None:
    """The event S3 puts on the default event bus of the bucket's account and Region for ``key`` (a bucket with
    EventBridge notifications on), or None for an event S3 does not send to EventBridge."""
    clock = sandbox.clock
    version = getattr(key, "version_id", None)
    try:
        event = events.s3_eventbridge_event(
            bucket=bucket.name, key=key.name, event_name=event_name, size=getattr(key, "size", 0) or 0,
            etag=(getattr(key, "etag", None) or "").replace('"', "") or None,
            version_id=version if version not in (None, "null") else None,
            sequencer=f"{int(clock.time() * 1000):016X}", requester=account_id,
            time=datetime.fromtimestamp(clock.time(), timezone.utc), account_id=account_id,
            region=bucket.region_name, partition=state.partition(bucket.region_name), rng=sandbox.rng)
    except ValueError:
        return None  # an event S3 sends only to its own notification destinations (replication, ...)
    return event


# --- when S3 notifies: after the write ---------------------------------------------------------------------------
# S3 sends an event once the request that caused it has completed, so a function reading the object back sees its
# Content-Type, user metadata and tags. moto notifies from inside its storage call, before the request handler stores
# them; notifications raised while an S3 object request is handled wait here until it returns.
_request = threading.local()


@contextlib.contextmanager
def object_request():
    """Bracket one S3 object request; the notifications it raised are sent when it ends."""
    depth = getattr(_request, "depth", 0)
    _request.depth = depth + 1
    if not depth:
        _request.pending = []
    try:
        yield
    finally:
        _request.depth = depth
        if not depth:
            pending, _request.pending = _request.pending, []
            for send in pending:
                send()


def notify_after_write(send) -> None:
    """Send a notification now, or when the S3 request that raised it has completed."""
    if getattr(_request, "depth", 0):
        _request.pending.append(send)
    else:
        send()
