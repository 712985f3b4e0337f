"""Asynchronous invocation: Lambda's internal event queue.

An event is tried at once; after a function error it is retried twice by default, about one and then two minutes
later on the virtual clock (``MaximumRetryAttempts`` 0-2), and dropped once older than ``MaximumEventAgeInSeconds``
(6 h by default). A throttled event is retried after 1 s, the wait doubling up to 5 minutes, until it is too old.
What fails for good goes to
the on-failure destination (an invocation record) and to the dead-letter queue (the event itself); a success goes to
the on-success destination.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .. import policy, quotas
from ..aws import state
from ..runtime.errors import ServiceError
from .host import TriggerHost

__all__ = ["AsyncQueue"]



@dataclass
class AsyncEvent:
    function_name: str
    qualifier: str | None
    payload: bytes
    received_at: float
    attempts: int = 0
    throttles: int = 0
    history: list = field(default_factory=list)
    chain: int | None = None  # the chain of invocations that sent it (recursive loop detection)
    request_id: str | None = None  # set by the first attempt that runs; every retry keeps it, as on AWS


def _iso(epoch: float) -> str:
    milliseconds = int(epoch * 1000) % 1000
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{milliseconds:03d}Z"


class AsyncQueue:
    """Asynchronous invocations of every function in one sandbox."""

    def __init__(self, sandbox: TriggerHost):
        self.sandbox = sandbox
        self.events: list[AsyncEvent] = []  # every event accepted, for lessons to inspect

    def submit(self, backend, function_name: str, payload: bytes, qualifier: str | None = None) -> AsyncEvent:
        """Accept an event (the invoke already returned 202) and make the first attempt now."""
        event = AsyncEvent(function_name, qualifier, payload, self.sandbox.clock.time(), chain=self.sandbox.chain)
        self.events.append(event)
        self.sandbox.run_or_defer(lambda: self._attempt(backend, event), event.chain)
        return event

    def _attempt(self, backend, event: AsyncEvent) -> None:
        fn = state.get_function_or_none(backend, event.function_name, event.qualifier)
        if fn is None:  # the function was deleted meanwhile: AWS drops the event
            return
        config = _invoke_config(fn)
        max_age = config.get("MaximumEventAgeInSeconds", quotas.MAX_EVENT_AGE_S)
        max_retries = config.get("MaximumRetryAttempts", quotas.ASYNC_MAX_RETRIES)
        clock = self.sandbox.clock
        if policy.event_too_old(event.received_at, clock.time(), max_age):
            self._failed(fn, event, config, None, "EventAgeExceeded")
            return
        event.attempts += 1
        try:
            record = self.sandbox.invoke(fn, event.payload, invocation_type="Event", qualifier=event.qualifier,
                                         request_id=event.request_id)
        except ServiceError as error:
            if error.status == 429:
                event.history.append("Throttled")
                event.attempts -= 1  # throttles do not use up retries
                delay = policy.throttle_retry_delay(event.throttles)
                event.throttles += 1
                clock.call_later(delay, lambda: self.sandbox.run_or_defer(
                    lambda: self._attempt(backend, event), event.chain))
            elif error.code == "RecursiveInvocationException":
                event.history.append(error.code)
                self._failed(fn, event, config, None, error.code)
            return
        event.history.append(record)
        event.request_id = record.request_id
        if record.error_type is None:
            self._succeeded(fn, event, config, record)
        elif policy.should_retry_async(event.attempts, max_retries):
            delay = policy.async_retry_delay(event.attempts)
            clock.call_later(delay, lambda: self.sandbox.run_or_defer(lambda: self._attempt(backend, event),
                                                                      event.chain))
        else:
            self._failed(fn, event, config, record, "RetriesExhausted")

    # --- where events go afterwards ----------------------------------------------------------------------------------
    def _succeeded(self, fn, event, config, record) -> None:
        target = ((config.get("DestinationConfig") or {}).get("OnSuccess") or {}).get("Destination")
        if target:
            self._deliver(fn, target, self._invocation_record(fn, event, record, "Success"), success=True)

    def _failed(self, fn, event, config, record, condition: str) -> None:
        target = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if target:
            self._deliver(fn, target, self._invocation_record(fn, event, record, condition), success=False)
        dlq = (getattr(fn, "dead_letter_config", None) or {}).get("TargetArn")
        if dlq:
            attributes = {"RequestID": event.request_id or "",
                          "ErrorCode": "200", "ErrorMessage": (record.error_message or "") if record else condition}
            self.sandbox.send_to_destination(dlq, event.payload.decode("utf-8") or "{}", attributes=attributes)

    def _invocation_record(self, fn, event, record, condition: str) -> dict:
        """The invocation record AWS sends to a destination."""
        request_payload = json.loads(event.payload) if event.payload.strip() else {}
        body: dict[str, Any] = {
            "version": "1.0",
            "timestamp": _iso(self.sandbox.clock.time()),
            "requestContext": {
                "requestId": event.request_id or "",
                "functionArn": f"{fn.function_arn.split(':$LATEST')[0]}:{event.qualifier or '$LATEST'}",
                "condition": condition,
                "approximateInvokeCount": event.attempts,
            },
            "requestPayload": request_payload,
        }
        if record is not None:
            body["responseContext"] = {"statusCode": 200, "executedVersion": str(fn.version)}
            if record.function_error:
                body["responseContext"]["functionError"] = record.function_error
            body["responsePayload"] = record.payload
        return body

    def _deliver(self, fn, target: str, invocation_record: dict, success: bool) -> None:
        outcome = "Success" if success else "Failure"
        self.sandbox.send_to_destination(target, json.dumps(invocation_record),
                                         detail_type=f"Lambda Function Invocation Result - {outcome}",
                                         resources=[target, fn.function_arn])


def _invoke_config(fn) -> dict:
    configs = getattr(fn, "event_invoke_config", None) or []
    return dict(configs[-1].config) if configs else {}
