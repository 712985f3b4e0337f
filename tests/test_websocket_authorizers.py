"""WebSocket APIs with a Lambda REQUEST authorizer on ``$connect`` (issue 21 item 5), held to API Gateway's developer
guide, "Control access to WebSocket APIs with AWS Lambda REQUEST authorizers": identity sources from the handshake's
headers and query string, 401 when one is missing, 403 when the policy denies, 500 when the authorizer fails; no
connection and no ``$connect`` run in each case; what it allows reaches every route as requestContext.authorizer."""

import json

import boto3
import pytest

ACCOUNT = "123456789012"

# The guide's example WebSocket authorizer, in Python: allow when the header and the query string carry the values.
AUTHORIZER = """
def handler(event, context):
    print("AUTH", event["type"], event["methodArn"], event["requestContext"]["eventType"],
          event["queryStringParameters"].get("QueryString1"))
    ok = (event["headers"].get("HeaderAuth1") == "headerValue1"
          and event["queryStringParameters"].get("QueryString1") == "queryValue1")
    return {
        "principalId": "me",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow" if ok else "Deny", "Resource": event["methodArn"]}]},
        "context": {"stringKey": "value", "numberKey": 1, "booleanKey": True},
    }
"""

ROUTES = """
import json


def handler(event, context):
    ctx = event["requestContext"]
    print("ROUTE", ctx["routeKey"], json.dumps(ctx.get("authorizer"), sort_keys=True))
    return {"statusCode": 200, "body": json.dumps({"authorizer": ctx.get("authorizer")})}
"""


