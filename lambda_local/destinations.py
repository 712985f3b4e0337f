"""Destinations: where Lambda sends what an asynchronous invocation or an event source mapping leaves behind
(invocation records, dead-lettered events, batches given up on): an SQS queue, an SNS topic, an EventBridge bus or
another function (which receives it asynchronously).
"""

from __future__ import annotations

from typing import Callable, Iterable

from .aws import state

__all__ = ["send"]


def send(target: str, body: str, *, queue_event: Callable, attributes: dict[str, str] | None = None,
         detail_type: str = "", resources: Iterable[str] = ()) -> None:
    """Deliver ``body`` to the destination ARN ``target``.

    ``attributes`` become message attributes (SQS, SNS); ``detail_type`` and ``resources`` describe the event put on
    an EventBridge bus (source ``lambda``); a function target gets the body through ``queue_event(backend,
    function_arn, payload)``, Lambda's asynchronous queue.
    """
    parts = target.split(":")
    service, region, account = parts[2], parts[3], parts[4]
    if service == "sqs":
        state.send_sqs_message(target, body, attributes)
    elif service == "sns":
        state.publish_to_topic(target, body, attributes)
    elif service == "events":
        state.put_events(target, [{"Source": "lambda", "DetailType": detail_type, "Detail": body,
                                   "Resources": list(resources), "EventBusName": target}])
    elif service == "lambda":
        queue_event(state.lambda_backend(account, region), target, body.encode("utf-8"))
