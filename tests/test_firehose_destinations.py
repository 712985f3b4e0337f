"""Data Firehose destinations other than S3 (issue 21 item 5), held to the Firehose developer guide: HTTP endpoint
delivery in AWS's request and response shape, its retry duration and the failed-data output in the backup bucket;
hosts off this machine refused with a clear error; Redshift's intermediate bucket; destinations stored only."""

import base64
import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from conftest import public_function_url

ACCOUNT = "123456789012"
STREAM_ARN = f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/events"
START_MS = 1767225600000  # the `aws` fixture's virtual start, 2026-01-01T00:00:00Z


class _Endpoint:
    """A server on this machine answering as an HTTP endpoint destination does: each request's answer comes from
    ``statuses`` in turn (the last one repeats), 200 answers echo the request id unless ``wrong_id``."""

    def __init__(self, statuses=(200,), wrong_id=False):
        self.requests = []
        self.statuses, self.wrong_id = list(statuses), wrong_id
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                endpoint.requests.append((self.path, dict(self.headers.items()), raw))
                status = endpoint.statuses.pop(0) if len(endpoint.statuses) > 1 else endpoint.statuses[0]
                request_id = "not-yours" if endpoint.wrong_id else self.headers["X-Amz-Firehose-Request-Id"]
                answer = {"requestId": request_id, "timestamp": 1}
                if status != 200:
                    answer["errorMessage"] = "Payload too large"
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ingest?source=firehose"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def bodies(self):
        return [json.loads(gzip.decompress(raw) if headers.get("Content-Encoding") == "gzip" else raw)
                for _, headers, raw in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint():
    servers = []

    def start(**options):
        servers.append(_Endpoint(**options))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _http_stream(url, retry_s=300, **extra):
    boto3.client("s3").create_bucket(Bucket="firehose-backup")
    configuration = {
        "EndpointConfiguration": {"Url": url, "Name": "collector", "AccessKey": "secret-key-1"},
        "RequestConfiguration": {"CommonAttributes": [{"AttributeName": "env", "AttributeValue": "course"}]},
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
        "RetryOptions": {"DurationInSeconds": retry_s}, "S3BackupMode": "FailedDataOnly",
        "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose",
        "S3Configuration": {"RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose",
                            "BucketARN": "arn:aws:s3:::firehose-backup", "Prefix": "backup/"}}
    for key, value in extra.items():
        configuration[key] = {**configuration.get(key, {}), **value} if isinstance(value, dict) else value
    boto3.client("firehose").create_delivery_stream(DeliveryStreamName="events",
                                                    HttpEndpointDestinationConfiguration=configuration)


def _put(*items):
    return boto3.client("firehose").put_record_batch(DeliveryStreamName="events",
                                                     Records=[{"Data": item} for item in items])


def _objects(prefix=""):
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="firehose-backup", Prefix=prefix).get("Contents", [])]
    return {key: s3.get_object(Bucket="firehose-backup", Key=key)["Body"].read().decode() for key in keys}


def _failures(prefix="http-endpoint-failed/"):
    return [json.loads(line) for body in _objects(prefix).values() for line in body.splitlines()]


def test_a_buffer_is_posted_in_firehoses_request_shape(aws, endpoint):
    server = endpoint()
    _http_stream(server.url)
    answer = _put(b'{"n": 1}\n', b'{"n": 2}\n')
    assert answer["FailedPutCount"] == 0 and len(answer["RequestResponses"]) == 2
    aws.advance(seconds=59)
    assert server.requests == []  # buffered for IntervalInSeconds
    aws.advance(seconds=1)
    [(path, headers, _)] = server.requests
    [body] = server.bodies()
    assert path == "/ingest?source=firehose"
    assert headers["X-Amz-Firehose-Request-Id"] == body["requestId"]
    assert headers["X-Amz-Firehose-Access-Key"] == "secret-key-1"
    assert json.loads(headers["X-Amz-Firehose-Common-Attributes"]) == {"commonAttributes": {"env": "course"}}
    assert (headers["X-Amz-Firehose-Source-Arn"], headers["X-Amz-Firehose-Protocol-Version"]) == (STREAM_ARN, "1.0")
    assert headers["Content-Type"] == "application/json" and "Content-Encoding" not in headers
    assert body["timestamp"] == START_MS + 60_000  # the virtual clock
    assert [base64.b64decode(r["data"]) for r in body["records"]] == [b'{"n": 1}\n', b'{"n": 2}\n']
    assert _objects() == {}  # delivered: nothing backed up (FailedDataOnly)


def test_a_failed_attempt_is_retried_with_the_same_request_id_and_gzip_is_honoured(aws, endpoint):
    server = endpoint(statuses=(503, 500, 200))
    _http_stream(server.url, RequestConfiguration={"ContentEncoding": "GZIP"})
    _put(b"a")
    aws.advance(minutes=5)
    bodies = server.bodies()
    assert len(bodies) == 3 and len({b["requestId"] for b in bodies}) == 1
    assert [b["timestamp"] - bodies[0]["timestamp"] for b in bodies] == [0, 1000, 3000]  # 1 s, then 2 s later
    assert all(headers["Content-Encoding"] == "gzip" for _, headers, _ in server.requests)
    assert _failures() == []


