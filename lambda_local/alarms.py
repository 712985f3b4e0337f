"""CloudWatch metric alarms, evaluated once a minute on the virtual clock (moto stores alarms but never evaluates
them): the alarm's statistic over each of its last ``EvaluationPeriods`` periods, compared with its threshold; ALARM
when ``DatapointsToAlarm`` of them breach, and its actions (SNS topics) notified with CloudWatch's message.

Metric-math alarms (``Metrics``) and composite alarms are left as moto keeps them (never evaluated).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from .aws import state

__all__ = ["evaluate_alarms", "watch_alarms"]

_MINUTE = 60.0
_COMPARE = {
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}
_REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-2": "US West (Oregon)",
                 "eu-west-1": "EU (Ireland)", "eu-central-1": "EU (Frankfurt)"}


def watch_alarms(sandbox) -> None:
    """Once the account has a metric alarm, evaluate alarms at every whole minute the virtual clock passes (as
    CloudWatch evaluates them every minute)."""
    if getattr(sandbox, "_alarm_timer", None) is not None:
        return
    account, region = sandbox.service.account_id, sandbox.service.region
    if not state.metric_alarms(account, region):
        return

    def tick(when: float) -> None:
        evaluate_alarms(account, region, when)
        sandbox._alarm_timer = sandbox.clock.call_at(when + _MINUTE, lambda: tick(when + _MINUTE))

    first = (sandbox.clock.time() // _MINUTE + 1) * _MINUTE
    sandbox._alarm_timer = sandbox.clock.call_at(first, lambda: tick(first))


def evaluate_alarms(account_id: str, region: str, now: float) -> list[tuple[str, str]]:
    """Evaluate every metric alarm of the account at ``now``; the ``(alarm name, new state)`` of those that changed."""
    changed = []
    for alarm in state.metric_alarms(account_id, region):
        if alarm.comparison_operator not in _COMPARE or not alarm.statistic:
            continue
        new, reason, data = _decide(account_id, region, alarm, now)
        # moto creates an alarm OK and "Unchecked" (AWS: INSUFFICIENT_DATA): its first evaluation always records
        unchecked = alarm.state_reason.startswith("Unchecked")
        if new is not None and (new != alarm.state_value or unchecked):
            old = alarm.state_value
            state.set_alarm_state(alarm, new, reason, json.dumps(data), now)
            if new != old:
                changed.append((alarm.name, new))
                _notify(alarm, old, now, account_id, region)
    return changed


def _decide(account_id: str, region: str, alarm, now: float) -> tuple[str | None, str, dict]:
    period, periods = int(alarm.period), int(alarm.evaluation_periods)
    needed = int(alarm.datapoints_to_alarm or periods)
    compare, words = _COMPARE[alarm.comparison_operator]
    end = now // period * period  # the last whole period, as CloudWatch evaluates
    points = []
    for i in range(periods, 0, -1):
        start = end - i * period
        points.append((start, state.metric_statistic(account_id, region, alarm, start, start + period)))
    missing = (alarm.treat_missing_data or "missing").lower()
    values = [(t, v) for t, v in points if v is not None]
    breaching: list[tuple[float, float | None]] = [(t, v) for t, v in values if compare(v, alarm.threshold)]
    if missing == "breaching":
        breaching += [(t, None) for t, v in points if v is None]
    if not values and missing in ("missing", "ignore"):
        reason = (f"Insufficient Data: {periods} datapoint{'s' if periods > 1 else ''} were unknown."
                  if missing == "missing" else "")
        return ("INSUFFICIENT_DATA" if missing == "missing" else None), reason, {}
    shown = ", ".join(f"{v} ({_stamp(t)})" for t, v in sorted(breaching or values, reverse=True) if v is not None)
    count = len(breaching) if breaching else len(values)
    data = {"version": "1.0", "queryDate": _iso(now), "statistic": alarm.statistic, "period": period,
            "recentDatapoints": [v for _, v in values], "threshold": alarm.threshold}
    if len(breaching) >= needed:
        return "ALARM", (f"Threshold Crossed: {count} out of the last {periods} datapoints [{shown}] was {words} "
                         f"the threshold ({alarm.threshold})."), data
    return "OK", (f"Threshold Crossed: {count} datapoint{'s' if count > 1 else ''} [{shown}] was not {words} the "
                  f"threshold ({alarm.threshold})."), data


def _notify(alarm, old: str, now: float, account_id: str, region: str) -> None:
    """CloudWatch's message to each SNS topic among the actions of the new state."""
    if not alarm.actions_enabled:
        return
    actions = {"ALARM": alarm.alarm_actions, "OK": alarm.ok_actions,
               "INSUFFICIENT_DATA": alarm.insufficient_data_actions}[alarm.state_value] or []
    region_name = _REGION_NAMES.get(region, region)
    message: dict[str, Any] = {
        "AlarmName": alarm.name, "AlarmDescription": alarm.description or None, "AWSAccountId": account_id,
        "NewStateValue": alarm.state_value, "NewStateReason": alarm.state_reason, "StateChangeTime": _iso(now),
        "Region": region_name, "AlarmArn": alarm.alarm_arn, "OldStateValue": old,
        "Trigger": {"MetricName": alarm.metric_name, "Namespace": alarm.namespace, "StatisticType": "Statistic",
                    "Statistic": alarm.statistic.upper(), "Unit": alarm.unit,
                    "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions],
                    "Period": alarm.period, "EvaluationPeriods": alarm.evaluation_periods,
                    "ComparisonOperator": alarm.comparison_operator, "Threshold": alarm.threshold,
                    "TreatMissingData": alarm.treat_missing_data or "missing"}}
    for arn in actions:
        if arn.startswith("arn:aws:sns:"):
            state.publish_to_topic(arn, json.dumps(message))


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%d/%m/%y %H:%M:%S")
