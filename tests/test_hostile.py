"""Hostile handlers: each ends in AWS's documented error, returns within its timeout plus a margin, leaves the
process usable, and the next invocation gets a fresh environment."""

import builtins
import json
import os
import queue
import socket
import sys
import threading
import time

import boto3
import pytest
from hypothesis import given, strategies as st

from lambda_local import Function, ServiceError


def _run(handler, timeout=1, memory=128):
    fn = Function(handler, timeout=timeout, memory=memory)
    started = time.monotonic()
    result = fn.invoke({})
    return fn, result, time.monotonic() - started


def _assert_fresh_next(fn):
    assert fn.invoke({}).cold_start, "the next invocation must get a new environment"


def _spin(e, c):
    while True:
        pass


def _sleep(e, c):
    time.sleep(3600)


def _socket_wait(e, c):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.accept()


def _queue_wait(e, c):
    queue.Queue().get()


@pytest.mark.parametrize("handler", [_spin, _sleep, _socket_wait, _queue_wait], ids=lambda h: h.__name__)
def test_endless_handlers_time_out_as_aws_reports_it(handler):
    fn, result, took = _run(handler, timeout=1)
    assert result.error_type == "Sandbox.Timedout"
    # the runtime answered nothing: the platform's two fields, whatever the runtime (Node.js answers the same)
    message = f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds"
    assert result.payload == {"errorType": "Sandbox.Timedout", "errorMessage": message}
    assert result.duration_ms == pytest.approx(1000, abs=1)  # AWS reports the timeout itself, to the millisecond
    assert took < 20  # stopped by the timeout, not by luck: the generous margin is for a loaded CI machine
    _assert_fresh_next(fn)


def test_deep_recursion_is_an_ordinary_error_and_the_process_survives():
    def recurse(e, c):
        return recurse(e, c)

    fn, result, _ = _run(recurse)
    assert result.error_type == "RecursionError"
    assert result.payload["errorMessage"].startswith("maximum recursion depth exceeded")
    assert sum(range(10)) == 45


def test_allocating_past_the_memory_size_is_out_of_memory():
    def hog(e, c):
        chunks = []
        while True:
            chunks.append(bytearray(8 * 1024 * 1024))

    fn, result, took = _run(hog, timeout=30, memory=256)
    assert result.error_type == "Runtime.OutOfMemory"
    # the platform's two fields, as for Node.js and for an exit (awslambdaric's process is killed: it answers nothing)
    assert result.payload == {"errorType": "Runtime.OutOfMemory", "errorMessage":
                              f"RequestId: {result.request_id} Error: Runtime exited with error: signal: killed"}
    assert took < 10
    _assert_fresh_next(fn)


@pytest.mark.parametrize("handler, message", [
    (lambda e, c: sys.exit(2), "Runtime exited with error: exit status 2"),
    (lambda e, c: os._exit(7), "Runtime exited with error: exit status 7"),
    (lambda e, c: (_ for _ in ()).throw(KeyboardInterrupt()), "Runtime exited with error: signal: interrupt"),
    (lambda e, c: (_ for _ in ()).throw(SystemExit(1)), "Runtime exited with error: exit status 1"),
    # a clean exit gives the platform no reason (AWS's own words for a runtime that ends with status 0)
    (lambda e, c: sys.exit(), "Runtime exited without providing a reason"),
    (lambda e, c: os._exit(0), "Runtime exited without providing a reason"),
], ids=["sys.exit", "os._exit", "KeyboardInterrupt", "SystemExit", "sys.exit()", "os._exit(0)"])
def test_exits_are_runtime_exit_errors_not_the_end_of_the_kernel(handler, message):
    fn, result, _ = _run(handler)
    # the process ended without an answer: the platform's two-field object, as for any runtime
    assert result.payload == {"errorType": "Runtime.ExitError",
                              "errorMessage": f"RequestId: {result.request_id} Error: {message}"}
    assert os._exit.__module__ in ("posix", "nt", "os")  # the real os._exit is back
    _assert_fresh_next(fn)


def test_threads_that_outlive_the_call_cannot_write_into_later_logs(capsys):
    def leaky(e, c):
        def chatter():
            for _ in range(40):
                print("from a leftover thread")
                time.sleep(0.01)
        threading.Thread(target=chatter, daemon=True).start()
        return "returned"

    fn = Function(leaky)
    assert fn.invoke({}).payload == "returned"
    later = Function(lambda e, c: time.sleep(0.2) or "quiet").invoke({})
    assert "leftover" not in later.log
    time.sleep(0.3)
    assert "leftover" not in capsys.readouterr().out


