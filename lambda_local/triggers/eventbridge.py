"""EventBridge rules that target Lambda: matched events (with ``Input``, ``InputPath`` and ``InputTransformer``
honoured) and schedules firing on the virtual clock; SNS topic targets; other event buses; events AWS services put
on the default bus (S3's EventBridge notifications); targets moto cannot deliver to are counted as failed
invocations, never raised to the caller (EventBridge delivers after PutEvents has answered)."""

from __future__ import annotations

import contextvars
import copy
import json
from typing import Any
from datetime import datetime, timezone

from .. import events
from ..aws import state
from .schedules import parse_schedule
from .permissions import may_invoke, service_context
from .host import TriggerHost

__all__ = ["EventBridgeTargets"]


def _input_for(target: dict, event: dict):
    """What a target receives: the event, or what Input / InputPath / InputTransformer make of it."""
    if target.get("Input") is not None:
        return json.loads(target["Input"])
    if target.get("InputPath"):
        value: Any = event
        for part in target["InputPath"].lstrip("$").strip(".").split("."):
            if part:
                value = value.get(part) if isinstance(value, dict) else None
        return value
    if target.get("InputTransformer"):
        # moto's parser reads <aws.events.event.ingestion-time>; EventBridge took the event in at its time
        ingested = {"ingestion-time": _epoch(event.get("time")), **event}
        return state.render_input_transformer(target["InputTransformer"], ingested)
    return event


