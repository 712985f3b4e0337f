"""Amazon SNS notifications, as a Lambda subscription receives them."""

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
    dns_suffix,
    given,
    iso_millis,
    new_uuid,
    normalize_attributes,
    random_base64,
    random_hex,
    records_event,
    to_datetime,
)


def _sns_attributes(attributes: Mapping[str, Any] | None) -> dict[str, dict[str, str]]:
    # SNS flattens attributes to Type/Value, binary values as base64 text.
    return {
        name: {"Type": data_type, "Value": b64(value) if isinstance(value, bytes) else value}
        for name, data_type, value in normalize_attributes(attributes)
    }


def sns_record(
    *,
    message: str = "example message",
    subject: str | None = "example subject",
    topic: str = "ExampleTopic",
    message_attributes: Mapping[str, Any] | None = None,
    message_id: str | None = None,
    subscription_id: str | None = None,
    time: TimeLike = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    partition: str = DEFAULT_PARTITION,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """One SNS notification as a record of Lambda's SNS event.

    ``subject=None`` gives the ``null`` Subject of a message published without one.
    ``message_attributes`` takes plain values or boto3's ``{"DataType", "StringValue"}`` shape.

    >>> record = sns_record(topic="orders", message="{}", time=0, rng=random.Random(1))
    >>> record["Sns"]["TopicArn"], record["Sns"]["Timestamp"]
    ('arn:aws:sns:us-east-1:123456789012:orders', '1970-01-01T00:00:00.000Z')
    """
    check_location(region, account_id, partition)
    if not isinstance(message, str):
        raise TypeError(f"an SNS message is text, not {type(message).__name__}")
    topic_arn = arn("sns", topic, region=region, account_id=account_id, partition=partition)
    subscription_arn = f"{topic_arn}:{given(subscription_id, new_uuid(rng))}"
    endpoint = f"https://sns.{region}.{dns_suffix(partition)}"
    return {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "Sns": {
            "Type": "Notification",
            "MessageId": given(message_id, new_uuid(rng)),
            "TopicArn": topic_arn,
            "Subject": subject,
            "Message": message,
            "Timestamp": iso_millis(to_datetime(time)),
            "SignatureVersion": "1",
            # Shaped like SNS's RSA signature; nothing local can verify it, so it is random.
            "Signature": random_base64(256, rng),
            "SigningCertUrl": f"{endpoint}/SimpleNotificationService-{random_hex(32, rng)}.pem",
            "UnsubscribeUrl": f"{endpoint}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}",
            "MessageAttributes": _sns_attributes(message_attributes),
        },
    }


def sns_event(*records: Mapping[str, Any]) -> dict[str, list]:
    """Wrap records built by :func:`sns_record`; SNS sends one record per invocation.

    >>> sns_event(sns_record())["Records"][0]["EventSource"]
    'aws:sns'
    """
    return records_event(records, "SNS")


def sns_notification_event(**fields: Any) -> dict[str, list]:
    """A notification event for one message; ``fields`` are :func:`sns_record`'s.

    >>> sns_notification_event(message="hello")["Records"][0]["Sns"]["Message"]
    'hello'
    """
    return sns_event(sns_record(**fields))
