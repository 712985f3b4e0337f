"""Powertools for AWS Lambda (Python)'s own documentation examples, copied verbatim into tests/corpus/powertools/
(see its NOTICE), deployed through boto3 and held to what their documentation pages say they produce — the
documented log lines, EMF blobs and responses — across a cold start, a warm invocation and a second execution
environment (the first one expired)."""

import ast
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest

from conftest import invoke

EXAMPLES = Path(__file__).parent / "corpus" / "powertools"
ACCOUNT = "123456789012"


def _example(path: str) -> str:
    return (EXAMPLES / path).read_text()


def _documented(path: str):
    return json.loads(_example(path))


@pytest.fixture
def deploy(aws, role, create):
    """deploy(name, example, *extra modules, environment=..., **config): the example (``area/src/module.py``) as
    ``module.py`` beside the extra modules it imports, handler ``module.<handler>``, with the environment the
    examples' SAM templates set."""
    boto3.client("iam").put_role_policy(RoleName="lambda-role", PolicyName="corpus", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
            "ssm:GetParameter", "ssm:GetParameters", "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem",
            "dynamodb:DeleteItem", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]}]}))

    def _deploy(name, example, *extra, handler="lambda_handler", environment=None, **config):
        files = {Path(path).name: _example(path) for path in (example, *extra)}
        if environment:
            config["Environment"] = {"Variables": environment}
        return create(name, files=files, handler=f"{Path(example).stem}.{handler}", **config)

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
    return [payload for _, payload in results], records


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


