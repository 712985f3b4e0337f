"""The Lambda API through boto3 inside lambda_local.mock_aws(): functions really run, as AWS runs them."""

import base64

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import invoke, zip_files

ECHO = """
import os
INIT = {"count": 0}
INIT["count"] += 1
def handler(event, context):
    print("event:", event)
    return {"event": event, "inits": INIT["count"], "version": context.function_version,
            "arn": context.invoked_function_arn, "greeting": os.environ.get("GREETING")}
"""


def test_create_invoke_update_delete_walkthrough(aws, create):
    client = boto3.client("lambda")
    create("hello", ECHO, Timeout=30, MemorySize=256, Environment={"Variables": {"GREETING": "hi"}})
    response, body = invoke("hello", {"name": "Ada"})
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert body["event"] == {"name": "Ada"} and body["greeting"] == "hi" and body["version"] == "$LATEST"
    assert response["ExecutedVersion"] == "$LATEST"
    client.update_function_code(FunctionName="hello", ZipFile=zip_files({"lambda_function.py": """
        def handler(event, context):
            return "v2"
    """}))
    assert invoke("hello")[1] == "v2"
    assert aws.invocations[-1].cold_start  # new code: new environment
    client.update_function_configuration(FunctionName="hello", MemorySize=512)
    assert invoke("hello")[1] == "v2" and aws.invocations[-1].memory_size_mb == 512
    assert aws.invocations[-1].cold_start
    assert [f["FunctionName"] for f in client.list_functions()["Functions"]] == ["hello"]
    assert client.get_function(FunctionName="hello")["Configuration"]["MemorySize"] == 512
    client.delete_function(FunctionName="hello")
    with pytest.raises(ClientError) as raised:
        invoke("hello")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


CONFIGURED = """
import os


def handler(event, context):
    return [os.environ.get("GREETING"), int(context.memory_limit_in_mb), context.get_remaining_time_in_millis() > 5000]


def other(event, context):
    return "other"
"""


def test_each_configuration_change_reaches_the_next_invocation(aws, create):
    """The runtime's config of a function is made again only when what it is made from changed: each change must be
    seen by the next invocation, in a new environment, and an unchanged function keeps its warm one."""
    client = boto3.client("lambda")
    create("conf", CONFIGURED, Timeout=3, Environment={"Variables": {"GREETING": "hi"}})
    assert invoke("conf")[1] == ["hi", 128, False]
    assert invoke("conf")[1] == ["hi", 128, False] and not aws.invocations[-1].cold_start
    changes = [({"Environment": {"Variables": {"GREETING": "hello"}}}, ["hello", 128, False]),
               ({"MemorySize": 256}, ["hello", 256, False]),
               ({"Timeout": 30}, ["hello", 256, True]),
               ({"LoggingConfig": {"LogFormat": "JSON"}}, ["hello", 256, True]),
               ({"Handler": "lambda_function.other"}, "other")]
    for change, seen in changes:
        client.update_function_configuration(FunctionName="conf", **change)
        assert invoke("conf")[1] == seen, change
        assert aws.invocations[-1].cold_start, change
    assert '"type":"platform.report"' in aws.invocations[-1].log.replace(" ", "")


def test_an_event_with_a_qualifier_key_is_an_event_not_a_qualifier(aws, create):
    """Invoke's Qualifier is a query parameter (?Qualifier=): a payload field of that name is the handler's."""
    create("echo", "def handler(event, context):\n    return [event, context.invoked_function_arn]\n")
    version = boto3.client("lambda").publish_version(FunctionName="echo")["Version"]
    event = {"Qualifier": "7", "name": "x"}
    assert invoke("echo", event)[1] == [event, "arn:aws:lambda:us-east-1:123456789012:function:echo"]
    assert invoke("echo", event, Qualifier=version)[1] == [
        event, f"arn:aws:lambda:us-east-1:123456789012:function:echo:{version}"]


def test_warm_reuse_and_idle_expiry_on_the_virtual_clock(aws, create):
    create("warm", ECHO)
    assert [invoke("warm")[1]["inits"] for _ in range(3)] == [1, 1, 1]
    assert [r.cold_start for r in aws.invocations] == [True, False, False]
    aws.advance(minutes=5)
    invoke("warm")
    assert aws.invocations[-1].cold_start is False
    aws.advance(hours=1)
    invoke("warm")
    assert aws.invocations[-1].cold_start is True
    assert len(aws.environments("warm")) == 1


