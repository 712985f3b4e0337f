"""EventBridge Scheduler targets other than Lambda (issue 21 item 5): templated targets (SQS with FIFO message groups,
SNS, EventBridge PutEvents, Step Functions, Kinesis) and universal targets, called with the schedule's execution role
scoped as the Scheduler user guide scopes it, and their failures through the same retry policy and dead-letter queue
as Lambda targets."""

import json

import boto3
import pytest

ACCOUNT = "123456789012"
REGION = "us-east-1"


def _role(statements, name="scheduler-role"):
    """An execution role Scheduler may assume, allowed exactly ``statements`` [(actions, resource), ...]."""
    iam = boto3.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="target", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}
                      for actions, resource in statements]}))
    return arn


def _schedule(name, target, expression="at(2026-01-01T00:10:00)"):
    return boto3.client("scheduler").create_schedule(
        Name=name, ScheduleExpression=expression, FlexibleTimeWindow={"Mode": "OFF"}, Target=target)["ScheduleArn"]


def _queue(name, **attributes):
    url = boto3.client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def _messages(url, attribute_names=()):
    return boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                               AttributeNames=list(attribute_names)).get("Messages", [])


def _dead_letters(url):
    return [(m["Body"], {k: v["StringValue"] for k, v in m["MessageAttributes"].items()}) for m in _messages(url)]


def test_an_sqs_fifo_queue_gets_the_input_in_its_message_group(aws):
    url, arn = _queue("jobs.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    role = _role([(["sqs:SendMessage"], arn)])
    schedule = _schedule("enqueue", {"Arn": arn, "RoleArn": role, "SqsParameters": {"MessageGroupId": "nightly"},
                                     "Input": json.dumps({"job": "report", "from": "<aws.scheduler.schedule-arn>"})})
    aws.advance(minutes=9)
    assert _messages(url) == []
    aws.advance(minutes=1)
    [message] = _messages(url, ["MessageGroupId"])
    assert json.loads(message["Body"]) == {"job": "report", "from": schedule}
    assert message["Attributes"]["MessageGroupId"] == "nightly"


def test_an_sns_topic_gets_the_default_notification(aws):
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    url, queue_arn = _queue("alerts-copy")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    schedule = _schedule("ping", {"Arn": topic, "RoleArn": _role([(["sns:Publish"], topic)])})
    aws.advance(minutes=10)
    [message] = _messages(url)
    event = json.loads(message["Body"])  # no Input: Scheduler's default notification
    assert event["source"] == "aws.scheduler" and event["resources"] == [schedule]
    assert event["time"] == "2026-01-01T00:10:00Z"


def test_an_event_bus_gets_an_event_with_the_source_and_detail_type_of_the_parameters(aws):
    events = boto3.client("events")
    bus = events.create_event_bus(Name="orders")["EventBusArn"]
    url, queue_arn = _queue("order-events")
    events.put_rule(Name="nightly", EventBusName="orders", EventPattern=json.dumps({"source": ["com.example.batch"]}))
    events.put_targets(Rule="nightly", EventBusName="orders", Targets=[{"Id": "q", "Arn": queue_arn}])
    _schedule("emit", {"Arn": bus, "RoleArn": _role([(["events:PutEvents"], bus)]), "Input": '{"run": 1}',
                       "EventBridgeParameters": {"Source": "com.example.batch", "DetailType": "Nightly run"}})
    aws.advance(minutes=10)
    [message] = _messages(url)
    event = json.loads(message["Body"])
    assert (event["source"], event["detail-type"], event["detail"]) == ("com.example.batch", "Nightly run",
                                                                         {"run": 1})


def test_a_state_machine_starts_an_execution_with_the_input(aws):
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="cleanup", roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}))["stateMachineArn"]
    _schedule("clean", {"Arn": machine, "RoleArn": _role([(["states:StartExecution"], machine)]),
                        "Input": '{"older_than_days": 30}'})
    aws.advance(minutes=10)
    [execution] = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"]) == {
        "older_than_days": 30}