def _api(create, authorizer_source=AUTHORIZER, *, permission=True, ttl=0,
         identity=("route.request.header.HeaderAuth1", "route.request.querystring.QueryString1")):
    create("routes", ROUTES)
    create("authorizer", authorizer_source)
    lam, gateway = boto3.client("lambda"), boto3.client("apigatewayv2")
    api_id = gateway.create_api(Name="secured-chat", ProtocolType="WEBSOCKET",
                                RouteSelectionExpression="$request.body.action")["ApiId"]
    authorizer = gateway.create_authorizer(
        ApiId=api_id, AuthorizerType="REQUEST", Name="connect-authorizer", IdentitySource=list(identity),
        AuthorizerUri=("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                       f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:authorizer/invocations"),
        AuthorizerResultTtlInSeconds=ttl)["AuthorizerId"]
    integration = gateway.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY",
        IntegrationUri=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:routes")["IntegrationId"]
    for key in ("$connect", "$disconnect", "$default"):
        extra = {"AuthorizationType": "CUSTOM", "AuthorizerId": authorizer} if key == "$connect" else {}
        route = gateway.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}", **extra)
        if key == "$default":
            gateway.create_route_response(ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default")
    gateway.create_stage(ApiId=api_id, StageName="production")
    lam.add_permission(FunctionName="routes", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*")
    if permission:
        lam.add_permission(FunctionName="authorizer", StatementId="auth", Action="lambda:InvokeFunction",
                           Principal="apigateway.amazonaws.com",
                           SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/authorizers/{authorizer}")
    return f"wss://{api_id}.execute-api.us-east-1.amazonaws.com/production", api_id


def _calls(aws, name):
    return [r for r in aws.invocations if r.function_name == name]


def test_an_allowed_handshake_connects_and_every_route_sees_the_authorizer(aws, create):
    url, api_id = _api(create)
    client = aws.websocket(url + "?QueryString1=queryValue1", headers={"HeaderAuth1": "headerValue1"})
    assert (client.connected, client.status) == (True, 101)
    assert (f"AUTH REQUEST arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/production/$connect CONNECT "
            "queryValue1") in _calls(aws, "authorizer")[0].log
    client.send("hello")
    answer = json.loads(client.received[0])["authorizer"]
    # REST-style: principalId, integrationLatency and the context's entries, as strings
    assert {k: v for k, v in answer.items() if k != "integrationLatency"} == {
        "principalId": "me", "stringKey": "value", "numberKey": "1", "booleanKey": "true"}
    assert isinstance(answer["integrationLatency"], int)
    client.close()
    logs = [r.log for r in _calls(aws, "routes")]
    assert all('"principalId": "me"' in log for log in logs)
    assert [log.split("ROUTE ")[1].split(" ")[0] for log in logs] == ["$connect", "$default", "$disconnect"]


def test_a_denying_policy_is_403_and_no_connection(aws, create):
    url, _ = _api(create)
    client = aws.websocket(url + "?QueryString1=queryValue1", headers={"HeaderAuth1": "wrong"})
    assert (client.connected, client.status) == (False, 403)
    assert _calls(aws, "routes") == []  # $connect never ran
    with pytest.raises(ConnectionError):
        client.send("hello")


@pytest.mark.parametrize("query, headers", [("", {"HeaderAuth1": "headerValue1"}),
                                            ("?QueryString1=queryValue1", {}),
                                            ("?QueryString1=queryValue1", {"HeaderAuth1": ""})])
def test_a_missing_identity_source_is_401_without_running_the_authorizer(aws, create, query, headers):
    url, _ = _api(create)
    client = aws.websocket(url + query, headers=headers)
    assert (client.connected, client.status) == (False, 401)
    assert _calls(aws, "authorizer") == [] and _calls(aws, "routes") == []


@pytest.mark.parametrize("problem", ["no-permission", "error", "nested-context"])
def test_an_authorizer_that_cannot_answer_is_500(aws, create, problem):
    source = {"no-permission": AUTHORIZER, "error": "def handler(e, c):\n    raise ValueError('x')\n",
              "nested-context": AUTHORIZER.replace('"booleanKey": True', '"mapKey": {"a": "b"}')}[problem]
    url, _ = _api(create, source, permission=problem != "no-permission")
    client = aws.websocket(url + "?QueryString1=queryValue1", headers={"HeaderAuth1": "headerValue1"})
    assert (client.connected, client.status) == (False, 500)
    assert _calls(aws, "routes") == []


def test_answers_are_cached_per_identity_for_the_ttl(aws, create):
    url, _ = _api(create, ttl=300)
    for _ in range(2):
        assert aws.websocket(url + "?QueryString1=queryValue1", headers={"HeaderAuth1": "headerValue1"}).connected
    assert len(_calls(aws, "authorizer")) == 1
    aws.advance(seconds=301)
    assert aws.websocket(url + "?QueryString1=queryValue1", headers={"HeaderAuth1": "headerValue1"}).connected
    assert len(_calls(aws, "authorizer")) == 2


def test_iam_authorization_of_connect_needs_a_signed_handshake_the_signer_may_invoke(aws, create):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url, api_id = _api(create)
    gateway = boto3.client("apigatewayv2")
    connect = next(r for r in gateway.get_routes(ApiId=api_id)["Items"] if r["RouteKey"] == "$connect")
    gateway.update_route(ApiId=api_id, RouteId=connect["RouteId"], AuthorizationType="AWS_IAM")
    iam = boto3.client("iam")
    iam.create_user(UserName="client")
    resource = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*/$connect"
    iam.put_user_policy(UserName="client", PolicyName="connect", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resource}]}))
    key = iam.create_access_key(UserName="client")["AccessKey"]

    def signed(secret):
        request = AWSRequest(method="GET", url=url.replace("wss://", "https://"))
        SigV4Auth(Credentials(key["AccessKeyId"], secret), "execute-api", "us-east-1").add_auth(request)
        return dict(request.headers)

    assert aws.websocket(url).status == 403  # unsigned
    assert aws.websocket(url, headers=signed("wrong-secret")).status == 403
    client = aws.websocket(url, headers=signed(key["SecretAccessKey"]))
    assert (client.connected, client.status) == (True, 101)
    assert _calls(aws, "authorizer") == []  # IAM decided; no Lambda authorizer ran
    iam.put_user_policy(UserName="client", PolicyName="connect", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "*"}]}))
    assert aws.websocket(url, headers=signed(key["SecretAccessKey"])).status == 403
