"""WebSocket APIs on the local endpoint: a real client (``wscat``, a browser page on localhost, Python's
``websockets``) connects to ``ws://API.execute-api.REGION.localhost:PORT/STAGE`` and talks to the API as it would
to ``wss://API.execute-api.REGION.amazonaws.com/STAGE``: ``$connect`` (and its authorizer) decide the handshake,
each message goes through the route selection expression, ``@connections`` posts and route answers arrive as frames,
and closing runs ``$disconnect``. The API's behaviour is ``triggers.websocket``'s; this module only carries frames.

A client that cannot resolve ``*.localhost`` names (Python's resolver on many Linux machines) uses
``ws://127.0.0.1:PORT/_aws/execute-api/API_ID/STAGE`` instead, as LocalStack writes it.

The WebSocket protocol is the ``websockets`` library's (its sans-I/O ``ServerProtocol``): handshake checks, masking,
fragmentation, ping/pong and close are its, so a malformed frame ends that one connection with the close code the
RFC asks for (1002, 1007, ...), never the server. Limits are API Gateway's ("Amazon API Gateway quotas for
configuring and running a WebSocket API"): a frame of at most 32 KB and a message of at most 128 KB (else the
connection is closed with 1009), a connection idle for 10 minutes or open for 2 hours is closed (1001, "Going away").
API Gateway takes text frames only: a binary frame closes the connection with 1003 ("Binary media types for WebSocket
APIs in API Gateway"; a client sends binary data as base64 text).

The local endpoint's rules apply to the handshake as to every request: a Host that is not a loopback name and a web
page's Origin that is not a loopback or allowed one are refused (403) before anything runs; a browser does not
apply CORS to WebSockets, so this check is what keeps other sites' pages out.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from typing import Any

from websockets.datastructures import Headers
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from .aws import state

__all__ = ["FRAME_LIMIT", "IDLE_TIMEOUT_S", "MAX_CONNECTION_S", "MESSAGE_LIMIT", "is_upgrade", "serve_websocket"]

FRAME_LIMIT = 32 * 1024  # API Gateway: WebSocket frame size
MESSAGE_LIMIT = 128 * 1024  # API Gateway: message payload size
IDLE_TIMEOUT_S = 600.0  # API Gateway: idle connection timeout (10 minutes)
MAX_CONNECTION_S = 7200.0  # API Gateway: connection duration (2 hours)
_POLL_S = 1.0  # how often a silent connection looks at its idle time and at the endpoint stopping
_SEND_TIMEOUT_S = 5.0  # a client that reads nothing for this long while we send is dropped, never the sandbox held
PATH_PREFIX = "/_aws/execute-api/"  # ws://127.0.0.1:PORT/_aws/execute-api/API_ID/STAGE, as LocalStack writes it
_API_HOST = re.compile(r"^(?P<id>[a-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.")


def is_upgrade(headers, path: str) -> bool:
    """Whether an HTTP request asks to become a WebSocket (``Upgrade: websocket``) of an API: for an execute-api
    host, or at the path ``/_aws/execute-api/API_ID/STAGE`` (for clients that cannot resolve ``*.localhost``)."""
    return (headers.get("Upgrade", "").strip().lower() == "websocket"
            and (".execute-api." in headers.get("Host", "") or path.startswith(PATH_PREFIX)))


class _Session:
    """One client's socket and its protocol state; ``deliver`` and ``close`` may be called from other threads (a
    function's ``@connections`` post), so sending holds a lock."""

    def __init__(self, sock: socket.socket, protocol: ServerProtocol):
        self.sock, self.protocol = sock, protocol
        self._send_lock = threading.RLock()
        self.connection: Any = None  # triggers.websocket.WebSocketConnection once $connect let it in

    def flush(self) -> None:
        with self._send_lock:
            for data in self.protocol.data_to_send():
                if data:
                    self.sock.sendall(data)
                else:  # the protocol asks for the TCP stream to end (after a close)
                    _shutdown(self.sock)

    def deliver(self, data: str | bytes) -> None:
        """A frame to the client: a route's answer, an error message, an ``@connections`` post."""
        with self._send_lock:
            if self.protocol.state is not State.OPEN:
                return
            payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
            try:
                payload.decode("utf-8")
                self.protocol.send_text(payload)
            except UnicodeDecodeError:
                self.protocol.send_binary(payload)
            try:
                self.flush()
            except OSError:
                _shutdown(self.sock)

    def close(self, code: int, reason: str) -> None:
        """The server closes (``DeleteConnection``, idle timeout, the endpoint stopping)."""
        with self._send_lock:
            if self.protocol.state is State.OPEN:
                self.protocol.send_close(code, reason)
                try:
                    self.flush()
                except OSError:
                    pass
            _shutdown(self.sock)


