"""Event sources through boto3, wired as a learner wires them: S3, SQS, SNS, EventBridge and async invocation."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError


RECORDER = """
import json
def handler(event, context):
    print(json.dumps(event))
    return {"ok": True}
"""
FAILING = """
def handler(event, context):
    raise RuntimeError("always fails")
"""


def arn_of(name):
    return f"arn:aws:lambda:us-east-1:123456789012:function:{name}"


def events_of(aws, name):
    return [json.loads(r.log.split("\n")[1]) if not r.cold_start else _first_json(r.log)
            for r in aws.invocations if r.function_name == name]


def _first_json(log):
    return next(json.loads(line) for line in log.splitlines() if line.startswith("{"))


def payloads(aws, name):
    return [_first_json(r.log) for r in aws.invocations if r.function_name == name and "{" in r.log]


# --- S3 ---------------------------------------------------------------------------------------------------------
def allow_s3(function, bucket):
    boto3.client("lambda").add_permission(FunctionName=function, StatementId="s3", Action="lambda:InvokeFunction",
                                          Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{bucket}")


def test_s3_refuses_a_notification_the_function_does_not_permit(aws, create):
    create("guarded", RECORDER)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="guarded-bucket")
    config = {"LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn_of("guarded"),
                                                "Events": ["s3:ObjectCreated:*"]}]}
    with pytest.raises(ClientError) as raised:
        s3.put_bucket_notification_configuration(Bucket="guarded-bucket", NotificationConfiguration=config)
    assert raised.value.response["Error"]["Code"] == "InvalidArgument"
    assert raised.value.response["Error"]["Message"] == "Unable to validate the following destination configurations"
    allow_s3("guarded", "guarded-bucket")
    s3.put_bucket_notification_configuration(Bucket="guarded-bucket", NotificationConfiguration=config)


def test_s3_upload_invokes_the_function_with_the_full_record(aws, create):
    create("on-upload", RECORDER)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="uploads")
    allow_s3("on-upload", "uploads")
    s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"Id": "incoming", "LambdaFunctionArn": arn_of("on-upload"),
                                          "Events": ["s3:ObjectCreated:*"],
                                          "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"},
                                                                             {"Name": "suffix", "Value": ".txt"}]}}}]})
    s3.put_object(Bucket="uploads", Key="in/my report.txt", Body=b"hello")
    s3.put_object(Bucket="uploads", Key="out/ignored.txt", Body=b"x")
    s3.put_object(Bucket="uploads", Key="in/ignored.csv", Body=b"x")
    [event] = payloads(aws, "on-upload")  # ran before put_object returned; filters applied
    record = event["Records"][0]
    assert record["eventVersion"] == "2.1" and record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put" and record["awsRegion"] == "us-east-1"
    assert record["eventTime"] == "2026-01-01T00:00:00.000Z"
    assert record["userIdentity"]["principalId"] and record["requestParameters"]["sourceIPAddress"]
    assert set(record["responseElements"]) == {"x-amz-request-id", "x-amz-id-2"}
    obj = record["s3"]["object"]
    assert obj["key"] == "in/my+report.txt" and obj["size"] == 5 and obj["sequencer"]
    assert obj["eTag"] == "5d41402abc4b2a76b9719d911017c592"
    assert record["s3"]["configurationId"] == "incoming"
    assert record["s3"]["bucket"] == {"name": "uploads", "arn": "arn:aws:s3:::uploads",
                                      "ownerIdentity": record["s3"]["bucket"]["ownerIdentity"]}
    assert aws.invocations[-1].invocation_type == "Event"


def test_s3_delete_notifications(aws, create):
    create("on-delete", RECORDER)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="things")
    allow_s3("on-delete", "things")
    s3.put_bucket_notification_configuration(Bucket="things", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn_of("on-delete"), "Events": ["s3:ObjectRemoved:*"]}]})
    s3.put_object(Bucket="things", Key="a.txt", Body=b"x")
    assert payloads(aws, "on-delete") == []
    s3.delete_object(Bucket="things", Key="a.txt")
    [event] = payloads(aws, "on-delete")
    assert event["Records"][0]["eventName"].startswith("ObjectRemoved:")


# --- async invocation: retries, destinations, DLQ -----------------------------------------------------------------
def test_async_failures_are_retried_twice_on_the_virtual_clock_then_sent_to_the_dlq_and_destination(aws, create):
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    failures = sqs.create_queue(QueueName="failures")["QueueUrl"]
    create("flaky", FAILING, DeadLetterConfig={"TargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq"})
    client = boto3.client("lambda")
    client.put_function_event_invoke_config(FunctionName="flaky", DestinationConfig={
        "OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:failures"}})
    assert client.get_function_configuration(FunctionName="flaky")["DeadLetterConfig"]["TargetArn"].endswith(":dlq")
    response = client.invoke(FunctionName="flaky", InvocationType="Event", Payload=b'{"order": 7}')
    assert response["StatusCode"] == 202
    assert len(aws.invocations) == 1
    aws.advance(seconds=59)
    assert len(aws.invocations) == 1
    aws.advance(seconds=1)
    assert len(aws.invocations) == 2
    aws.advance(minutes=2)
    assert len(aws.invocations) == 3
    aws.advance(hours=1)
    assert len(aws.invocations) == 3
    [dead] = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
    assert json.loads(dead["Body"]) == {"order": 7}
    assert dead["MessageAttributes"]["ErrorMessage"]["StringValue"] == "always fails"
    [failure] = sqs.receive_message(QueueUrl=failures)["Messages"]
    record = json.loads(failure["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == {"order": 7}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "always fails"


def test_async_retry_attempts_and_success_destination(aws, create):
    sqs = boto3.client("sqs")
    done = sqs.create_queue(QueueName="done")["QueueUrl"]
    create("once", FAILING)
    create("fine", RECORDER)
    client = boto3.client("lambda")
    client.put_function_event_invoke_config(FunctionName="once", MaximumRetryAttempts=0)
    client.put_function_event_invoke_config(FunctionName="fine", DestinationConfig={
        "OnSuccess": {"Destination": "arn:aws:sqs:us-east-1:123456789012:done"}})
    client.invoke(FunctionName="once", InvocationType="Event", Payload=b"{}")
    aws.advance(hours=1)
    assert len([r for r in aws.invocations if r.function_name == "once"]) == 1
    client.invoke(FunctionName="fine", InvocationType="Event", Payload=b'{"x": 1}')
    record = json.loads(sqs.receive_message(QueueUrl=done)["Messages"][0]["Body"])
    assert record["requestContext"]["condition"] == "Success" and record["responsePayload"] == {"ok": True}


def test_async_payload_limit_is_1_mb(aws, create):
    create("big", RECORDER)
    with pytest.raises(ClientError) as raised:
        boto3.client("lambda").invoke(FunctionName="big", InvocationType="Event",
                                      Payload=json.dumps({"x": "y" * (1024 * 1024)}))
    assert raised.value.response["Error"]["Code"] == "RequestTooLargeException"


# --- SQS event source mappings ------------------------------------------------------------------------------------
WORKER = """
import json
def handler(event, context):
    failed = []
    for record in event["Records"]:
        body = json.loads(record["body"])
        print(json.dumps({"id": body["id"], "receives": record["attributes"]["ApproximateReceiveCount"]}))
        if body.get("fail"):
            failed.append({"itemIdentifier": record["messageId"]})
    if failed and "raise" in event["Records"][0]["body"]:
        raise RuntimeError("batch failed")
    return {"batchItemFailures": failed}
