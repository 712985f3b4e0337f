"""Event source mappings are independent pollers; a duplicate mapping is refused as AWS refuses it."""


import boto3
import pytest
from botocore.exceptions import ClientError

from test_triggers import RECORDER, STREAM_WORKER, WORKER, _queue, _values, payloads


def test_a_second_mapping_of_a_queue_to_the_same_function_is_a_conflict(aws, create):
    _, arn = _queue("once")
    create("worker", WORKER)
    client = boto3.client("lambda")
    uuid = client.create_event_source_mapping(FunctionName="worker", EventSourceArn=arn)["UUID"]
    with pytest.raises(ClientError) as raised:
        client.create_event_source_mapping(FunctionName="worker", EventSourceArn=arn, BatchSize=5)
    error = raised.value.response
    assert error["Error"]["Code"] == "ResourceConflictException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert error["Error"]["Message"] == (f'An event source mapping with SQS arn (" {arn} ") and function '
                                         f'(" worker ") already exists. Please update or delete the existing '
                                         f"mapping with UUID {uuid}")
    create("other", WORKER)
    client.create_event_source_mapping(FunctionName="other", EventSourceArn=arn)  # another function may share it


def test_two_mappings_on_one_kinesis_stream_each_read_it_with_their_own_checkpoint(aws, create):
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="shared", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="shared")["StreamDescription"]["StreamARN"]
    create("changes", STREAM_WORKER)
    create("raiser", STREAM_WORKER)  # raises on "poison": its checkpoint is held while "changes" moves on
    client = boto3.client("lambda")
    for name in ("changes", "raiser"):
        client.create_event_source_mapping(FunctionName=name, EventSourceArn=arn, StartingPosition="TRIM_HORIZON",
                                           BatchSize=1, MaximumRetryAttempts=2)
    with pytest.raises(ClientError) as raised:
        client.create_event_source_mapping(FunctionName="changes", EventSourceArn=arn, StartingPosition="LATEST")
    assert raised.value.response["Error"]["Code"] == "ResourceConflictException"
    assert raised.value.response["Error"]["Message"].startswith(f'The event source arn (" {arn} ") and function '
                                                                f'(" changes ") provided mapping already exists.')
    for value in ("a", "poison", "c"):
        kinesis.put_record(StreamName="shared", Data=value.encode(), PartitionKey="p")
    assert _values(aws, "changes") == ["a", "poison", "c"]
    assert _values(aws, "raiser") == ["a", "poison"]  # blocked on its own failing record
    aws.advance(minutes=1)
    assert _values(aws, "raiser") == ["a", "poison", "poison", "poison", "c"]  # 2 retries, then it moves on
    assert _values(aws, "changes") == ["a", "poison", "c"]  # never read again by the other mapping


def test_two_functions_on_one_dynamodb_stream_both_get_every_change(aws, create):
    ddb = boto3.client("dynamodb")
    stream_arn = ddb.create_table(
        TableName="shared", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    )["TableDescription"]["LatestStreamArn"]
    for name in ("first", "second"):
        create(name, RECORDER)
        boto3.client("lambda").create_event_source_mapping(FunctionName=name, EventSourceArn=stream_arn,
                                                           StartingPosition="TRIM_HORIZON")
    ddb.put_item(TableName="shared", Item={"id": {"S": "1"}})
    for name in ("first", "second"):
        [event] = payloads(aws, name)
        assert event["Records"][0]["dynamodb"]["Keys"] == {"id": {"S": "1"}}