def serve_websocket(endpoint, handler) -> None:
    """Run one WebSocket connection on ``handler``'s socket (a werkzeug request handler whose request line and
    headers are read); returns when the connection ends."""
    sock: socket.socket = handler.connection
    headers = Headers([(name, value) for name, value in handler.headers.items()])
    protocol = ServerProtocol(max_size=(MESSAGE_LIMIT, FRAME_LIMIT))
    session = _Session(sock, protocol)
    host = headers.get("Host", "")
    refusal = endpoint.refusal(host, headers.get("Origin"))
    handler.close_connection = True
    try:
        sock.settimeout(_SEND_TIMEOUT_S)
        if refusal:
            protocol.send_response(protocol.reject(403, refusal + "\n"))
            session.flush()
            return
        request = _handshake_request(protocol, handler)
        if request is None:  # werkzeug read it as HTTP, the protocol could not: a 400 says so
            protocol.send_response(protocol.reject(400, "Failed to open a WebSocket connection.\n"))
            session.flush()
            return
        response = protocol.accept(request)
        if response.status_code != 101:  # not a valid WebSocket handshake: the library's 400/426 says why
            protocol.send_response(response)
            session.flush()
            return
        connection = _connect(endpoint, host, handler.path, headers, handler.client_address[0])
        if not connection.connected:
            protocol.send_response(protocol.reject(connection.status, _REFUSALS.get(connection.status, "") + "\n"))
            session.flush()
            return
        session.connection = connection
        connection.on_message, connection.on_close = session.deliver, session.close
        protocol.send_response(response)
        session.flush()
        endpoint.websocket_sessions.add(session)
        _receive(endpoint, session)
    except OSError:
        pass  # the client went away: what follows cleans up
    except Exception:  # noqa: BLE001 - whatever went wrong ends this connection, never the server
        session.close(1011, "Internal server error")
    finally:
        try:
            _gone(endpoint, session)
        except Exception:  # noqa: BLE001 - a $disconnect that cannot run (the sandbox is closing) ends quietly
            pass
        endpoint.websocket_sessions.discard(session)
        _shutdown(sock)


def _handshake_request(protocol: ServerProtocol, handler) -> Request | None:
    """The handshake request, given to the protocol as the bytes werkzeug already read off the socket (the protocol
    parses the request before it parses frames)."""
    lines = [handler.requestline.encode("latin-1")]
    lines += [f"{name}: {value}".encode("latin-1") for name, value in handler.headers.items()]
    protocol.receive_data(b"\r\n".join(lines) + b"\r\n\r\n")
    found = [event for event in protocol.events_received() if isinstance(event, Request)]
    return found[0] if found else None


_REFUSALS = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error"}


def _connect(endpoint, host: str, path: str, headers: Headers, source_ip: str):
    """``$connect`` through the sandbox's WebSocket APIs, as the in-process client does."""
    match = _API_HOST.match(host.lower())
    if path.startswith(PATH_PREFIX):
        api_id, _, path = path.removeprefix(PATH_PREFIX).partition("/")
        path, region = "/" + path, state.http_api_region(api_id) or "us-east-1"  # unknown: a 404 there
    else:
        api_id, region = (match.group("id"), match.group("region")) if match else ("", "")
    url = f"wss://{api_id}.execute-api.{region}.amazonaws.com{path}"
    kept = {name: value for name, value in headers.raw_items()}
    with endpoint.lock:
        return endpoint.sandbox.websockets.connect(url, kept, source_ip=source_ip)


def _receive(endpoint, session: _Session) -> None:
    """Read frames until the connection ends; each whole message goes to its route."""
    protocol, sock = session.protocol, session.sock
    sock.settimeout(_POLL_S)
    parts: list[bytes] = []
    opened = last_active = time.monotonic()
    while protocol.state is State.OPEN or protocol.state is State.CLOSING:
        if time.monotonic() - opened > MAX_CONNECTION_S:
            session.close(1001, "Going away")
            return
        try:
            data = sock.recv(65536)
        except socket.timeout:
            if endpoint.stopping or time.monotonic() - last_active > IDLE_TIMEOUT_S:
                session.close(1001, "Going away")
                return
            continue
        if not data:
            protocol.receive_eof()
            session.flush()
            return
        last_active = time.monotonic()
        protocol.receive_data(data)

        for frame in protocol.events_received():
            if isinstance(frame, Frame) and frame.opcode is Opcode.BINARY:
                session.close(1003, "")  # API Gateway refuses binary frames and disconnects the client
                return
            if isinstance(frame, Frame) and frame.opcode in (Opcode.TEXT, Opcode.CONT):
                parts.append(bytes(frame.data))
                if frame.fin:
                    message, parts = b"".join(parts), []
                    with endpoint.lock:
                        if session.connection.connected:
                            session.connection.send(message.decode("utf-8", errors="replace"))
        sock.settimeout(_SEND_TIMEOUT_S)
        session.flush()  # pongs, the close handshake, a 1009 for a frame over the limit
        sock.settimeout(_POLL_S)
        if protocol.state is State.CLOSED:
            return


def _gone(endpoint, session: _Session) -> None:
    """The socket ended: if the API still counts the connection, ``$disconnect`` runs with the close frame's code
    (1005 when it had none, 1006 when the TCP connection just dropped)."""
    connection = session.connection
    if connection is None or not connection.connected:
        return
    received = session.protocol.close_rcvd
    sent = session.protocol.close_sent
    if received is not None:
        code, reason = received.code, received.reason
    elif sent is not None:
        code, reason = sent.code, sent.reason
    else:
        code, reason = 1006, "Connection closed abnormally"
    if code == 1005:
        reason = "Client-side close frame status not set"
    connection.on_message = connection.on_close = None
    with endpoint.lock:
        if connection.connected:
            endpoint.sandbox.websockets.disconnect(connection, code, reason)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
