"""Lab 11: a scheduled clean-up job. An EventBridge rate(...)/cron(...) rule runs a function that deletes the
DynamoDB items older than 30 days; checked with items whose timestamps are relative to the virtual clock, and by
moving the clock forward.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

from ..checks import Failure, check, describe_invocation_error, function_output, show

LAB = "11-scheduled-cleanup"
TITLE = "A scheduled clean-up job"

FUNCTION, TABLE, RULE = "session-cleanup", "sessions", "session-cleanup-daily"
ACCOUNT, REGION = "123456789012", "us-east-1"
DAY = 86400
TABLE_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "dynamodb:*", "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"}]}
# A stand-in for session-cleanup in the checks of deploy.py: it logs the "time" of each event it receives.
_PROBE = ("import json\n\n\ndef lambda_handler(event, context):\n"
          "    print(json.dumps({\"fired\": event.get(\"time\") if isinstance(event, dict) else None}))\n")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _scheduled_event(when: float) -> dict:
    from ...events import scheduled_event

    return scheduled_event(rule=RULE, time=_iso(when), rng=random.Random(10))


def _table(lab) -> None:
    lab.client("dynamodb").create_table(
        TableName=TABLE, KeySchema=[{"AttributeName": "session_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "session_id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")


def _seed(lab, ages_s: dict[str, float], padding: int = 0) -> None:
    """Sessions named by id, created `age` seconds before the virtual clock's now."""
    now = lab.aws.clock.time()
    dynamodb = lab.client("dynamodb")
    for session_id, age in ages_s.items():
        item = {"session_id": {"S": session_id}, "created_at": {"N": str(int(now - age))}}
        if padding:
            item["data"] = {"S": "x" * padding}
        dynamodb.put_item(TableName=TABLE, Item=item)


def _remaining(lab) -> set[str]:
    pages = lab.client("dynamodb").get_paginator("scan").paginate(TableName=TABLE, ProjectionExpression="session_id")
    return {item["session_id"]["S"] for page in pages for item in page["Items"]}


def _fired(lab) -> list:
    """What the probe logged: the time of each event it received, in order."""
    return [json.loads(line)["fired"] for r in lab.aws.invocations if r.function_name == FUNCTION
            for line in function_output(r.log) if line.startswith('{"fired"')]


def _runs(lab) -> int:
    return sum(r.function_name == FUNCTION for r in lab.aws.invocations)


def _not_too_often(lab) -> None:
    """Two hours on the clock first: a schedule that fires every minute fails here, before days of it are run."""
    lab.aws.advance(hours=2)
    if _runs(lab) > 2:
        rules = {r["Name"]: r.get("ScheduleExpression") for r in lab.client("events").list_rules()["Rules"]}
        raise Failure(expected="at most one run an hour (once a day is plenty for this job)",
                      got=f"{_runs(lab)} runs in 2 hours; the rules: {show(rules)}",
                      hint="Each run scans the whole table, and a scan is billed for every item it reads: "
                           'ScheduleExpression="rate(1 day)" or "cron(0 3 * * ? *)" (03:00 UTC every day).')


def _rule_arn(lab) -> str:
    return f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{RULE}"


@check("computes the cutoff: 30 days before the schedule fired", points=1)
def computes_cutoff(lab):
    module = lab.module("lambda_function.py")
    for fired in ("2026-01-31T03:00:00Z", "2031-07-04T12:30:00Z"):
        moment = datetime.fromisoformat(fired.replace("Z", "+00:00"))
        expected = int((moment - timedelta(days=30)).timestamp())
        event = _scheduled_event(moment.timestamp())
        got = lab.call(module.cutoff, event, what=f"cutoff(<a scheduled event of {fired}>)")
        if not isinstance(got, (int, float)) or isinstance(got, bool) or abs(got - expected) >= 1:
            return Failure(expected=f"cutoff() of an event that fired at {fired} to be {expected} "
                                    f"({_iso(expected)}), in epoch seconds",
                           got=f"{got!r}" + (f" ({_iso(got)})" if isinstance(got, (int, float)) and got > 0 else ""),
                           hint='Parse event["time"] with datetime.fromisoformat(...), subtract MAX_AGE (a '
                                "timedelta), and return int(....timestamp()). The event's time, not now: the "
                                "check's events are dated in other years.")


