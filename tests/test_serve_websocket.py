"""WebSocket APIs through the local endpoint with a real socket (issue 21 item 5): a client library connects to
ws://API.execute-api.REGION.localhost:PORT/STAGE as a learner's wscat would, its messages reach the routes, route
answers and @connections posts arrive as frames, and API Gateway's limits and refusals hold."""

import http.client
import json
import socket
import time

import boto3
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from lambda_local.server import LocalEndpoint

ACCOUNT = "123456789012"

ROUTES = """
import json

import boto3


def handler(event, context):
    ctx = event["requestContext"]
    if ctx["routeKey"] == "$connect":
        allowed = (event.get("queryStringParameters") or {}).get("token") != "banned"
        return {"statusCode": 200 if allowed else 403}
    if ctx["routeKey"] == "$disconnect":
        print("DISCONNECT", ctx["disconnectStatusCode"], ctx["disconnectReason"])
        return {"statusCode": 200}
    if ctx["routeKey"] == "broadcast":
        api = boto3.client("apigatewaymanagementapi", endpoint_url=f"https://{ctx['domainName']}/{ctx['stage']}")
        api.post_to_connection(ConnectionId=ctx["connectionId"], Data=json.loads(event["body"])["data"].encode())
        return {"statusCode": 200}
    return {"statusCode": 200, "body": json.dumps({"echo": len(event["body"]), "id": ctx["connectionId"]})}
"""