def test_invocation_records(aws, create):
    create("rec", ECHO, MemorySize=1024)
    invoke("rec")
    record = aws.invocations[-1]
    assert record.function_name == "rec" and record.memory_size_mb == 1024 and record.error_type is None
    assert len(record.request_id) == 36 and record.cold_start and record.init_duration_ms > 0
    assert record.billed_duration_ms == -(-(record.duration_ms + record.init_duration_ms) // 1)
    expected = 0.2 / 1e6 + 1024 / 1024 * record.billed_duration_ms / 1000 * 0.0000166667
    assert record.cost_usd == pytest.approx(expected, rel=1e-6)
    assert 31 <= record.max_memory_used_mb <= 1024


def test_tail_log_is_the_last_4kb_base64(aws, create):
    create("talk", """
        def handler(event, context):
            for i in range(event["lines"]):
                print(f"line {i:05d} " + "x" * 50)
            return "done"
    """)
    response, _ = invoke("talk", {"lines": 3}, LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()
    assert log.startswith("INIT_START Runtime Version: ") and "\nSTART RequestId: " in log
    assert "line 00002" in log and "REPORT RequestId: " in log
    response, _ = invoke("talk", {"lines": 500}, LogType="Tail")
    tail = base64.b64decode(response["LogResult"])
    assert len(tail) == 4096 and tail.decode().rstrip().splitlines()[-1].startswith("REPORT")
    assert "LogResult" not in invoke("talk", {"lines": 1})[0]


def test_function_error_through_boto3(aws, create):
    create("boom", """
        def handler(event, context):
            raise RuntimeError("it broke")
    """)
    response, body = invoke("boom")
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "RuntimeError" and body["errorMessage"] == "it broke"
    assert body["requestId"] == aws.invocations[-1].request_id
    assert body["stackTrace"][0].startswith('  File "/var/task/lambda_function.py", line 3, in handler')


def test_invocation_types(aws, create):
    create("types", ECHO)
    client = boto3.client("lambda")
    response = client.invoke(FunctionName="types", InvocationType="Event", Payload=b'{"a": 1}')
    assert response["StatusCode"] == 202 and response["Payload"].read() == b""
    assert len(aws.invocations) == 1 and aws.invocations[0].invocation_type == "Event"  # ran before returning
    response = client.invoke(FunctionName="types", InvocationType="DryRun")
    assert response["StatusCode"] == 204 and len(aws.invocations) == 1


def test_versions_aliases_and_qualifier(aws, create):
    client = boto3.client("lambda")
    create("ver", "def handler(e, c):\n    return ['v1', c.function_version, c.invoked_function_arn]\n")
    v1 = client.publish_version(FunctionName="ver")["Version"]
    client.update_function_code(FunctionName="ver", ZipFile=zip_files(
        {"lambda_function.py": "def handler(e, c):\n    return ['v2', c.function_version, c.invoked_function_arn]\n"}))
    client.create_alias(FunctionName="ver", Name="live", FunctionVersion=v1)
    arn = "arn:aws:lambda:us-east-1:123456789012:function:ver"
    assert invoke("ver")[1] == ["v2", "$LATEST", arn]
    assert invoke("ver", Qualifier=v1)[1] == ["v1", v1, f"{arn}:{v1}"]
    response, body = invoke("ver", Qualifier="live")
    assert body == ["v1", v1, f"{arn}:live"] and response["ExecutedVersion"] == v1


def test_logs_land_in_cloudwatch_one_stream_per_environment(aws, create):
    create("logged", ECHO)
    invoke("logged", {"n": 1})
    invoke("logged", {"n": 2})
    logs = boto3.client("logs")
    groups = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
    assert groups == ["/aws/lambda/logged"]
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/logged")["logStreams"]
    assert len(streams) == 1
    name = streams[0]["logStreamName"]
    assert name == aws.invocations[0].log_stream_name and name.startswith("2026/01/01/[$LATEST]")
    assert len(name.split("]")[1]) == 32
    messages = [e["message"] for e in logs.get_log_events(logGroupName="/aws/lambda/logged",
                                                           logStreamName=name)["events"]]
    assert [m.split(" ")[0] for m in messages] == ["INIT_START"] + ["START", "event:", "END", "REPORT"] * 2
    aws.advance(hours=2)
    invoke("logged")
    assert len(logs.describe_log_streams(logGroupName="/aws/lambda/logged")["logStreams"]) == 2


def test_metrics_in_cloudwatch(aws, create):
    create("measured", "def handler(e, c):\n    if e.get('fail'):\n        raise ValueError()\n    return 1\n")
    invoke("measured")
    invoke("measured", {"fail": True})
    cloudwatch = boto3.client("cloudwatch")

    def total(metric):
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda", MetricName=metric, Dimensions=[{"Name": "FunctionName", "Value": "measured"}],
            StartTime="2025-12-31T00:00:00Z", EndTime="2026-01-02T00:00:00Z", Period=86400,
            Statistics=["Sum"])["Datapoints"]
        return sum(p["Sum"] for p in points)

    assert total("Invocations") == 2 and total("Errors") == 1
    assert total("Duration") == pytest.approx(sum(r.duration_ms for r in aws.invocations), abs=0.1)


def test_throttles(aws, create):
    create("limited", ECHO)
    client = boto3.client("lambda")
    client.put_function_concurrency(FunctionName="limited", ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as raised:
        invoke("limited")
    error = raised.value.response
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    with pytest.raises(ClientError) as raised:
        client.put_function_concurrency(FunctionName="limited", ReservedConcurrentExecutions=950)
    assert "below its minimum value of [100]" in raised.value.response["Error"]["Message"]
    client.delete_function_concurrency(FunctionName="limited")
    assert invoke("limited")[0]["StatusCode"] == 200


def test_payload_errors_through_boto3(aws, create):
    create("sizes", ECHO)
    client = boto3.client("lambda")
    with pytest.raises(ClientError) as raised:
        client.invoke(FunctionName="sizes", Payload=b"x" * (6 * 1024 * 1024 + 1))
    assert raised.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    with pytest.raises(ClientError) as raised:
        client.invoke(FunctionName="sizes", Payload=b"{nope")
    assert raised.value.response["Error"]["Code"] == "InvalidRequestContentException"


@pytest.mark.parametrize("config, code", [
    ({"MemorySize": 10241}, "ValidationException"),
    ({"Timeout": 901}, "ValidationException"),
    ({"Environment": {"Variables": {"BIG": "x" * 4100}}}, "InvalidParameterValueException"),
    ({"Runtime": "python3.7"}, "InvalidParameterValueException"),
])
def test_bad_configuration_is_refused_as_aws_refuses_it(aws, create, config, code):
    with pytest.raises(ClientError) as raised:
        create("bad", ECHO, **config)
    assert raised.value.response["Error"]["Code"] == code


def test_corrupt_zip_is_refused(aws, role):
    with pytest.raises(ClientError) as raised:
        boto3.client("lambda").create_function(FunctionName="z", Runtime="python3.12", Role=role,
                                               Handler="a.b", Code={"ZipFile": b"not a zip at all"})
    assert raised.value.response["Error"]["Message"].startswith("Could not unzip uploaded file.")


def test_each_environment_has_its_own_modules(aws, create):
    counter = """
        import helper
        def handler(event, context):
            helper.CALLS.append(1)
            return [helper.NAME, len(helper.CALLS)]
    """
    create("one", files={"lambda_function.py": counter, "helper.py": "NAME = 'one'\nCALLS = []\n"})
    create("two", files={"lambda_function.py": counter, "helper.py": "NAME = 'two'\nCALLS = []\n"})
    assert invoke("one")[1] == ["one", 1] and invoke("two")[1] == ["two", 1]
    assert invoke("one")[1] == ["one", 2] and invoke("two")[1] == ["two", 2]
    import sys
    assert "helper" not in sys.modules and "lambda_function" not in sys.modules


def test_powertools_cold_start_flag_is_fresh_in_each_environment(aws, create):
    source = """
        from aws_lambda_powertools import Logger
        logger = Logger(service="svc")
        @logger.inject_lambda_context
        def handler(event, context):
            from aws_lambda_powertools.logging import logger as module
            return logger.get_current_keys().get("cold_start")
    """
    import aws_lambda_powertools  # noqa: F401 - the caller has it loaded too; environments must not share it
    create("pt1", source)
    create("pt2", source)
    assert [invoke("pt1")[1], invoke("pt1")[1], invoke("pt2")[1], invoke("pt2")[1]] == [True, False, True, False]
    aws.advance(hours=1)
    assert invoke("pt1")[1] is True


def test_handler_credentials_are_the_roles_and_the_callers_are_untouched(aws, create):
    import os
    create("creds", "import os\ndef handler(e, c):\n    return [os.environ['AWS_ACCESS_KEY_ID'], "
                    "os.environ['AWS_SESSION_TOKEN'][:4]]\n")
    key, token = invoke("creds")[1]
    assert key.startswith("ASIA") and len(key) == 20 and token == "IQoJ"
    assert not os.environ["AWS_ACCESS_KEY_ID"].startswith("ASIA")  # the caller keeps its own


def test_reserved_concurrency_zero_throttles_a_warm_function_too(aws, create):
    create("warm-then-stopped", ECHO)
    invoke("warm-then-stopped")
    boto3.client("lambda").put_function_concurrency(FunctionName="warm-then-stopped", ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as raised:
        invoke("warm-then-stopped")
    assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"


def test_ephemeral_storage_update_is_applied_and_validated(aws, create):
    create("scratch", ECHO)
    client = boto3.client("lambda")
    client.update_function_configuration(FunctionName="scratch", EphemeralStorage={"Size": 2048})
    assert client.get_function_configuration(FunctionName="scratch")["EphemeralStorage"] == {"Size": 2048}
    with pytest.raises(ClientError) as raised:
        client.update_function_configuration(FunctionName="scratch", EphemeralStorage={"Size": 20480})
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_a_function_invoking_another_leaves_no_modules_behind(aws, create):
    import json as json_module
    import sys

    boto3.client("iam").put_role_policy(RoleName="lambda-role", PolicyName="invoke", PolicyDocument=json_module.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction",
                                                  "Resource": "*"}]}))
    create("inner", files={"lambda_function.py": "import inner_helper\ndef handler(e, c):\n    return inner_helper.X\n",
                           "inner_helper.py": "X = 'inner'\n"})
    create("outer", files={"lambda_function.py": """
        import json, boto3, outer_helper
        def handler(event, context):
            del __import__("sys").modules["json"]  # a handler that tampers with a shared module
            response = boto3.client("lambda").invoke(FunctionName="inner")
            return [outer_helper.X, __import__("json").loads(response["Payload"].read())]
    """, "outer_helper.py": "X = 'outer'\n"})
    assert invoke("outer")[1] == ["outer", "inner"]
    for name in ("lambda_function", "inner_helper", "outer_helper"):
        assert name not in sys.modules
    assert sys.modules["json"] is json_module  # the host's own json, not the copy the handler imported


