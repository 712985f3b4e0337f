"""Services that invoke functions run the code in the runtime (issue 13 item 9): Secrets Manager rotation, Step
Functions Task states, CloudWatch Logs subscription filters."""

import json
import time

import boto3
import pytest

ROTATION = """
import boto3

secrets = boto3.client("secretsmanager")


def handler(event, context):
    step, arn, token = event["Step"], event["SecretId"], event["ClientRequestToken"]
    print("STEP", step)
    if step == "createSecret":
        secrets.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString="rotated",
                                 VersionStages=["AWSPENDING"])
"""


@pytest.fixture
def allow(role):
    def _allow(*actions):
        boto3.client("iam").put_role_policy(RoleName="lambda-role", PolicyName="extra", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}))
    return _allow


def _rotator(create, grant=True):
    """The rotation function; with ``grant``, its resource policy lets Secrets Manager invoke it (AWS requires it)."""
    arn = boto3.client("lambda").get_function(FunctionName=create("rotator", ROTATION))["Configuration"]["FunctionArn"]
    if grant:
        boto3.client("lambda").add_permission(FunctionName="rotator", StatementId="secretsmanager",
                                              Action="lambda:InvokeFunction", Principal="secretsmanager.amazonaws.com")
    return arn


def _steps(aws, name):
    return [line.split()[1] for record in aws.invocations if record.function_name == name
            for line in record.log.splitlines() if line.startswith("STEP ")]


def test_secrets_manager_rotation_runs_each_step_of_the_function(aws, create, allow):
    allow("secretsmanager:*")
    arn = _rotator(create)
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="db", SecretString="original")
    secrets.rotate_secret(SecretId="db", RotationLambdaARN=arn, RotationRules={"AutomaticallyAfterDays": 30})
    assert _steps(aws, "rotator") == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    assert all(record.error_type is None for record in aws.invocations)


def test_rotation_that_does_not_rotate_immediately_only_tests(aws, create, allow):
    allow("secretsmanager:*")
    arn = _rotator(create)
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="db", SecretString="original")
    secrets.rotate_secret(SecretId="db", RotationLambdaARN=arn, RotateImmediately=False,
                          RotationRules={"AutomaticallyAfterDays": 30})
    assert _steps(aws, "rotator") == ["testSecret"]
    assert secrets.get_secret_value(SecretId="db")["SecretString"] == "original"


def test_rotation_without_a_permission_for_secrets_manager_is_refused_and_changes_nothing(aws, create, allow):
    allow("secretsmanager:*")
    arn = _rotator(create, grant=False)
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="db", SecretString="original")
    with pytest.raises(secrets.exceptions.ClientError) as refused:
        secrets.rotate_secret(SecretId="db", RotationLambdaARN=arn, RotationRules={"AutomaticallyAfterDays": 30})
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "principal secretsmanager.amazonaws.com" in refused.value.response["Error"]["Message"]
    assert _steps(aws, "rotator") == []
    described = secrets.describe_secret(SecretId="db")
    assert not described.get("RotationEnabled") and "RotationLambdaARN" not in described
    assert [v["VersionStages"] for v in secrets.list_secret_version_ids(SecretId="db")["Versions"]] == [["AWSCURRENT"]]


def test_rotate_secret_without_a_function_arn_uses_the_configured_one(aws, create, allow):
    allow("secretsmanager:*")
    arn = _rotator(create)
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="db", SecretString="original")
    secrets.rotate_secret(SecretId="db", RotationLambdaARN=arn, RotateImmediately=False,
                          RotationRules={"AutomaticallyAfterDays": 30})
    secrets.rotate_secret(SecretId="db")  # "starts a rotation with the values already stored in the secret"
    assert _steps(aws, "rotator") == ["testSecret", "createSecret", "setSecret", "testSecret", "finishSecret"]
    assert secrets.get_secret_value(SecretId="db")["SecretString"] == "rotated"


def _wait_for_execution(sfn, arn):
    for _ in range(200):  # moto runs the state machine in a thread of its own
        execution = sfn.describe_execution(executionArn=arn)
        if execution["status"] != "RUNNING":
            return execution
        time.sleep(0.05)
    raise AssertionError("the execution did not finish")


@pytest.mark.parametrize("resource", ["arn", "integration"])
def test_step_functions_task_states_run_the_function(aws, create, resource):
    create("double", "def handler(e, c):\n    return {'n': e['n'] * 2}\n")
    function_arn = boto3.client("lambda").get_function(FunctionName="double")["Configuration"]["FunctionArn"]
    task = ({"Type": "Task", "Resource": function_arn, "End": True} if resource == "arn" else
            {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "OutputPath": "$.Payload",
             "Parameters": {"FunctionName": function_arn, "Payload.$": "$"}, "End": True})
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="m", roleArn="arn:aws:iam::123456789012:role/sfn",
        definition=json.dumps({"StartAt": "Double", "States": {"Double": task}}))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"n": 21}))["executionArn"]
    finished = _wait_for_execution(sfn, execution)
    assert finished["status"] == "SUCCEEDED" and json.loads(finished["output"]) == {"n": 42}
    assert [r.function_name for r in aws.invocations] == ["double"]


def test_a_logs_subscription_filter_delivers_gzipped_events_to_the_function(aws, create):
    create("reader", "import base64, gzip, json\n"
                     "def handler(e, c):\n"
                     "    data = json.loads(gzip.decompress(base64.b64decode(e['awslogs']['data'])))\n"
                     "    print('GOT', json.dumps([x['message'] for x in data['logEvents']]), data['logGroup'])\n")
    function_arn = boto3.client("lambda").get_function(FunctionName="reader")["Configuration"]["FunctionArn"]
    boto3.client("lambda").add_permission(FunctionName="reader", StatementId="logs", Action="lambda:InvokeFunction",
                                          Principal="logs.amazonaws.com")
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="/app")
    logs.create_log_stream(logGroupName="/app", logStreamName="s")
    logs.put_subscription_filter(logGroupName="/app", filterName="all", filterPattern="",
                                 destinationArn=function_arn)
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName="/app", logStreamName="s",
                        logEvents=[{"timestamp": now, "message": "one"}, {"timestamp": now + 1, "message": "two"}])
    lines = [line for r in aws.invocations for line in r.log.splitlines() if line.startswith("GOT ")]
    assert lines == ['GOT ["one", "two"] /app']
