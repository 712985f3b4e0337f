"""The Lambda API refuses what AWS refuses, with AWS's error codes and messages, in AWS's order (issue 13 item 11)."""

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import zip_files

GOOD = zip_files({"app.py": "def handler(e, c):\n    return e\n"})


def _raw_client():
    """A client that sends what it is given (botocore's own checks off), as a hand-made HTTP request would."""
    return boto3.client("lambda", config=Config(parameter_validation=False))


def _error(call):
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def _role(name, trust):
    return boto3.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": trust}))["Role"]["Arn"]


def _create(name="f", role=None, client=None, **config):
    config.setdefault("Code", {"ZipFile": GOOD})
    return (client or boto3.client("lambda")).create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler", **config)


@pytest.mark.parametrize("trust", [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": ["sts:AssumeRole"]},
    {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]},
     "Action": "sts:AssumeRole"},
    {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": ["sts:TagSession", "sts:*"]},
], ids=["action-list", "service-list", "star", "wildcard-action"])
def test_every_valid_trust_policy_shape_that_lets_lambda_in_is_accepted(aws, trust):
    assert _create(role=_role("r", [trust]))["FunctionName"] == "f"


@pytest.mark.parametrize("trust", [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
    {"Effect": "Deny", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"},
], ids=["other-service", "deny", "account-principal"])
def test_a_role_lambda_cannot_assume_is_refused_in_awss_words(aws, trust):
    code, message = _error(lambda: _create(role=_role("r", [trust])))
    assert (code, message) == ("InvalidParameterValueException",
                               "The role defined for the function cannot be assumed by Lambda.")


def test_parameter_validation_comes_before_the_trust_check(aws):
    untrusted = _role("r", [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                             "Action": "sts:AssumeRole"}])
    code, message = _error(lambda: _create(role=untrusted, MemorySize=64, client=_raw_client()))
    assert code == "ValidationException" and "'memorySize'" in message
    code, message = _error(lambda: _create("bad name", role=untrusted, client=_raw_client()))
    assert code == "ValidationException" and "'functionName'" in message


@pytest.mark.parametrize("name, constraint", [
    ("a" * 65, "Member must have length less than or equal to 64"),
    ("has space", "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?"),
    ("semi;colon", "Member must satisfy regular expression pattern"),
])
def test_function_names_are_validated_on_create_and_invoke(aws, role, name, constraint):
    for call in (lambda: _create(name, role=role), lambda: boto3.client("lambda").invoke(FunctionName=name)):
        code, message = _error(call)
        assert code == "ValidationException"
        assert message.startswith(f"1 validation error detected: Value '{name}' at 'functionName' failed to "
                                  f"satisfy constraint: {constraint}")
    assert _create("a" * 64, role=role)["FunctionName"] == "a" * 64
    assert _create("Under_score-1", role=role)["FunctionName"] == "Under_score-1"


def test_a_package_or_layer_that_is_not_a_zip_is_refused(aws, role):
    unzip = ("InvalidParameterValueException",
             "Could not unzip uploaded file. Please check your file, then try to upload again.")
    assert _error(lambda: _create(role=role, Code={"ZipFile": b"not a zip"})) == unzip
    client = boto3.client("lambda")
    assert _error(lambda: client.publish_layer_version(LayerName="l", Content={"ZipFile": b"nope"})) == unzip
    _create(role=role)
    assert _error(lambda: client.update_function_code(FunctionName="f", ZipFile=b"nope")) == unzip


@pytest.mark.parametrize("payload", [b"\xff\xfe\x00garbage", b"not json", b"{\"open\": "])
def test_a_payload_that_is_not_json_is_invalid_request_content(aws, role, payload):
    _create(role=role)
    code, message = _error(lambda: boto3.client("lambda").invoke(FunctionName="f", Payload=payload))
    assert code == "InvalidRequestContentException"
    assert message.startswith("Could not parse request body into json")
    assert aws.invocations == []  # refused before anything ran


def test_a_response_over_the_limit_is_a_function_error_in_awss_words(aws, role):
    source = "def handler(e, c):\n    return 'x' * e['n']\n"
    _create(role=role, Code={"ZipFile": zip_files({"app.py": source})})
    client = boto3.client("lambda")
    fits = client.invoke(FunctionName="f", Payload=json.dumps({"n": 6_291_556 - 2}))
    assert "FunctionError" not in fits and len(fits["Payload"].read()) == 6_291_556
    response = client.invoke(FunctionName="f", Payload=json.dumps({"n": 6_291_556 - 1}))
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read()) == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge"}


@pytest.mark.parametrize("region, partition", [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"),
                                               ("eu-west-1", "aws")])
def test_s3_event_records_carry_the_regions_partition(aws, region, partition):
    s3 = boto3.client("s3", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    queue_url = sqs.create_queue(QueueName="events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.create_bucket(Bucket="uploads", CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={"QueueConfigurations": [
        {"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]})
    s3.put_object(Bucket="uploads", Key="k", Body=b"1")
    bodies = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
              .get("Messages", [])]
    records = [r for b in bodies for r in b.get("Records", [])]
    assert [r["s3"]["bucket"]["arn"] for r in records] == [f"arn:{partition}:s3:::uploads"]