def test_process_state_changes_stay_inside_the_environment(tmp_path):
    import json as json_module

    cwd, path = os.getcwd(), list(sys.path)

    def vandal(e, c):
        os.chdir(tmp_path)
        os.environ["VANDAL"] = "1"
        sys.path.insert(0, "/nowhere")
        del sys.modules["json"]
        builtins.print = lambda *a, **k: None
        boto3.client = None
        return "done"

    assert Function(vandal).invoke({}).payload == "done"
    assert os.getcwd() == cwd and sys.path == path and "VANDAL" not in os.environ
    assert sys.modules["json"] is json_module and builtins.print is not None and callable(builtins.print)
    assert callable(boto3.client)


@pytest.mark.parametrize("version_tags", [True, False], ids=["version-tags", "copy-and-compare"])
def test_the_callers_own_change_to_builtins_between_invocations_is_seen_and_kept(monkeypatch, version_tags):
    from lambda_local.runtime import guard

    if not version_tags:  # the path for interpreters whose dicts show no version tag (PyPy, Pyodide, 3.13+)
        monkeypatch.setattr(guard, "_version_reader", lambda namespace: None)
    fn = Function(lambda e, c: getattr(builtins, "CALLER_FLAG", None))
    assert fn.invoke({}).payload is None
    builtins.CALLER_FLAG = "set by the caller"  # between two warm invocations of the same environment
    try:
        assert fn.invoke({}).payload == "set by the caller"
        assert builtins.CALLER_FLAG == "set by the caller"  # not taken for the function's change and undone
    finally:
        del builtins.CALLER_FLAG
    assert fn.invoke({}).payload is None


def test_a_function_that_moves_the_working_folder_of_a_code_folder_is_put_back(tmp_path):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "app.py").write_text(
        "import os\ndef handler(e, c):\n    here = os.getcwd()\n    os.chdir('..')\n    return here\n")
    cwd = os.getcwd()
    fn = Function("app.handler", code=tmp_path / "code")
    assert [fn.invoke({}).payload for _ in range(2)] == [str(tmp_path / "code")] * 2  # each starts in its task root
    assert os.getcwd() == cwd


def test_a_monkeypatch_made_at_init_stays_with_its_environment(tmp_path):
    (tmp_path / "app.py").write_text(
        "import builtins\nbuiltins.LAMBDA_FLAG = 'set at init'\n"
        "def handler(e, c):\n    return getattr(builtins, 'LAMBDA_FLAG', None)\n")
    fn = Function("app.handler", code=tmp_path)
    assert [fn.invoke({}).payload for _ in range(2)] == ["set at init", "set at init"]
    assert not hasattr(builtins, "LAMBDA_FLAG")


def test_printing_100_mb_is_truncated_and_split_as_cloudwatch_does():
    def flood(e, c):
        line = "x" * 1_000_000
        for _ in range(100):
            print(line)
        print("y" * 600_000)  # one line bigger than a CloudWatch event
        return "flooded"

    result = Function(flood, timeout=60).invoke({})
    assert result.payload == "flooded"
    assert len(result.log) < 11 * 1024 * 1024
    assert "more characters of log output were dropped" in result.log
    short = Function(lambda e, c: print("y" * 600_000)).invoke({})
    sizes = [len(line) for line in short.log.splitlines() if line.startswith("y")]
    assert sizes == [262_118, 262_118, 600_000 - 2 * 262_118]


def test_each_environment_has_its_own_tmp(tmp_path):
    import tempfile

    def writer(e, c):
        with tempfile.NamedTemporaryFile("w", delete=False, suffix=".txt") as handle:
            handle.write("scratch")
        return os.path.dirname(handle.name)

    one, two = Function(writer), Function(writer)
    first, second = one.invoke({}).payload, two.invoke({}).payload
    assert first != second and first.startswith(tempfile.gettempdir())
    assert one.invoke({}).payload == first  # the same environment keeps its /tmp
    one.shutdown()
    assert not os.path.exists(first)  # SHUTDOWN: the environment's /tmp is gone


