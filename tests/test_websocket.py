"""WebSocket APIs (issue 21 item 5): $connect, $disconnect, $default and custom routes chosen by the route selection
expression, and @connections posts reaching the connected client, held to API Gateway's developer guide and to the
shape of AWS's simple-websockets-chat-app (connections kept in DynamoDB, messages sent with
apigatewaymanagementapi.post_to_connection)."""

import json

import boto3

ACCOUNT = "123456789012"

# The chat app's three functions, as one module (onconnect, ondisconnect, sendmessage), in Python.
CHAT = """
import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def on_connect(event, context):
    context_ = event["requestContext"]
    if event.get("queryStringParameters", {}).get("token") == "banned":
        return {"statusCode": 403, "body": "Forbidden"}
    table.put_item(Item={"connectionId": context_["connectionId"]})
    return {"statusCode": 200, "body": "Connected."}


def on_disconnect(event, context):
    print("DISCONNECT", event["requestContext"]["disconnectStatusCode"])
    table.delete_item(Key={"connectionId": event["requestContext"]["connectionId"]})
    return {"statusCode": 200, "body": "Disconnected."}


def send_message(event, context):
    context_ = event["requestContext"]
    endpoint = f"https://{context_['domainName']}/{context_['stage']}"
    api = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    data = json.loads(event["body"])["data"]
    for item in table.scan()["Items"]:
        try:
            api.post_to_connection(ConnectionId=item["connectionId"], Data=data.encode())
        except api.exceptions.GoneException:
            table.delete_item(Key={"connectionId": item["connectionId"]})
    return {"statusCode": 200, "body": "Data sent."}


def default(event, context):
    route = event["requestContext"]["routeKey"]
    return {"statusCode": 200, "body": json.dumps({"echo": event["body"], "route": route})}
"""


def _chat_api(aws, create):
    iam = boto3.client("iam")
    iam.put_role_policy(RoleName="lambda-role", PolicyName="chat", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Scan"],
             "Resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/connections"},
            {"Effect": "Allow", "Action": "execute-api:ManageConnections",
             "Resource": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:*/*/POST/@connections/*"}]}))
    boto3.client("dynamodb").create_table(
        TableName="connections", KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "connectionId", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    gateway = boto3.client("apigatewayv2")
    api_id = gateway.create_api(Name="chat", ProtocolType="WEBSOCKET",
                                RouteSelectionExpression="$request.body.action")["ApiId"]
    lam = boto3.client("lambda")
    for name, handler, route in (("connect", "on_connect", "$connect"), ("disconnect", "on_disconnect", "$disconnect"),
                                 ("send", "send_message", "sendmessage"), ("default", "default", "$default")):
        create(name, CHAT, handler=f"lambda_function.{handler}",
               Environment={"Variables": {"TABLE_NAME": "connections"}})
        lam.add_permission(FunctionName=name, StatementId="apigw", Action="lambda:InvokeFunction",
                           Principal="apigateway.amazonaws.com",
                           SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*")
        integration = gateway.create_integration(
            ApiId=api_id, IntegrationType="AWS_PROXY",
            IntegrationUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                           f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}/invocations")["IntegrationId"]
        created = gateway.create_route(ApiId=api_id, RouteKey=route, Target=f"integrations/{integration}")
        if route == "$default":  # a two-way route: its answer goes back to the client
            gateway.create_route_response(ApiId=api_id, RouteId=created["RouteId"], RouteResponseKey="$default")
    gateway.create_stage(ApiId=api_id, StageName="production")
    return f"wss://{api_id}.execute-api.us-east-1.amazonaws.com/production", api_id


def test_chat_messages_reach_every_connected_client(aws, create):
    url, _ = _chat_api(aws, create)
    alice, bob = aws.websocket(url), aws.websocket(url)
    assert (alice.connected, alice.status) == (True, 101)
    items = boto3.client("dynamodb").scan(TableName="connections")["Items"]
    assert {i["connectionId"]["S"] for i in items} == {alice.connection_id, bob.connection_id}
    alice.send({"action": "sendmessage", "data": "hello everyone"})
    assert alice.received == ["hello everyone"] and bob.received == ["hello everyone"]
    bob.close()
    assert "DISCONNECT 1005" in aws.invocations[-1].log
    alice.send({"action": "sendmessage", "data": "anyone?"})
    assert bob.received == ["hello everyone"] and alice.received[-1] == "anyone?"


def test_connect_can_refuse_and_unmatched_frames_go_to_default(aws, create):
    url, _ = _chat_api(aws, create)
    refused = aws.websocket(url + "?token=banned")
    assert (refused.connected, refused.status) == (False, 403)
    client = aws.websocket(url)
    client.send("not json at all")
    [answer] = client.received
    assert json.loads(answer) == {"echo": "not json at all", "route": "$default"}
    assert aws.websocket(url.replace("/production", "/nope")).connected is False


def test_at_connections_from_outside_and_gone_connections(aws, create):
    url, api_id = _chat_api(aws, create)
    client = aws.websocket(url)
    management = boto3.client("apigatewaymanagementapi",
                              endpoint_url=f"https://{api_id}.execute-api.us-east-1.amazonaws.com/production")
    management.post_to_connection(ConnectionId=client.connection_id, Data=b"from the server")
    assert client.received == ["from the server"]
    assert "ConnectedAt" in management.get_connection(ConnectionId=client.connection_id)
    management.delete_connection(ConnectionId=client.connection_id)
    assert client.connected is False and "DISCONNECT 1000" in aws.invocations[-1].log
    try:
        management.post_to_connection(ConnectionId=client.connection_id, Data=b"late")
        raise AssertionError("a gone connection must be refused")
    except management.exceptions.GoneException as error:
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 410


def test_a_route_without_a_match_or_default_is_forbidden_and_errors_are_internal(aws, create):
    create("broken", "def handler(e, c):\n    raise ValueError('x')\n")
    boto3.client("lambda").add_permission(FunctionName="broken", StatementId="apigw", Action="lambda:InvokeFunction",
                                          Principal="apigateway.amazonaws.com")
    gateway = boto3.client("apigatewayv2")
    api_id = gateway.create_api(Name="bare", ProtocolType="WEBSOCKET",
                                RouteSelectionExpression="$request.body.action")["ApiId"]
    integration = gateway.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY",
        IntegrationUri=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:broken")["IntegrationId"]
    gateway.create_route(ApiId=api_id, RouteKey="explode", Target=f"integrations/{integration}")
    gateway.create_stage(ApiId=api_id, StageName="dev")
    client = aws.websocket(f"wss://{api_id}.execute-api.us-east-1.amazonaws.com/dev")
    client.send({"action": "unknown"})
    client.send({"action": "explode"})
    first, second = (json.loads(m) for m in client.received)
    assert first["message"] == "Forbidden" and first["connectionId"] == client.connection_id
    assert second["message"] == "Internal server error"
