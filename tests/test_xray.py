"""X-Ray: the trace header each invocation gets, sampling per TracingConfig, the SDK's segments reaching moto's
X-Ray through the sandbox's daemon, and a tracer's patches staying inside its function."""

import json
import re
from datetime import datetime, timedelta, timezone

import socket

import boto3
import botocore.client
import pytest

import lambda_local
from lambda_local import browser
from lambda_local.xray import TraceHeader
from conftest import invoke

HEADER = re.compile(r"^Root=1-([0-9a-f]{8})-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=([01])$")
ECHO_HEADER = "import os\ndef handler(e, c):\n    return os.environ.get('_X_AMZN_TRACE_ID')\n"

TRACED = """
import boto3
from aws_lambda_powertools import Tracer

tracer = Tracer(service="payments")
s3 = boto3.client("s3")


@tracer.capture_lambda_handler
def handler(event, context):
    tracer.put_annotation(key="PaymentId", value="42")
    s3.list_buckets()
    return "paid"
"""


def _invoke_with_header(name, header):
    client = boto3.client("lambda")

    def add_header(request, **kwargs):
        request.headers["X-Amzn-Trace-Id"] = header

    client.meta.events.register("before-sign.lambda.Invoke", add_header)
    return json.loads(client.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())


def test_every_invocation_gets_a_well_formed_header_with_an_epoch_root(aws, create):
    create("echo", ECHO_HEADER, TracingConfig={"Mode": "Active"})
    header = invoke("echo")[1]
    root_epoch, sampled = HEADER.match(header).groups()
    assert int(root_epoch, 16) == int(aws.clock.time())
    assert sampled == "1"  # the first request of the second is in the default rule's reservoir
    assert invoke("echo")[1] != header  # a new trace per invocation


def test_active_samples_one_request_a_second_plus_five_percent(aws, create):
    create("busy", ECHO_HEADER, TracingConfig={"Mode": "Active"})
    same_second = [HEADER.match(invoke("busy")[1]).group(2) for _ in range(200)]
    assert same_second[0] == "1"
    extra = same_second[1:].count("1")
    assert 1 <= extra <= 25  # 5% of 199 is ~10; far outside this range the rule is not AWS's
    spread = []
    for _ in range(20):
        aws.advance(seconds=1)
        spread.append(HEADER.match(invoke("busy")[1]).group(2))
    assert spread == ["1"] * 20  # each new second the reservoir has room again


def test_upstream_decision_is_followed_and_extra_keys_kept(create):
    create("active", ECHO_HEADER, TracingConfig={"Mode": "Active"})
    create("passthrough", ECHO_HEADER)  # PassThrough is the default
    upstream = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0;Lineage=a87bd80c:0"
    for name in ("active", "passthrough"):
        seen = TraceHeader.parse(_invoke_with_header(name, upstream))
        assert seen.root == "1-5759e988-bd862e3fe1be46a994272793" and seen.sampled == "0"
        assert seen.parent != "53995c3f42cd8ad8" and dict(seen.extra) == {"Lineage": "a87bd80c:0"}
    sampled = TraceHeader.parse(_invoke_with_header("passthrough", upstream.replace("Sampled=0", "Sampled=1")))
    assert sampled.sampled == "1"
    assert TraceHeader.parse(invoke("passthrough")[1]).sampled == "0"  # no upstream: PassThrough records nothing


@pytest.fixture(autouse=True)
def _role_may_list_buckets_and_invoke(role):
    boto3.client("iam").put_role_policy(RoleName="lambda-role", PolicyName="calls", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*",
                                                "Action": ["lambda:InvokeFunction", "s3:ListAllMyBuckets"]}]}))


def test_a_function_calling_another_passes_its_trace_on(create):
    create("callee", ECHO_HEADER)
    create("caller", "import boto3, json, os\n"
                     "def handler(e, c):\n"
                     "    out = boto3.client('lambda').invoke(FunctionName='callee', Payload=b'{}')\n"
                     "    return [os.environ['_X_AMZN_TRACE_ID'], json.loads(out['Payload'].read())]\n",
           TracingConfig={"Mode": "Active"})
    mine, theirs = (TraceHeader.parse(h) for h in invoke("caller")[1])
    assert theirs.root == mine.root and theirs.sampled == mine.sampled == "1"


def _traces():
    xray = boto3.client("xray")
    now = datetime.now(timezone.utc)
    summaries = xray.get_trace_summaries(StartTime=now - timedelta(days=3650),
                                         EndTime=now + timedelta(days=3650))["TraceSummaries"]
    ids = [s["Id"] for s in summaries]
    return xray.batch_get_traces(TraceIds=ids)["Traces"] if ids else []


class _NoUdp(socket.socket):
    """A browser tab's sockets: they can be made, but a UDP datagram reaches no daemon."""

    def sendto(self, *args):
        raise OSError("Not available")


@pytest.fixture
def aws(request, monkeypatch):
    """conftest's sandbox; parametrized "in-process", as in a browser tab: no UDP, the daemon in-process."""
    if getattr(request, "param", "udp") == "in-process":
        monkeypatch.setattr(browser, "IN_BROWSER", True)
        monkeypatch.setattr(socket, "socket", _NoUdp)
    with lambda_local.mock_aws(seed=7, start="2026-01-01T00:00:00Z") as sandbox:
        yield sandbox