@check("deletes the sessions older than 30 days, and only those", points=3)
def deletes_old_sessions(lab):
    _table(lab)
    # 120 sessions of 12 KB (more than the 1 MB one scan call reads), old and young interleaved by key, and
    # two on each side of the 30-day line.
    ages = {f"s-{i:03d}": (45 if i % 2 else 2) * DAY for i in range(120)}
    _seed(lab, ages, padding=12_000)
    edges = {"edge-old": 30 * DAY + 3600, "edge-young": 30 * DAY - 3600}
    _seed(lab, edges)
    ages.update(edges)
    lab.deploy(FUNCTION, role=lab.role(f"{FUNCTION}-role", policy=TABLE_POLICY), environment={"TABLE_NAME": TABLE},
               Timeout=60)
    record = lab.invoke(FUNCTION, _scheduled_event(lab.aws.clock.time()))
    if record.error_type:
        return Failure(expected="session-cleanup to run on a scheduled event",
                       got=f"it failed: {describe_invocation_error(record)}",
                       hint="Try it in the lab notebook to see the whole error.")
    remaining = _remaining(lab)
    old = {s for s, age in ages.items() if age > 30 * DAY}
    left, wrongly = sorted(old & remaining), sorted(set(ages) - old - remaining)
    if wrongly:
        return Failure(expected="the sessions younger than 30 days kept",
                       got=f"{len(wrongly)} of them deleted, such as {', '.join(wrongly[:3])}",
                       hint="Delete only items whose created_at is below the cutoff (both are epoch seconds), "
                            "and compute the cutoff from the event's time: the check's sessions are dated by the "
                            "event, not by this computer's clock.")
    if left:
        some = "none" if len(left) == len(old) else f"{len(old) - len(left)}"
        return Failure(expected=f"the {len(old)} sessions older than 30 days deleted",
                       got=f"{len(left)} of them left ({some} deleted), such as {', '.join(left[:3])}",
                       hint="Some deleted but not all: a scan returns at most 1 MB per call; repeat it with "
                            "ExclusiveStartKey=page[\"LastEvaluatedKey\"] until there is no LastEvaluatedKey."
                            if len(left) < len(old) else
                            "Scan the table for items whose created_at is below the cutoff, and delete each one "
                            "by its key (session_id).")


@check("an EventBridge rule runs the function every day, with the scheduled event", points=2)
def runs_daily(lab):
    function_arn = lab.client("lambda").get_function_configuration(
        FunctionName=lab.deploy(FUNCTION, {"lambda_function.py": _PROBE}))["FunctionArn"]
    rule_arn = lab.call(lab.module("deploy.py").schedule, lab.client("events"), function_arn,
                        what="deploy.schedule(events, function_arn)")
    lab.allow(FUNCTION, "events.amazonaws.com")
    _not_too_often(lab)
    lab.aws.advance(hours=70, minutes=1)
    fired = _fired(lab)
    rules = lab.client("events").list_rules()["Rules"]
    if not 3 <= len(fired) <= 72:
        targets = {r["Name"]: [t["Arn"] for t in lab.client("events").list_targets_by_rule(Rule=r["Name"])["Targets"]]
                   for r in rules}
        return Failure(expected="3 runs in 3 days (at least one a day, at most one an hour)",
                       got=f"{len(fired)} run(s); the rules: "
                           f"{show({r['Name']: r.get('ScheduleExpression') for r in rules}) if rules else 'none'}, "
                           f"their targets: {show(targets)}",
                       hint='events.put_rule(Name=..., ScheduleExpression="rate(1 day)" or "cron(0 3 * * ? *)") '
                            "creates the rule; events.put_targets(Rule=..., Targets=[{\"Id\": ..., \"Arn\": "
                            "function_arn}]) makes the function its target.")
    if any(not isinstance(time, str) for time in fired):
        return Failure(expected="the function to receive the scheduled event (with its \"time\")",
                       got=f"events without a time: {show(fired)}",
                       hint="Leave out Input, InputPath and InputTransformer from the target: the function reads "
                            "the event's time.")
    if rule_arn not in {r["Arn"] for r in rules}:
        return Failure(expected="schedule() to return the rule's ARN", got=f"it returned {rule_arn!r}",
                       hint="put_rule answers {\"RuleArn\": ...}: return it (allow_eventbridge needs it).")


