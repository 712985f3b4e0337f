"""`lambda-local serve` driven by the AWS CLI (the awscli package, v1) as the guides' walkthrough does, plus curl."""

import json
import os
import shutil
import subprocess
import sys
import urllib.request
import zipfile

import pytest

from conftest import start_serve

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
HANDLER = """
import os
def lambda_handler(event, context):
    print("event:", event)
    return {"message": os.environ.get("GREETING", "Hello") + ", " + event.get("name", "world")}
"""



@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    server, port = start_serve("--seed", "3")
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(10)


def aws(endpoint, *args, parse=True):
    """The AWS CLI (v1), run in this process: the same driver `aws` runs, over HTTP to the endpoint, without paying a
    new interpreter and the CLI's imports for every command (two to four seconds each on a loaded machine)."""
    import contextlib
    import io

    from awscli.clidriver import create_clidriver

    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": "", "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    saved = {key: os.environ.get(key) for key in env}
    out, err = io.StringIO(), io.StringIO()
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = create_clidriver().main(["--endpoint-url", endpoint, *args])
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert code == 0, err.getvalue()
    text = out.getvalue()
    return json.loads(text) if parse and text.strip() else text


def local(endpoint, *args):
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint}
    done = subprocess.run([sys.executable, "-m", "lambda_local.cli", *args], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_guides_cli_walkthrough(endpoint, tmp_path):
    (tmp_path / "trust-policy.json").write_text(json.dumps(TRUST))
    with zipfile.ZipFile(tmp_path / "function.zip", "w") as archive:
        archive.writestr("lambda_function.py", HANDLER)
    role = aws(endpoint, "iam", "create-role", "--role-name", "lambda-ex",
               "--assume-role-policy-document", f"file://{tmp_path}/trust-policy.json")["Role"]["Arn"]
    aws(endpoint, "iam", "attach-role-policy", "--role-name", "lambda-ex", "--policy-arn",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", parse=False)
    created = aws(endpoint, "lambda", "create-function", "--function-name", "my-function", "--runtime", "python3.12",
                  "--handler", "lambda_function.lambda_handler", "--role", role, "--timeout", "30",
                  "--memory-size", "256", "--zip-file", f"fileb://{tmp_path}/function.zip")
    assert created["FunctionName"] == "my-function" and created["MemorySize"] == 256
    # AWS CLI v1 sends --payload as it is (v2 needs --cli-binary-format raw-in-base64-out for this)
    result = aws(endpoint, "lambda", "invoke", "--function-name", "my-function", "--payload", '{"name": "Ada"}',
                 "--log-type", "Tail", str(tmp_path / "response.json"))
    assert result["StatusCode"] == 200
    assert json.loads((tmp_path / "response.json").read_text()) == {"message": "Hello, Ada"}
    aws(endpoint, "lambda", "update-function-configuration", "--function-name", "my-function",
        "--environment", "Variables={GREETING=Hi}")
    aws(endpoint, "lambda", "invoke", "--function-name", "my-function", "--payload", '{"name": "Bob"}',
        str(tmp_path / "response.json"))
    assert json.loads((tmp_path / "response.json").read_text()) == {"message": "Hi, Bob"}
    groups = aws(endpoint, "logs", "describe-log-groups")["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/aws/lambda/my-function"]
    tail = local(endpoint, "logs", "my-function")
    assert "event: {'name': 'Ada'}" in tail and "REPORT RequestId" in tail

    # an event source mapping, a schedule, a Function URL
    queue = aws(endpoint, "sqs", "create-queue", "--queue-name", "jobs")["QueueUrl"]
    aws(endpoint, "lambda", "create-event-source-mapping", "--function-name", "my-function", "--batch-size", "10",
        "--maximum-batching-window-in-seconds", "5",
        "--event-source-arn", "arn:aws:sqs:us-east-1:123456789012:jobs")
    aws(endpoint, "sqs", "send-message", "--queue-url", queue, "--message-body", "job 1")
    rule = aws(endpoint, "events", "put-rule", "--name", "every-5", "--schedule-expression", "rate(5 minutes)")
    aws(endpoint, "lambda", "add-permission", "--function-name", "my-function", "--statement-id", "events",
        "--action", "lambda:InvokeFunction", "--principal", "events.amazonaws.com", "--source-arn", rule["RuleArn"])
    aws(endpoint, "events", "put-targets", "--rule", "every-5", "--targets",
        "Id=1,Arn=arn:aws:lambda:us-east-1:123456789012:function:my-function")
    before = json.loads(urllib.request.urlopen(endpoint + "/_lambda_local/invocations").read())
    assert "virtual time is now" in local(endpoint, "advance", "--minutes", "10")
    after = json.loads(urllib.request.urlopen(endpoint + "/_lambda_local/invocations").read())
    assert len(after) - len(before) == 3  # the SQS batch (after its 5 s window) and two scheduled events
    url = aws(endpoint, "lambda", "create-function-url-config", "--function-name", "my-function",
              "--auth-type", "NONE")["FunctionUrl"]
    aws(endpoint, "lambda", "add-permission", "--function-name", "my-function", "--statement-id", "url",
        "--action", "lambda:InvokeFunctionUrl", "--principal", "*", "--function-url-auth-type", "NONE")
    aws(endpoint, "lambda", "add-permission", "--function-name", "my-function", "--statement-id", "url-invoke",
        "--action", "lambda:InvokeFunction", "--principal", "*", "--invoked-via-function-url")
    if shutil.which("curl"):
        done = subprocess.run(["curl", "-s", url + "?name=Cy"], capture_output=True, text=True, timeout=30)
        assert json.loads(done.stdout)["message"].startswith("Hi, ")
    listed = aws(endpoint, "lambda", "list-functions")["Functions"]
    assert [f["FunctionName"] for f in listed] == ["my-function"]
    aws(endpoint, "lambda", "delete-function", "--function-name", "my-function", parse=False)
    aws(endpoint, "iam", "detach-role-policy", "--role-name", "lambda-ex", "--policy-arn",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", parse=False)
    aws(endpoint, "iam", "delete-role", "--role-name", "lambda-ex", parse=False)
    assert aws(endpoint, "lambda", "list-functions")["Functions"] == []
    assert aws(endpoint, "iam", "list-roles")["Roles"] == []


def test_serve_keeps_the_tracing_config_a_function_is_created_with(endpoint, tmp_path):
    (tmp_path / "trust-policy.json").write_text(json.dumps(TRUST))
    with zipfile.ZipFile(tmp_path / "function.zip", "w") as archive:
        archive.writestr("lambda_function.py", HANDLER)
    role = aws(endpoint, "iam", "create-role", "--role-name", "traced-role",
               "--assume-role-policy-document", f"file://{tmp_path}/trust-policy.json")["Role"]["Arn"]
    created = aws(endpoint, "lambda", "create-function", "--function-name", "traced", "--runtime", "python3.12",
                  "--handler", "lambda_function.lambda_handler", "--role", role, "--tracing-config", "Mode=Active",
                  "--zip-file", f"fileb://{tmp_path}/function.zip")
    assert created["TracingConfig"] == {"Mode": "Active"}
    configuration = aws(endpoint, "lambda", "get-function-configuration", "--function-name", "traced")
    assert configuration["TracingConfig"] == {"Mode": "Active"}
    aws(endpoint, "lambda", "update-function-configuration", "--function-name", "traced",
        "--tracing-config", "Mode=PassThrough")
    configuration = aws(endpoint, "lambda", "get-function-configuration", "--function-name", "traced")
    assert configuration["TracingConfig"] == {"Mode": "PassThrough"}
    aws(endpoint, "lambda", "delete-function", "--function-name", "traced", parse=False)
    aws(endpoint, "iam", "delete-role", "--role-name", "traced-role", parse=False)


NODE_CALLER = """
import { LambdaClient, InvokeCommand } from "@aws-sdk/client-lambda";
const lambda = new LambdaClient({});
export const handler = async (event) => {
  const answer = await lambda.send(new InvokeCommand({ FunctionName: event.next, Payload: JSON.stringify(event) }));
  return { via: process.env.AWS_EXECUTION_ENV, got: JSON.parse(Buffer.from(answer.Payload).toString()) };
};
"""


def _nodejs20_missing() -> str | None:
    from lambda_local.runtime.nodejs import install

    try:
        files = install.find("nodejs20.x")
    except install.NodeNotFound as exc:
        return str(exc)
    return None if files.sdk_node_modules else "the AWS SDK for JavaScript is not set up (lambda-local setup-nodejs)"


@pytest.mark.skipif(_nodejs20_missing() is not None, reason=f"nodejs20.x: {_nodejs20_missing()}")
def test_through_serve_a_node_function_invokes_a_python_function_with_the_sdk(endpoint, tmp_path):
    import io

    import boto3

    def package(entry, source):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(entry, source)
        return buffer.getvalue()

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    iam, lam = session.client("iam", endpoint_url=endpoint), session.client("lambda", endpoint_url=endpoint)
    role = iam.create_role(RoleName="node-caller-role", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="node-caller-role", PolicyName="invoke", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"}]}))
    lam.create_function(FunctionName="py-leaf", Runtime="python3.12", Handler="lambda_function.lambda_handler",
                        Role=role, Code={"ZipFile": package("lambda_function.py", HANDLER)})
    lam.create_function(FunctionName="node-caller", Runtime="nodejs20.x", Handler="index.handler", Role=role,
                        Timeout=20, Code={"ZipFile": package("index.mjs", NODE_CALLER)})
    # the Node.js function waits for the Python one it invokes, which runs while it waits (not at its timeout)
    result = aws(endpoint, "lambda", "invoke", "--function-name", "node-caller", "--payload",
                 json.dumps({"next": "py-leaf", "name": "Ada"}), str(tmp_path / "out.json"))  # (AWS CLI v1)
    assert "FunctionError" not in result
    assert json.loads((tmp_path / "out.json").read_text()) == {"via": "AWS_Lambda_nodejs20.x",
                                                                "got": {"message": "Hello, Ada"}}
