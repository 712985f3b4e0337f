"""HTTP API routes with IAM authorization (AWS_IAM, issue 21 item 5), held to API Gateway's developer guide, "Control
access to HTTP APIs with IAM authorization" and "Control access for invoking an API": SigV4-signed requests whose
signer's policies allow execute-api:Invoke on the route's ARN; 403 otherwise; the caller in
requestContext.authorizer.iam."""

import json

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import http_api

ACCOUNT = "123456789012"

BACKEND = """
import json


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}
"""


@pytest.fixture
def api(aws, create):
    create("backend", BACKEND)
    gateway = boto3.client("apigatewayv2")
    api_id, integration = http_api("private")
    for key in ("GET /pets/{id}", "POST /pets"):
        gateway.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}",
                             AuthorizationType="AWS_IAM")
    gateway.create_stage(ApiId=api_id, StageName="prod")
    boto3.client("lambda").add_permission(
        FunctionName="backend", StatementId="apigw", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com", SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*")
    return api_id


def _policy(api_id, *extra):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "execute-api:Invoke",
         "Resource": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/prod/GET/pets/*"}, *extra]})


def _user(api_id, *extra):
    iam = boto3.client("iam")
    iam.create_user(UserName="caller")
    iam.put_user_policy(UserName="caller", PolicyName="invoke", PolicyDocument=_policy(api_id, *extra))
    key = iam.create_access_key(UserName="caller")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def _call(aws, method, url, key, secret, token=None, body=b""):
    request = AWSRequest(method=method, url=url, data=body)
    SigV4Auth(Credentials(key, secret, token), "execute-api", "us-east-1").add_auth(request)
    return aws.http(method, url, headers=dict(request.headers), body=body)


def _url(api_id, path):
    return f"https://{api_id}.execute-api.us-east-1.amazonaws.com/prod{path}"


def test_an_iam_user_allowed_by_its_policy_gets_through_with_its_identity(aws, api):
    key, secret = _user(api)
    response = _call(aws, "GET", _url(api, "/pets/7"), key, secret)
    assert response.status == 200, response.text
    identity = response.json()["iam"]
    assert (identity["accessKey"], identity["accountId"], identity["userArn"]) == (
        key, ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/caller")
    user_id = boto3.client("iam").get_user(UserName="caller")["User"]["UserId"]
    assert identity["userId"] == identity["callerId"] == user_id


def test_a_route_the_policy_does_not_name_is_403_with_aws_message(aws, api):
    key, secret = _user(api)
    response = _call(aws, "POST", _url(api, "/pets"), key, secret, body=b'{"name": "Rex"}')
    assert response.status == 403
    assert response.json() == {"Message": f"User: arn:aws:iam::{ACCOUNT}:user/caller is not authorized to perform: "
                                          f"execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:"
                                          f"{api}/prod/POST/pets"}
    assert aws.invocations == []


def test_an_explicit_deny_wins(aws, api):
    key, secret = _user(api, {"Effect": "Deny", "Action": "execute-api:Invoke",
                              "Resource": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api}/prod/GET/pets/13"})
    assert _call(aws, "GET", _url(api, "/pets/7"), key, secret).status == 200
    denied = _call(aws, "GET", _url(api, "/pets/13"), key, secret)
    assert denied.status == 403 and denied.json()["Message"].endswith(" with an explicit deny")


def test_unsigned_and_badly_signed_requests_are_403(aws, api):
    key, secret = _user(api)
    unsigned = aws.http("GET", _url(api, "/pets/7"))
    assert (unsigned.status, unsigned.json()) == (403, {"message": "Forbidden"})
    wrong = _call(aws, "GET", _url(api, "/pets/7"), key, "not-the-secret-key-at-all")
    assert wrong.status == 403 and wrong.json()["message"].startswith("The request signature we calculated")
    # a signature of another path does not carry over to this one
    request = AWSRequest(method="GET", url=_url(api, "/pets/8"))
    SigV4Auth(Credentials(key, secret), "execute-api", "us-east-1").add_auth(request)
    replayed = aws.http("GET", _url(api, "/pets/7"), headers=dict(request.headers))
    assert replayed.status == 403 and "signature" in replayed.json()["message"]
    assert aws.invocations == []


def test_assumed_role_credentials_are_judged_by_the_role(aws, api):
    iam = boto3.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}
    role_arn = iam.create_role(RoleName="api-caller", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="api-caller", PolicyName="invoke", PolicyDocument=_policy(api))
    credentials = boto3.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="ada")["Credentials"]
    signing = (credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    allowed = _call(aws, "GET", _url(api, "/pets/7"), *signing)
    assert allowed.status == 200
    assert allowed.json()["iam"]["userArn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/api-caller/ada"
    assert _call(aws, "POST", _url(api, "/pets"), *signing).status == 403


def test_the_learners_own_credentials_are_the_account_root(aws, api):
    response = _call(aws, "POST", _url(api, "/pets"), "AKIAIOSFODNN7EXAMPLE", "anything")
    assert response.status == 200
    assert response.json()["iam"]["userArn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_a_functions_execution_role_credentials_are_judged_by_the_role(aws, api, create, role):
    """What a handler signs with (its environment's AWS_* variables) is its execution role's session."""
    create("client", "import os\n\ndef handler(e, c):\n    return [os.environ[k] for k in "
                     "('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN')]\n")
    signing = boto3.client("lambda").invoke(FunctionName="client")["Payload"].read()
    signing = json.loads(signing)
    assert _call(aws, "GET", _url(api, "/pets/7"), *signing).status == 403  # the role has no execute-api grant
    boto3.client("iam").put_role_policy(RoleName=role.rsplit("/", 1)[-1], PolicyName="invoke",
                                        PolicyDocument=_policy(api))
    allowed = _call(aws, "GET", _url(api, "/pets/7"), *signing)
    assert allowed.status == 200
    assert allowed.json()["iam"]["userArn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/lambda-role/client"
    assert _call(aws, "GET", _url(api, "/pets/7"), signing[0], "wrong" * 8, signing[2]).status == 403


V1_BACKEND = """
import json


def handler(event, context):
    context_ = event["requestContext"]
    return {"statusCode": 200, "body": json.dumps({"identity": context_["identity"],
                                                   "authorizer": context_.get("authorizer")})}
"""


def test_a_payload_1_0_integration_gets_the_caller_in_request_context_identity(aws, api, create):
    # A REST-compatible integration (payload 1.0) finds the IAM caller where a REST API puts it
    create("backend1", V1_BACKEND)
    gateway = boto3.client("apigatewayv2")
    integration = gateway.create_integration(
        ApiId=api, IntegrationType="AWS_PROXY", PayloadFormatVersion="1.0",
        IntegrationUri=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:backend1")["IntegrationId"]
    gateway.create_route(ApiId=api, RouteKey="GET /pets", Target=f"integrations/{integration}",
                         AuthorizationType="AWS_IAM")
    boto3.client("lambda").add_permission(
        FunctionName="backend1", StatementId="apigw", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com", SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api}/*")
    key, secret = _user(api, {"Effect": "Allow", "Action": "execute-api:Invoke",
                              "Resource": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api}/prod/GET/pets"})
    response = _call(aws, "GET", _url(api, "/pets"), key, secret)
    assert response.status == 200, response.text
    body = response.json()
    user_id = boto3.client("iam").get_user(UserName="caller")["User"]["UserId"]
    identity = body["identity"]
    assert (identity["accessKey"], identity["accountId"], identity["caller"], identity["user"],
            identity["userArn"]) == (key, ACCOUNT, user_id, user_id, f"arn:aws:iam::{ACCOUNT}:user/caller")
    assert identity["sourceIp"] and body["authorizer"] is None
