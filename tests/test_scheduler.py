"""EventBridge Scheduler schedules invoke functions on the virtual clock (issue 21 item 5), held to the Scheduler user
guide: schedule types, templated Lambda targets, retry policy and dead-letter queue."""

import json
from datetime import datetime, timezone

import boto3
import pytest

ACCOUNT = "123456789012"
START = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()  # the `aws` fixture's virtual start

# A published-handler style function: it logs the event it got, as the Scheduler guide's examples do.
RECORDER = """
import json


def handler(event, context):
    print("EVENT " + json.dumps(event))
    return {"ok": True}
"""


def _role(actions=("lambda:InvokeFunction",), name="scheduler-role"):
    iam = boto3.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="target", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}))
    return arn


def _events(aws, name="recorder"):
    return [json.loads(line.split("EVENT ", 1)[1]) for record in aws.invocations if record.function_name == name
            for line in record.log.splitlines() if "EVENT " in line]


def _schedule(name, expression, target, **extra):
    return boto3.client("scheduler").create_schedule(
        Name=name, ScheduleExpression=expression, FlexibleTimeWindow={"Mode": "OFF"}, Target=target, **extra)


def test_a_rate_schedule_invokes_the_function_with_the_default_notification(aws, create):
    create("recorder", RECORDER)
    function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:recorder"
    schedule_arn = _schedule("every-5", "rate(5 minutes)", {"Arn": function_arn, "RoleArn": _role()})["ScheduleArn"]
    assert _events(aws) == []  # nothing before the clock moves
    aws.advance(minutes=11)
    received = _events(aws)
    assert len(received) == 3  # at once, then 5 and 10 minutes later
    first = received[0]
    assert first["source"] == "aws.scheduler" and first["detail-type"] == "Scheduled Event"
    assert first["resources"] == [schedule_arn] and first["detail"] == "{}"
    assert [e["time"] for e in received] == ["2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z", "2026-01-01T00:10:00Z"]
    assert all(r.invocation_type == "Event" for r in aws.invocations)


def test_input_with_context_attributes_and_cron_in_a_time_zone(aws, create):
    create("recorder", RECORDER)
    target = {"Arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:recorder", "RoleArn": _role(),
              "Input": json.dumps({"job": "report", "arn": "<aws.scheduler.schedule-arn>",
                                   "at": "<aws.scheduler.scheduled-time>",
                                   "attempt": "<aws.scheduler.attempt-number>"})}
    arn = _schedule("nightly", "cron(30 2 * * ? *)", target, ScheduleExpressionTimezone="Europe/Paris")["ScheduleArn"]
    aws.advance(hours=26)
    received = _events(aws)
    # 02:30 in Paris is 01:30 UTC in January
    assert received == [{"job": "report", "arn": arn, "at": "2026-01-01T01:30:00Z", "attempt": "1"},
                        {"job": "report", "arn": arn, "at": "2026-01-02T01:30:00Z", "attempt": "1"}]


def test_a_one_time_schedule_runs_once_and_deletes_itself(aws, create):
    create("recorder", RECORDER)
    target = {"Arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:recorder", "RoleArn": _role(), "Input": "{}"}
    _schedule("once", "at(2026-01-01T03:00:00)", target, ActionAfterCompletion="DELETE")
    aws.advance(hours=2)
    assert _events(aws) == []
    aws.advance(hours=2)
    assert _events(aws) == [{}]
    assert boto3.client("scheduler").list_schedules()["Schedules"] == []


def test_disabled_updated_and_deleted_schedules(aws, create):
    create("recorder", RECORDER)
    scheduler = boto3.client("scheduler")
    target = {"Arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:recorder", "RoleArn": _role(), "Input": "{}"}
    _schedule("hourly", "rate(1 hour)", target, State="DISABLED")
    aws.advance(hours=3)
    assert _events(aws) == []
    scheduler.update_schedule(Name="hourly", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
                              Target=target, State="ENABLED")
    aws.advance(minutes=90)
    assert len(_events(aws)) == 2
    scheduler.delete_schedule(Name="hourly")
    aws.advance(hours=5)
    assert len(_events(aws)) == 2


