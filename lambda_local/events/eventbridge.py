"""Amazon EventBridge (formerly CloudWatch Events) events: custom ones and schedules."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from ._common import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_PARTITION,
    DEFAULT_REGION,
    TimeLike,
    arn,
    check_location,
    given,
    iso_seconds,
    random_hex,
    json_object,
    new_uuid,
    str_list,
    to_datetime,
)


def eventbridge_event(
    *,
    source: str = "com.example.app",
    detail_type: str = "ExampleEvent",
    detail: str | Mapping[str, Any] | None = None,
    resources: Sequence[str] | None = None,
    event_id: str | None = None,
    time: TimeLike = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """An event as a rule's Lambda target receives it.

    ``detail`` is a mapping, or JSON text holding an object as PutEvents takes it.

    >>> event = eventbridge_event(source="shop", detail_type="OrderPlaced", detail='{"id": 7}', time=0)
    >>> event["detail"], event["time"]
    ({'id': 7}, '1970-01-01T00:00:00Z')
    """
    check_location(region, account_id)
    return {
        "version": "0",
        "id": given(event_id, new_uuid(rng)),
        "detail-type": detail_type,
        "source": source,
        "account": account_id,
        "time": iso_seconds(to_datetime(time)),
        "region": region,
        "resources": str_list(resources, "resources"),
        "detail": json_object(detail, "detail"),
    }


def eventbridge_event_from_entry(
    entry: Mapping[str, Any],
    *,
    event_id: str | None = None,
    time: TimeLike = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """The event a rule delivers for one ``PutEvents`` entry (boto3's ``Entries`` item).

    The entry's own ``Time`` wins over ``time``, as on AWS.

    >>> entry = {"Source": "shop", "DetailType": "OrderPlaced", "Detail": '{"id": 7}'}
    >>> eventbridge_event_from_entry(entry)["detail-type"]
    'OrderPlaced'
    """
    if not isinstance(entry, Mapping):
        raise TypeError(f"entry must be a PutEvents entry mapping, not {type(entry).__name__}")
    missing = [name for name in ("Source", "DetailType", "Detail") if name not in entry]
    if missing:
        raise ValueError(f"a PutEvents entry needs {', '.join(missing)}")
    return eventbridge_event(
        source=entry["Source"],
        detail_type=entry["DetailType"],
        detail=entry["Detail"],
        resources=entry.get("Resources"),
        event_id=event_id,
        time=entry.get("Time", time),
        region=region,
        account_id=account_id,
        rng=rng,
    )


def scheduled_event(
    *,
    rule: str = "ExampleRule",
    event_bus: str | None = None,
    event_id: str | None = None,
    time: TimeLike = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    partition: str = DEFAULT_PARTITION,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """What a schedule rule (``rate(...)`` or ``cron(...)``) sends its target each time it fires.

    >>> scheduled_event(rule="nightly")["resources"]
    ['arn:aws:events:us-east-1:123456789012:rule/nightly']
    """
    check_location(region, account_id, partition)
    # Rules on a custom bus have the bus name in their ARN; the default bus is left out.
    rule_path = f"rule/{rule}" if event_bus in (None, "default") else f"rule/{event_bus}/{rule}"
    return eventbridge_event(
        source="aws.events",
        detail_type="Scheduled Event",
        detail={},
        resources=[arn("events", rule_path, region=region, account_id=account_id, partition=partition)],
        event_id=event_id,
        time=time,
        region=region,
        account_id=account_id,
        rng=rng,
    )


def cloudtrail_api_call_event(
    *,
    event_source: str = "s3.amazonaws.com",
    event_name: str = "CreateBucket",
    request_parameters: Mapping[str, Any] | None = None,
    response_elements: Mapping[str, Any] | None = None,
    read_only: bool = False,
    source_ip: str = "127.0.0.1",
    user_agent: str = "lambda-local",
    event_id: str | None = None,
    time: TimeLike = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    partition: str = DEFAULT_PARTITION,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """The "AWS API Call via CloudTrail" event EventBridge receives for a management API call recorded by a logging
    CloudTrail trail (``source`` is the service's ``aws.<name>``, ``detail`` the CloudTrail record).

    >>> event = cloudtrail_api_call_event(request_parameters={"bucketName": "photos"}, time=0)
    >>> event["source"], event["detail-type"], event["detail"]["eventName"]
    ('aws.s3', 'AWS API Call via CloudTrail', 'CreateBucket')
    """
    check_location(region, account_id, partition)
    when = to_datetime(time)
    detail = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "Root", "principalId": account_id,
                         "arn": arn("iam", "root", account_id=account_id, partition=partition),
                         "accountId": account_id},
        "eventTime": iso_seconds(when),
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
        "requestParameters": dict(request_parameters) if request_parameters is not None else None,
        "responseElements": dict(response_elements) if response_elements is not None else None,
        "requestID": random_hex(16, rng, upper=True),
        "eventID": new_uuid(rng),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account_id,
        "eventCategory": "Management",
    }
    return eventbridge_event(source="aws." + event_source.split(".")[0], detail_type="AWS API Call via CloudTrail",
                             detail=detail, resources=[], event_id=event_id, time=when, region=region,
                             account_id=account_id, rng=rng)


def scheduler_event(
    *,
    schedule: str = "ExampleSchedule",
    group: str = "default",
    event_id: str | None = None,
    time: TimeLike = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    partition: str = DEFAULT_PARTITION,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """The default notification EventBridge Scheduler sends a target whose ``Input`` is empty: a "Scheduled Event" from
    ``aws.scheduler`` naming the schedule, its ``time`` the scheduled time, its ``detail`` the text ``"{}"``.

    >>> event = scheduler_event(schedule="nightly", time=0)
    >>> event["source"], event["detail"], event["time"]
    ('aws.scheduler', '{}', '1970-01-01T00:00:00Z')
    >>> event["resources"]
    ['arn:aws:scheduler:us-east-1:123456789012:schedule/default/nightly']
    """
    check_location(region, account_id, partition)
    event = eventbridge_event(
        source="aws.scheduler",
        detail_type="Scheduled Event",
        resources=[arn("scheduler", f"schedule/{group}/{schedule}", region=region, account_id=account_id,
                       partition=partition)],
        event_id=event_id,
        time=time,
        region=region,
        account_id=account_id,
        rng=rng,
    )
    event["detail"] = "{}"  # Scheduler sends the detail as text, unlike a rule's object
    return event
