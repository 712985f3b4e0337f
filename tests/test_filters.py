"""Event source mapping FilterCriteria through boto3: Lambda's filter grammar on SQS, Kinesis and DynamoDB Streams."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from test_triggers import _queue

BODIES = """
import json
def handler(event, context):
    for record in event["Records"]:
        if "body" in record:
            print("GOT " + record["body"])
        elif "kinesis" in record:
            import base64
            print("GOT " + base64.b64decode(record["kinesis"]["data"]).decode())
        else:
            print("GOT " + record["eventName"] + " " + json.dumps(record["dynamodb"]["Keys"]))
"""


def _got(aws, name):
    return [line[4:] for r in aws.invocations if r.function_name == name
            for line in r.log.splitlines() if line.startswith("GOT ")]


def _filters(*patterns):
    return {"Filters": [{"Pattern": json.dumps(p)} for p in patterns]}


def _counts(url):
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


MESSAGES = [
    {"id": 1, "kind": "order", "amount": 150, "region": "eu-west-1", "note": None},
    {"id": 2, "kind": "ORDER", "amount": 50, "region": "us-east-1", "note": ""},
    {"id": 3, "kind": "refund", "amount": 500, "region": "eu-central-1", "coupon": "X1"},
    {"id": 4, "kind": "order", "amount": 100, "region": "ap-south-1", "note": "gift"},
]

CASES = [
    ({"body": {"kind": ["order"]}}, [1, 4]),
    ({"body": {"kind": [{"equals-ignore-case": "order"}]}}, [1, 2, 4]),
    ({"body": {"amount": [{"numeric": [">", 50, "<=", 150]}]}}, [1, 4]),
    ({"body": {"amount": [{"numeric": ["=", 500]}]}}, [3]),
    ({"body": {"region": [{"prefix": "eu-"}]}}, [1, 3]),
    ({"body": {"region": [{"suffix": "-1"}]}}, [1, 2, 3, 4]),
    ({"body": {"kind": [{"anything-but": ["order", "ORDER"]}]}}, [3]),
    ({"body": {"region": [{"anything-but": {"prefix": "eu-"}}]}}, [2, 4]),
    ({"body": {"coupon": [{"exists": True}]}}, [3]),
    ({"body": {"coupon": [{"exists": False}]}}, [1, 2, 4]),
    ({"body": {"note": [None]}}, [1]),
    ({"body": {"note": [""]}}, [2]),
    ({"body": {"$or": [{"kind": ["refund"]}, {"amount": [{"numeric": ["<", 60]}]}]}}, [2, 3]),
]


@pytest.mark.parametrize("pattern, expected", CASES, ids=[json.dumps(c[0]) for c in CASES])
def test_sqs_json_body_filters(aws, create, pattern, expected):
    url, arn = _queue("filtered")
    create("filtered", BODIES)
    boto3.client("lambda").create_event_source_mapping(FunctionName="filtered", EventSourceArn=arn,
                                                       FilterCriteria=_filters(pattern))
    for message in MESSAGES:
        boto3.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(message))
    assert [json.loads(body)["id"] for body in _got(aws, "filtered")] == expected
    assert _counts(url) == (0, 0)  # what matched no filter was deleted, as AWS deletes it


def test_sqs_filters_are_ored_and_plain_text_bodies_follow_aws_rules(aws, create):
    url, arn = _queue("mixed")
    create("mixed", BODIES)
    boto3.client("lambda").create_event_source_mapping(
        FunctionName="mixed", EventSourceArn=arn, BatchSize=10,
        FilterCriteria=_filters({"body": {"kind": ["refund"]}}, {"body": [{"prefix": "urgent:"}]}))
    boto3.client("sqs").send_message_batch(QueueUrl=url, Entries=[
        {"Id": "1", "MessageBody": json.dumps({"kind": "refund"})},   # JSON, matches the first filter
        {"Id": "2", "MessageBody": json.dumps({"kind": "order"})},    # JSON, matches neither
        {"Id": "3", "MessageBody": "urgent: call back"},              # plain text, matches the second filter
        {"Id": "4", "MessageBody": "later: call back"},               # plain text, matches neither
        {"Id": "5", "MessageBody": '"urgent: quoted"'},               # plain-text pattern against a JSON string
    ])
    assert _got(aws, "mixed") == ['{"kind": "refund"}', "urgent: call back"]
    assert _counts(url) == (0, 0)


def test_a_json_body_pattern_drops_plain_text_messages_and_metadata_filters_need_no_body(aws, create):
    url, arn = _queue("plain")
    create("plain", BODIES)
    boto3.client("lambda").create_event_source_mapping(FunctionName="plain", EventSourceArn=arn,
                                                       FilterCriteria=_filters({"body": {"kind": ["order"]}}))
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody="kind=order")
    assert _got(aws, "plain") == [] and _counts(url) == (0, 0)

    url, arn = _queue("by-attribute")
    create("by-attribute", BODIES)
    boto3.client("lambda").create_event_source_mapping(
        FunctionName="by-attribute", EventSourceArn=arn,
        FilterCriteria=_filters({"messageAttributes": {"kind": {"stringValue": ["job"]}}}))
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=url, MessageBody="any text",
                     MessageAttributes={"kind": {"DataType": "String", "StringValue": "job"}})
    sqs.send_message(QueueUrl=url, MessageBody="{}",
                     MessageAttributes={"kind": {"DataType": "String", "StringValue": "other"}})
    assert _got(aws, "by-attribute") == ["any text"]


def test_kinesis_data_filters_skip_records_and_move_the_checkpoint(aws, create):
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="trades", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="trades")["StreamDescription"]["StreamARN"]
    create("buys", BODIES)
    boto3.client("lambda").create_event_source_mapping(
        FunctionName="buys", EventSourceArn=arn, StartingPosition="TRIM_HORIZON", BatchSize=10,
        FilterCriteria=_filters({"data": {"order": {"type": ["buy"]}}}))
    trades = [{"order": {"type": "sell"}}, {"order": {"type": "buy"}, "n": 1}, "not json",
              {"order": {"type": "buy"}, "n": 2}]
    kinesis.put_records(StreamName="trades", Records=[
        {"Data": (t if isinstance(t, str) else json.dumps(t)).encode(), "PartitionKey": "p"} for t in trades])
    assert [json.loads(d)["n"] for d in _got(aws, "buys")] == [1, 2]
    kinesis.put_record(StreamName="trades", Data=json.dumps({"order": {"type": "sell"}}).encode(), PartitionKey="p")
    kinesis.put_record(StreamName="trades", Data=json.dumps({"order": {"type": "buy"}, "n": 3}).encode(),
                       PartitionKey="p")
    assert [json.loads(d)["n"] for d in _got(aws, "buys")] == [1, 2, 3]  # nothing skipped is sent later
    assert len([r for r in aws.invocations if r.function_name == "buys"]) == 2  # no invocation for sell alone


def test_dynamodb_stream_filters_on_event_name_and_images(aws, create):
    ddb = boto3.client("dynamodb")
    stream_arn = ddb.create_table(
        TableName="jobs", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    )["TableDescription"]["LatestStreamArn"]
    create("done", BODIES)
    boto3.client("lambda").create_event_source_mapping(
        FunctionName="done", EventSourceArn=stream_arn, StartingPosition="TRIM_HORIZON",
        FilterCriteria=_filters({"eventName": ["MODIFY"], "dynamodb": {"NewImage": {"state": {"S": ["DONE"]}}}}))
    ddb.put_item(TableName="jobs", Item={"id": {"S": "a"}, "state": {"S": "DONE"}})     # INSERT: dropped
    ddb.put_item(TableName="jobs", Item={"id": {"S": "a"}, "state": {"S": "RUNNING"}})  # MODIFY, not done
    ddb.put_item(TableName="jobs", Item={"id": {"S": "a"}, "state": {"S": "DONE"}})     # MODIFY to DONE
    assert _got(aws, "done") == ['MODIFY {"id": {"S": "a"}}']


@pytest.mark.parametrize("pattern", [
    "not json", "[]", "{}", '{"body": "x"}', '{"body": []}', '{"body": {"a": [{"regex": "x"}]}}',
    '{"body": {"a": [{"numeric": [">", "5"]}]}}', '{"body": {"a": [{"exists": "yes"}]}}',
    '{"body": {"a": [{"prefix": 5}]}}', '{"$or": [{"a": ["x"]}]}',
])
def test_invalid_filter_patterns_are_refused(aws, create, pattern):
    _, arn = _queue("strict")
    create("strict", BODIES)
    client = boto3.client("lambda")
    with pytest.raises(ClientError) as raised:
        client.create_event_source_mapping(FunctionName="strict", EventSourceArn=arn,
                                           FilterCriteria={"Filters": [{"Pattern": pattern}]})
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert raised.value.response["Error"]["Message"] == "Invalid filter pattern definition."
    assert client.list_event_source_mappings()["EventSourceMappings"] == []


def test_more_than_five_filters_and_invalid_updates_are_refused(aws, create):
    _, arn = _queue("many")
    create("many", BODIES)
    client = boto3.client("lambda")
    with pytest.raises(ClientError) as raised:
        client.create_event_source_mapping(FunctionName="many", EventSourceArn=arn,
                                           FilterCriteria=_filters(*[{"body": {"n": [i]}} for i in range(6)]))
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
    five = _filters(*[{"body": {"n": [i]}} for i in range(5)])
    uuid = client.create_event_source_mapping(FunctionName="many", EventSourceArn=arn, FilterCriteria=five)["UUID"]
    with pytest.raises(ClientError) as raised:
        client.update_event_source_mapping(UUID=uuid, FilterCriteria={"Filters": [{"Pattern": "{"}]})
    assert raised.value.response["Error"]["Message"] == "Invalid filter pattern definition."
    assert len(client.get_event_source_mapping(UUID=uuid)["FilterCriteria"]["Filters"]) == 5
