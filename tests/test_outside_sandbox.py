"""Outside the sandbox (after stop(), before start()), a boto3 call for AWS is stopped with a plain message and
never leaves the machine; requests to a local endpoint still go through."""

import socket

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError

import lambda_local
from lambda_local.outside import OutsideSandboxError


@pytest.fixture
def connections(monkeypatch):
    attempts = []
    real = socket.create_connection

    def record(address, *args, **kwargs):
        attempts.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", record)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY00")  # what a learner's machine may have
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-looking-secret")
    monkeypatch.delenv("LAMBDA_LOCAL_ALLOW_REAL_AWS", raising=False)
    return attempts


def test_a_cell_rerun_after_stop_is_refused_before_it_leaves(connections):
    sandbox = lambda_local.mock_aws()
    sandbox.start()
    assert boto3.client("lambda").list_functions()["Functions"] == []
    sandbox.stop()
    with pytest.raises(OutsideSandboxError, match="sandbox is not running.*real AWS with your own credentials"):
        boto3.client("lambda").list_functions()
    with pytest.raises(OutsideSandboxError, match="s3"):
        boto3.Session().client("s3").list_buckets()
    assert connections == []


def test_a_local_endpoint_is_not_refused(connections):
    client = boto3.client("lambda", endpoint_url="http://127.0.0.1:9",
                          config=boto3.session.Config(retries={"max_attempts": 1}))
    with pytest.raises(EndpointConnectionError):  # it tried: nothing listens there
        client.list_functions()


def test_postbuild_makes_every_kernel_import_the_guard_once(tmp_path):
    """A kernel restarted mid-lesson has not run the lesson's first cell: its exec line imports lambda_local."""
    import json
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for _ in range(2):  # running it again changes nothing
        subprocess.run(["bash", str(root / "postBuild"), str(tmp_path)], check=True, capture_output=True, timeout=60)
    config = json.loads((tmp_path / "etc/ipython/ipython_kernel_config.json").read_text())
    lines = config["InteractiveShellApp"]["exec_lines"]
    assert len(lines) == 1 and lines[0].startswith("__import__('lambda_local')")
    namespace: dict = {}
    exec(lines[0], namespace)  # what IPython runs in the kernel: binds no name of the learner's
    assert set(namespace) == {"__builtins__"}
