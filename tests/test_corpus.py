"""Handlers written the way Powertools' documentation writes them (tests/corpus/), deployed through boto3 and held to
what the documentation says they produce, across a cold start, a warm invocation and a second execution
environment (the first one expired)."""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest

from lambda_local import events
from conftest import invoke

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture
def deploy(aws, role, create):
    """deploy(name, **config): the corpus handler ``name``.py as lambda_function.py, handler ``handler``."""
    boto3.client("iam").put_role_policy(RoleName="lambda-role", PolicyName="corpus", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
            "ssm:GetParameter", "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem",
            "dynamodb:DeleteItem", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]}]}))

    def _deploy(name, **config):
        return create(name.replace("_", "-"), (CORPUS / f"{name}.py").read_text(), **config)

    return _deploy


def _three_invocations(aws, name, event=None, gap_seconds=0):
    """Cold, warm, then (after the environment expired) cold again in a second environment."""
    results = [invoke(name, event)]
    aws.advance(seconds=gap_seconds)
    results.append(invoke(name, event))
    aws.advance(hours=2)
    results.append(invoke(name, event))
    records = [r for r in aws.invocations if r.function_name == name][-3:]
    assert [r.cold_start for r in records] == [True, False, True]
    assert records[0].environment_id == records[1].environment_id != records[2].environment_id
    return results, records


def _json_lines(record):
    lines = []
    for line in record.log.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            lines.append(value)
    return lines


# https://docs.powertools.aws.dev/lambda/python/latest/core/logger/#capturing-lambda-context-info : each log line
# is JSON with level, location, message, timestamp, service, cold_start and the Lambda context keys.
def test_logger_writes_one_structured_line_per_call_with_cold_start(aws, deploy):
    deploy("logger_inject_context")
    _, records = _three_invocations(aws, "logger-inject-context")
    for record, cold in zip(records, (True, False, True)):
        (line,) = [l for l in _json_lines(record) if l.get("message") == "Collecting payment"]
        assert line["level"] == "INFO" and line["service"] == "payment" and line["cold_start"] is cold
        assert line["function_name"] == "logger-inject-context" and line["function_memory_size"] == "128"
        assert line["function_request_id"] == record.request_id
        assert line["function_arn"].endswith(":function:logger-inject-context")


def _metric_sum(aws, namespace, name, dimensions):
    now = aws.clock.now()  # what a function stamps its metrics with: the virtual clock
    points = boto3.client("cloudwatch").get_metric_statistics(
        Namespace=namespace, MetricName=name, Dimensions=dimensions, StartTime=now - timedelta(days=1),
        EndTime=now + timedelta(days=1), Period=86400, Statistics=["Sum"])["Datapoints"]
    return sum(p["Sum"] for p in points)


# https://docs.powertools.aws.dev/lambda/python/latest/core/metrics/#capturing-cold-start-metric : a ColdStart metric
# (dimensions function_name and service) once per execution environment, never on warm invocations.
def test_metrics_cold_start_metric_once_per_environment(aws, deploy):
    deploy("metrics_cold_start")
    results, _ = _three_invocations(aws, "metrics-cold-start")
    assert [payload for _, payload in results] == ["booked"] * 3
    cold = [{"Name": "function_name", "Value": "metrics-cold-start"}, {"Name": "service", "Value": "booking"}]
    assert _metric_sum(aws, "ServerlessAirline", "ColdStart", cold) == 2
    booked = [{"Name": "service", "Value": "booking"}]
    assert _metric_sum(aws, "ServerlessAirline", "SuccessfulBooking", booked) == 3


# https://docs.powertools.aws.dev/lambda/python/latest/core/tracer/ : the handler and each captured method are
# subsegments ("## handler", "## <module>.<method>") of the function's segment, annotations searchable.
def test_tracer_subsegments_reach_xray_for_every_invocation(aws, deploy):
    deploy("tracer_capture", TracingConfig={"Mode": "Active"})
    # a second apart: X-Ray's default rule samples the first request of each second (and 5% of the rest)
    results, records = _three_invocations(aws, "tracer-capture", {"charge_id": "ch_1"}, gap_seconds=1)
    assert [payload for _, payload in results] == ["collected ch_1"] * 3
    for record in records:
        assert "discarded" not in record.log and "cannot find the current segment" not in record.log.lower()
    xray = boto3.client("xray")
    now = datetime.fromtimestamp(aws.clock.time(), timezone.utc)  # Lambda's segments are on the sandbox's clock
    ids = [s["Id"] for s in xray.get_trace_summaries(StartTime=now - timedelta(days=1),
                                                     EndTime=now + timedelta(days=1))["TraceSummaries"]]
    functions = [json.loads(s["Document"]) for t in xray.batch_get_traces(TraceIds=ids)["Traces"]
                 for s in t["Segments"] if json.loads(s["Document"]).get("origin") == "AWS::Lambda::Function"]
    assert len(functions) == 3
    for segment in functions:
        handler = next(s for s in segment["subsegments"] if s["name"] == "## handler")
        (method,) = handler["subsegments"]
        assert method["name"] == "## lambda_function.collect_payment"  # Powertools names it module.qualname
        assert method["annotations"]["PaymentId"] == "ch_1"