@check("lets EventBridge invoke the function, for that rule only", points=2)
def eventbridge_permission(lab):
    function_arn = lab.client("lambda").get_function_configuration(
        FunctionName=lab.deploy(FUNCTION, {"lambda_function.py": _PROBE}))["FunctionArn"]
    events = lab.client("events")
    events.put_rule(Name=RULE, ScheduleExpression="rate(1 day)")
    events.put_targets(Rule=RULE, Targets=[{"Id": "grader", "Arn": function_arn}])
    lab.call(lab.module("deploy.py").allow_eventbridge, lab.client("lambda"), _rule_arn(lab),
             what="deploy.allow_eventbridge(lambda_client, rule_arn)")
    lab.aws.advance(hours=24, minutes=1)
    if len(_fired(lab)) != 1:
        return Failure(expected="the rule's daily run to invoke the function",
                       got="no invocation: EventBridge was not allowed to invoke it",
                       hint="lambda_client.add_permission(FunctionName=..., StatementId=..., "
                            "Action=\"lambda:InvokeFunction\", Principal=\"events.amazonaws.com\", "
                            "SourceArn=rule_arn).")
    policy = json.loads(lab.client("lambda").get_policy(FunctionName=FUNCTION)["Policy"])
    conditions = [json.dumps(s.get("Condition") or {}) for s in policy["Statement"]
                  if "events.amazonaws.com" in json.dumps(s.get("Principal"))]
    if not any(_rule_arn(lab) in condition for condition in conditions):
        return Failure(expected=f"the permission limited to the rule (SourceArn {_rule_arn(lab)})",
                       got="a permission for any rule", hint="Pass SourceArn=rule_arn to add_permission: without it "
                                                             "any rule in the account could invoke the function.")


@check("end to end: daily runs keep the table free of sessions over 30 days old", points=2)
def end_to_end(lab):
    lab.call(lab.module("deploy.py").main, what="deploy.main()")
    ages = {"a-45-days": 45 * DAY, "a-35-days": 35 * DAY, "a-20-days": 20 * DAY, "a-10-days": 10 * DAY,
            "new": 0}
    _seed(lab, ages)
    _not_too_often(lab)
    days = 0
    for wait, gone in ((1, {"a-45-days", "a-35-days"}), (13, {"a-45-days", "a-35-days", "a-20-days"})):
        lab.aws.advance(hours=24 * wait - (2 if days == 0 else 0), minutes=1)
        days += wait
        failed = [r for r in lab.aws.invocations if r.function_name == FUNCTION and r.error_type]
        if failed:
            return Failure(expected="the scheduled runs to succeed", got=describe_invocation_error(failed[0]),
                           hint="AccessDenied means deploy.py's role does not allow a call the function makes.")
        remaining = _remaining(lab)
        if remaining != set(ages) - gone:
            return Failure(expected=f"{days} day(s) after seeding, only {show(sorted(set(ages) - gone))} left",
                           got=f"{show(sorted(remaining))} left after {_runs(lab)} run(s)",
                           hint="Make the checks above pass first: each one tries one part of this.")