@pytest.mark.parametrize("aws", ["udp", "in-process"], indirect=True)
def test_powertools_tracer_segments_reach_xray_without_sdk_warnings(aws, create):
    create("pay", TRACED, TracingConfig={"Mode": "Active"})
    first = invoke("pay")
    aws.advance(seconds=2)
    second = invoke("pay")
    for _response, payload in (first, second):
        assert payload == "paid"
    for record in aws.invocations:
        assert "discarded" not in record.log and "cannot find the current segment" not in record.log.lower()
        assert "Failed to send entity" not in record.log  # (the SDK's UDPEmitter, where there is no UDP)
    traces = _traces()
    assert len(traces) == 2
    for trace in traces:
        documents = {json.loads(s["Document"]).get("origin"): json.loads(s["Document"]) for s in trace["Segments"]}
        assert set(documents) == {"AWS::Lambda", "AWS::Lambda::Function"}
        function = documents["AWS::Lambda::Function"]
        assert function["parent_id"] == documents["AWS::Lambda"]["id"]
        handler = next(s for s in function["subsegments"] if s["name"] == "## handler")
        assert handler["annotations"]["PaymentId"] == "42"
        assert [s["name"] for s in handler.get("subsegments", [])] == ["s3"]  # the SDK names it by endpoint prefix
        assert handler["subsegments"][0]["aws"]["operation"] == "ListBuckets"
    cold = [json.loads(s["Document"]) for t in traces for s in t["Segments"]
            if any(sub["name"] == "Init" for sub in json.loads(s["Document"]).get("subsegments", []))]
    assert len(cold) == 1  # only the cold start has an Init subsegment


def test_unsampled_invocations_write_nothing(create):
    create("quiet", TRACED)  # PassThrough, no upstream header: not sampled
    assert invoke("quiet")[1] == "paid"
    assert _traces() == []


def test_a_tracers_patches_never_leave_its_function(aws, create):
    original = botocore.client.BaseClient.__dict__["_make_api_call"]
    create("pay", TRACED, TracingConfig={"Mode": "Active"})
    create("plain", "import boto3\ndef handler(e, c):\n    boto3.client('s3').list_buckets()\n    return 'ok'\n",
           TracingConfig={"Mode": "Active"})
    invoke("pay")
    assert botocore.client.BaseClient.__dict__["_make_api_call"] is original  # the notebook: untouched
    boto3.client("s3").list_buckets()  # and its calls are not traced (no "cannot find the current segment")
    aws.advance(seconds=2)
    invoke("plain")
    plain = [json.loads(s["Document"]) for t in _traces() for s in t["Segments"]
             if json.loads(s["Document"]).get("name") == "plain"
             and json.loads(s["Document"]).get("origin") == "AWS::Lambda::Function"]
    assert len(plain) == 1 and [s["name"] for s in plain[0]["subsegments"]] == ["Init", "Invocation"]
    aws.advance(seconds=2)
    invoke("pay")  # warm: its own patches are back in place while it runs
    latest = max(_traces(), key=lambda t: min(json.loads(s["Document"])["start_time"] for s in t["Segments"]))
    names = [sub["name"] for s in latest["Segments"] for sub in json.loads(s["Document"]).get("subsegments", [])]
    assert "## handler" in names


@pytest.mark.parametrize("value, parsed", [
    ("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
     ("1-5759e988-bd862e3fe1be46a994272793", "53995c3f42cd8ad8", "1", ())),
    ("Root=1-5759e988-bd862e3fe1be46a994272793; Sampled=?; Self=1-abc",
     ("1-5759e988-bd862e3fe1be46a994272793", None, "?", (("Self", "1-abc"),))),
])
def test_header_parsing_keeps_every_key(value, parsed):
    header = TraceHeader.parse(value)
    assert (header.root, header.parent, header.sampled, header.extra) == parsed
    assert TraceHeader.parse(str(header)) == header


PLAIN_SDK = """
from aws_xray_sdk.core import patch_all, xray_recorder

patch_all()


def handler(event, context):
    with xray_recorder.in_subsegment("work") as subsegment:
        subsegment.put_metadata("items", event["items"])
    return len(event["items"])
"""


@pytest.mark.parametrize("aws", ["udp", "in-process"], indirect=True)
def test_the_plain_aws_xray_sdk_records_into_the_function_segment(aws, create):
    create("plain-sdk", PLAIN_SDK, TracingConfig={"Mode": "Active"})
    response, payload = invoke("plain-sdk", {"items": [1, 2, 3]})
    assert payload == 3 and "FunctionError" not in response
    record = aws.invocations[-1]
    assert "discarded" not in record.log and "cannot find the current segment" not in record.log.lower()
    assert "Failed to send entity" not in record.log
    (function,) = [json.loads(s["Document"]) for t in _traces() for s in t["Segments"]
                   if json.loads(s["Document"]).get("origin") == "AWS::Lambda::Function"]
    (work,) = [s for s in function["subsegments"] if s["name"] == "work"]
    assert work["metadata"]["default"]["items"] == [1, 2, 3]


def test_a_second_function_with_a_tracer_patches_its_own_sdk(aws, create):
    """The X-Ray SDK marks botocore as patched; that mark belongs to the environment that set it, so a second
    function's tracer patches botocore again and its calls become subsegments too (as in its own process on AWS)."""
    for name in ("pay", "refund"):
        create(name, TRACED, TracingConfig={"Mode": "Active"})
        assert invoke(name)[1] == "paid"
        aws.advance(seconds=2)
    traces = _traces()
    assert len(traces) == 2
    for trace in traces:
        function = next(json.loads(s["Document"]) for s in trace["Segments"]
                        if json.loads(s["Document"]).get("origin") == "AWS::Lambda::Function")
        handler = next(s for s in function["subsegments"] if s["name"] == "## handler")
        assert [s["name"] for s in handler.get("subsegments", [])] == ["s3"]