def test_a_kinesis_stream_gets_a_record_with_the_partition_key(aws):
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="ticks", ShardCount=1)
    stream = kinesis.describe_stream(StreamName="ticks")["StreamDescription"]
    _schedule("tick", {"Arn": stream["StreamARN"], "RoleArn": _role([(["kinesis:PutRecord"], stream["StreamARN"])]),
                       "Input": '{"tick": true}', "KinesisParameters": {"PartitionKey": "clock"}})
    aws.advance(minutes=10)
    iterator = kinesis.get_shard_iterator(StreamName="ticks", ShardId=stream["Shards"][0]["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    [record] = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert (record["Data"], record["PartitionKey"]) == (b'{"tick": true}', "clock")


def test_a_firehose_stream_gets_the_input_as_a_record(aws):
    boto3.client("s3").create_bucket(Bucket="archive")
    destination = {"RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose", "BucketARN": "arn:aws:s3:::archive"}
    stream = boto3.client("firehose").create_delivery_stream(
        DeliveryStreamName="heartbeats", ExtendedS3DestinationConfiguration=destination)["DeliveryStreamARN"]
    _schedule("beat", {"Arn": stream, "RoleArn": _role([(["firehose:PutRecord"], stream)]), "Input": "beat\n"})
    aws.advance(minutes=10)
    s3 = boto3.client("s3")
    [key] = [o["Key"] for o in s3.list_objects_v2(Bucket="archive")["Contents"]]
    assert s3.get_object(Bucket="archive", Key=key)["Body"].read() == b"beat\n"


def test_a_role_scoped_to_another_queue_is_refused_and_the_event_is_dead_lettered_without_retries(aws):
    url, arn = _queue("work")
    dlq_url, dlq_arn = _queue("scheduler-dlq")
    role = _role([(["sqs:SendMessage"], dlq_arn)])  # may write to its DLQ, not to the target
    schedule = _schedule("denied", {"Arn": arn, "RoleArn": role, "Input": "hello",
                                    "DeadLetterConfig": {"Arn": dlq_arn},
                                    "RetryPolicy": {"MaximumRetryAttempts": 5, "MaximumEventAgeInSeconds": 3600}})
    aws.advance(hours=2)
    assert _messages(url) == []
    [(body, attributes)] = _dead_letters(dlq_url)
    assert body == "hello"
    assert attributes["ERROR_CODE"] == "AccessDenied"  # SQS's own code for a refused call
    assert (f"assumed-role/scheduler-role/denied is not authorized to perform: sqs:SendMessage on resource: {arn}"
            in attributes["ERROR_MESSAGE"])
    assert attributes["RETRY_ATTEMPTS"] == "0" and "EXHAUSTED_RETRY_CONDITION" not in attributes
    assert (attributes["SCHEDULE_ARN"], attributes["TARGET_ARN"]) == (schedule, arn)


def test_a_throttled_target_is_retried_within_the_retry_policy_as_a_lambda_target_is(aws, monkeypatch):
    """Services in moto never throttle, so the target's answer is injected; the retries and the dead letter are the
    scheduler's one path for every target."""
    from lambda_local.runtime.errors import ServiceError
    from lambda_local.triggers import scheduler

    calls = []

    def throttled(*args, **kwargs):
        calls.append(aws.clock.time())
        raise ServiceError("ProvisionedThroughputExceededException", "Rate exceeded for shard", 400)

    monkeypatch.setattr(scheduler, "make_call", throttled)
    dlq_url, dlq_arn = _queue("scheduler-dlq")
    stream = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/ticks"
    _schedule("busy", {"Arn": stream, "RoleArn": _role([(["kinesis:PutRecord"], stream),
                                                        (["sqs:SendMessage"], dlq_arn)]),
                       "KinesisParameters": {"PartitionKey": "k"}, "DeadLetterConfig": {"Arn": dlq_arn},
                       "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 86400}})
    aws.advance(hours=1)
    assert [c - calls[0] for c in calls] == [0, 60, 180]
    [(_, attributes)] = _dead_letters(dlq_url)
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert attributes["ERROR_CODE"] == "ProvisionedThroughputExceededException" and attributes["RETRY_ATTEMPTS"] == "2"


def test_universal_targets_call_the_action_with_the_input_as_its_parameters(aws):
    dynamodb = boto3.client("dynamodb")
    table = dynamodb.create_table(TableName="runs", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                  AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                  BillingMode="PAY_PER_REQUEST")["TableDescription"]["TableArn"]
    role = _role([(["dynamodb:PutItem"], table), (["sqs:CreateQueue"], f"arn:aws:sqs:{REGION}:{ACCOUNT}:*")])
    _schedule("record-run", {"Arn": "arn:aws:scheduler:::aws-sdk:dynamodb:putItem", "RoleArn": role,
                             "Input": json.dumps({"TableName": "runs", "Item": {
                                 "id": {"S": "<aws.scheduler.execution-id>"},
                                 "at": {"S": "<aws.scheduler.scheduled-time>"}}})})
    _schedule("make-queue", {"Arn": "arn:aws:scheduler:::aws-sdk:sqs:createQueue", "RoleArn": role,
                             "Input": json.dumps({"QueueName": "made-by-scheduler"})})
    aws.advance(minutes=10)
    [item] = dynamodb.scan(TableName="runs")["Items"]
    assert item["at"] == {"S": "2026-01-01T00:10:00Z"} and len(item["id"]["S"]) == 36
    assert boto3.client("sqs").get_queue_url(QueueName="made-by-scheduler")["QueueUrl"].endswith("/made-by-scheduler")


@pytest.mark.parametrize("arn, words", [
    ("arn:aws:scheduler:::aws-sdk:sqs:receiveMessage", "Read-only API action receiveMessage"),
    ("arn:aws:scheduler:::aws-sdk:dynamodb:getItem", "Read-only"),
    ("arn:aws:scheduler:::aws-sdk:sqs:sendMesage", "sendMesage is not an API action of sqs"),
    ("arn:aws:scheduler:::aws-sdk:nosuchservice:doThing", "nosuchservice is not a supported service for a target"),
    ("arn:aws:scheduler:::aws-sdk:sqs", "Invalid universal target ARN"),
])
def test_universal_targets_scheduler_does_not_support_are_refused_at_creation(aws, arn, words):
    from botocore.exceptions import ClientError

    role = _role([(["sqs:*"], "*")])
    with pytest.raises(ClientError) as refused:
        _schedule("reader", {"Arn": arn, "RoleArn": role, "Input": "{}"})
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert words in refused.value.response["Error"]["Message"]
    assert boto3.client("scheduler").list_schedules()["Schedules"] == []


@pytest.mark.parametrize("arn, input_, code, words", [
    ("arn:aws:scheduler:::aws-sdk:dynamodb:putItem", '{"TableName": "runs", "Item": {"id": {"S": "1"}}}',
     "AccessDeniedException", "dynamodb:PutItem"),  # the role may not: DynamoDB's own code
    ("arn:aws:scheduler:::aws-sdk:sqs:sendMessage", '{"MessageBody": "no queue"}', "ValidationException",
     "QueueUrl"),  # the parameters the action requires
    ("arn:aws:scheduler:::aws-sdk:sqs:sendMessage", '["not", "an", "object"]', "ValidationException",
     "JSON object"),
])
def test_universal_targets_that_cannot_run_are_dead_lettered_with_the_reason(aws, arn, input_, code, words):
    dlq_url, dlq_arn = _queue("scheduler-dlq")
    role = _role([(["sqs:SendMessage", "sqs:ReceiveMessage"], "*")])
    _schedule("broken", {"Arn": arn, "RoleArn": role, "Input": input_, "DeadLetterConfig": {"Arn": dlq_arn}})
    aws.advance(minutes=10)
    [(body, attributes)] = _dead_letters(dlq_url)
    assert body == input_ and attributes["ERROR_CODE"] == code and words in attributes["ERROR_MESSAGE"]
    assert attributes["RETRY_ATTEMPTS"] == "0"
