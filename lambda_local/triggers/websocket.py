"""WebSocket APIs (API Gateway, ``ProtocolType`` WEBSOCKET) in front of functions, with an in-process client.

``aws.websocket("wss://API.execute-api.REGION.amazonaws.com/STAGE")`` connects as a browser would, and returns a
:class:`WebSocketConnection`: ``send()`` frames, ``received`` what reached the client, ``close()``. As API Gateway's
developer guide describes ("Working with routes for WebSocket APIs", "@connections commands"):

* ``$connect`` runs when the client connects (its headers and query string in the event); an error, or a response
  whose ``statusCode`` is not 2xx, refuses the connection with that status (500 for an error);
* a frame is routed by the API's route selection expression (``$request.body.action`` by default) to the route with
  that key, else to ``$default``; with neither, the client gets ``{"message": "Forbidden", ...}``; a function error
  gets ``{"message": "Internal server error", ...}``; the function's answer (its ``body``) reaches the client only
  when the route has a route response (two-way routes);
* ``$disconnect`` runs when either side closes (best effort: its answer is ignored);
* ``@connections`` (``apigatewaymanagementapi``: PostToConnection, GetConnection, DeleteConnection) reaches the
  connected client; a connection that is gone answers ``GoneException`` (410).

* a ``$connect`` route with a Lambda authorizer (``AuthorizationType`` CUSTOM, ``authorizers.authorize_connect``)
  refuses a handshake that lacks an identity source (401), that the authorizer's policy denies (403) or whose
  authorizer fails (500), without running ``$connect``; what it allows carries ``principalId`` and its ``context``
  to every route of the connection as ``requestContext.authorizer``.

Integrations are Lambda proxy (AWS_PROXY) integrations; API Gateway needs ``lambda:InvokeFunction`` on each function
(source ARN ``arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/ROUTE``). A ``$connect`` route with IAM authorization
(AWS_IAM) needs a SigV4-signed handshake whose signer may ``execute-api:Invoke`` ``API/STAGE/$connect``
(``iam_authorization``). Not modelled: mock and HTTP integrations, route request/response models, binary frames
(read as UTF-8 text), the 2-hour connection limit, and the 10-minute idle limit in process (``lambda-local serve``
closes an idle socket, ``server_websocket``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

from .. import events
from ..aws import state
import string

from ..events._common import random_base64, random_chars
from ..runtime.errors import ServiceError
from .authorizers import authorize_connect
from .iam_authorization import authorize_iam
from .host import TriggerHost
from .permissions import resource_policy_allows, service_context

__all__ = ["WebSocketApis", "WebSocketConnection"]


@dataclass
class WebSocketConnection:
    """One client's connection: what it sent and what it received."""

    connection_id: str
    api_id: str
    region: str
    stage: str
    status: int  # the handshake's HTTP status: 101 when connected
    received: list[str] = field(default_factory=list)
    connected: bool = False
    connected_at: float = 0.0
    source_ip: str = "127.0.0.1"
    user_agent: str = "lambda-local"
    last_active_at: float = 0.0
    authorizer: dict | None = None  # what the $connect authorizer passed on: requestContext.authorizer of each route
    # A client on a real socket (lambda-local serve) takes what reaches it as frames, and is closed by the server:
    on_message: Callable[[str | bytes], None] | None = field(default=None, repr=False)
    on_close: Callable[[int, str], None] | None = field(default=None, repr=False)
    _apis: Any = field(default=None, repr=False)

    def deliver(self, data: str | bytes) -> None:
        """What reaches the client: a frame on its socket, or an entry of ``received``."""
        if self.on_message is not None:
            self.on_message(data)
        else:
            self.received.append(data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data)

    def send(self, message: str | dict | list) -> None:
        """Send one text frame (a dict or list is sent as JSON)."""
        if not self.connected:
            raise ConnectionError("the connection is closed")
        text = message if isinstance(message, str) else json.dumps(message)
        self._apis.message(self, text)

    def receive(self) -> str | None:
        """The oldest message the client has not read yet, or None."""
        return self.received.pop(0) if self.received else None

    def close(self) -> None:
        """Close from the client's side: ``$disconnect`` runs."""
        if self.connected:
            self._apis.disconnect(self, 1005, "Client-side close frame status not set")


