"""A cold start whose INIT fails, as AWS reports it: the platform's INIT_REPORT line, INIT run once more with the
request (a "suppressed init", its time in Duration and no Init Duration), and the error object of the runtime
(``"requestId": ""`` for awslambdaric's INIT errors) or of the platform when the process ended
(``{"errorType": "Runtime.ExitError", "errorMessage": "RequestId: <id> Error: Runtime exited with error: exit status
N"}``). Node.js cases are skipped where Node.js is missing."""

import base64
import json
import re

import pytest
from conftest import invoke
from test_nodejs import node20

EXITS_AT_INIT = "import os, sys\nprint('init ran')\n{exit}\ndef handler(event, context):\n    return 1\n"
INIT_REPORT = re.compile(r"^INIT_REPORT Init Duration: (\d+\.\d\d) ms\tPhase: (init|invoke)\tStatus: (\w+)"
                         r"(?:\tError Type: (\S+))?$")


def _lines(response) -> list[str]:
    return base64.b64decode(response["LogResult"]).decode().splitlines()


def _report_fields(line: str) -> dict[str, str]:
    return dict(field.split(": ", 1) for field in line.split("\t")[1:] if field)


@pytest.mark.parametrize("exit_call, status", [("sys.exit(4)", 4), ("os._exit(3)", 3)], ids=["sys.exit", "os._exit"])
def test_python_init_that_exits_is_retried_then_answered_by_the_platform(aws, create, exit_call, status):
    create("quits", EXITS_AT_INIT.format(exit=exit_call))
    response, body = invoke("quits", LogType="Tail")
    record = aws.invocations[-1]
    request_id = record.request_id
    assert response["FunctionError"] == "Unhandled"
    assert body == {"errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status {status}"}
    lines = _lines(response)
    assert lines[0].startswith("INIT_START Runtime Version: python:3.12")
    reports = [INIT_REPORT.match(line) for line in lines if line.startswith("INIT_REPORT")]
    assert [(m.group(2), m.group(3), m.group(4)) for m in reports] == [
        ("init", "error", "Runtime.ExitError"), ("invoke", "error", "Runtime.ExitError")]
    # module code ran twice (INIT, then INIT again with the request), all before START
    assert lines[1:6] == ["init ran", reports[0].string, "init ran", reports[1].string,
                          f"START RequestId: {request_id} Version: $LATEST"]
    assert lines[6:9] == [f"RequestId: {request_id} Error: Runtime exited with error: exit status {status}",
                          "Runtime.ExitError", f"END RequestId: {request_id}"]
    report = _report_fields(lines[9])
    assert lines[9].startswith(f"REPORT RequestId: {request_id}\t") and len(lines) == 10
    assert "Init Duration" not in report  # the retried INIT is in Duration
    assert report["Duration"] == f"{float(reports[1].group(1)):.2f} ms"
    assert (report["Status"], report["Error Type"]) == ("error", "Runtime.ExitError")
    assert record.cold_start and record.init_duration_ms is None and record.error_type == "Runtime.ExitError"


def test_python_init_error_is_the_runtimes_object_without_a_request_id(aws, create):
    create("broken", "print('init ran')\nraise ValueError('no config')\ndef handler(event, context):\n    return 1\n")
    response, body = invoke("broken", LogType="Tail")
    assert set(body) == {"errorMessage", "errorType", "requestId", "stackTrace"}
    assert (body["errorType"], body["errorMessage"], body["requestId"]) == ("ValueError", "no config", "")
    assert body["stackTrace"][-1].startswith('  File "/var/task/lambda_function.py", line 2, in <module>')
    lines = _lines(response)
    assert [line for line in lines if line.startswith("INIT_REPORT")] == [
        line for line in lines if INIT_REPORT.match(line) and line.endswith("\tStatus: error\tError Type: ValueError")]
    assert sum(line.startswith("INIT_REPORT") for line in lines) == 2
    assert sum(line == "[ERROR] ValueError: no config" for line in lines) == 2
    start = lines.index(f"START RequestId: {aws.invocations[-1].request_id} Version: $LATEST")
    assert lines[start + 1].startswith("END RequestId: ")  # the runtime answered: no platform line in between


def test_an_init_that_succeeds_when_retried_runs_the_handler_in_the_same_request(aws, create):
    # The first INIT fails and leaves a mark in /tmp (the environment's own: tempfile's folder here), which survives
    # the runtime's restart; the retry succeeds.
    create("flaky", """
import os, sys, tempfile
MARK = os.path.join(tempfile.gettempdir(), "tried")
if not os.path.exists(MARK):
    open(MARK, "w").close()
    sys.exit(1)
print("init ran")
calls = 0
def handler(event, context):
    global calls
    calls += 1
    return calls
""")
    response, body = invoke("flaky", LogType="Tail")
    assert "FunctionError" not in response and body == 1
    lines = _lines(response)
    reports = [line for line in lines if line.startswith("INIT_REPORT")]
    assert len(reports) == 1 and INIT_REPORT.match(reports[0]).group(2, 3, 4) == ("init", "error", "Runtime.ExitError")
    assert lines.index("init ran") < next(i for i, line in enumerate(lines) if line.startswith("START"))
    report = _report_fields(lines[-1])
    assert "Init Duration" not in report and "Status" not in report
    first = aws.invocations[-1]
    assert first.cold_start and first.init_duration_ms is None
    assert invoke("flaky")[1] == 2  # the same environment, warm
    assert not aws.invocations[-1].cold_start and aws.invocations[-1].environment_id == first.environment_id


