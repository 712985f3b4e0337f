"""`lambda-local serve` against a hostile web page, idle clients and bad input: refused, served, 4xx."""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import sys
import threading
import zipfile

import boto3
import pytest

from conftest import start_serve
from botocore.config import Config

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}



@pytest.fixture(scope="module")
def server():
    process, port = start_serve("--seed", "5", "--allow-origin", "http://course.test:8000")
    yield process, port
    process.terminate()
    process.wait(10)


def _client(port: int, service: str):
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    return session.client(service, endpoint_url=f"http://127.0.0.1:{port}",
                          config=Config(retries={"max_attempts": 1}, read_timeout=30, connect_timeout=10))


@pytest.fixture(scope="module")
def echo(server):
    _, port = server
    role = _client(port, "iam").create_role(RoleName="echo-role",
                                            AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("lambda_function.py", "def lambda_handler(event, context):\n    return event\n")
    _client(port, "lambda").create_function(FunctionName="echo", Runtime="python3.12", Role=role,
                                            Handler="lambda_function.lambda_handler",
                                            Code={"ZipFile": package.getvalue()})
    return "echo"


def _raw(port: int, method: str, path: str, headers: dict, body: bytes = b"") -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    answer = response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    connection.close()
    return answer


_CREATE = json.dumps({"FunctionName": "planted", "Runtime": "python3.12", "Role": "arn:aws:iam::123456789012:role/x",
                      "Handler": "lambda_function.lambda_handler",
                      "Code": {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}})


_SIGNED = ("AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, "
           "Signature=0")


def _function_names(port: int) -> list[str]:
    return [f["FunctionName"] for f in _client(port, "lambda").list_functions()["Functions"]]


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example", "Host": "127.0.0.1"},           # a page on another site
    {"Origin": "null", "Host": "127.0.0.1"},                           # a file:// page or a sandboxed frame
    {"Host": "attacker.example"},                                      # DNS rebinding: the page's own name
    {"Host": "127.0.0.1.nip.io"},
], ids=["foreign-origin", "null-origin", "rebound-host", "name-resolving-to-loopback"])
def test_a_web_page_cannot_create_a_function(server, headers):
    _, port = server
    status, response_headers, body = _raw(port, "POST", "/2015-03-31/functions", {
        **headers, "Content-Type": "application/json"}, _CREATE.encode())
    message = json.loads(body)["message"]
    assert status == 403 and ("refuses requests from web pages" in message or "machine only" in message)
    assert "access-control-allow-origin" not in response_headers
    preflight = _raw(port, "OPTIONS", "/2015-03-31/functions", {**headers, "Access-Control-Request-Method": "POST"})
    assert preflight[0] == 403 and "access-control-allow-origin" not in preflight[1]
    assert "planted" not in _function_names(port)


def test_loopback_and_allowed_origins_get_their_own_origin_back_never_a_star(server, echo):
    _, port = server
    for origin in ("http://localhost:8888", "http://127.0.0.1:5500", "http://course.test:8000"):
        status, headers, _ = _raw(port, "GET", "/2015-03-31/functions/", {
            "Origin": origin, "Host": "localhost", "Authorization": _SIGNED})
        assert status == 200, origin
        assert headers.get("access-control-allow-origin") == origin


def test_idle_half_open_connections_do_not_stall_real_clients(server, echo):
    _, port = server
    idle = []
    for _ in range(50):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(b"POST /2015-03-31/functions/echo/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and no more
        idle.append(sock)
    try:
        lam = _client(port, "lambda")
        answers = [json.loads(lam.invoke(FunctionName=echo, Payload=json.dumps({"n": n}))["Payload"].read())
                   for n in range(5)]
        assert answers == [{"n": n} for n in range(5)]
    finally:
        for sock in idle:
            sock.close()


@pytest.mark.parametrize("query", ["minutes=abc", "hours=-1", "seconds=inf", "minutes=nan", "days=2", "minutes="])
def test_bad_advance_input_is_a_400_with_a_reason(server, query):
    _, port = server
    status, _, body = _raw(port, "POST", f"/_lambda_local/advance?{query}", {"Host": "127.0.0.1"})
    assert status == 400 and json.loads(body)["message"]


@pytest.mark.parametrize("payload, detail", [
    (b"\xff\xfe\x00binary", "Invalid UTF-8 start byte 0xff"),
    (b"hello", "Could not parse payload into json"),
])
def test_a_payload_that_is_not_json_is_invalid_request_content(server, echo, payload, detail):
    _, port = server
    lam = _client(port, "lambda")
    with pytest.raises(lam.exceptions.InvalidRequestContentException) as raised:
        lam.invoke(FunctionName=echo, Payload=payload)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert raised.value.response["Error"]["Message"].startswith("Could not parse request body into json: ")
    assert detail in raised.value.response["Error"]["Message"]


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for the server's memory")
def test_sixteen_concurrent_clients_no_errors_memory_flat(server, echo):
    process, port = server
    errors: list[BaseException] = []
    answers: list[int] = []

    def client(worker: int, calls: int) -> None:
        lam = _client(port, "lambda")
        for n in range(calls):
            try:
                response = lam.invoke(FunctionName=echo, Payload=json.dumps({"worker": worker, "n": n}))
                if json.loads(response["Payload"].read()) == {"worker": worker, "n": n}:
                    answers.append(1)
            except BaseException as error:  # noqa: BLE001 - collected and asserted below
                errors.append(error)

    def round_of(calls: int) -> None:
        threads = [threading.Thread(target=client, args=(w, calls)) for w in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

    round_of(5)  # warm-up: imports, environments, moto's caches
    before = _rss_kb(process.pid)
    answers.clear()
    round_of(int(os.environ.get("LAMBDA_LOCAL_LOAD_CALLS", "15")))
    after = _rss_kb(process.pid)
    assert not errors, errors[:3]
    assert len(answers) == 16 * int(os.environ.get("LAMBDA_LOCAL_LOAD_CALLS", "15"))
    assert after - before < 40 * 1024, f"the server grew by {(after - before) / 1024:.1f} MB under load"