def test_after_the_retry_duration_the_records_go_to_the_backup_bucket_with_the_error(aws, endpoint):
    server = endpoint(statuses=(413,))
    _http_stream(server.url, retry_s=10)
    _put(b"first", b"second")
    aws.advance(minutes=5)
    assert len(server.requests) == 4  # at 0, 1, 3 and 7 s; the next wait would end past the 10 s
    [(key, _)] = _objects("http-endpoint-failed/").items()
    assert key.startswith("http-endpoint-failed/2026/01/01/00/events-1-2026-01-01-00-01-07-")
    failures = _failures()
    assert [base64.b64decode(f["rawData"]) for f in failures] == [b"first", b"second"]
    assert {f["errorCode"] for f in failures} == {"HttpEndpoint.DestinationException"}
    assert failures[0]["errorMessage"].startswith(
        "The following response was received from the endpoint destination. 413: ")
    assert "Payload too large" in failures[0]["errorMessage"]
    assert failures[0]["attemptsMade"] == 4 and failures[0]["arrivalTimestamp"] == START_MS
    assert failures[0]["attemptEndingTimestamp"] == START_MS + 67_000


def test_an_answer_without_the_request_id_is_an_invalid_response(aws, endpoint):
    server = endpoint(wrong_id=True)
    _http_stream(server.url, retry_s=0, S3Configuration={"ErrorOutputPrefix": "errors/!{firehose:error-output-type}/"})
    _put(b"x")
    aws.advance(minutes=2)
    assert len(server.requests) == 1  # a retry duration of 0: no retries
    [failure] = _failures("errors/http-endpoint-failed/")
    assert failure["errorCode"] == "HttpEndpoint.InvalidResponseFromDestination"


def test_a_host_off_this_machine_is_refused_with_a_clear_error_not_contacted(aws):
    _http_stream("https://collector.example.com/ingest", retry_s=0)
    _put(b"x")
    aws.advance(minutes=2)  # no exception reaches the caller
    [failure] = _failures()
    assert failure["errorCode"] == "HttpEndpoint.ConnectionFailed"
    assert "no network" in failure["errorMessage"] and "collector.example.com was not contacted" in failure[
        "errorMessage"]


def test_a_function_url_of_the_sandbox_can_be_the_endpoint_and_all_data_is_backed_up(aws, create):
    receiver = """
import base64
import json


def handler(event, context):
    request = json.loads(event["body"])
    print("KEY", event["headers"]["x-amz-firehose-access-key"])
    print("GOT", [base64.b64decode(r["data"]).decode() for r in request["records"]])
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"requestId": request["requestId"], "timestamp": request["timestamp"]})}
"""
    create("collector", receiver)
    url = public_function_url("collector")
    _http_stream(url, S3BackupMode="AllData")
    _put(b"hello", b"world")
    aws.advance(minutes=1)
    [call] = [r for r in aws.invocations if r.function_name == "collector"]
    assert "KEY secret-key-1" in call.log and "GOT ['hello', 'world']" in call.log
    assert list(_objects("backup/").values()) == ["helloworld"]  # AllData: every buffer in the backup bucket too
    assert _failures() == []


def test_redshift_records_reach_the_intermediate_bucket_and_splunk_is_stored_only(aws):
    boto3.client("s3").create_bucket(Bucket="firehose-backup")
    firehose = boto3.client("firehose")
    bucket = {"RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose", "BucketARN": "arn:aws:s3:::firehose-backup",
              "Prefix": "staging/", "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 1}}
    firehose.create_delivery_stream(DeliveryStreamName="warehouse", RedshiftDestinationConfiguration={
        "RoleARN": bucket["RoleARN"], "ClusterJDBCURL": "jdbc:redshift://cluster:5439/dev",
        "CopyCommand": {"DataTableName": "events"}, "Username": "loader", "Password": "Passw0rd!",
        "S3Configuration": bucket})
    firehose.put_record(DeliveryStreamName="warehouse", Record={"Data": b"row1\n"})
    aws.advance(minutes=1)
    assert list(_objects("staging/").values()) == ["row1\n"]
    with pytest.warns(UserWarning):  # moto warns that it does not implement Splunk
        firehose.create_delivery_stream(DeliveryStreamName="siem", SplunkDestinationConfiguration={
            "HECEndpoint": "https://splunk.example.com:8088", "HECEndpointType": "Raw", "HECToken": "token",
            "S3Configuration": {**bucket, "Prefix": "splunk/"}})
    assert "RecordId" in firehose.put_record(DeliveryStreamName="siem", Record={"Data": b"event"})
    aws.advance(minutes=10)
    assert _objects("splunk/") == {}


def test_a_lambda_transformation_runs_before_the_endpoint_and_its_failures_go_to_the_backup_bucket(
        aws, create, endpoint):
    processor = """
import base64


def handler(event, context):
    output = []
    for record in event["records"]:
        text = base64.b64decode(record["data"]).decode()
        result = "ProcessingFailed" if text == "bad" else "Ok"
        output.append({"recordId": record["recordId"], "result": result,
                       "data": base64.b64encode(text.upper().encode()).decode()})
    return {"records": output}
"""
    create("shout", processor)
    server = endpoint()
    _http_stream(server.url, ProcessingConfiguration={"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
        {"ParameterName": "LambdaArn", "ParameterValue": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:shout"}]}]})
    _put(b"good", b"bad")
    aws.advance(minutes=2)  # 60 s in the processor's buffer, then 60 s in the destination's
    [body] = server.bodies()
    assert [base64.b64decode(r["data"]) for r in body["records"]] == [b"GOOD"]
    [failure] = _failures("processing-failed/")
    assert failure["errorCode"] == "Lambda.ProcessingFailedStatus" and base64.b64decode(failure["rawData"]) == b"bad"