class WebSocketApis:
    """The WebSocket connections of one sandbox."""

    def __init__(self, sandbox: TriggerHost):
        self.sandbox = sandbox
        self.connections: dict[str, WebSocketConnection] = {}

    # --- the client side -----------------------------------------------------------------------------------------
    def connect(self, url: str, headers: dict | None = None, *, source_ip: str = "127.0.0.1") -> WebSocketConnection:
        """Open a connection to ``wss://API.execute-api.REGION.amazonaws.com/STAGE``; refused ones have ``connected``
        False and the handshake's ``status``."""
        parts = urlsplit(url)
        api_id, _, rest = (parts.hostname or "").partition(".execute-api.")
        region = rest.split(".")[0]
        stage = parts.path.strip("/").split("/")[0]
        agent = next((value for name, value in (headers or {}).items() if name.lower() == "user-agent"), None)
        connection = WebSocketConnection(_connection_id(self.sandbox.rng), api_id, region, stage, 404,
                                         connected_at=self.sandbox.now(), last_active_at=self.sandbox.now(),
                                         source_ip=source_ip, user_agent=agent or "lambda-local", _apis=self)
        found = state.http_api_or_none(api_id, region)
        if found is None or getattr(found[1], "protocol_type", "") != "WEBSOCKET" or stage not in found[1].stages:
            return connection
        account, api = found
        route = _route(api, "$connect")
        if route is not None:
            event = events.websocket_event(
                event_type="CONNECT", route_key="$connect", connection_id=connection.connection_id, stage=stage,
                headers=headers, query=parts.query or None, connected_at=connection.connected_at,
                time=self.sandbox.now(), api_id=api_id, region=region, account_id=account, rng=self.sandbox.rng,
                source_ip=connection.source_ip, user_agent=connection.user_agent)
            if route.authorization_type == "AWS_IAM":  # the handshake must be SigV4-signed
                handshake = _Handshake(parts.hostname or "", parts.path or "/", parts.query, dict(headers or {}))
                authorization = authorize_iam(account, region, handshake,
                                              f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/$connect")
            else:
                authorization = authorize_connect(self.sandbox, api, account, region, route, api.stages[stage],
                                                  dict(headers or {}), parts.query, event)
            if authorization.status:  # refused before the $connect integration runs: no connection
                connection.status = authorization.status
                return connection
            connection.authorizer = authorization.authorizer
            if connection.authorizer is not None:
                event["requestContext"]["authorizer"] = connection.authorizer
            outcome = self._invoke(api, account, region, stage, route, event)
            status = outcome if isinstance(outcome, int) else _status(outcome)
            if not 200 <= status < 300:
                connection.status = status
                return connection
        connection.status, connection.connected = 101, True
        self.connections[connection.connection_id] = connection
        return connection

    def message(self, connection: WebSocketConnection, text: str) -> None:
        found = state.http_api_or_none(connection.api_id, connection.region)
        if found is None:
            return
        account, api = found
        connection.last_active_at = self.sandbox.now()
        key = _selected_key(api.route_selection_expression or "$request.body.action", text)
        route = (_route(api, key) if key is not None else None) or _route(api, "$default")
        request_id = random_base64(11, self.sandbox.rng)
        if route is None:
            connection.deliver(json.dumps({"message": "Forbidden", "connectionId": connection.connection_id,
                                           "requestId": request_id}))
            return
        region = connection.region
        event = events.websocket_event(
            event_type="MESSAGE", route_key=route.route_key, body=text, connection_id=connection.connection_id,
            stage=connection.stage, connected_at=connection.connected_at, time=self.sandbox.now(),
            api_id=connection.api_id, request_id=request_id, region=region, account_id=account,
            source_ip=connection.source_ip, authorizer=connection.authorizer, rng=self.sandbox.rng)
        outcome = self._invoke(api, account, region, connection.stage, route, event)
        if isinstance(outcome, int):
            connection.deliver(json.dumps({"message": "Internal server error",
                                           "connectionId": connection.connection_id, "requestId": request_id}))
        elif route.route_responses and connection.connected:  # a two-way route: the answer goes back
            body = outcome.get("body") if isinstance(outcome, dict) and "statusCode" in outcome else outcome
            if body is not None:
                connection.deliver(body if isinstance(body, str) else json.dumps(body))

    def disconnect(self, connection: WebSocketConnection, code: int, reason: str) -> None:
        connection.connected = False
        self.connections.pop(connection.connection_id, None)
        if connection.on_close is not None:  # a real socket: the server's side closes it too
            close, connection.on_close = connection.on_close, None
            close(code, reason)
        region = connection.region
        found = state.http_api_or_none(connection.api_id, region)
        route = _route(found[1], "$disconnect") if found is not None else None
        if found is None or route is None:
            return
        event = events.websocket_event(
            event_type="DISCONNECT", route_key="$disconnect", connection_id=connection.connection_id,
            stage=connection.stage, connected_at=connection.connected_at, time=self.sandbox.now(),
            disconnect_status_code=code, disconnect_reason=reason, api_id=connection.api_id, region=region,
            account_id=found[0], source_ip=connection.source_ip, user_agent=connection.user_agent,
            authorizer=connection.authorizer, rng=self.sandbox.rng)
        self._invoke(found[1], found[0], region, connection.stage, route, event)

    # --- the @connections API ------------------------------------------------------------------------------------
    def post(self, connection_id: str, data: bytes) -> bool:
        """PostToConnection: False when the connection is gone."""
        connection = self.connections.get(connection_id)
        if connection is None:
            return False
        connection.deliver(data if isinstance(data, bytes) else str(data))
        return True

    def describe(self, connection_id: str) -> dict | None:
        """GetConnection's answer, or None when the connection is gone."""
        connection = self.connections.get(connection_id)
        if connection is None:
            return None
        return {"connectedAt": connection.connected_at, "lastActiveAt": connection.last_active_at,
                "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent}}

    def delete(self, connection_id: str) -> bool:
        """DeleteConnection: the server closes it ($disconnect runs); False when it is gone."""
        connection = self.connections.get(connection_id)
        if connection is None:
            return False
        self.disconnect(connection, 1000, "")
        return True

    # --- helpers -------------------------------------------------------------------------------------------------
    def _invoke(self, api, account: str, region: str, stage: str, route, event: dict):
        """The function's answer, or the HTTP status of a failure (500)."""
        integration = api.integrations.get((route.target or "").split("/")[-1])
        fn, qualifier = state.function_from_uri(getattr(integration, "integration_uri", "") or "", region)
        source = f"arn:aws:execute-api:{region}:{account}:{api.api_id}/{stage}/{route.route_key}"
        if fn is None or (self.sandbox.enforce_iam and not resource_policy_allows(
                fn, "apigateway.amazonaws.com", "lambda:InvokeFunction", service_context(source, account))):
            return 500
        try:
            result = self.sandbox.invoke(fn, json.dumps(event).encode("utf-8"), qualifier=qualifier)
        except ServiceError:
            return 500
        if result.error_type:
            return 500
        return result.payload


@dataclass
class _Handshake:
    """The opening handshake as IAM authorization reads a request (a GET without a body)."""

    host: str
    path: str
    query: str
    headers: dict
    method: str = "GET"
    body: bytes = b""

    def headers_lower(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}


def _route(api, key: str):
    for route in api.routes.values():
        if route.route_key == key:
            return route
    return None


def _status(answer) -> int:
    if isinstance(answer, dict) and isinstance(answer.get("statusCode"), int):
        return answer["statusCode"]
    return 200


def _selected_key(expression: str, text: str) -> str | None:
    """The route key a frame selects with ``$request.body.PATH`` (None when the body is not JSON or lacks it)."""
    if not expression.startswith("$request.body."):
        return expression if not expression.startswith("$") else None
    try:
        value: Any = json.loads(text)
    except ValueError:
        return None
    for part in expression.removeprefix("$request.body.").split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, str) else (json.dumps(value) if value is not None else None)



def _connection_id(rng) -> str:
    """A connection id of AWS's look (``L0SM9cOFvHcCIhw=``): letters and digits and a closing ``=``, nothing a URL
    path must escape but that last character."""
    return random_chars(11, rng, string.ascii_letters + string.digits) + "="
