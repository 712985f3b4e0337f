"""EventBridge rules deliver to SNS topics (and never raise to the caller of PutEvents for a target they cannot
reach: AWS delivers after answering, and counts failures in the rule's FailedInvocations metric)."""

import json
from datetime import datetime, timedelta, timezone

import boto3


def _topic_to_queue(policy_for_eventbridge: bool):
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    if policy_for_eventbridge:
        sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": topic,
                                                    "Principal": {"Service": "events.amazonaws.com"}}]}))
    url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue, Attributes={"RawMessageDelivery": "true"})
    return topic, url


def _rule(target_arn, **target):
    events = boto3.client("events")
    events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="orders", Targets=[{"Id": "t", "Arn": target_arn, **target}])
    return events


def _failed_invocations(aws):
    now = datetime.fromtimestamp(aws.clock.time(), timezone.utc)
    points = boto3.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Events", MetricName="FailedInvocations", Dimensions=[{"Name": "RuleName", "Value": "orders"}],
        StartTime=now - timedelta(hours=1), EndTime=now + timedelta(hours=1), Period=3600, Statistics=["Sum"])
    return sum(p["Sum"] for p in points["Datapoints"])


def _put(events):
    response = events.put_events(Entries=[{"Source": "shop", "DetailType": "Order Placed",
                                           "Detail": json.dumps({"id": 7})}])
    assert response["FailedEntryCount"] == 0


def test_an_sns_target_receives_the_event(aws):
    topic, url = _topic_to_queue(policy_for_eventbridge=True)
    _put(_rule(topic))
    (message,) = boto3.client("sqs").receive_message(QueueUrl=url)["Messages"]
    event = json.loads(message["Body"])
    assert (event["source"], event["detail-type"], event["detail"]) == ("shop", "Order Placed", {"id": 7})
    assert _failed_invocations(aws) == 0


def test_input_transformer_applies_to_sns_targets(aws):
    topic, url = _topic_to_queue(policy_for_eventbridge=True)
    _put(_rule(topic, InputTransformer={"InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": '{"order": <id>}'}))
    (message,) = boto3.client("sqs").receive_message(QueueUrl=url)["Messages"]
    assert json.loads(message["Body"]) == {"order": 7}


def test_a_topic_that_does_not_let_eventbridge_publish_gets_nothing(aws):
    topic, url = _topic_to_queue(policy_for_eventbridge=False)  # the default topic policy: account principals
    _put(_rule(topic))
    assert boto3.client("sqs").receive_message(QueueUrl=url).get("Messages", []) == []
    assert _failed_invocations(aws) == 1


def test_a_target_that_cannot_be_reached_here_fails_quietly_as_a_failed_invocation(aws):
    boto3.client("kinesis").create_stream(StreamName="s", ShardCount=1)
    _put(_rule("arn:aws:kinesis:us-east-1:123456789012:stream/s", RoleArn="arn:aws:iam::123456789012:role/r"))
    assert _failed_invocations(aws) == 1
