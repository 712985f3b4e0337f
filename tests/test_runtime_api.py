"""The Runtime API server, driven by a runtime written in Python with urllib (one connection per request): the
language-neutral contract Node.js functions use, tested without Node.js."""

import json
import sys
import textwrap

import pytest

from lambda_local.runtime.runtime_api import RuntimeApi

RUNTIME = textwrap.dedent('''
    import json, os, sys, time, urllib.request

    base = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/"

    def post(route, body, **headers):
        request = urllib.request.Request(base + route, data=json.dumps(body).encode(), method="POST",
                                         headers=headers)
        urllib.request.urlopen(request).read()

    if os.environ.get("FAIL_INIT"):
        post("init/error", {"errorType": "Runtime.ImportModuleError", "errorMessage": "no module"},
             **{"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"})
        sys.exit(1)
    print("init done", flush=True)
    while True:
        with urllib.request.urlopen(base + "invocation/next") as response:
            request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
            arn = response.headers["Lambda-Runtime-Invoked-Function-Arn"]
            event = json.loads(response.read())
        print("handling", event["n"], flush=True)
        if event.get("sleep"):
            time.sleep(event["sleep"])
        if event.get("exit"):
            sys.exit(event["exit"])
        if event.get("fail"):
            post(f"invocation/{request_id}/error", {"errorType": "ValueError", "errorMessage": "bad n"},
                 **{"Lambda-Runtime-Function-Error-Type": "ValueError"})
        else:
            post(f"invocation/{request_id}/response", {"n": event["n"] * 2, "id": request_id, "arn": arn})
''')


@pytest.fixture
def runtime(tmp_path):
    """runtime(**env): a Python runtime process behind a RuntimeApi; yields (api, lines it printed)."""
    (tmp_path / "runtime.py").write_text(RUNTIME)
    started = []

    def _start(**env):
        lines = []
        api = RuntimeApi(lines.append)
        api.start([sys.executable, str(tmp_path / "runtime.py")],
                  {"AWS_LAMBDA_RUNTIME_API": api.address, "PATH": "/usr/bin:/bin", **env}, str(tmp_path))
        started.append(api)
        return api, lines

    yield _start
    for api in started:
        api.kill()


HEADERS = {"Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:f"}


def test_init_then_invocations_each_answered_with_what_was_printed_before(runtime):
    api, lines = runtime()
    assert api.wait_ready(10).kind == "ready" and lines == ["init done"] and api.waiting
    for n in (1, 2):
        outcome = api.invoke(f"id-{n}", json.dumps({"n": n}).encode(), HEADERS, 10)
        assert outcome.kind == "response"
        assert json.loads(outcome.body) == {"n": 2 * n, "id": f"id-{n}", "arn": HEADERS[
            "Lambda-Runtime-Invoked-Function-Arn"]}
        assert lines[-1] == f"handling {n}"  # read before the answer was acted on
        assert api.wait_ready(10).kind == "ready"


def test_a_function_error_carries_its_type(runtime):
    api, _ = runtime()
    api.wait_ready(10)
    outcome = api.invoke("id-1", b'{"n": 1, "fail": true}', HEADERS, 10)
    assert (outcome.kind, outcome.error_type) == ("error", "ValueError")
    assert json.loads(outcome.body) == {"errorType": "ValueError", "errorMessage": "bad n"}


def test_an_init_error(runtime):
    api, _ = runtime(FAIL_INIT="1")
    outcome = api.wait_ready(10)
    assert (outcome.kind, outcome.error_type) == ("init_error", "Runtime.ImportModuleError")


def test_a_process_that_exits_and_one_that_runs_past_its_deadline(runtime):
    api, _ = runtime()
    api.wait_ready(10)
    outcome = api.invoke("id-1", b'{"n": 1, "exit": 7}', HEADERS, 10)
    assert (outcome.kind, outcome.code) == ("exited", 7)
    api, _ = runtime()
    api.wait_ready(10)
    assert api.invoke("id-1", b'{"n": 1, "sleep": 5}', HEADERS, 0.3).kind == "timed_out"
    api.kill()
    assert api.process.poll() == -9
