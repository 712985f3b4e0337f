"""SNS subscriptions with protocol ``lambda``: a real SNS record per message, delivered asynchronously."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from .. import events
from ..aws import state
from .permissions import may_invoke, service_context
from .host import TriggerHost

__all__ = ["deliver"]


def deliver(sandbox: TriggerHost, subscription, message: str, message_id: str, subject: str | None,
            message_attributes: dict | None) -> None:
    """Deliver one published message to a Lambda subscription (its filter policy already matched)."""
    topic_arn = subscription.topic.arn
    _, _, _, region, account, topic_name = topic_arn.split(":", 5)
    # moto keeps attributes as {"Type", "Value"}; the builder takes the API's {"DataType", "StringValue"}.
    attributes = {name: {"DataType": value.get("Type", "String"),
                         ("BinaryValue" if value.get("Type") == "Binary" else "StringValue"): value.get("Value")}
                  for name, value in (message_attributes or {}).items()}
    record = events.sns_record(
        message=message, subject=subject, topic=topic_name, message_attributes=attributes or None,
        message_id=message_id, subscription_id=subscription.arn.rsplit(":", 1)[-1],
        time=datetime.fromtimestamp(sandbox.clock.time(), timezone.utc), region=region, account_id=account,
        rng=sandbox.rng)
    endpoint = subscription.endpoint.split(":")
    qualifier = endpoint[7] if len(endpoint) == 8 else None
    function_name = ":".join(endpoint[:7])
    backend = state.lambda_backend(account, endpoint[3])
    if sandbox.enforce_iam and not may_invoke(backend, function_name, qualifier, "sns.amazonaws.com",
                                              service_context(topic_arn, topic_arn.split(":")[4])):
        return  # SNS's delivery fails (AWS records it in the topic's delivery status logs)
    sandbox.queue_event(backend, function_name, json.dumps(events.sns_event(record)).encode(), qualifier)

