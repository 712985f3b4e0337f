"""EventBridge Scheduler schedules, run on the virtual clock, with their targets: Lambda functions, the other
templated targets and universal targets (``scheduler_targets``).

moto stores schedules (``scheduler`` API) and never runs them; here each one fires as the Scheduler user guide
describes ("Schedule types", "Managing targets", "Configuring a dead-letter queue"):

* ``rate(value unit)``: first at the StartDate, or at once (the next ``advance()``) without one, then every period;
  ``cron(...)`` in the ScheduleExpressionTimezone (UTC by default); ``at(yyyy-mm-ddThh:mm:ss)`` once, in that zone;
  nothing before StartDate or after EndDate; a DISABLED schedule skips its turns; ``ActionAfterCompletion`` DELETE
  removes a one-time schedule once it ran. ``FlexibleTimeWindow`` FLEXIBLE delays each turn by a random part of the
  window (from the sandbox's seeded random numbers);
* a Lambda target is invoked asynchronously with the schedule's execution role (``Target.RoleArn``), which must
  allow ``lambda:InvokeFunction`` on the function; any other target's API call (SQS SendMessage, SNS Publish,
  EventBridge PutEvents, Step Functions StartExecution, Kinesis and Firehose PutRecord, or a universal target's
  action) is made through boto3 with that role's credentials (``scheduler_targets``), so its policies are checked
  as AWS checks them; the payload is ``Target.Input`` with its context attributes
  (``<aws.scheduler.schedule-arn>``, ``<aws.scheduler.scheduled-time>``, ``<aws.scheduler.execution-id>``,
  ``<aws.scheduler.attempt-number>``) filled in, or the default notification (``events.scheduler_event``);
* a call the role may not make, to a resource that does not exist, or with input the target refuses is not
  retried; a throttle or a service error is retried with exponential backoff within ``RetryPolicy``
  (``MaximumRetryAttempts`` 0-185, ``MaximumEventAgeInSeconds`` 60-86400; 185 and 86400 by default); then the
  payload goes to the DeadLetterConfig queue with the attributes ERROR_CODE, ERROR_MESSAGE, EXECUTION_ID,
  EXHAUSTED_RETRY_CONDITION (when a retry limit ended it), IS_PAYLOAD_TRUNCATED, RETRY_ATTEMPTS, SCHEDULED_TIME,
  SCHEDULE_ARN and TARGET_ARN (ERROR_CODE and ERROR_MESSAGE are the target service's). Every target goes through
  this one path of attempts, retries and dead letters.

A function's own errors are Lambda's business (its asynchronous retries and destinations), not Scheduler's; what
happens after a target API accepted the call (a state machine's execution, a message's consumers) is that service's.
Not modelled: ECS, SageMaker, CodeBuild and the other templated targets moto cannot run; universal targets reach only
what moto models.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from .. import events, iam
from ..aws import state
from ..events._common import iso_seconds, new_uuid
from ..runtime.errors import ServiceError
from ..runtime.invoke import check_payload
from .host import TriggerHost
from .schedules import InvalidSchedule, parse_schedule
from .scheduler_targets import call_for, check_target, is_retryable, make_call

__all__ = ["SchedulerTargets"]

_RETRY_BASE_S = 60  # the first retry a minute later, each wait doubling (Scheduler backs off exponentially)
_RETRY_MAX_S = 3600


@dataclass
class _Delivery:
    """One turn of a schedule: its payload and its attempts."""

    scheduled_at: float
    execution_id: str
    attempts: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)


class SchedulerTargets:
    """The schedules of one sandbox, firing on its virtual clock."""

    def __init__(self, sandbox: TriggerHost):
        self.sandbox = sandbox
        self._timers: dict[str, Any] = {}  # schedule ARN -> the timer of its next turn
        self.deliveries: list[dict] = []  # every turn, for lessons to inspect: {schedule, time, outcome}
        self._clients: dict = {}  # boto3 clients of execution roles, for targets other than Lambda

    def schedule(self, backend, schedule) -> None:
        """(Re)start a schedule created or updated through the API."""
        timer = self._timers.pop(schedule.arn, None)
        if timer is not None:
            timer.cancel()
        first = self._next(schedule, None)
        if first is not None:
            self._at(schedule, backend, first)

    @staticmethod
    def check(target: dict) -> None:
        """Refuse (ServiceError ValidationException) a target CreateSchedule / UpdateSchedule would refuse."""
        check_target(target or {})

    # --- when --------------------------------------------------------------------------------------------------------
    def _next(self, schedule, previous: float | None) -> float | None:
        """Epoch seconds of the schedule's turn after ``previous`` (None: the first), or None when it has no more."""
        expression = (schedule.schedule_expression or "").strip()
        zone = ZoneInfo(schedule.schedule_expression_timezone or "UTC")
        start = _epoch(schedule.start_date)
        now = self.sandbox.clock.time()
        if expression.startswith("at(") and expression.endswith(")"):
            if previous is not None:
                return None
            try:
                when = datetime.fromisoformat(expression[3:-1]).replace(tzinfo=zone).timestamp()
            except ValueError:
                return None
        else:
            try:
                parsed = parse_schedule(expression)
            except InvalidSchedule:
                return None  # moto keeps what it was given; AWS would have refused it
            if previous is None and parsed.period_s is not None:
                when = max(start or now, now)  # a rate schedule starts at its StartDate, or at once
            else:
                base = previous if previous is not None else max(start or now, now) - 1
                when = parsed.next_after(base, base, zone)
        end = _epoch(schedule.end_date)
        if end is not None and when > end:
            return None
        return when

    def _at(self, schedule, backend, when: float) -> None:
        window = schedule.flexible_time_window or {}
        delay = 0.0
        if window.get("Mode") == "FLEXIBLE":
            rng = self.sandbox.rng or random.Random()
            delay = rng.uniform(0, 60 * int(window.get("MaximumWindowInMinutes") or 1))
        self._timers[schedule.arn] = self.sandbox.clock.call_at(
            when + delay, lambda: self._turn(backend, schedule, when))

    def _turn(self, backend, schedule, scheduled_at: float) -> None:
        current = _current(backend, schedule)
        if current is not schedule:
            return  # deleted (or replaced) since: this chain of turns ends
        if schedule.state != "DISABLED":
            delivery = _Delivery(scheduled_at, new_uuid(self.sandbox.rng))
            self._attempt(backend, schedule, delivery)
        following = self._next(schedule, scheduled_at)
        if following is not None:
            self._at(schedule, backend, following)
        elif (schedule.action_after_completion or "NONE") == "DELETE":
            backend.delete_schedule(schedule.group_name, schedule.name)

    # --- what --------------------------------------------------------------------------------------------------------
    def _payload(self, schedule, delivery: _Delivery) -> bytes:
        target = schedule.target
        text = target.get("Input")
        if not text:
            account, region = schedule.arn.split(":")[4], schedule.arn.split(":")[3]
            event = events.scheduler_event(schedule=schedule.name, group=schedule.group_name,
                                           time=delivery.scheduled_at, region=region, account_id=account,
                                           rng=self.sandbox.rng)
            return json.dumps(event).encode("utf-8")
        attributes = {"schedule-arn": schedule.arn, "execution-id": delivery.execution_id,
                      "attempt-number": str(delivery.attempts + 1),
                      "scheduled-time": iso_seconds(
                          datetime.fromtimestamp(delivery.scheduled_at, timezone.utc))}
        for name, value in attributes.items():
            text = text.replace(f"<aws.scheduler.{name}>", value)
        return text.encode("utf-8")

    def _attempt(self, backend, schedule, delivery: _Delivery) -> None:
        target = schedule.target
        payload = self._payload(schedule, delivery)
        delivery.attempts += 1
        try:
            if target.get("Arn", "").split(":")[2:3] == ["lambda"]:
                self._invoke(schedule, target, payload)
            else:
                self._call(schedule, target, payload)
        except ServiceError as error:
            delivery.errors.append((error.code, error.message))
            self._failed(backend, schedule, delivery, payload, retryable=is_retryable(error))
            return
        self.deliveries.append({"schedule": schedule.arn, "time": delivery.scheduled_at, "outcome": "Invoked"})

    def _call(self, schedule, target: dict, payload: bytes) -> None:
        """A templated or universal target's API call, made as the execution role."""
        region, account = schedule.arn.split(":")[3], schedule.arn.split(":")[4]
        make_call(call_for(target, payload, region), target.get("RoleArn") or "", schedule.name, account,
                  self.sandbox.enforce_iam, self._clients)

    def _invoke(self, schedule, target: dict, payload: bytes) -> None:
        arn = target.get("Arn", "")
        parts = arn.split(":")
        if len(parts) < 7:
            raise ServiceError("ValidationException", f"Invalid function ARN: {arn}", 400)
        function_arn, qualifier = ":".join(parts[:7]), (parts[7] if len(parts) == 8 else None)
        if self.sandbox.enforce_iam and not iam.is_allowed(target.get("RoleArn") or "", "lambda:InvokeFunction", arn):
            role = (target.get("RoleArn") or "").rsplit("/", 1)[-1]
            raise ServiceError(
                "AccessDeniedException",
                f"User: arn:aws:sts::{parts[4]}:assumed-role/{role}/{schedule.name} is not authorized to perform: "
                f"lambda:InvokeFunction on resource: {arn} because no identity-based policy allows the "
                "lambda:InvokeFunction action", 403)
        backend = state.lambda_backend(parts[4], parts[3])
        fn = state.get_function_or_none(backend, function_arn, qualifier)
        if fn is None:
            raise ServiceError("ResourceNotFoundException", f"Function not found: {arn}", 404)
        check_payload(payload, "Event")  # what Lambda's Invoke refuses (not JSON, too large) is refused here too
        self.sandbox.queue_event(backend, fn.function_name, payload, qualifier)

    def _failed(self, backend, schedule, delivery: _Delivery, payload: bytes, retryable: bool) -> None:
        policy = schedule.target.get("RetryPolicy") or {}
        max_retries = int(policy.get("MaximumRetryAttempts", 185))
        max_age = int(policy.get("MaximumEventAgeInSeconds", 86400))
        exhausted = None
        if retryable:
            retries = delivery.attempts - 1
            wait = min(_RETRY_BASE_S * 2 ** retries, _RETRY_MAX_S)
            if retries >= max_retries:
                exhausted = "MaximumRetryAttempts"
            elif self.sandbox.clock.time() + wait - delivery.scheduled_at > max_age:
                exhausted = "MaximumEventAgeInSeconds"
            else:
                self.sandbox.clock.call_later(wait, lambda: self._attempt(backend, schedule, delivery))
                return
        self.deliveries.append({"schedule": schedule.arn, "time": delivery.scheduled_at, "outcome": "Failed"})
        self._dead_letter(schedule, delivery, payload, exhausted)

    def _dead_letter(self, schedule, delivery: _Delivery, payload: bytes, exhausted: str | None) -> None:
        queue_arn = (schedule.target.get("DeadLetterConfig") or {}).get("Arn")
        if not queue_arn:
            return  # dropped, as AWS drops it
        code, message = delivery.errors[-1]
        attributes = {
            "ERROR_CODE": code, "ERROR_MESSAGE": message, "EXECUTION_ID": delivery.execution_id,
            "IS_PAYLOAD_TRUNCATED": "false", "RETRY_ATTEMPTS": str(delivery.attempts - 1),
            "SCHEDULED_TIME": iso_seconds(datetime.fromtimestamp(delivery.scheduled_at, timezone.utc)),
            "SCHEDULE_ARN": schedule.arn, "TARGET_ARN": schedule.target.get("Arn", ""),
        }
        if exhausted is not None:
            attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
        if self.sandbox.enforce_iam and not iam.is_allowed(schedule.target.get("RoleArn") or "", "sqs:SendMessage",
                                                           queue_arn):
            return  # the execution role may not write to its DLQ either: the event is lost
        self.sandbox.send_to_destination(queue_arn, payload.decode("utf-8"),
                                         attributes=dict(sorted(attributes.items())))


def _current(backend, schedule):
    group = backend.schedule_groups.get(schedule.group_name)
    return group.schedules.get(schedule.name) if group is not None else None


def _epoch(value) -> float | None:
    """StartDate / EndDate as moto keeps them (epoch seconds, or ISO text), as epoch seconds."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()