def test_a_function_that_triggers_itself_is_stopped_by_recursive_loop_detection(aws, create):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="loop")["QueueUrl"]
    boto3.client("iam").put_role_policy(RoleName="lambda-role", PolicyName="send", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}))
    create("looper", f"""
        import boto3
        def handler(event, context):
            boto3.client("sqs").send_message(QueueUrl="{url}", MessageBody="again")
            return "sent"
    """)
    boto3.client("lambda").create_event_source_mapping(FunctionName="looper",
                                                       EventSourceArn="arn:aws:sqs:us-east-1:123456789012:loop")
    sqs.send_message(QueueUrl=url, MessageBody="start")
    aws.advance(hours=1)
    assert len(aws.invocations) == 16 and all(r.error_type is None for r in aws.invocations)


@pytest.mark.parametrize("files, handler, config, code, message", [
    ({}, "lambda_function.handler", {"Code": {"ZipFile": b""}}, "InvalidParameterValueException",
     "Could not unzip uploaded file. Please check your file, then try to upload again."),
    ({"lambda_function.py": "x=1"}, "lambda_function.handler", {"Runtime": "python2.7"},
     "InvalidParameterValueException", None),
    ({"lambda_function.py": "x=1"}, "lambda_function.handler", {"Runtime": "cobol9"}, "ValidationException", None),
    ({"lambda_function.py": "x=1"}, "lambda_function.handler", {"Role": "arn:aws:iam::123456789012:role/missing"},
     "InvalidParameterValueException", None),
])
def test_bad_input_through_the_api_gets_aws_errors(aws, role, files, handler, config, code, message):
    from botocore.exceptions import ClientError
    from conftest import zip_files

    spec = {"FunctionName": "bad", "Runtime": "python3.12", "Role": role, "Handler": handler,
            "Code": {"ZipFile": zip_files(files or {"a.py": ""})}}
    spec.update(config)
    with pytest.raises(ClientError) as raised:
        boto3.client("lambda").create_function(**spec)
    assert raised.value.response["Error"]["Code"] == code
    if message:
        assert raised.value.response["Error"]["Message"] == message


def test_a_role_lambda_cannot_assume_is_refused(aws):
    from botocore.exceptions import ClientError
    from conftest import zip_files

    ec2_trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    role = boto3.client("iam").create_role(RoleName="ec2-only", AssumeRolePolicyDocument=ec2_trust)["Role"]["Arn"]
    with pytest.raises(ClientError) as raised:
        boto3.client("lambda").create_function(FunctionName="f", Runtime="python3.12", Role=role, Handler="a.b",
                                               Code={"ZipFile": zip_files({"a.py": ""})})
    assert raised.value.response["Error"]["Message"] == "The role defined for the function cannot be assumed by Lambda."


@given(st.binary(max_size=200))
def test_any_invoke_payload_gets_a_result_or_an_aws_error(payload):
    fn = Function(lambda e, c: {"type": type(e).__name__})
    try:
        result = fn.invoke(payload)
    except ServiceError as error:
        assert error.code == "InvalidRequestContentException" and error.status == 400
    else:
        assert result.error_type is None


def test_out_of_memory_is_caught_on_untraced_warm_invocations_too():
    def maybe_hog(event, context):
        if event.get("hog"):
            chunks = []
            while True:
                chunks.append(bytearray(8 * 1024 * 1024))
        return "fine"

    fn = Function(maybe_hog, timeout=30, memory=256)
    for _ in range(4):  # past the first invocations, which are traced with tracemalloc
        assert fn.invoke({}).payload == "fine"
    result = fn.invoke({"hog": True})
    assert result.error_type == "Runtime.OutOfMemory"
    assert fn.invoke({}).cold_start


def test_a_runtime_that_cannot_run_here_is_refused_plainly(aws, role):
    from botocore.exceptions import ClientError
    from conftest import zip_files

    client = boto3.client("lambda")
    client.create_function(FunctionName="java", Runtime="java21", Role=role, Handler="example.Handler",
                           Code={"ZipFile": zip_files({"Handler.java": "class Handler {}"})})
    with pytest.raises(ClientError) as raised:
        client.invoke(FunctionName="java", Payload=b"{}")
    assert raised.value.response["Error"]["Code"] == "InvalidRuntimeException"
    assert "only python3.x and nodejs20.x/22.x/24.x functions" in raised.value.response["Error"]["Message"]
