"""Function URLs, API Gateway REST (proxy, payload 1.0) and HTTP APIs (payload 2.0): events in, responses out."""


import boto3

ECHO_HTTP = """
import json
def handler(event, context):
    if event.get("rawPath", event.get("path", "")).endswith("/boom"):
        raise ValueError("boom")
    if event.get("rawPath", event.get("path", "")).endswith("/bad"):
        return {"statusCode": "not a number"}
    if event.get("rawPath", "").endswith("/bare"):
        return {"hello": "world"}
    return {"statusCode": 201, "headers": {"X-Kind": "echo"}, "cookies": ["a=1"],
            "body": json.dumps({"event": event})}
"""


def _allow(function, principal, action, **extra):
    boto3.client("lambda").add_permission(FunctionName=function, StatementId=f"allow-{len(principal)}",
                                          Action=action, Principal=principal, **extra)


def test_function_url_needs_a_resource_policy_then_maps_responses(aws, create):
    create("web", ECHO_HTTP)
    client = boto3.client("lambda")
    url = client.create_function_url_config(FunctionName="web", AuthType="NONE")["FunctionUrl"]
    assert url.startswith("https://") and ".lambda-url.us-east-1.on.aws" in url
    assert aws.http("GET", url).status == 403  # no lambda:InvokeFunctionUrl permission for "*" yet
    _allow("web", "*", "lambda:InvokeFunctionUrl", FunctionUrlAuthType="NONE")
    response = aws.http("POST", url + "items?color=red", headers={"User-Agent": "curl/8"}, body='{"n": 1}')
    assert response.status == 201 and response.headers["x-kind"] == "echo" and response.cookies == ["a=1"]
    event = response.json()["event"]
    assert event["version"] == "2.0" and event["routeKey"] == "$default" and event["rawPath"] == "/items"
    assert event["rawQueryString"] == "color=red" and event["queryStringParameters"] == {"color": "red"}
    assert event["requestContext"]["http"]["method"] == "POST" and event["body"] == '{"n": 1}'
    assert event["headers"]["user-agent"] == "curl/8"
    assert aws.http("GET", url + "bare").json() == {"hello": "world"}
    assert aws.http("GET", url + "boom").status == 502
    assert aws.http("GET", url.replace(url.split("//")[1][:4], "zzzz")).status == 404


def test_function_url_cold_then_warm(aws, create):
    create("web", ECHO_HTTP)
    url = boto3.client("lambda").create_function_url_config(FunctionName="web", AuthType="NONE")["FunctionUrl"]
    _allow("web", "*", "lambda:InvokeFunctionUrl", FunctionUrlAuthType="NONE")
    aws.http("GET", url)
    aws.http("GET", url)
    assert [r.cold_start for r in aws.invocations] == [True, False]


def _rest_api(function):
    apigw = boto3.client("apigateway")
    api = apigw.create_rest_api(name="shop")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    items = apigw.create_resource(restApiId=api, parentId=root, pathPart="items")["id"]
    item = apigw.create_resource(restApiId=api, parentId=items, pathPart="{id}")["id"]
    uri = ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
           f"arn:aws:lambda:us-east-1:123456789012:function:{function}/invocations")
    for resource in (items, item):
        apigw.put_method(restApiId=api, resourceId=resource, httpMethod="ANY", authorizationType="NONE")
        apigw.put_integration(restApiId=api, resourceId=resource, httpMethod="ANY", type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=uri)
    apigw.create_deployment(restApiId=api, stageName="prod")
    return f"https://{api}.execute-api.us-east-1.amazonaws.com/prod"


def test_rest_api_proxy_integration(aws, create):
    create("api", """
        import json
        def handler(event, context):
            if event["pathParameters"] and event["pathParameters"].get("id") == "boom":
                raise RuntimeError("boom")
            if event["pathParameters"] and event["pathParameters"].get("id") == "bad":
                return "not a proxy response"
            return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
                    "multiValueHeaders": {"X-Tag": ["a", "b"]}, "body": json.dumps(event)}
    """)
    base = _rest_api("api")
    assert aws.http("GET", base + "/items/7").status == 500  # API Gateway may not invoke the function yet
    _allow("api", "apigateway.amazonaws.com", "lambda:InvokeFunction")
    response = aws.http("GET", base + "/items/7?x=1")
    assert response.status == 200 and response.headers["x-tag"] == "a, b"
    event = response.json()
    assert event["resource"] == "/items/{id}" and event["path"] == "/items/7" and event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "7"} and event["queryStringParameters"] == {"x": "1"}
    assert event["requestContext"]["stage"] == "prod" and "multiValueHeaders" in event
    assert aws.http("POST", base + "/items", body="{}").json()["resource"] == "/items"
    assert aws.http("GET", base + "/items/boom").status == 502
    assert aws.http("GET", base + "/items/bad").status == 502
    assert aws.http("GET", base + "/nothing").status == 403
    assert aws.http("GET", base.replace("/prod", "/dev") + "/items").status == 403


def test_http_api_routes_and_payload_2(aws, create):
    create("routes", """
        def handler(event, context):
            if event["routeKey"] == "GET /fail":
                raise RuntimeError("x")
            return {"route": event["routeKey"], "params": event.get("pathParameters")}
    """)
    _allow("routes", "apigateway.amazonaws.com", "lambda:InvokeFunction")
    api = boto3.client("apigatewayv2")
    api_id = api.create_api(Name="http", ProtocolType="HTTP")["ApiId"]
    integration = api.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", PayloadFormatVersion="2.0",
                                         IntegrationUri="arn:aws:lambda:us-east-1:123456789012:function:routes")
    for key in ("GET /users/{id}", "GET /fail"):
        api.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration['IntegrationId']}")
    api.create_stage(ApiId=api_id, StageName="$default")
    base = f"https://{api_id}.execute-api.us-east-1.amazonaws.com"
    response = aws.http("GET", base + "/users/42")
    assert response.status == 200 and response.json() == {"route": "GET /users/{id}", "params": {"id": "42"}}
    assert aws.http("GET", base + "/fail").status == 500
    assert aws.http("GET", base + "/nowhere").status == 404
