"""Asynchronous retries keep the request id of the first attempt, as AWS does: logs, DLQ and destination agree."""

import json

import boto3

from test_triggers import FAILING


def test_every_attempt_the_dlq_and_the_destination_share_the_first_attempts_request_id(aws, create):
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    failures = sqs.create_queue(QueueName="failures")["QueueUrl"]
    create("flaky", FAILING, DeadLetterConfig={"TargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq"})
    client = boto3.client("lambda")
    client.put_function_event_invoke_config(FunctionName="flaky", DestinationConfig={
        "OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:failures"}})
    client.invoke(FunctionName="flaky", InvocationType="Event", Payload=b'{"order": 1}')
    client.invoke(FunctionName="flaky", InvocationType="Event", Payload=b'{"order": 2}')
    aws.advance(minutes=5)

    attempts = [r for r in aws.invocations if r.function_name == "flaky"]
    assert len(attempts) == 6
    ids = sorted({r.request_id for r in attempts})
    assert len(ids) == 2  # one id per request, kept by both of its retries

    log_events = boto3.client("logs").filter_log_events(logGroupName="/aws/lambda/flaky")["events"]
    starts = [e["message"].split()[2] for e in log_events if e["message"].startswith("START RequestId:")]
    assert sorted(starts) == sorted([ids[0]] * 3 + [ids[1]] * 3)

    dead = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"], MaxNumberOfMessages=10)["Messages"]
    dlq_ids = {json.loads(m["Body"])["order"]: m["MessageAttributes"]["RequestID"]["StringValue"] for m in dead}
    destination_ids = {record["requestPayload"]["order"]: record["requestContext"]["requestId"] for record in
                       (json.loads(m["Body"]) for m in
                        sqs.receive_message(QueueUrl=failures, MaxNumberOfMessages=10)["Messages"])}
    for event in aws.async_queue.events:
        order = json.loads(event.payload)["order"]
        assert {record.request_id for record in event.history} == {dlq_ids[order]} == {destination_ids[order]}