# https://docs.powertools.aws.dev/lambda/python/latest/core/event_handler/api_gateway/ : a REST API proxy response
# with statusCode 200, a JSON body and Content-Type application/json.
def test_event_handler_routes_a_rest_api_request(aws, deploy):
    deploy("event_handler_rest")
    event = events.rest_api_event(method="GET", path="/todos/42", resource="/todos/{todo_id}", body=None,
                                  path_parameters={"todo_id": "42"})
    results, _ = _three_invocations(aws, "event-handler-rest", event)
    for _, payload in results:
        assert payload["statusCode"] == 200 and json.loads(payload["body"]) == {"id": "42", "done": False}
        content_type = (payload.get("headers") or {}).get("Content-Type") or \
            (payload.get("multiValueHeaders") or {}).get("Content-Type", [None])[0]
        assert content_type == "application/json"


# https://docs.powertools.aws.dev/lambda/python/latest/utilities/batch/ : failed records are reported in
# batchItemFailures; with ReportBatchItemFailures only those stay in the queue.
def test_batch_reports_partial_failures_and_only_they_stay_in_the_queue(aws, deploy):
    deploy("batch_sqs")
    batch = events.sqs_event(events.sqs_record(body=json.dumps({"id": 1}), message_id="m-1"),
                             events.sqs_record(body=json.dumps({"id": 2, "fail": True}), message_id="m-2"))
    results, _ = _three_invocations(aws, "batch-sqs", batch)
    assert [payload for _, payload in results] == [{"batchItemFailures": [{"itemIdentifier": "m-2"}]}] * 3
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="batch-sqs", BatchSize=10,
                                                       FunctionResponseTypes=["ReportBatchItemFailures"])
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": json.dumps({"id": 3})}, {"Id": "b", "MessageBody": json.dumps({"id": 4})},
        {"Id": "c", "MessageBody": json.dumps({"id": 5, "fail": True})}])
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    left = int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])
    assert left == 1


# https://docs.powertools.aws.dev/lambda/python/latest/utilities/parameters/ : values are cached for 5 seconds by
# default, per execution environment.
def test_parameters_are_fetched_and_cached_per_environment(aws, deploy):
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/app/endpoint", Value="https://v1.example.com", Type="String")
    deploy("parameters_ssm")
    assert invoke("parameters-ssm")[1] == {"endpoint": "https://v1.example.com"}
    ssm.put_parameter(Name="/app/endpoint", Value="https://v2.example.com", Type="String", Overwrite=True)
    assert invoke("parameters-ssm")[1] == {"endpoint": "https://v1.example.com"}  # warm: still cached
    aws.advance(hours=2)
    assert invoke("parameters-ssm")[1] == {"endpoint": "https://v2.example.com"}  # a new environment fetches


# https://docs.powertools.aws.dev/lambda/python/latest/utilities/idempotency/ : the same payload returns the stored
# result without running the handler again, from any execution environment (the record lives in DynamoDB), until
# the record expires (expires_after_seconds, an hour by default, on the function's clock: the virtual one).
def test_idempotency_returns_the_first_result_in_every_environment_until_it_expires(aws, deploy):
    boto3.client("dynamodb").create_table(
        TableName="IdempotencyTable", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    deploy("idempotency_dynamodb")
    first = invoke("idempotency-dynamodb", {"amount": 10})[1]
    aws.advance(minutes=20)  # the environment expires (10 idle minutes); the record (an hour) does not
    again = invoke("idempotency-dynamodb", {"amount": 10})[1]
    records = [r for r in aws.invocations if r.function_name == "idempotency-dynamodb"]
    assert records[0].environment_id != records[1].environment_id and records[1].cold_start
    assert first["amount"] == 10 and again == first
    aws.advance(hours=1)
    expired = invoke("idempotency-dynamodb", {"amount": 10})[1]
    assert expired["payment_id"] != first["payment_id"]  # the handler ran again
    other = invoke("idempotency-dynamodb", {"amount": 11})[1]
    assert other["payment_id"] != first["payment_id"]


# https://docs.powertools.aws.dev/lambda/python/latest/utilities/validation/ : an event that breaks the inbound
# schema raises SchemaValidationError before the handler runs.
def test_validation_refuses_an_event_that_breaks_the_schema(aws, deploy):
    deploy("validation_schema")
    results, _ = _three_invocations(aws, "validation-schema", {"message": "hi", "username": "ada"})
    assert [payload for _, payload in results] == [{"greeting": "hello ada"}] * 3
    response, payload = invoke("validation-schema", {"message": "hi"})
    assert response["FunctionError"] == "Unhandled" and payload["errorType"] == "SchemaValidationError"


# https://docs.powertools.aws.dev/lambda/python/latest/utilities/parser/ : the handler receives the parsed model;
# an event that does not fit it raises ValidationError.
def test_parser_hands_the_model_to_the_handler(aws, deploy):
    deploy("parser_model")
    results, _ = _three_invocations(aws, "parser-model", {"id": 7, "description": "seven"})
    assert [payload for _, payload in results] == [{"id": 7, "length": 5}] * 3
    response, payload = invoke("parser-model", {"id": "not a number", "description": "x"})
    assert response["FunctionError"] == "Unhandled" and payload["errorType"] == "ValidationError"