def _dlq():
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="scheduler-dlq")["QueueUrl"]
    return url, f"arn:aws:sqs:us-east-1:{ACCOUNT}:scheduler-dlq"


def _dead_letters(url):
    messages = boto3.client("sqs").receive_message(QueueUrl=url, MessageAttributeNames=["All"],
                                                   MaxNumberOfMessages=10).get("Messages", [])
    return [(m["Body"], {k: v["StringValue"] for k, v in m["MessageAttributes"].items()}) for m in messages]


def test_a_role_that_may_not_invoke_sends_the_event_to_the_dead_letter_queue_without_retrying(aws, create):
    create("recorder", RECORDER)
    url, queue_arn = _dlq()
    function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:recorder"
    target = {"Arn": function_arn, "RoleArn": _role(actions=("sqs:SendMessage",)), "Input": '{"n": 1}',
              "DeadLetterConfig": {"Arn": queue_arn}, "RetryPolicy": {"MaximumRetryAttempts": 3,
                                                                      "MaximumEventAgeInSeconds": 3600}}
    arn = _schedule("denied", "at(2026-01-01T00:10:00)", target)["ScheduleArn"]
    aws.advance(minutes=30)
    assert _events(aws) == []
    [(body, attributes)] = _dead_letters(url)
    assert body == '{"n": 1}'
    assert attributes["ERROR_CODE"] == "AccessDeniedException"
    assert "is not authorized to perform: lambda:InvokeFunction on resource: " + function_arn in attributes[
        "ERROR_MESSAGE"]
    assert attributes["RETRY_ATTEMPTS"] == "0" and "EXHAUSTED_RETRY_CONDITION" not in attributes
    assert (attributes["SCHEDULE_ARN"], attributes["TARGET_ARN"]) == (arn, function_arn)
    assert attributes["SCHEDULED_TIME"] == "2026-01-01T00:10:00Z"
    assert set(attributes) >= {"EXECUTION_ID", "IS_PAYLOAD_TRUNCATED"}


def test_a_missing_function_is_a_dead_letter_too(aws, create):
    url, queue_arn = _dlq()
    target = {"Arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:gone", "RoleArn": _role(
        actions=("lambda:InvokeFunction", "sqs:SendMessage")), "DeadLetterConfig": {"Arn": queue_arn}}
    _schedule("orphan", "rate(1 day)", target)
    aws.advance(minutes=1)
    [(body, attributes)] = _dead_letters(url)
    assert attributes["ERROR_CODE"] == "ResourceNotFoundException"
    assert json.loads(body)["source"] == "aws.scheduler"  # the default notification it would have sent


@pytest.mark.parametrize("policy, condition, attempts", [
    ({"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 86400}, "MaximumRetryAttempts", 3),
    ({"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 100}, "MaximumEventAgeInSeconds", 2),
])
def test_throttled_invocations_are_retried_within_the_retry_policy(aws, create, monkeypatch, policy, condition,
                                                                     attempts):
    """Lambda accepts asynchronous invokes even when the function is throttled, so a throttle of the Invoke call
    itself is injected here to drive Scheduler's retry policy."""
    from lambda_local.runtime.errors import ServiceError

    create("recorder", RECORDER)
    url, queue_arn = _dlq()
    calls = []

    def throttled(*args, **kwargs):
        calls.append(aws.clock.time())
        raise ServiceError("TooManyRequestsException", "Rate Exceeded.", 429)

    monkeypatch.setattr(aws, "queue_event", throttled)
    target = {"Arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:recorder", "Input": "{}",
              "RoleArn": _role(actions=("lambda:InvokeFunction", "sqs:SendMessage")),
              "DeadLetterConfig": {"Arn": queue_arn}, "RetryPolicy": policy}
    _schedule("busy", "at(2026-01-01T00:00:00)", target)
    aws.advance(hours=3)
    assert len(calls) == attempts
    assert [c - calls[0] for c in calls] == [0, 60, 180][:attempts]  # exponential backoff
    [(_, attributes)] = _dead_letters(url)
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == condition
    assert attributes["RETRY_ATTEMPTS"] == str(attempts - 1) and attributes["ERROR_CODE"] == "TooManyRequestsException"
