"""EventBridge rules that target Lambda: matched events (with ``Input``, ``InputPath`` and ``InputTransformer``
honoured) and schedules firing on the virtual clock."""

from __future__ import annotations

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
        return state.render_input_transformer(target["InputTransformer"], event)
    return event


class EventBridgeTargets:
    def __init__(self, sandbox: TriggerHost):
        self.sandbox = sandbox
        self._schedules: dict[str, Any] = {}  # rule ARN -> the timer of its next firing

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
