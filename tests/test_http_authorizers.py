"""HTTP APIs with Lambda authorizers and AWS service integrations (issue 21 item 5), held to API Gateway's developer
guide: "Control access to HTTP APIs with AWS Lambda authorizers" and "Integration subtype reference"."""

import json

import boto3
import pytest

from conftest import http_api

ACCOUNT = "123456789012"

# The developer guide's example authorizers (its "Example Lambda authorizer functions", in Python).
SIMPLE_AUTHORIZER = """
def handler(event, context):
    print("identity", event["identitySource"], event["routeArn"], event["type"], event["version"])
    response = {"isAuthorized": False, "context": {"stringKey": "value", "numberKey": 1, "booleanKey": True,
                                                    "arrayKey": ["value1", "value2"], "mapKey": {"value1": "value2"}}}
    if event["headers"]["authorization"] == "secretToken":
        response["isAuthorized"] = True
    return response
"""

POLICY_AUTHORIZER = """
def handler(event, context):
    effect = "Allow" if event["headers"]["authorization"] == "secretToken" else "Deny"
    return {
        "principalId": "abcdef",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["routeArn"]}]},
        "context": {"stringKey": "value"},
    }
"""

BACKEND = """
import json


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"authorizer": event["requestContext"].get("authorizer")})}
"""


def _grant(function, source_arn, sid):
    boto3.client("lambda").add_permission(FunctionName=function, StatementId=sid, Action="lambda:InvokeFunction",
                                          Principal="apigateway.amazonaws.com", SourceArn=source_arn)