def test_provisioned_concurrency_keeps_environments_initialised(aws, create):
    create("steady", """
        import os
        def handler(event, context):
            return os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]
    """)
    client = boto3.client("lambda")
    version = client.publish_version(FunctionName="steady")["Version"]
    client.create_alias(FunctionName="steady", Name="live", FunctionVersion=version)
    with pytest.raises(ClientError) as raised:
        client.put_provisioned_concurrency_config(FunctionName="steady", Qualifier="$LATEST",
                                                  ProvisionedConcurrentExecutions=5)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
    client.put_provisioned_concurrency_config(FunctionName="steady", Qualifier="live",
                                              ProvisionedConcurrentExecutions=5)
    config = client.get_provisioned_concurrency_config(FunctionName="steady", Qualifier="live")
    assert config["Status"] == "READY" and config["AllocatedProvisionedConcurrentExecutions"] == 5
    assert len(aws.environments("steady")) == 5
    for _ in range(3):
        assert invoke("steady", Qualifier="live")[1] == "provisioned-concurrency"
        aws.advance(hours=2)  # provisioned environments never expire
    assert not any(r.cold_start for r in aws.invocations)
    client.delete_provisioned_concurrency_config(FunctionName="steady", Qualifier="live")
    aws.advance(hours=2)
    assert invoke("steady", Qualifier="live")[1] == "on-demand" and aws.invocations[-1].cold_start


