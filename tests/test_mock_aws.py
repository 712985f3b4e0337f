"""``lambda_local.mock_aws`` is a drop-in for ``moto.mock_aws``: every way moto's is used works, and code runs."""

import json
import unittest

import boto3
import pytest

import lambda_local
from lambda_local import sandbox as sandbox_module
from conftest import TRUST_POLICY, zip_files


def _deploy_and_invoke(name="f") -> dict:
    role = boto3.client("iam").create_role(RoleName=f"{name}-role",
                                           AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
    client = boto3.client("lambda")
    client.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                           Code={"ZipFile": zip_files({"app.py": "def handler(e, c):\n    return {'ran': e}\n"})})
    return json.loads(client.invoke(FunctionName=name, Payload=b'{"x": 1}')["Payload"].read())


def _functions() -> list[str]:
    return [f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"]]


@lambda_local.mock_aws
def test_bare_decorator_runs_the_function_mocked():
    assert sandbox_module._current() is not None
    assert _deploy_and_invoke() == {"ran": {"x": 1}}


def test_decorator_with_arguments():
    @lambda_local.mock_aws(seed=3)
    def request_id():
        assert _deploy_and_invoke() == {"ran": {"x": 1}}
        return sandbox_module._current().invocations[-1].request_id

    assert request_id() == request_id()  # the seed reached the sandbox: the same ids every run


def test_a_decorated_function_keeps_its_name_signature_and_return_value():
    @lambda_local.mock_aws
    def deploy(name, suffix="!"):
        return _deploy_and_invoke(name)["ran"]["x"], suffix

    assert deploy.__name__ == "deploy"
    assert deploy("g", suffix="?") == (1, "?")
    assert sandbox_module._current() is None  # left the mock afterwards


def test_each_decorated_call_starts_from_an_empty_account():
    @lambda_local.mock_aws
    def names():
        before = _functions()
        _deploy_and_invoke()
        return before

    assert names() == [] and names() == []


def test_context_manager_and_start_stop():
    with lambda_local.mock_aws() as aws:
        _deploy_and_invoke()
        assert len(aws.invocations) == 1
    mock = lambda_local.mock_aws()
    aws = mock.start()
    try:
        assert _deploy_and_invoke() == {"ran": {"x": 1}}
        assert aws.invocations[-1].cold_start
    finally:
        mock.stop()
    assert sandbox_module._current() is None
    with pytest.raises(RuntimeError, match="stop\\(\\) before start\\(\\)"):
        mock.stop()


def test_mocks_nest_and_share_moto_data_as_moto_does():
    with lambda_local.mock_aws():
        _deploy_and_invoke("outer")
        with lambda_local.mock_aws():
            assert "outer" in _functions()
        assert "outer" in _functions()


def test_motos_config_is_passed_through_and_docker_is_never_used():
    from moto.core.config import default_user_config

    with lambda_local.mock_aws(config={"stepfunctions": {"execute_state_machine": True},
                                       "lambda": {"use_docker": True}}):
        assert default_user_config["stepfunctions"]["execute_state_machine"] is True
        assert default_user_config["lambda"]["use_docker"] is False
        assert _deploy_and_invoke() == {"ran": {"x": 1}}
    assert default_user_config["stepfunctions"]["execute_state_machine"] is False  # moto's default is back


@lambda_local.mock_aws
class TestClassDecorator:
    def setup_method(self, method):
        boto3.client("s3").create_bucket(Bucket="made-in-setup")

    def test_setup_data_is_visible_and_code_runs(self):
        assert [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]] == ["made-in-setup"]
        assert _deploy_and_invoke() == {"ran": {"x": 1}}

    def test_each_test_gets_a_fresh_account(self):
        assert _functions() == []


@lambda_local.mock_aws
class TestUnittestCase(unittest.TestCase):
    def setUp(self):
        boto3.client("sqs").create_queue(QueueName="from-setup")

    def test_setup_runs_mocked_and_its_data_reaches_the_test(self):
        urls = boto3.client("sqs").list_queues()["QueueUrls"]
        self.assertEqual([u.rsplit("/", 1)[-1] for u in urls], ["from-setup"])
        self.assertEqual(_deploy_and_invoke(), {"ran": {"x": 1}})

    def tearDown(self):
        # As with moto, tearDown runs mocked too, in the account its setUp and test used.
        self.assertIsNotNone(sandbox_module._current())
        self.assertEqual(len(boto3.client("sqs").list_queues()["QueueUrls"]), 1)