def _api(create, authorizer_source, *, simple=True, ttl=0, identity=("$request.header.Authorization",),
         permission=True, version="2.0"):
    create("backend", BACKEND)
    create("authorizer", authorizer_source)
    gateway = boto3.client("apigatewayv2")
    api_id, integration = http_api("secured")
    authorizer = gateway.create_authorizer(
        ApiId=api_id, AuthorizerType="REQUEST", Name="lambda-authorizer", IdentitySource=list(identity),
        AuthorizerUri=("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                       f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:authorizer/invocations"),
        AuthorizerPayloadFormatVersion=version, EnableSimpleResponses=simple,
        AuthorizerResultTtlInSeconds=ttl)["AuthorizerId"]
    gateway.create_route(ApiId=api_id, RouteKey="GET /pets/{id}", Target=f"integrations/{integration}",
                         AuthorizationType="CUSTOM", AuthorizerId=authorizer)
    gateway.create_route(ApiId=api_id, RouteKey="GET /open", Target=f"integrations/{integration}")
    gateway.create_stage(ApiId=api_id, StageName="$default")
    _grant("backend", f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*", "backend")
    if permission:
        _grant("authorizer", f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/authorizers/{authorizer}", "auth")
    return f"https://{api_id}.execute-api.us-east-1.amazonaws.com", api_id


def _authorizer_calls(aws):
    return [r for r in aws.invocations if r.function_name == "authorizer"]


def test_simple_response_allows_denies_and_passes_its_context_on(aws, create):
    base, api_id = _api(create, SIMPLE_AUTHORIZER)
    allowed = aws.http("GET", base + "/pets/7", headers={"Authorization": "secretToken"})
    assert allowed.status == 200
    assert allowed.json()["authorizer"] == {"lambda": {"stringKey": "value", "numberKey": 1, "booleanKey": True,
                                                       "arrayKey": ["value1", "value2"],
                                                       "mapKey": {"value1": "value2"}}}
    log = _authorizer_calls(aws)[0].log
    assert (f"identity ['secretToken'] arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/$default/GET/pets/7 "
            "REQUEST 2.0") in log
    denied = aws.http("GET", base + "/pets/7", headers={"Authorization": "wrong"})
    assert (denied.status, denied.json()) == (403, {"message": "Forbidden"})
    assert aws.http("GET", base + "/open").status == 200  # a route without the authorizer is not checked


def test_a_missing_identity_source_is_401_without_invoking_the_authorizer(aws, create):
    base, _ = _api(create, SIMPLE_AUTHORIZER, identity=("$request.header.Authorization", "$request.querystring.v"))
    for headers, query in (({}, "?v=1"), ({"Authorization": "secretToken"}, ""),
                           ({"Authorization": ""}, "?v=1")):
        response = aws.http("GET", base + "/pets/7" + query, headers=headers)
        assert (response.status, response.json()) == (401, {"message": "Unauthorized"})
    assert _authorizer_calls(aws) == []
    assert aws.http("GET", base + "/pets/7?v=1", headers={"Authorization": "secretToken"}).status == 200


def test_iam_policy_responses_are_judged_against_the_route_arn(aws, create):
    base, _ = _api(create, POLICY_AUTHORIZER, simple=False)
    allowed = aws.http("GET", base + "/pets/7", headers={"Authorization": "secretToken"})
    assert allowed.status == 200 and allowed.json()["authorizer"] == {"lambda": {"stringKey": "value"}}
    denied = aws.http("GET", base + "/pets/7", headers={"Authorization": "nope"})
    assert (denied.status, denied.json()) == (403, {"message": "Forbidden"})


def test_policy_for_another_route_is_forbidden(aws, create):
    other_route = POLICY_AUTHORIZER.replace('event["routeArn"]', 'event["routeArn"].replace("/GET/", "/POST/")')
    base, _ = _api(create, other_route, simple=False)
    assert aws.http("GET", base + "/pets/7", headers={"Authorization": "secretToken"}).status == 403


@pytest.mark.parametrize("problem", ["no-permission", "error", "bad-shape"])
def test_an_authorizer_that_cannot_answer_is_a_500(aws, create, problem):
    source = {"no-permission": SIMPLE_AUTHORIZER, "error": "def handler(e, c):\n    raise ValueError('x')\n",
              "bad-shape": "def handler(e, c):\n    return {'isAuthorized': 'yes'}\n"}[problem]
    base, _ = _api(create, source, permission=problem != "no-permission")
    response = aws.http("GET", base + "/pets/7", headers={"Authorization": "secretToken"})
    assert (response.status, response.json()) == (500, {"message": "Internal Server Error"})


def test_cached_answers_last_their_ttl_on_the_virtual_clock(aws, create):
    base, _ = _api(create, SIMPLE_AUTHORIZER, ttl=300)
    for _ in range(3):
        assert aws.http("GET", base + "/pets/7", headers={"Authorization": "secretToken"}).status == 200
    assert len(_authorizer_calls(aws)) == 1
    assert aws.http("GET", base + "/pets/8", headers={"Authorization": "wrong"}).status == 403
    assert len(_authorizer_calls(aws)) == 2  # other identity values: another entry
    aws.advance(seconds=301)
    assert aws.http("GET", base + "/pets/7", headers={"Authorization": "secretToken"}).status == 200
    assert len(_authorizer_calls(aws)) == 3


def test_payload_format_1_sends_the_rest_shaped_request(aws, create):
    authorizer = """
def handler(event, context):
    ok = event["version"] == "1.0" and event["authorizationToken"] == "secretToken" and "methodArn" in event
    return {"principalId": "u", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow" if ok else "Deny", "Resource": event["methodArn"]}]}}
"""
    base, _ = _api(create, authorizer, simple=False, version="1.0")
    assert aws.http("GET", base + "/pets/7", headers={"Authorization": "secretToken"}).status == 200


# --- AWS service integrations ---------------------------------------------------------------------------------------
def _sqs_api(role_policy_actions):
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="apigw-sqs", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    queue_url = boto3.client("sqs").create_queue(QueueName="orders")["QueueUrl"]
    iam.put_role_policy(RoleName="apigw-sqs", PolicyName="send", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": role_policy_actions,
                                                "Resource": f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders"}]}))
    gateway = boto3.client("apigatewayv2")
    api_id = gateway.create_api(Name="orders", ProtocolType="HTTP")["ApiId"]
    integration = gateway.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationSubtype="SQS-SendMessage", PayloadFormatVersion="1.0",
        CredentialsArn=role, RequestParameters={"QueueUrl": queue_url, "MessageBody": "$request.body.message",
                                                "MessageAttributes": '{"source": {"DataType": "String", '
                                                                     '"StringValue": "${request.header.x-source}"}}'})
    gateway.create_route(ApiId=api_id, RouteKey="POST /orders", Target=f"integrations/{integration['IntegrationId']}")
    gateway.create_stage(ApiId=api_id, StageName="$default")
    return f"https://{api_id}.execute-api.us-east-1.amazonaws.com", queue_url


def test_sqs_send_message_integration_sends_with_the_integration_role(aws):
    base, queue_url = _sqs_api(["sqs:SendMessage"])
    response = aws.http("POST", base + "/orders", json_body={"message": "one pizza"}, headers={"X-Source": "web"})
    assert response.status == 200
    result = response.json()["SendMessageResponse"]["SendMessageResult"]
    assert set(result) >= {"MD5OfMessageBody", "MessageId", "MD5OfMessageAttributes", "SequenceNumber"}
    assert result["SequenceNumber"] is None
    message = boto3.client("sqs").receive_message(QueueUrl=queue_url, MessageAttributeNames=["All"])["Messages"][0]
    assert message["Body"] == "one pizza" and message["MessageId"] == result["MessageId"]
    assert message["MessageAttributes"]["source"]["StringValue"] == "web"
    missing = aws.http("POST", base + "/orders", json_body={"other": 1})
    assert (missing.status, missing.json()) == (400, {"message": "Bad Request"})


def test_sqs_integration_whose_role_may_not_send_gets_sqs_access_denied(aws):
    base, queue_url = _sqs_api(["sqs:ReceiveMessage"])
    response = aws.http("POST", base + "/orders", json_body={"message": "x"})
    assert response.status == 403 and response.json()["Error"]["Code"] == "AccessDenied"
    assert "Messages" not in boto3.client("sqs").receive_message(QueueUrl=queue_url)