"""


def _queue(name, **attributes):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]
    return url, f"arn:aws:sqs:us-east-1:123456789012:{name}"


def _seen(aws, name):
    return [json.loads(line) for r in aws.invocations if r.function_name == name
            for line in r.log.splitlines() if line.startswith('{"id"')]


def test_sqs_mapping_batches_records_and_deletes_on_success(aws, create):
    url, arn = _queue("jobs", VisibilityTimeout=30)
    sqs = boto3.client("sqs")
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": i}),
                         MessageAttributes={"kind": {"DataType": "String", "StringValue": "job"}})
    create("worker", WORKER, Timeout=10)
    boto3.client("lambda").create_event_source_mapping(FunctionName="worker", EventSourceArn=arn, BatchSize=10)
    assert len(aws.invocations) == 1 and [s["id"] for s in _seen(aws, "worker")] == [0, 1, 2]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": 3}))
    assert len(aws.invocations) == 2  # polled at once (no batching window)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    counts = attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]
    assert counts == ("0", "0")


def test_sqs_record_shape(aws, create):
    url, arn = _queue("shape")
    create("shape", RECORDER)
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody="hello",
                                     MessageAttributes={"kind": {"DataType": "String", "StringValue": "job"}})
    boto3.client("lambda").create_event_source_mapping(FunctionName="shape", EventSourceArn=arn)
    record = payloads(aws, "shape")[0]["Records"][0]
    assert record["body"] == "hello" and record["md5OfBody"] == "5d41402abc4b2a76b9719d911017c592"
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == arn
    attributes = record["attributes"]
    assert attributes["ApproximateReceiveCount"] == "1"
    assert attributes["SentTimestamp"] == str(int(aws.clock.time() * 1000))
    assert set(attributes) >= {"SenderId", "ApproximateFirstReceiveTimestamp"}
    assert record["messageAttributes"]["kind"]["stringValue"] == "job"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"


def test_sqs_failed_batch_reappears_after_the_visibility_timeout_then_goes_to_the_dlq(aws, create):
    _, dlq_arn = _queue("jobs-dlq")
    url, arn = _queue("jobs", VisibilityTimeout=30,
                      RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}))
    create("worker", WORKER)
    boto3.client("lambda").create_event_source_mapping(FunctionName="worker", EventSourceArn=arn)
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps({"id": 1, "fail": True, "raise": 1}))
    assert [s["receives"] for s in _seen(aws, "worker")] == ["1"]
    aws.advance(seconds=29)
    assert len(_seen(aws, "worker")) == 1
    aws.advance(seconds=2)
    assert [s["receives"] for s in _seen(aws, "worker")] == ["1", "2"]
    aws.advance(minutes=5)
    assert len(_seen(aws, "worker")) == 2  # moved to the DLQ after maxReceiveCount receives
    dlq_url = boto3.client("sqs").get_queue_url(QueueName="jobs-dlq")["QueueUrl"]
    [moved] = boto3.client("sqs").receive_message(QueueUrl=dlq_url)["Messages"]
    assert json.loads(moved["Body"])["id"] == 1


def test_sqs_partial_batch_failures_keep_only_the_reported_messages(aws, create):
    url, arn = _queue("partial", VisibilityTimeout=10)
    sqs = boto3.client("sqs")
    for i in range(4):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": i, "fail": i == 2}))
    create("worker", WORKER)
    boto3.client("lambda").create_event_source_mapping(FunctionName="worker", EventSourceArn=arn,
                                                       FunctionResponseTypes=["ReportBatchItemFailures"])
    assert sorted(s["id"] for s in _seen(aws, "worker")) == [0, 1, 2, 3]
    aws.advance(seconds=11)
    assert [s for s in _seen(aws, "worker")][-1] == {"id": 2, "receives": "2"}
    assert len(_seen(aws, "worker")) == 5


def test_sqs_mapping_disabled_batching_window_and_deleted(aws, create):
    url, arn = _queue("later")
    sqs = boto3.client("sqs")
    create("worker", WORKER)
    client = boto3.client("lambda")
    uuid = client.create_event_source_mapping(FunctionName="worker", EventSourceArn=arn, BatchSize=10,
                                              MaximumBatchingWindowInSeconds=5, Enabled=False)["UUID"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": 1}))
    assert aws.invocations == []
    client.update_event_source_mapping(UUID=uuid, Enabled=True)
    assert len(aws.invocations) == 1
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": 2}))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": 3}))
    assert len(aws.invocations) == 1  # waiting for the 5-second batching window
    aws.advance(seconds=5)
    assert len(aws.invocations) == 2 and [s["id"] for s in _seen(aws, "worker")][-2:] == [2, 3]
    client.delete_event_source_mapping(UUID=uuid)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": 4}))
    aws.advance(seconds=10)
    assert len(aws.invocations) == 2


# --- SNS --------------------------------------------------------------------------------------------------------
def allow(function, service):
    boto3.client("lambda").add_permission(FunctionName=function, StatementId=service.split(".")[0],
                                          Action="lambda:InvokeFunction", Principal=service)


def test_sns_and_eventbridge_deliver_nothing_without_the_functions_permission(aws, create):
    create("closed", RECORDER)
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="quiet")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn_of("closed"))
    sns.publish(TopicArn=topic, Message="lost")
    events = boto3.client("events")
    events.put_rule(Name="quiet", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="quiet", Targets=[{"Id": "1", "Arn": arn_of("closed")}])
    events.put_events(Entries=[{"Source": "shop", "DetailType": "x", "Detail": "{}"}])
    assert aws.invocations == []  # on AWS these deliveries fail: neither service may invoke the function
    allow("closed", "sns.amazonaws.com")
    sns.publish(TopicArn=topic, Message="delivered")
    assert len(aws.invocations) == 1


def test_sns_delivers_real_records_and_applies_filter_policies(aws, create):
    create("subscriber", RECORDER)
    allow("subscriber", "sns.amazonaws.com")
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    subscription = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn_of("subscriber"),
                                 Attributes={"FilterPolicy": json.dumps({"kind": ["paid"]})})["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message="ignored",
                MessageAttributes={"kind": {"DataType": "String", "StringValue": "draft"}})
    message_id = sns.publish(TopicArn=topic, Message="order 7 paid", Subject="Paid",
                             MessageAttributes={"kind": {"DataType": "String", "StringValue": "paid"}})["MessageId"]
    [event] = payloads(aws, "subscriber")
    record = event["Records"][0]
    assert record["EventSource"] == "aws:sns" and record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == subscription
    body = record["Sns"]
    assert body["TopicArn"] == topic and body["MessageId"] == message_id and body["Message"] == "order 7 paid"
    assert body["Subject"] == "Paid" and body["Type"] == "Notification"
    assert body["MessageAttributes"] == {"kind": {"Type": "String", "Value": "paid"}}
    assert body["Timestamp"] == "2026-01-01T00:00:00.000Z"


# --- EventBridge ------------------------------------------------------------------------------------------------
def test_eventbridge_rules_match_put_events_and_honour_input_path(aws, create):
    create("orders", RECORDER)
    create("details", RECORDER)
    allow("orders", "events.amazonaws.com")
    allow("details", "events.amazonaws.com")
    events = boto3.client("events")
    events.put_rule(Name="paid", EventPattern=json.dumps({"source": ["shop"], "detail-type": ["OrderPaid"]}))
    events.put_targets(Rule="paid", Targets=[{"Id": "1", "Arn": arn_of("orders")},
                                             {"Id": "2", "Arn": arn_of("details"), "InputPath": "$.detail"}])
    events.put_events(Entries=[{"Source": "shop", "DetailType": "OrderPaid", "Detail": json.dumps({"id": 7})},
                               {"Source": "shop", "DetailType": "OrderDrafted", "Detail": "{}"}])
    [event] = payloads(aws, "orders")
    assert event["source"] == "shop" and event["detail-type"] == "OrderPaid" and event["detail"] == {"id": 7}
    assert event["version"] == "0" and event["account"] == "123456789012" and event["time"] == "2026-01-01T00:00:00Z"
    assert payloads(aws, "details") == [{"id": 7}]


def test_schedule_rate_fires_on_the_virtual_clock(aws, create):
    create("tick", RECORDER)
    allow("tick", "events.amazonaws.com")
    events = boto3.client("events")
    rule = events.put_rule(Name="every-5", ScheduleExpression="rate(5 minutes)")["RuleArn"]
    events.put_targets(Rule="every-5", Targets=[{"Id": "1", "Arn": arn_of("tick")}])
    aws.advance(minutes=60)
    fired = payloads(aws, "tick")
    assert len(fired) == 12
    assert fired[0]["detail-type"] == "Scheduled Event" and fired[0]["source"] == "aws.events"
    assert fired[0]["resources"] == [rule] and fired[0]["detail"] == {}
    assert [e["time"] for e in fired[:2]] == ["2026-01-01T00:05:00Z", "2026-01-01T00:10:00Z"]
    events.disable_rule(Name="every-5")
    aws.advance(minutes=30)
    assert len(payloads(aws, "tick")) == 12


def test_schedule_cron_fires_at_its_times_and_input_is_honoured(aws, create):
    create("nightly", RECORDER)
    allow("nightly", "events.amazonaws.com")
    events = boto3.client("events")
    events.put_rule(Name="nightly", ScheduleExpression="cron(30 2 * * ? *)")
    events.put_targets(Rule="nightly", Targets=[{"Id": "1", "Arn": arn_of("nightly"),
                                                 "Input": json.dumps({"job": "cleanup"})}])
    aws.advance(hours=49)
    assert payloads(aws, "nightly") == [{"job": "cleanup"}, {"job": "cleanup"}]
    assert [r.timestamp % 86400 for r in aws.invocations] == [2.5 * 3600] * 2


@pytest.mark.parametrize("expression", ["rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "cron(0 12 * * * *)",
                                        "cron(0 12 * *)", "cron(61 12 * * ? *)", "every 5 minutes"])
def test_invalid_schedule_expressions_are_refused(aws, expression):
    with pytest.raises(ClientError) as raised:
        boto3.client("events").put_rule(Name="bad", ScheduleExpression=expression)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert raised.value.response["Error"]["Message"] == "Parameter ScheduleExpression is not valid."


# --- DynamoDB Streams and Kinesis ---------------------------------------------------------------------------------
STREAM_WORKER = """
import json, base64
def handler(event, context):
    failures = []
    for record in event["Records"]:
        if "dynamodb" in record:
            value = record["dynamodb"].get("NewImage", {}).get("v", {}).get("S", "")
            seq = record["dynamodb"]["SequenceNumber"]
        else:
            value = base64.b64decode(record["kinesis"]["data"]).decode()
            seq = record["kinesis"]["sequenceNumber"]
        print(json.dumps({"value": value, "name": record["eventName"]}))
        if value == "poison":
            failures.append({"itemIdentifier": seq})
    if failures and context.function_name == "raiser":
        raise RuntimeError("poison")
    return {"batchItemFailures": failures}
