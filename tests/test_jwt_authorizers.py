"""HTTP APIs with JWT authorizers (issue 21 item 5), held to API Gateway's developer guide, "Control access to HTTP
APIs with JWT authorizers" and "Troubleshooting issues with HTTP API JWT authorizers": tokens of a Cognito user pool
(issued by moto, checked against the keys moto serves for the pool, offline), 401 for a missing or invalid token, 403
for a token without the route's scope, claims and scopes passed on as requestContext.authorizer.jwt."""

import json

import boto3
import pytest

from conftest import http_api

ACCOUNT = "123456789012"

BACKEND = """
import json


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}
"""


@pytest.fixture
def pool():
    """A user pool with an app client and a confirmed user: (pool id, client id, id token, access token)."""
    cognito = boto3.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="learners")["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="web",
                                                ExplicitAuthFlows=["USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool_id, Username="ada")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="ada", Password="Correct-horse-1", Permanent=True)
    cognito.create_group(UserPoolId=pool_id, GroupName="admins")
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="ada", GroupName="admins")
    tokens = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": "ada", "PASSWORD": "Correct-horse-1"})
    result = tokens["AuthenticationResult"]
    return pool_id, client_id, result["IdToken"], result["AccessToken"]


def _api(create, issuer, audience, *, function=True):
    if function:
        create("backend", BACKEND)
    gateway = boto3.client("apigatewayv2")
    api_id, integration = http_api("secured")
    authorizer = gateway.create_authorizer(
        ApiId=api_id, AuthorizerType="JWT", Name="cognito", IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": issuer, "Audience": [audience]})["AuthorizerId"]
    target = f"integrations/{integration}"
    gateway.create_route(ApiId=api_id, RouteKey="GET /pets", Target=target, AuthorizationType="JWT",
                         AuthorizerId=authorizer)
    gateway.create_route(ApiId=api_id, RouteKey="GET /profile", Target=target, AuthorizationType="JWT",
                         AuthorizerId=authorizer, AuthorizationScopes=["aws.cognito.signin.user.admin"])
    gateway.create_route(ApiId=api_id, RouteKey="DELETE /pets", Target=target, AuthorizationType="JWT",
                         AuthorizerId=authorizer, AuthorizationScopes=["pets/delete"])
    gateway.create_stage(ApiId=api_id, StageName="$default")
    boto3.client("lambda").add_permission(
        FunctionName="backend", StatementId="apigw", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com", SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*")
    return f"https://{api_id}.execute-api.us-east-1.amazonaws.com"


def _issuer(pool_id):
    return f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"


def test_a_valid_id_token_passes_its_claims_on(aws, create, pool):
    pool_id, client_id, id_token, access_token = pool
    base = _api(create, _issuer(pool_id), client_id)
    for value in (id_token, f"Bearer {id_token}"):
        response = aws.http("GET", base + "/pets", headers={"Authorization": value})
        assert response.status == 200, response.text
    jwt = response.json()["jwt"]
    assert jwt["scopes"] is None  # the route asks for no scopes
    claims = jwt["claims"]
    assert (claims["aud"], claims["iss"], claims["cognito:username"], claims["token_use"]) == (
        client_id, _issuer(pool_id), "ada", "id")
    assert claims["exp"].isdigit()  # every claim reaches the integration as a string
    # an access token has no aud: its client_id is checked instead
    access = aws.http("GET", base + "/pets", headers={"Authorization": access_token}).json()["jwt"]["claims"]
    assert (access["client_id"], access["cognito:groups"]) == (client_id, "[admins]")


def test_scopes_are_required_per_route(aws, create, pool):
    pool_id, client_id, id_token, access_token = pool
    base = _api(create, _issuer(pool_id), client_id)
    allowed = aws.http("GET", base + "/profile", headers={"Authorization": access_token})
    assert allowed.status == 200 and allowed.json()["jwt"]["scopes"] == ["aws.cognito.signin.user.admin"]
    for method, path, token in (("DELETE", "/pets", access_token), ("GET", "/profile", id_token)):
        refused = aws.http(method, base + path, headers={"Authorization": token})
        assert (refused.status, refused.json()) == (403, {"message": "Forbidden"})
        assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]


def test_missing_and_invalid_tokens_are_401(aws, create, pool):
    pool_id, client_id, id_token, _ = pool
    base = _api(create, _issuer(pool_id), client_id)
    header, payload, signature = id_token.split(".")
    tampered = ".".join((header, payload, signature[:-4] + ("AAAA" if not signature.endswith("AAAA") else "BBBB")))
    for headers in ({}, {"Authorization": ""}, {"Authorization": "not-a-jwt"}, {"Authorization": tampered}):
        response = aws.http("GET", base + "/pets", headers=headers)
        assert (response.status, response.json()) == (401, {"message": "Unauthorized"})
    assert aws.invocations == []  # the integration never ran


def test_wrong_audience_and_expiry_on_the_virtual_clock(aws, create, pool):
    pool_id, client_id, id_token, _ = pool
    base = _api(create, _issuer(pool_id), "another-client")
    refused = aws.http("GET", base + "/pets", headers={"Authorization": id_token})
    assert refused.status == 401
    assert "the token does not have a valid audience" in refused.headers["www-authenticate"]
    base = _api(create, _issuer(pool_id), client_id, function=False)
    assert aws.http("GET", base + "/pets", headers={"Authorization": id_token}).status == 200
    aws.advance(hours=1, seconds=1)  # Cognito's ID tokens last an hour
    expired = aws.http("GET", base + "/pets", headers={"Authorization": id_token})
    assert expired.status == 401 and "expired" in expired.headers["www-authenticate"]


def test_another_issuer_is_refused_with_a_reason(aws, create, pool):
    _, client_id, id_token, _ = pool
    base = _api(create, "https://login.example.com/", client_id)
    response = aws.http("GET", base + "/pets", headers={"Authorization": id_token})
    assert response.status == 401
    assert "Cognito user pools only" in response.headers["www-authenticate"]
    assert json.loads(response.body) == {"message": "Unauthorized"}


def test_a_payload_1_0_integration_gets_claims_and_scopes_at_the_top_of_the_authorizer(aws, create, pool):
    # The developer guide's payload 1.0 example: requestContext.authorizer is {"claims": ..., "scopes": ...}
    pool_id, client_id, id_token, _ = pool
    create("backend", BACKEND)
    gateway = boto3.client("apigatewayv2")
    api_id = gateway.create_api(Name="v1", ProtocolType="HTTP")["ApiId"]
    integration = gateway.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", PayloadFormatVersion="1.0",
        IntegrationUri=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:backend")["IntegrationId"]
    authorizer = gateway.create_authorizer(
        ApiId=api_id, AuthorizerType="JWT", Name="cognito", IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": _issuer(pool_id), "Audience": [client_id]})["AuthorizerId"]
    gateway.create_route(ApiId=api_id, RouteKey="GET /pets", Target=f"integrations/{integration}",
                         AuthorizationType="JWT", AuthorizerId=authorizer)
    gateway.create_stage(ApiId=api_id, StageName="$default")
    boto3.client("lambda").add_permission(
        FunctionName="backend", StatementId="apigw", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com", SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*")
    response = aws.http("GET", f"https://{api_id}.execute-api.us-east-1.amazonaws.com/pets",
                        headers={"Authorization": id_token})
    assert response.status == 200, response.text
    authorizer_seen = response.json()
    assert set(authorizer_seen) == {"claims", "scopes"} and authorizer_seen["scopes"] is None
    assert (authorizer_seen["claims"]["cognito:username"], authorizer_seen["claims"]["aud"]) == ("ada", client_id)