def test_account_settings_report_the_sandboxs_concurrency(aws, create):
    create("counted", ECHO)
    client = boto3.client("lambda")
    client.put_function_concurrency(FunctionName="counted", ReservedConcurrentExecutions=100)
    settings = client.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == 900
    assert settings["AccountUsage"]["FunctionCount"] == 1


def test_total_code_size_counts_every_version_and_every_layer_archive(aws, create):
    """AWS: "the amount of storage space that you're using for deployment packages and layer archives"; each
    published version keeps its package. (It also reads moto's storage directly: a moto upgrade that moves it fails
    here.)"""
    client = boto3.client("lambda")
    layer = zip_files({"python/helper.py": "X = 1\n"})
    layer_size = client.publish_layer_version(LayerName="helpers", Content={"ZipFile": layer})["Content"]["CodeSize"]
    create("sized", ECHO)
    package = client.get_function(FunctionName="sized")["Configuration"]["CodeSize"]
    client.publish_version(FunctionName="sized")
    usage = client.get_account_settings()["AccountUsage"]
    assert usage["TotalCodeSize"] == 2 * package + layer_size
    assert usage["FunctionCount"] == 1


def test_create_function_answers_pending_and_the_waiter_sees_active(aws, role):
    client = boto3.client("lambda")
    created = client.create_function(FunctionName="fresh", Runtime="python3.12", Role=role,
                                     Handler="lambda_function.handler", Timeout=30,
                                     Code={"ZipFile": zip_files({"lambda_function.py": ECHO})})
    assert (created["State"], created["StateReasonCode"]) == ("Pending", "Creating")
    assert created["StateReason"] == "The function is being created."
    client.get_waiter("function_active_v2").wait(FunctionName="fresh", WaiterConfig={"Delay": 1, "MaxAttempts": 1})
    configuration = client.get_function(FunctionName="fresh")["Configuration"]
    assert (configuration["State"], configuration["LastUpdateStatus"]) == ("Active", "Successful")
    assert "StateReasonCode" not in configuration
    assert invoke("fresh", {"n": 1})[1]["event"] == {"n": 1}