def _epoch(iso_time) -> float:
    try:
        return datetime.fromisoformat(str(iso_time).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


# Set while an event forwarded from another bus is routed: EventBridge does not route an event it received from a
# sender bus on to a third bus (Amazon EventBridge user guide, "Sending events between event buses").
_forwarded: contextvars.ContextVar[bool] = contextvars.ContextVar("lambda_local_forwarded_event", default=False)


class EventBridgeTargets:
    def __init__(self, sandbox: TriggerHost):
        self.sandbox = sandbox
        self._schedules: dict[str, Any] = {}  # rule ARN -> the timer of its next firing

    def route(self, account_id: str, region: str, bus_name: str, event: dict, *, from_service: bool = False) -> None:
        """Put ``event`` (EventBridge's shape, as a service or another bus sends it) on a bus: each enabled rule
        whose pattern matches sends it to its targets (``from_service``: as moto delivers service events to its own
        targets, untransformed)."""
        bus = state.event_bus_or_none(account_id, region, bus_name)
        if bus is None:
            return
        # moto's own targets (logs, SQS) read "time" and "ingestion-time" as epoch seconds, as its PutEvents
        # stores them
        as_moto = {**event, "time": _epoch(event.get("time")), "ingestion-time": self.sandbox.clock.time()}
        for rule in list(bus.rules.values()):
            rule.send_to_targets(copy.deepcopy(as_moto), transform_input=not from_service)

    def deliver_to_buses(self, rule, event: dict) -> None:
        """Forward ``event`` (matched) to the rule's event bus targets: it arrives unchanged and the receiving
        bus's rules match it as usual; an event that came from another bus goes no further."""
        for target in rule.targets:
            parts = target.get("Arn", "").split(":")
            if parts[2:3] != ["events"] or not parts[5:6] or not parts[5].startswith("event-bus/"):
                continue
            if _forwarded.get():
                continue
            token = _forwarded.set(True)
            try:
                self.route(parts[4], parts[3], parts[5].removeprefix("event-bus/"), event)
            finally:
                _forwarded.reset(token)

    def deliver(self, rule, event: dict) -> None:
        """Send ``event`` (already matched) to the rule's Lambda targets, asynchronously."""
        for target in rule.targets:
            arn = target.get("Arn", "")
            if ":lambda:" not in arn or ":function:" not in arn:
                continue
            parts = arn.split(":")
            qualifier = parts[7] if len(parts) == 8 else None
            backend = state.lambda_backend(parts[4], parts[3])
            if self.sandbox.enforce_iam and not may_invoke(backend, ":".join(parts[:7]), qualifier,
                                                            "events.amazonaws.com",
                                                            service_context(rule.arn, rule.arn.split(":")[4])):
                continue  # the invocation fails (AWS counts it in the rule's FailedInvocations metric)
            payload = json.dumps(_input_for(target, event)).encode("utf-8")
            self.sandbox.queue_event(backend, ":".join(parts[:7]), payload, qualifier)

    def deliver_sns(self, rule, event: dict) -> None:
        """Publish ``event`` to the rule's SNS topic targets; the topic's policy must let EventBridge publish."""
        for target in rule.targets:
            arn = target.get("Arn", "")
            topic = state.topic_or_none(arn) if arn.split(":")[2:3] == ["sns"] else None
            if topic is None:
                if arn.split(":")[2:3] == ["sns"]:
                    self.failed(rule)
                continue
            if self.sandbox.enforce_iam and not _topic_lets_eventbridge_publish(state.topic_policy(topic)):
                self.failed(rule)
                continue
            state.publish_to_topic(arn, json.dumps(_input_for(target, event)))

    def failed(self, rule) -> None:
        """A delivery that did not happen: AWS counts it in the rule's FailedInvocations metric."""
        state.put_metric_data(rule.account_id, rule.region_name, "AWS/Events", self.sandbox.clock.time(),
                              [("FailedInvocations", 1, "Count")], [{"Name": "RuleName", "Value": rule.name}])

    def event_from_moto(self, event: Any) -> dict:
        """moto's event with EventBridge's fields and formats (time as ISO text on the virtual clock)."""
        return events.eventbridge_event(
            source=event.get("source"), detail_type=event.get("detail-type"), detail=event.get("detail") or {},
            resources=event.get("resources") or [], event_id=event.get("id"),
            time=datetime.fromtimestamp(self.sandbox.clock.time(), timezone.utc),
            region=event.get("region"), account_id=event.get("account"), rng=self.sandbox.rng)

    # --- schedules ---------------------------------------------------------------------------------------------------
    def schedule(self, backend, rule) -> None:
        """Start firing a rule with a ScheduleExpression on the virtual clock (rate: one period after creation)."""
        expression = parse_schedule(rule.scheduled_expression)
        key = rule.arn
        if key in self._schedules:
            self._schedules.pop(key).cancel()
        clock = self.sandbox.clock
        start = clock.time()

        def fire(previous: float) -> None:
            current = self._current_rule(backend, rule)
            if current is None or current.scheduled_expression != rule.scheduled_expression:
                return  # deleted or rescheduled: this timer chain ends
            if current.state == "ENABLED":
                event = events.scheduled_event(
                    rule=current.name,
                    event_bus=None if current.event_bus_name == "default" else current.event_bus_name,
                    time=datetime.fromtimestamp(clock.time(), timezone.utc), region=backend.region_name,
                    account_id=backend.account_id, rng=self.sandbox.rng)
                self.deliver(current, event)
                current.send_to_targets(event) if _has_other_targets(current) else None
            when = expression.next_after(start, previous)
            self._schedules[key] = clock.call_at(when, lambda: fire(when))

        first = expression.next_after(start)
        self._schedules[key] = clock.call_at(first, lambda: fire(first))

    @staticmethod
    def _current_rule(backend, rule):
        bus = backend.event_buses.get(rule.event_bus_name)
        return bus.rules.get(rule.name) if bus else None


def _has_other_targets(rule) -> bool:
    return any(":lambda:" not in t.get("Arn", "") for t in rule.targets)


def _topic_lets_eventbridge_publish(policy: dict) -> bool:
    """The topic's access policy allows ``events.amazonaws.com`` (or anyone) ``sns:Publish``, as AWS requires."""
    from ..iam import _as_list, _matches

    for statement in _as_list(policy.get("Statement", [])):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if not _matches(statement.get("Action", ""), "sns:Publish", False):
            continue
        principal = statement.get("Principal")
        services = _as_list(principal.get("Service", [])) if isinstance(principal, dict) else []
        if principal == "*" or "events.amazonaws.com" in services:
            return True
    return False