"""


def _values(aws, name):
    return [json.loads(line)["value"] for r in aws.invocations if r.function_name == name
            for line in r.log.splitlines() if line.startswith('{"value"')]


def test_dynamodb_stream_mapping_delivers_changes_in_order(aws, create):
    ddb = boto3.client("dynamodb")
    table = ddb.create_table(TableName="items", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST",
                             StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    stream_arn = table["TableDescription"]["LatestStreamArn"]
    create("changes", STREAM_WORKER)
    boto3.client("lambda").create_event_source_mapping(FunctionName="changes", EventSourceArn=stream_arn,
                                                       StartingPosition="TRIM_HORIZON", BatchSize=10)
    ddb.put_item(TableName="items", Item={"id": {"S": "1"}, "v": {"S": "a"}})
    ddb.put_item(TableName="items", Item={"id": {"S": "1"}, "v": {"S": "b"}})
    ddb.delete_item(TableName="items", Key={"id": {"S": "1"}})
    names = [json.loads(line)["name"] for r in aws.invocations for line in r.log.splitlines()
             if line.startswith('{"value"')]
    assert names == ["INSERT", "MODIFY", "REMOVE"] and _values(aws, "changes")[:2] == ["a", "b"]


def test_kinesis_failures_block_the_shard_and_bisect(aws, create):
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"]
    create("raiser", STREAM_WORKER)
    boto3.client("lambda").create_event_source_mapping(
        FunctionName="raiser", EventSourceArn=arn, StartingPosition="LATEST", BatchSize=4,
        BisectBatchOnFunctionError=True, MaximumRetryAttempts=1)
    kinesis.put_records(StreamName="clicks", Records=[{"Data": v.encode(), "PartitionKey": "p"}
                                                      for v in ["a", "b", "poison", "d"]])
    assert _values(aws, "raiser") == ["a", "b", "poison", "d"]  # one batch of four
    aws.advance(minutes=5)
    # bisected: [a, b] succeed, [poison, d] fails, then [poison] fails until retries run out, then [d]
    assert _values(aws, "raiser")[4:6] == ["a", "b"]
    assert _values(aws, "raiser")[-1] == "d"
    kinesis.put_record(StreamName="clicks", Data=b"e", PartitionKey="p")
    assert _values(aws, "raiser")[-1] == "e"


def test_kinesis_partial_batch_response_checkpoints(aws, create):
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="orders", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="orders")["StreamDescription"]["StreamARN"]
    create("changes", STREAM_WORKER)
    boto3.client("lambda").create_event_source_mapping(
        FunctionName="changes", EventSourceArn=arn, StartingPosition="TRIM_HORIZON", BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"], MaximumRetryAttempts=1)
    kinesis.put_records(StreamName="orders", Records=[{"Data": v.encode(), "PartitionKey": "p"}
                                                      for v in ["a", "poison", "c"]])
    aws.advance(seconds=5)
    # checkpoint at the lowest failed record: "a" is never sent again; one retry, then the rest is given up
    assert _values(aws, "changes") == ["a", "poison", "c", "poison", "c"]
    aws.advance(minutes=5)
    assert len(_values(aws, "changes")) == 5


def test_event_invoke_config_put_replaces_and_update_merges(aws, create):
    create("configured", RECORDER)
    client = boto3.client("lambda")
    client.put_function_event_invoke_config(FunctionName="configured", MaximumRetryAttempts=0)
    client.put_function_event_invoke_config(FunctionName="configured", MaximumEventAgeInSeconds=120)
    config = client.get_function_event_invoke_config(FunctionName="configured")
    assert config["MaximumEventAgeInSeconds"] == 120 and "MaximumRetryAttempts" not in config
    client.update_function_event_invoke_config(FunctionName="configured", MaximumRetryAttempts=1)
    config = client.get_function_event_invoke_config(FunctionName="configured")
    assert config["MaximumEventAgeInSeconds"] == 120 and config["MaximumRetryAttempts"] == 1


def test_a_seed_makes_moto_ids_reproducible():
    import lambda_local

    def ids():
        with lambda_local.mock_aws(seed=5):
            sqs = boto3.client("sqs")
            url = sqs.create_queue(QueueName="q")["QueueUrl"]
            return sqs.send_message(QueueUrl=url, MessageBody="x")["MessageId"], \
                boto3.client("apigateway").create_rest_api(name="a")["id"]

    assert ids() == ids()


def test_a_message_batch_reaches_the_function_as_one_batch(aws, create):
    url, arn = _queue("batched")
    create("worker", WORKER)
    boto3.client("lambda").create_event_source_mapping(FunctionName="worker", EventSourceArn=arn, BatchSize=10)
    boto3.client("sqs").send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": json.dumps({"id": i})} for i in range(10)])
    assert len(aws.invocations) == 1 and len(_seen(aws, "worker")) == 10


READS_BACK = """
import boto3, json
def handler(event, context):
    record = event["Records"][0]["s3"]
    head = boto3.client("s3").head_object(Bucket=record["bucket"]["name"], Key=record["object"]["key"])
    tags = boto3.client("s3").get_object_tagging(Bucket=record["bucket"]["name"], Key=record["object"]["key"])
    print(json.dumps({"type": head["ContentType"], "meta": head["Metadata"], "tags": tags["TagSet"]}))
"""


def test_s3_notifies_after_the_write_so_the_handler_reads_content_type_and_metadata(aws, create, role):
    iam = boto3.client("iam")
    iam.attach_role_policy(RoleName="lambda-role", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    create("reader", READS_BACK)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="typed")
    allow_s3("reader", "typed")
    s3.put_bucket_notification_configuration(Bucket="typed", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn_of("reader"), "Events": ["s3:ObjectCreated:*"]}]})
    s3.put_object(Bucket="typed", Key="photo.png", Body=b"png", ContentType="image/png",
                  Metadata={"owner": "ada"}, Tagging="stage=raw")
    [seen] = payloads(aws, "reader")
    assert seen == {"type": "image/png", "meta": {"owner": "ada"}, "tags": [{"Key": "stage", "Value": "raw"}]}
    s3.copy_object(Bucket="typed", Key="copy.png", CopySource={"Bucket": "typed", "Key": "photo.png"})
    assert payloads(aws, "reader")[-1]["type"] == "image/png"
