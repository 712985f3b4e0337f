"""S3 event notifications: the record S3 sends (to Lambda, SQS or SNS), built by the one S3 event builder."""

from __future__ import annotations

from datetime import datetime, timezone

from .. import events
from ..aws import state

__all__ = ["notification_event"]


def notification_event(sandbox, event_name: str, bucket, key, configuration_id: str) -> dict:
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
        region=bucket.region_name, partition=state.partition(bucket.region_name), rng=sandbox.service.ids.rng)
    return events.s3_event(record)
