import io
import json
import textwrap
import zipfile

import boto3
import pytest

import lambda_local

TRUST_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def zip_files(files: dict[str, str | bytes]) -> bytes:
    """A deployment package (or layer) holding ``files`` (name -> source), dedented."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, textwrap.dedent(text) if isinstance(text, str) else text)
    return buffer.getvalue()


def start_serve(*args: str):
    """`lambda-local serve` on a free loopback port, in a process of its own; returns (process, port) once it answers.
    Its output goes to a file (a pipe nobody reads could fill and stall it) and is shown if it does not start."""
    import os
    import socket
    import subprocess
    import sys
    import tempfile
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    output = tempfile.TemporaryFile()
    process = subprocess.Popen([sys.executable, "-m", "lambda_local.cli", "serve", "--port", str(port), *args],
                               stdout=output, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_lambda_local/invocations", timeout=1)
            return process, port
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.kill()
    process.wait(10)
    output.seek(0)
    pytest.fail("lambda-local serve did not start: " + output.read().decode(errors="replace"))


@pytest.fixture
def aws():
    with lambda_local.mock_aws(seed=7, start="2026-01-01T00:00:00Z") as sandbox:
        yield sandbox


@pytest.fixture
def role(aws):
    iam = boto3.client("iam")
    arn = iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
    iam.attach_role_policy(RoleName="lambda-role", PolicyArn=BASIC_EXECUTION)
    return arn


@pytest.fixture
def create(aws, role):
    """create(name, source, **config): deploy lambda_function.py with handler `handler` (or files=...)."""
    client = boto3.client("lambda")

    def _create(name, source=None, files=None, handler="lambda_function.handler", **config):
        package = zip_files(files or {"lambda_function.py": source})
        config.setdefault("Runtime", "python3.12")
        config.setdefault("Timeout", 30)  # tests are about behaviour, not a loaded CI machine's speed
        client.create_function(FunctionName=name, Role=config.pop("Role", role), Handler=handler,
                               Code={"ZipFile": package}, **config)
        return name

    return _create


def invoke(name, event=None, **kwargs):
    """Invoke through boto3; returns (response, decoded payload)."""
    response = boto3.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event or {}), **kwargs)
    body = response["Payload"].read()
    return response, (json.loads(body) if body else None)


def http_api(name: str, backend: str = "backend") -> tuple[str, str]:
    """An HTTP API with a Lambda proxy integration (payload 2.0) to the function ``backend``, as the console makes
    one: (api id, integration id). Routes, authorizers and the stage are the test's."""
    gateway = boto3.client("apigatewayv2")
    api_id = gateway.create_api(Name=name, ProtocolType="HTTP")["ApiId"]
    integration = gateway.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", PayloadFormatVersion="2.0",
        IntegrationUri=f"arn:aws:lambda:us-east-1:123456789012:function:{backend}")["IntegrationId"]
    return api_id, integration


def public_function_url(name: str) -> str:
    """A Function URL with AuthType NONE for the function ``name`` and the two statements AWS requires for it (every
    URL created since October 2025: lambda:InvokeFunctionUrl and lambda:InvokeFunction via the URL); its URL."""
    client = boto3.client("lambda")
    url = client.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    client.add_permission(FunctionName=name, StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
                          FunctionUrlAuthType="NONE")
    client.add_permission(FunctionName=name, StatementId="url-invoke", Action="lambda:InvokeFunction", Principal="*",
                          InvokedViaFunctionUrl=True)
    return url


from hypothesis import settings as _hypothesis_settings  # noqa: E402 - the profile belongs beside its reason

# A loaded 2-core CI machine must not turn a slow example into a failure; and keep .hypothesis/ out of the repo.
_hypothesis_settings.register_profile("lambda-local", deadline=None, database=None)
_hypothesis_settings.load_profile("lambda-local")