# docs/core/logger.md, "Capturing Lambda context info": inject_lambda_context.py logs the two lines of
# inject_lambda_context_output.json, with the Lambda context keys and cold_start.
def test_logger_inject_lambda_context(aws, deploy):
    deploy("logger", "logger/src/inject_lambda_context.py", TracingConfig={"Mode": "Active"},
           environment={"POWERTOOLS_SERVICE_NAME": "payment", "POWERTOOLS_LOG_LEVEL": "INFO"})
    documented = _documented("logger/src/inject_lambda_context_output.json")
    event = {"charge_id": documented[1]["message"]["charge_id"]}
    payloads, records = _three_invocations(aws, "logger", event)
    assert payloads == ["hello world"] * 3
    for record, cold in zip(records, (True, False, True)):
        lines = _json_lines(record)
        assert [line["message"] for line in lines] == [doc["message"] for doc in documented]
        for line, doc in zip(lines, documented):
            assert set(line) - {"xray_trace_id"} == set(doc)  # Tracing is Active in the examples' template
            assert (line["level"], line["service"], line["cold_start"]) == ("INFO", "payment", cold)
            assert line["location"] == "lambda_handler:" + doc["location"].rsplit(":", 1)[1]
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\+0000", line["timestamp"])
            assert line["function_name"] == "logger" and str(line["function_memory_size"]) == "128"
            assert line["function_arn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:logger"
            assert line["function_request_id"] == record.request_id


def _metric_sum(aws, namespace, name, dimensions):
    start = min(datetime.now(timezone.utc), datetime.fromtimestamp(aws.clock.time(), timezone.utc))
    points = boto3.client("cloudwatch").get_metric_statistics(
        Namespace=namespace, MetricName=name, Dimensions=dimensions, StartTime=start - timedelta(days=400),
        EndTime=datetime.now(timezone.utc) + timedelta(days=1), Period=86400 * 7, Statistics=["Sum"])["Datapoints"]
    return sum(p["Sum"] for p in points)


def _emf_blobs(record):
    return [line for line in _json_lines(record) if "_aws" in line]


def _without_timestamp(blob):
    return {**blob, "_aws": {k: v for k, v in blob["_aws"].items() if k != "Timestamp"}}


METRICS_ENV = {"POWERTOOLS_SERVICE_NAME": "booking", "POWERTOOLS_METRICS_NAMESPACE": "ServerlessAirline"}


# docs/core/metrics.md, "Adding metrics" / "Flushing metrics": add_metrics.py writes log_metrics_output.json's EMF
# blob on every invocation, and CloudWatch turns it into the SuccessfulBooking metric.
def test_metrics_add_metrics_flushes_the_documented_emf_blob(aws, deploy):
    deploy("add-metrics", "metrics/src/add_metrics.py", environment=METRICS_ENV)
    documented = _without_timestamp(_documented("metrics/src/log_metrics_output.json"))
    _, records = _three_invocations(aws, "add-metrics")
    for record in records:
        (blob,) = _emf_blobs(record)
        assert _without_timestamp(blob) == documented and isinstance(blob["_aws"]["Timestamp"], int)
    assert _metric_sum(aws, "ServerlessAirline", "SuccessfulBooking", [{"Name": "service", "Value": "booking"}]) == 3


# docs/core/metrics.md, "Capturing cold start metric": a ColdStart blob (capture_cold_start_metric_output.json,
# dimensions function_name and service) once per execution environment, never on a warm invocation.
def test_metrics_cold_start_metric_once_per_environment(aws, deploy):
    deploy("cold-metrics", "metrics/src/capture_cold_start_metric.py", environment=METRICS_ENV)
    documented = _without_timestamp(_documented("metrics/src/capture_cold_start_metric_output.json"))
    documented["function_name"] = "cold-metrics"
    _, records = _three_invocations(aws, "cold-metrics")
    assert [[_without_timestamp(b) for b in _emf_blobs(r)] for r in records] == [[documented], [], [documented]]
    dimensions = [{"Name": "function_name", "Value": "cold-metrics"}, {"Name": "service", "Value": "booking"}]
    assert _metric_sum(aws, "ServerlessAirline", "ColdStart", dimensions) == 2


# docs/core/tracer.md: capture_lambda_handler makes a "## lambda_handler" subsegment annotated ColdStart and
# Service, capture_method one per method call with the method's annotations, responses kept as metadata.
def test_tracer_capture_method_reaches_xray_for_every_invocation(aws, deploy):
    deploy("tracer", "tracer/src/capture_method.py", TracingConfig={"Mode": "Active"},
           environment={"POWERTOOLS_SERVICE_NAME": "payment"})
    # a second apart: X-Ray's default rule samples the first request of each second (and 5% of the rest)
    payloads, records = _three_invocations(aws, "tracer", {"charge_id": "ch_1"}, gap_seconds=1)
    assert payloads == ["dummy payment collected for charge: ch_1"] * 3
    for record in records:
        assert "discarded" not in record.log and "cannot find the current segment" not in record.log.lower()
    xray = boto3.client("xray")
    now = datetime.fromtimestamp(aws.clock.time(), timezone.utc)  # Lambda's segments are on the sandbox's clock
    ids = [s["Id"] for s in xray.get_trace_summaries(StartTime=now - timedelta(days=1),
                                                     EndTime=now + timedelta(days=1))["TraceSummaries"]]
    segments = sorted((json.loads(s["Document"]) for t in xray.batch_get_traces(TraceIds=ids)["Traces"]
                       for s in t["Segments"]), key=lambda s: s["start_time"])
    functions = [s for s in segments if s.get("origin") == "AWS::Lambda::Function"]
    assert len(functions) == 3
    for segment, cold in zip(functions, (True, False, True)):
        handler = next(s for s in segment["subsegments"] if s["name"] == "## lambda_handler")
        assert handler["annotations"] == {"ColdStart": cold, "Service": "payment"}
        assert handler["metadata"]["payment"]["lambda_handler response"] == payloads[0]
        (method,) = handler["subsegments"]
        assert method["name"] == "## capture_method.collect_payment"  # Powertools names it module.qualname
        assert method["annotations"] == {"PaymentId": "ch_1"}


def _rest_api(function, path_part):
    apigw = boto3.client("apigateway")
    api = apigw.create_rest_api(name="ping")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    resource = apigw.create_resource(restApiId=api, parentId=root, pathPart=path_part)["id"]
    apigw.put_method(restApiId=api, resourceId=resource, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=resource, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST",
                          uri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                              f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{function}/invocations")
    apigw.create_deployment(restApiId=api, stageName="prod")
    boto3.client("lambda").add_permission(FunctionName=function, StatementId="apigw",
                                          Principal="apigateway.amazonaws.com", Action="lambda:InvokeFunction",
                                          SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api}/*")
    return f"https://{api}.execute-api.us-east-1.amazonaws.com/prod"


# docs/core/event_handler/api_gateway.md, "Response auto-serialization": a dict becomes a JSON body with
# Content-Type application/json (getting_started_resolvers_response_serialization_output.json), here through a
# REST API's proxy integration.
def test_event_handler_rest_api_resolver_behind_api_gateway(aws, deploy):
    deploy("rest", "event_handler_rest/src/getting_started_resolvers_response_serialization.py")
    documented = _documented("event_handler_rest/src/getting_started_resolvers_response_serialization_output.json")
    url = _rest_api("rest", "ping")
    responses = [aws.http("GET", url + "/ping")]
    responses.append(aws.http("GET", url + "/ping"))
    aws.advance(hours=2)
    responses.append(aws.http("GET", url + "/ping"))
    assert [r.cold_start for r in aws.invocations] == [True, False, True]
    for response in responses:
        assert response.status == documented["statusCode"]
        assert response.headers["content-type"] == documented["multiValueHeaders"]["Content-Type"][0]
        assert response.json() == {"message": "pong"}
    assert aws.http("GET", url + "/nowhere").status == 403  # no such resource: API Gateway answers itself
    _, payload = invoke("rest", json.loads(json.dumps(_rest_event("/ping"))))
    assert set(payload) == set(documented) and payload["isBase64Encoded"] is documented["isBase64Encoded"]


def _rest_event(path):
    from lambda_local import events

    return events.rest_api_event(method="GET", path=path, resource=path, body=None)


# docs/utilities/batch.md, "Processing messages from SQS": the documented event (its second body is not JSON) gets
# the documented response, and with ReportBatchItemFailures only the failed message stays in the queue.
def test_batch_sqs_reports_the_documented_partial_failure(aws, deploy):
    deploy("batch", "batch_processing/src/getting_started_sqs.py",
           environment={"POWERTOOLS_SERVICE_NAME": "batch"})
    payloads, _ = _three_invocations(aws, "batch", _documented("batch_processing/src/getting_started_sqs_event.json"))
    assert payloads == [_documented("batch_processing/src/getting_started_sqs_response.json")] * 3
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="batch", BatchSize=10,
                                                       FunctionResponseTypes=["ReportBatchItemFailures"])
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": json.dumps({"Message": "success"})}, {"Id": "b", "MessageBody": "not json"},
        {"Id": "c", "MessageBody": json.dumps({"Message": "success"})}])
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    left = int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])
    assert left == 1


# docs/utilities/idempotency.md, "Getting started": the same payload returns the stored result without running the
# handler again, from any execution environment (the record lives in DynamoDB), until the record expires
# (expires_after_seconds, an hour by default, on the function's clock: the virtual one).
def test_idempotency_returns_the_first_result_in_every_environment_until_it_expires(aws, deploy):
    boto3.client("dynamodb").create_table(
        TableName="IdempotencyTable", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    deploy("idempotency", "idempotency/src/getting_started_with_idempotency.py",
           environment={"IDEMPOTENCY_TABLE": "IdempotencyTable"})
    payload = _documented("idempotency/src/getting_started_with_idempotency_payload.json")
    first = invoke("idempotency", payload)[1]
    warm = invoke("idempotency", payload)[1]
    aws.advance(minutes=20)  # the environment expires (idle); the record (an hour) does not
    second_environment = invoke("idempotency", payload)[1]
    records = [r for r in aws.invocations if r.function_name == "idempotency"]
    assert [r.cold_start for r in records] == [True, False, True]
    assert records[0].environment_id == records[1].environment_id != records[2].environment_id
    assert first["message"] == "success" and first["statusCode"] == 200
    assert warm == second_environment == first
    other = invoke("idempotency", {**payload, "product_id": "987654321"})[1]
    assert other["payment_id"] != first["payment_id"]
    aws.advance(hours=2)
    expired = invoke("idempotency", payload)[1]
    assert expired["payment_id"] != first["payment_id"]  # the record expired: the handler ran again


# docs/utilities/parameters.md, "Fetching multiple parameters by name": values come back by name, the JSON one
# transformed; each is cached for its max_age in the execution environment ("/no_cache_param": max_age 0).
def test_parameters_by_name_with_per_parameter_caching(aws, deploy):
    ssm = boto3.client("ssm")

    def put(version):
        ssm.put_parameter(Name="/develop/service/commons/telemetry/config", Type="String", Overwrite=True,
                          Value=json.dumps({"version": version}))
        ssm.put_parameter(Name="/no_cache_param", Value=f"uncached {version}", Type="String", Overwrite=True)
        ssm.put_parameter(Name="/develop/service/payment/api/capture/url", Type="String", Overwrite=True,
                          Value=f"https://v{version}.example.com")

    def printed(record):
        return dict(line.split(": ", 1) for line in record.log.splitlines() if line.startswith("/"))

    put(1)
    deploy("by-name", "parameters/src/getting_started_parameter_by_name.py", handler="handler")
    invoke("by-name")
    put(2)
    invoke("by-name")
    aws.advance(hours=2)
    invoke("by-name")
    first, warm, second = [printed(r) for r in aws.invocations]
    assert first == {"/develop/service/commons/telemetry/config": "{'version': 1}",
                     "/no_cache_param": "uncached 1", "/develop/service/payment/api/capture/url": "https://v1.example.com"}
    assert warm == {**first, "/no_cache_param": "uncached 2"}  # only the uncached one is fetched again
    assert second == {"/develop/service/commons/telemetry/config": "{'version': 2}",
                      "/no_cache_param": "uncached 2", "/develop/service/payment/api/capture/url": "https://v2.example.com"}


# docs/utilities/parser.md, "Multiple models": a discriminated union picks the model; an event that fits neither
# raises ValidationError before the handler runs.
def test_parser_picks_the_model_of_a_discriminated_union(aws, deploy):
    deploy("parser", "parser/src/multiple_model_parsing.py")
    payloads, _ = _three_invocations(aws, "parser", {"animal": "cat", "name": "Tom", "meow": 3})
    assert payloads == ["🐈: Tom"] * 3
    assert invoke("parser", {"animal": "dog", "name": "Rex", "bark": 2})[1] == "🐶: Rex"
    response, error = invoke("parser", {"animal": "cow", "name": "Daisy"})
    assert response["FunctionError"] == "Unhandled" and error["errorType"] == "ValidationError"


# docs/utilities/validation.md, "Validator decorator": the documented payload passes the inbound schema and the
# answer the outbound one; an event without the required "ip" raises SchemaValidationError.
def test_validator_decorator_with_the_documented_payload(aws, deploy):
    boto3.client("ssm").put_parameter(Name="/lambda-powertools/allowed_ips", Value="192.168.0.1,10.0.0.1",
                                      Type="String")
    deploy("validation", "validation/src/getting_started_validator_decorator_function.py",
           "validation/src/getting_started_validator_decorator_schema.py")
    payload = _documented("validation/src/getting_started_validator_decorator_payload.json")
    payloads, _ = _three_invocations(aws, "validation", payload)
    for answer in payloads:
        assert answer["statusCode"] == 200
        assert {k: v for k, v in answer["body"].items() if k != "user_id"} == {
            "ip": "192.168.0.1", "permissions": ["read", "write"], "name": "Project Lambda Powertools"}
    # an unknown user gets body None, which the outbound schema refuses ("the body must be an object because must
    # match OUTPUT schema, otherwise it fails", as the example's own comment says)
    response, error = invoke("validation", {**payload, "user_id": "someone else"})
    assert response["FunctionError"] == "Unhandled" and error["errorType"] == "SchemaValidationError"
    assert "data.body must be object" in error["errorMessage"]
    response, error = invoke("validation", {"user_id": payload["user_id"], "project": "powertools"})
    assert response["FunctionError"] == "Unhandled" and error["errorType"] == "SchemaValidationError"


# docs/utilities/data_classes.md, "Debugging": printing an event data class shows its properties, sensitive values
# masked, as debugging_output.json shows for debugging_event.json.
def test_event_source_data_class_prints_as_documented(aws, deploy):
    deploy("debugging", "event_sources/src/debugging.py")
    _, records = _three_invocations(aws, "debugging", _documented("event_sources/src/debugging_event.json"))
    documented = _newer_powertools(_documented("event_sources/src/debugging_output.json"))
    for record in records:
        (printed,) = [line for line in record.log.splitlines() if line.startswith("{")]
        assert ast.literal_eval(printed) == documented


def _newer_powertools(printed):
    """The documented printout as the installed (newer) Powertools prints it: a missing value as None rather than
    'None', and a nested configuration without the decoded_user_parameters the event as a whole still shows.
    (The same differences appear when the example runs outside lambda_local; they come from the library.)"""
    if isinstance(printed, list):
        return [_newer_powertools(value) for value in printed]
    if isinstance(printed, dict):
        nested = "function_name" in printed  # the action configuration
        return {key: _newer_powertools(value) for key, value in printed.items()
                if not (nested and key == "decoded_user_parameters")}
    return None if printed == "None" else printed
