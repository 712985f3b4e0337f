"""Nothing reaches a real AWS endpoint, and the runtime never reads the learner's real credentials or config."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

OFFLINE_DIR = Path(__file__).parent / "offline"
REAL_LOOKING = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}


def _python(code: str, home: Path, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **REAL_LOOKING, "HOME": str(home), "LAMBDA_LOCAL_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(OFFLINE_DIR), str(Path(__file__).parent.parent)]),
           **(extra_env or {})}
    env.pop("AWS_CONFIG_FILE", None)
    env.pop("AWS_SHARED_CREDENTIALS_FILE", None)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=120)


def test_sockets_to_anything_but_loopback_are_refused_in_the_test_run(tmp_path):
    done = _python("""
        import socket
        try:
            socket.create_connection(("8.8.8.8", 53), timeout=2)
        except ConnectionRefusedError as error:
            print("refused:", error)
        server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen()
        socket.create_connection(server.getsockname(), timeout=2).close()
        print("loopback ok")
    """, tmp_path)
    assert "refused: offline test run" in done.stdout and "loopback ok" in done.stdout, done.stderr


def test_real_credentials_and_config_are_never_read_or_sent(tmp_path):
    aws_dir = tmp_path / ".aws"
    aws_dir.mkdir()
    (aws_dir / "credentials").write_text("[default]\naws_access_key_id = AKIAREALKEYFROMFILE1\n"
                                         "aws_secret_access_key = realsecretfromthefile\n")
    (aws_dir / "config").write_text("[default]\nregion = eu-west-3\n")
    done = _python("""
        import io, json, sys, zipfile, boto3, lambda_local

        opened = []
        sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
        signed = []

        def capture(request, **kwargs):
            signed.append(request.headers.get("Authorization", b"").decode() if isinstance(
                request.headers.get("Authorization"), bytes) else str(request.headers.get("Authorization")))

        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("lambda_function.py", "import boto3\\ndef handler(e, c):\\n"
                             "    return boto3.client('sts')"
                             ".get_caller_identity()['Arn']\\n")
        with lambda_local.mock_aws() as aws:
            session = boto3.Session()
            session.events.register("before-send", capture)
            iam = session.client("iam")
            trust = json.dumps({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "lambda.amazonaws.com"}}]})
            role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
            client = session.client("lambda")
            client.create_function(FunctionName="f", Runtime="python3.12", Role=role, Handler="lambda_function.handler",
                                   Code={"ZipFile": package.getvalue()}, Timeout=30)
            client.invoke(FunctionName="f", Payload=b"{}")
            print("region", session.region_name)
            print("invocations", len(aws.invocations), aws.invocations[-1].error_type)
        print("read", [p for p in opened if "/.aws/" in p])
        print("signed", any("AKIA" in s for s in signed), len(signed) > 0)
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.strip().splitlines())
    assert lines["region"] == "us-east-1"
    assert lines["invocations"] == "1 None"
    assert lines["read"] == "[]"
    assert lines["signed"] == "False True"
