"""Data Firehose delivery streams with a Lambda transformation (issue 21 item 5), held to the Firehose developer
guide: the transformation event, the record status model, buffering, and the processing-failed error output."""

import base64
import json

import boto3

ACCOUNT = "123456789012"

# The shape of AWS's "General Kinesis Firehose Processing" blueprint (kinesis-firehose-process-record-python):
# every record comes back with its id, a result and base64 data. Its decisions are the test's.
PROCESSOR = """
import base64
import json


def lambda_handler(event, context):
    print("BATCH", event["invocationId"], event["deliveryStreamArn"], event["region"], len(event["records"]))
    output = []
    for record in event["records"]:
        payload = json.loads(base64.b64decode(record["data"]))
        if payload.get("level") == "debug":
            result, data = "Dropped", record["data"]
        elif "message" not in payload:
            result, data = "ProcessingFailed", record["data"]
        else:
            line = json.dumps({"message": payload["message"].upper(),
                               "arrived": record["approximateArrivalTimestamp"]}) + "\\n"
            result, data = "Ok", base64.b64encode(line.encode()).decode()
        output.append({"recordId": record["recordId"], "result": result, "data": data})
    return {"records": output}
"""


def _stream(create, source=PROCESSOR, retries=None, error_prefix=None):
    create("processor", source, handler="lambda_function.lambda_handler")
    boto3.client("s3").create_bucket(Bucket="log-archive")
    parameters = [{"ParameterName": "LambdaArn",
                   "ParameterValue": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:processor:$LATEST"}]
    if retries is not None:
        parameters.append({"ParameterName": "NumberOfRetries", "ParameterValue": str(retries)})
    destination = {"RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose", "BucketARN": "arn:aws:s3:::log-archive",
                   "Prefix": "app/", "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
                   "ProcessingConfiguration": {"Enabled": True, "Processors": [
                       {"Type": "Lambda", "Parameters": parameters}]}}
    if error_prefix:
        destination["ErrorOutputPrefix"] = error_prefix
    boto3.client("firehose").create_delivery_stream(DeliveryStreamName="app-logs",
                                                    ExtendedS3DestinationConfiguration=destination)


def _objects(prefix):
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="log-archive", Prefix=prefix).get("Contents", [])]
    return {key: s3.get_object(Bucket="log-archive", Key=key)["Body"].read().decode() for key in keys}


def _put(*payloads):
    return boto3.client("firehose").put_record_batch(
        DeliveryStreamName="app-logs", Records=[{"Data": json.dumps(p).encode()} for p in payloads])


def test_records_go_through_the_function_and_ok_ones_reach_s3(aws, create):
    _stream(create)
    answer = _put({"message": "hello"}, {"level": "debug", "message": "noise"}, {"message": "world"})
    assert answer["FailedPutCount"] == 0 and len(answer["RequestResponses"]) == 3
    assert not [r for r in aws.invocations if r.function_name == "processor"]  # buffered for 60 s
    aws.advance(seconds=60)
    [call] = [r for r in aws.invocations if r.function_name == "processor"]
    assert f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/app-logs us-east-1 3" in call.log
    assert _objects("app/") == {}  # the destination buffers 300 s more
    aws.advance(seconds=300)
    [(key, body)] = _objects("app/").items()
    assert key.startswith("app/2026/01/01/00/app-logs-1-2026-01-01-00-06-00-")
    lines = [json.loads(line) for line in body.splitlines()]
    assert [line["message"] for line in lines] == ["HELLO", "WORLD"]  # the Dropped record is gone
    assert lines[0]["arrived"] == 1767225600000  # approximateArrivalTimestamp, on the virtual clock
    assert _objects("processing-failed/") == {}


def test_processing_failed_records_go_to_the_error_output(aws, create):
    _stream(create, error_prefix="errors/!{firehose:error-output-type}/")
    _put({"message": "fine"}, {"oops": 1})
    aws.advance(minutes=6)
    [(key, body)] = _objects("errors/").items()
    assert key.startswith("errors/processing-failed/2026/01/01/00/")
    [failure] = [json.loads(line) for line in body.splitlines()]
    assert failure["errorCode"] == "Lambda.ProcessingFailedStatus"
    assert failure["errorMessage"] == "ProcessingFailed status set for record"
    assert base64.b64decode(failure["rawData"]) == b'{"oops": 1}' and failure["attemptsMade"] == 1
    assert failure["lambdaArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:processor:$LATEST"
    assert len(_objects("app/")) == 1


def test_a_failing_function_is_retried_then_the_batch_is_processing_failed(aws, create):
    _stream(create, source="def lambda_handler(event, context):\n    raise RuntimeError('bad day')\n", retries=2)
    _put({"message": "a"}, {"message": "b"})
    aws.advance(minutes=1)
    assert len([r for r in aws.invocations if r.function_name == "processor"]) == 3  # 1 + NumberOfRetries
    [body] = _objects("processing-failed/").values()
    failures = [json.loads(line) for line in body.splitlines()]
    assert [f["errorCode"] for f in failures] == ["Lambda.FunctionError"] * 2
    assert {f["attemptsMade"] for f in failures} == {3}
    aws.advance(minutes=10)
    assert _objects("app/") == {}


def test_an_answer_missing_a_record_id_fails_that_record(aws, create):
    source = ("def lambda_handler(event, context):\n"
              "    return {'records': [dict(r, result='Ok') for r in event['records'][1:]]}\n")
    _stream(create, source=source)
    _put({"message": "first"}, {"message": "second"})
    aws.advance(minutes=6)
    [body] = _objects("processing-failed/").values()
    assert json.loads(body)["errorCode"] == "Lambda.MissingRecordId"
    assert list(_objects("app/").values()) == [json.dumps({"message": "second"})]


def test_a_full_buffer_is_processed_at_once_and_streams_without_a_processor_are_moto_s(aws, create):
    _stream(create)
    _put(*[{"message": "x" * 1000}] * 1100)  # more than the processor's 1 MB buffer
    assert len([r for r in aws.invocations if r.function_name == "processor"]) == 1
    firehose = boto3.client("firehose")
    firehose.create_delivery_stream(DeliveryStreamName="plain", ExtendedS3DestinationConfiguration={
        "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose", "BucketARN": "arn:aws:s3:::log-archive",
        "Prefix": "plain/"})
    firehose.put_record(DeliveryStreamName="plain", Record={"Data": b"as is"})
    assert list(_objects("plain/").values()) == ["as is"]