RETRIED_SLOWLY = """
import os, sys, tempfile, time
MARK = os.path.join(tempfile.gettempdir(), "tried")
if not os.path.exists(MARK):
    open(MARK, "w").close()
    sys.exit(1)
time.sleep({sleep})
def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return context.get_remaining_time_in_millis()
"""


def test_a_retried_init_spends_the_requests_time_and_the_handler_gets_what_is_left(aws, create):
    create("slowretry", RETRIED_SLOWLY.format(sleep=0.3), Timeout=2)
    response, remaining = invoke("slowretry", LogType="Tail")
    assert "FunctionError" not in response
    # the retried INIT's 0.3 s (and its modelled start-up) came out of the request's 2 s: Duration, which holds that
    # INIT and the handler, and what the handler was told it had left add up to the timeout
    duration = float(_report_fields(_lines(response)[-1])["Duration"].split()[0])
    assert 2000 - duration - 50 <= remaining <= 2000 - 300


def test_a_handler_after_a_retried_init_times_out_at_the_configured_timeout(aws, create):
    create("slowretry2", RETRIED_SLOWLY.format(sleep=0.4), Timeout=1)
    response, body = invoke("slowretry2", {"sleep": 0.8}, LogType="Tail")
    request_id = aws.invocations[-1].request_id
    # 0.4 s of INIT + 0.8 s in the handler is past the 1 s timeout: a timeout, reported with the configured seconds
    assert body == {"errorType": "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds"}
    assert _report_fields(_lines(response)[-1])["Duration"] == "1000.00 ms"


def test_init_reports_are_platform_records_with_the_json_log_format(aws, create):
    create("jsonquits", EXITS_AT_INIT.format(exit="sys.exit(2)"), LoggingConfig={"LogFormat": "JSON"})
    response, _ = invoke("jsonquits", LogType="Tail")
    records = [json.loads(line) for line in _lines(response) if line.startswith('{"time"')]
    reports = [r["record"] for r in records if r["type"] == "platform.initReport"]
    assert [(r["phase"], r["status"], r["errorType"], r["initializationType"]) for r in reports] == [
        ("init", "error", "Runtime.ExitError", "on-demand"), ("invoke", "error", "Runtime.ExitError", "on-demand")]
    assert all(r["metrics"]["durationMs"] > 0 for r in reports)
    assert [r["type"] for r in records].index("platform.initReport") < [r["type"] for r in records].index(
        "platform.start")


@node20
def test_node_init_that_exits_is_retried_then_answered_by_the_platform(aws, create):
    create("nodequits", files={"index.js": "console.log('init ran');\nprocess.exit(2);"}, handler="index.handler",
           Runtime="nodejs20.x")
    response, body = invoke("nodequits", LogType="Tail")
    request_id = aws.invocations[-1].request_id
    assert body == {"errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status 2"}
    lines = _lines(response)
    reports = [INIT_REPORT.match(line) for line in lines if line.startswith("INIT_REPORT")]
    assert [m.group(2, 3, 4) for m in reports] == [("init", "error", "Runtime.ExitError"),
                                                   ("invoke", "error", "Runtime.ExitError")]
    assert sum(line.endswith("\tundefined\tINFO\tinit ran") for line in lines) == 2
    start = lines.index(f"START RequestId: {request_id} Version: $LATEST")
    assert lines[start + 1:start + 4] == [
        f"RequestId: {request_id} Error: Runtime exited with error: exit status 2", "Runtime.ExitError",
        f"END RequestId: {request_id}"]
    report = _report_fields(lines[-1])
    assert "Init Duration" not in report and int(report["Max Memory Used"].split()[0]) > 0


@node20
def test_node_init_error_reports_the_runtimes_error_type_in_both_init_reports(aws, create):
    create("nodethrows", files={"index.js": "throw new RangeError('over 3');"}, handler="index.handler",
           Runtime="nodejs20.x")
    response, body = invoke("nodethrows", LogType="Tail")
    assert body["errorType"] == "RangeError"
    lines = _lines(response)
    reports = [INIT_REPORT.match(line) for line in lines if line.startswith("INIT_REPORT")]
    assert [m.group(2, 3, 4) for m in reports] == [("init", "error", "RangeError"), ("invoke", "error", "RangeError")]
    assert sum("\tundefined\tERROR\tUncaught Exception \t" in line for line in lines) == 2