@pytest.fixture
def served(aws, create, role):
    create("routes", ROUTES)
    boto3.client("iam").put_role_policy(RoleName=role.rsplit("/", 1)[-1], PolicyName="connections",
                                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                                            {"Effect": "Allow", "Action": "execute-api:ManageConnections",
                                             "Resource": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:*/*/POST/"
                                                         "@connections/*"}]}))
    gateway = boto3.client("apigatewayv2")
    api_id = gateway.create_api(Name="chat", ProtocolType="WEBSOCKET",
                                RouteSelectionExpression="$request.body.action")["ApiId"]
    integration = gateway.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY",
        IntegrationUri=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:routes")["IntegrationId"]
    for key in ("$connect", "$disconnect", "$default", "broadcast"):
        route = gateway.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}")
        if key == "$default":
            gateway.create_route_response(ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default")
    gateway.create_stage(ApiId=api_id, StageName="production")
    boto3.client("lambda").add_permission(
        FunctionName="routes", StatementId="apigw", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com", SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*")
    endpoint = LocalEndpoint(aws, port=0, announce=False).start()
    yield endpoint, api_id
    endpoint.stop()


def _client(endpoint, api_id, query="", **kwargs):
    """A client of the websockets library, as `wscat -c ws://API.execute-api.us-east-1.localhost:PORT/production`."""
    sock = socket.create_connection(("127.0.0.1", endpoint.port))
    url = f"ws://{api_id}.execute-api.us-east-1.localhost:{endpoint.port}/production{query}"
    return connect(url, sock=sock, open_timeout=10, close_timeout=5, **kwargs)


def test_the_path_form_serves_clients_that_cannot_resolve_localhost_names(aws, served):
    endpoint, api_id = served
    with connect(f"ws://127.0.0.1:{endpoint.port}/_aws/execute-api/{api_id}/production", open_timeout=10) as client:
        client.send("hi")
        assert json.loads(client.recv(timeout=10))["echo"] == 2
    with pytest.raises(InvalidStatus) as unknown:
        connect(f"ws://127.0.0.1:{endpoint.port}/_aws/execute-api/nosuchapi/production", open_timeout=10)
    assert unknown.value.response.status_code == 404


def _disconnects(aws, expected):
    """The $disconnect runs' codes and reasons, once there are ``expected`` of them: the server runs $disconnect
    after the close handshake, which the client does not wait for (as on AWS, where it is best effort)."""
    deadline = time.monotonic() + 10
    while True:
        found = [r.log.split("DISCONNECT ")[1].splitlines()[0] for r in aws.invocations if "DISCONNECT" in r.log]
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def test_messages_answers_and_posts_travel_as_frames(aws, served):
    endpoint, api_id = served
    with _client(endpoint, api_id) as client:
        client.send("hello")
        answer = json.loads(client.recv(timeout=10))
        assert answer["echo"] == 5
        client.send(json.dumps({"action": "broadcast", "data": "to myself"}))
        assert client.recv(timeout=10) == "to myself"  # the function's @connections post
        client.send(json.dumps({"action": "nope"}) + " " * 100)
        assert json.loads(client.recv(timeout=10))["echo"] == 118  # unmatched actions go to $default
    assert _disconnects(aws, 1) == ["1000 "]  # a normal close, its code in $disconnect


def test_refusals_happen_at_the_handshake(aws, served):
    endpoint, api_id = served
    with pytest.raises(InvalidStatus) as refused:
        _client(endpoint, api_id, "?token=banned")
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as foreign:  # another site's page: refused before $connect runs
        _client(endpoint, api_id, additional_headers={"Origin": "https://evil.example"})
    assert foreign.value.response.status_code == 403
    calls = len(aws.invocations)
    assert calls == 1  # only the banned token's $connect ran


def test_oversized_frames_close_with_1009_and_bad_frames_never_stop_the_server(aws, served):
    endpoint, api_id = served
    with _client(endpoint, api_id, max_size=None) as client:
        with pytest.raises(ConnectionClosed) as closed:
            client.send("x" * (32 * 1024 + 1))  # one frame over API Gateway's 32 KB
            client.recv(timeout=10)
    assert closed.value.rcvd.code == 1009
    # raw garbage after a valid handshake: that connection ends, the server goes on
    sock = socket.create_connection(("127.0.0.1", endpoint.port))
    host = f"{api_id}.execute-api.us-east-1.localhost:{endpoint.port}"
    sock.sendall((f"GET /production HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    assert sock.recv(4096).startswith(b"HTTP/1.1 101")
    sock.sendall(b"\xff\xff\x00garbage, not a masked frame")
    sock.settimeout(10)
    assert sock.recv(4096)[:1] == b"\x88"  # a close frame (1002, protocol error), then the end
    sock.close()
    with _client(endpoint, api_id) as client:  # and the next client is served
        client.send("still here")
        assert json.loads(client.recv(timeout=10))["echo"] == 10


def test_at_connections_over_http_and_server_side_close(aws, served):
    endpoint, api_id = served
    with _client(endpoint, api_id) as client:
        client.send("who am i")
        connection_id = json.loads(client.recv(timeout=10))["id"]
        # what a backend outside the API does: POST to @connections on the endpoint (signed for execute-api)
        management = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=10)
        headers = {"Host": f"{api_id}.execute-api.us-east-1.localhost:{endpoint.port}",
                   "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/execute-api/aws4_request, "
                                    "SignedHeaders=host, Signature=0"}
        management.request("POST", f"/production/@connections/{connection_id}", body=b"pushed", headers=headers)
        answer = management.getresponse()
        assert answer.status == 200, answer.read()
        assert client.recv(timeout=10) == "pushed"
        management.request("DELETE", f"/production/@connections/{connection_id}", headers=headers)
        assert management.getresponse().status in (200, 204)  # AWS answers 204, moto 200: boto3 takes either
        with pytest.raises(ConnectionClosed):
            client.recv(timeout=10)
    assert _disconnects(aws, 1) == ["1000 "]


def test_a_binary_frame_closes_the_connection_with_1003(aws, served):
    # API Gateway takes text frames only ("Binary media types for WebSocket APIs"): binary data goes as base64 text
    endpoint, api_id = served
    with _client(endpoint, api_id) as client:
        with pytest.raises(ConnectionClosed) as closed:
            client.send(b"\x00\x01binary")
            client.recv(timeout=10)
    assert closed.value.rcvd.code == 1003
    assert _disconnects(aws, 1) == ["1003 "]


def test_a_connection_open_for_two_hours_is_closed(aws, served, monkeypatch):
    from lambda_local import server_websocket

    endpoint, api_id = served
    monkeypatch.setattr(server_websocket, "MAX_CONNECTION_S", 0.5)  # API Gateway's 2 hours, shortened
    with _client(endpoint, api_id) as client:
        client.send("hello")
        client.recv(timeout=10)
        with pytest.raises(ConnectionClosed) as closed:
            client.recv(timeout=10)
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1001, "Going away")
