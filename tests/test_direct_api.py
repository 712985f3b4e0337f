"""The direct API: Function(...).invoke(...) runs a handler as Lambda would, with no AWS API in between."""

import json
import logging
import os
import sys
import textwrap
import time
from decimal import Decimal

import pytest

from lambda_local import Function, ServiceError


def write(tmp_path, files):
    for name, source in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return tmp_path


def test_callable_handler_returns_payload_cold_then_warm():
    fn = Function(lambda event, context: {"hello": event["name"]}, name="greet")
    first, second = fn.invoke({"name": "Ada"}), fn.invoke({"name": "Bob"})
    assert first.payload == {"hello": "Ada"} and second.payload == {"hello": "Bob"}
    assert (first.cold_start, second.cold_start) == (True, False)
    assert first.init_duration_ms > 0 and second.init_duration_ms is None
    assert first.environment_id == second.environment_id
    assert first.error_type is None and first.function_error is None


def test_module_code_runs_once_per_environment(tmp_path):
    code = write(tmp_path, {"app.py": """
        COUNT = {"init": 0, "calls": 0}
        COUNT["init"] += 1
        def handler(event, context):
            COUNT["calls"] += 1
            return dict(COUNT)
    """})
    fn = Function("app.handler", code=code)
    assert [fn.invoke().payload for _ in range(3)] == [
        {"init": 1, "calls": 1}, {"init": 1, "calls": 2}, {"init": 1, "calls": 3}]
    fn.shutdown()
    again = fn.invoke()
    assert again.cold_start and again.payload == {"init": 1, "calls": 1}
    assert "app" not in sys.modules or getattr(sys.modules["app"], "COUNT", None) is None


def test_context_has_every_attribute_of_the_real_runtime_with_aws_values():
    seen = {}

    def handler(event, context):
        seen.update(
            aws_request_id=context.aws_request_id, function_name=context.function_name,
            function_version=context.function_version, invoked_function_arn=context.invoked_function_arn,
            memory_limit_in_mb=context.memory_limit_in_mb, log_group_name=context.log_group_name,
            log_stream_name=context.log_stream_name, identity=context.identity,
            client_context=context.client_context, tenant_id=context.tenant_id,
            remaining=[context.get_remaining_time_in_millis(), time.sleep(0.05),
                       context.get_remaining_time_in_millis()])
        return "ok"

    result = Function(handler, name="ctx", memory=256, timeout=5).invoke(
        {}, client_context={"custom": {"k": "v"}, "env": {}, "client": {"app_title": "t"}})
    assert seen["aws_request_id"] == result.request_id
    assert seen["function_name"] == "ctx" and seen["function_version"] == "$LATEST"
    assert seen["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:ctx"
    assert seen["memory_limit_in_mb"] == "256"  # a string, as in awslambdaric
    assert seen["log_group_name"] == "/aws/lambda/ctx"
    assert seen["log_stream_name"] == result.log_stream_name
    assert seen["log_stream_name"].split("/")[3].startswith("[$LATEST]")
    assert seen["client_context"].custom == {"k": "v"} and seen["client_context"].client.app_title == "t"
    assert seen["identity"].cognito_identity_id is None and seen["tenant_id"] is None
    before, _, after = seen["remaining"]
    assert 4900 <= before <= 5000 and before - after >= 45


def test_environment_variables_are_set_while_running_and_do_not_leak():
    os.environ.pop("GREETING", None)
    fn = Function(lambda e, c: {k: os.environ.get(k) for k in (
        "GREETING", "_HANDLER", "AWS_LAMBDA_FUNCTION_NAME", "AWS_EXECUTION_ENV", "AWS_REGION",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_INITIALIZATION_TYPE", "LAMBDA_TASK_ROOT", "TZ",
        "AWS_LAMBDA_LOG_STREAM_NAME")}, name="envy", environment={"GREETING": "hi"}, runtime="python3.13")
    result = fn.invoke()
    env = result.payload
    assert env["GREETING"] == "hi" and env["AWS_LAMBDA_FUNCTION_NAME"] == "envy"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.13" and env["AWS_REGION"] == "us-east-1"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128" and env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["LAMBDA_TASK_ROOT"] == "/var/task" and env["TZ"] == ":UTC"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == result.log_stream_name
    assert "GREETING" not in os.environ and os.environ.get("AWS_LAMBDA_FUNCTION_NAME") is None


def test_a_boto3_client_made_at_init_has_credentials_as_on_aws(tmp_path):
    """Lambda gives every environment temporary credentials (AWS_ACCESS_KEY_ID starting ASIA, a session token):
    Powertools' "enabling boto logging" example makes its S3 client at module level and failed with
    NoCredentialsError here."""
    import lambda_local

    code = write(tmp_path, {"app.py": """
        import os
        import boto3
        s3 = boto3.client("s3")
        def handler(event, context):
            keys = [os.environ[name] for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")]
            return {"buckets": [b["Name"] for b in s3.list_buckets()["Buckets"]], "keys": keys}
    """})
    callers = os.environ.get("AWS_ACCESS_KEY_ID")
    with lambda_local.mock_aws():
        import boto3

        boto3.client("s3").create_bucket(Bucket="photos")
        first = Function("app.handler", code=code, name="lister").invoke()
        other = Function("app.handler", code=code, name="other").invoke()
    assert first.error_type is None, first.payload
    assert first.payload["buckets"] == ["photos"]
    key, secret, token = first.payload["keys"]
    assert key.startswith("ASIA") and len(key) == 20 and secret and token
    assert other.payload["keys"] != first.payload["keys"]  # each function its own session
    assert os.environ.get("AWS_ACCESS_KEY_ID") == callers  # the caller keeps its own


def test_environ_changes_stay_in_their_environment():
    def handler(event, context):
        os.environ["COUNTER"] = str(int(os.environ.get("COUNTER", "0")) + 1)
        return os.environ["COUNTER"]

    fn = Function(handler)
    assert [fn.invoke().payload for _ in range(2)] == ["1", "2"]
    assert "COUNTER" not in os.environ


def test_print_and_logging_go_to_the_log_not_the_callers_stdout(capsys):
    def handler(event, context):
        print("printed")
        logging.getLogger().info("hidden at WARNING")
        logging.getLogger().warning("a warning")
        context.log("via context\n")
        return None

    result = Function(handler).invoke()
    assert capsys.readouterr().out == ""
    lines = result.log.splitlines()
    assert lines[0].startswith("INIT_START Runtime Version: python:3.12.")  # a new environment's first line
    assert lines[1] == f"START RequestId: {result.request_id} Version: $LATEST"
    assert "printed" in lines and "via context" in lines
    assert not any("hidden" in line for line in lines)
    warning = next(line for line in lines if "a warning" in line)
    level, stamp, request_id, message = warning.split("\t")
    assert level == "[WARNING]" and request_id == result.request_id and message == "a warning"
    assert stamp.endswith("Z") and len(stamp) == len("2026-01-01T00:00:00.000Z")
    assert lines[-2] == f"END RequestId: {result.request_id}"
    assert lines[-1].startswith(f"REPORT RequestId: {result.request_id}\tDuration: ")
    assert "Init Duration: " in lines[-1]


def test_log_level_setting_lowers_the_root_logger_and_json_format():
    handler = lambda e, c: logging.getLogger("app").info("now visible")  # noqa: E731
    text = Function(handler, log_level="INFO").invoke()
    assert any(line.startswith("[INFO]\t") and line.endswith("\tnow visible") for line in text.log.splitlines())
    structured = Function(handler, log_level="INFO", log_format="JSON").invoke()
    entry = next(record for record in map(json.loads, (line for line in structured.log.splitlines()
                                                         if line.startswith("{"))) if "level" in record)
    assert entry["level"] == "INFO" and entry["message"] == "now visible" and entry["logger"] == "app"
    assert entry["requestId"] == structured.request_id
    assert logging.getLogger().level == logging.WARNING or logging.getLogger().level != logging.INFO


def test_tracebacks_the_function_logs_itself_name_the_files_where_they_are_on_aws(tmp_path):
    code = write(tmp_path, {"app.py": """
        import json, logging, traceback
        def handler(event, context):
            try:
                json.loads("{bad")
            except ValueError:
                logging.getLogger().exception("could not parse")
                print(traceback.format_exc())
                raise RuntimeError(traceback.format_exc().splitlines()[1])
    """})
    result = Function("app.handler", code=code, name="paths").invoke()
    assert str(tmp_path) not in result.log and str(tmp_path) not in result.payload["errorMessage"]
    # logged, printed, and in the runtime's log line of the uncaught error (its message)
    assert result.log.count('File "/var/task/app.py", line 5, in handler') == 3
    assert 'File "/var/lang/lib/python3.12/json/__init__.py"' in result.log
    assert result.payload["errorMessage"] == '  File "/var/task/app.py", line 5, in handler'


def test_json_log_lines_carry_the_fields_awslambdarics_formatter_writes(tmp_path):
    code = write(tmp_path, {"app.py": """
        import logging
        logger = logging.getLogger("orders")
        logger.warning("at init")
        def handler(event, context):
            logger.info("placed", extra={"order": 7, "who": "Zoë"})
            logger.log(25, "between INFO and WARNING")
            try:
                1 / 0
            except ZeroDivisionError:
                logger.exception("failed")
    """})
    result = Function("app.handler", code=code, name="jsonlog", log_format="JSON").invoke()
    lines = [json.loads(line) for line in result.log.splitlines() if line.startswith('{"timestamp"')]
    init, placed, between, failed = lines
    assert list(init) == ["timestamp", "level", "message", "logger", "requestId"]
    assert init["requestId"] == ""  # none yet during INIT: awslambdaric's filter writes "" (None would be left out)
    assert placed["order"] == 7 and placed["who"] == "Zoë" and '"who": "Zoë"' in result.log  # not \\u-escaped
    assert list(placed)[:5] == ["timestamp", "level", "message", "logger", "requestId"]
    assert between["level"] == "INFO"  # a level between the standard ones is written as the one below
    assert list(failed) == ["timestamp", "level", "message", "logger", "stackTrace", "errorType", "errorMessage",
                            "requestId", "location"]
    assert failed["stackTrace"][0].startswith('  File "/var/task/app.py", line 9, in handler')
    assert (failed["errorType"], failed["errorMessage"]) == ("ZeroDivisionError", "division by zero")
    assert failed["location"] == "/var/task/app.py:handler:11"


def test_report_figures_are_measured():
    result = Function(lambda e, c: time.sleep(0.12)).invoke()
    assert 115 <= result.duration_ms < 1000
    assert result.billed_duration_ms == int(-(-(result.duration_ms + result.init_duration_ms) // 1))
    report = result.report
    assert f"Duration: {result.duration_ms:.2f} ms" in report
    assert f"Billed Duration: {result.billed_duration_ms} ms" in report
    assert f"Max Memory Used: {result.max_memory_used_mb} MB" in report
    warm = Function(lambda e, c: bytearray(20 * 1024 * 1024) and None, memory=512)
    warm.invoke()
    big = warm.invoke()
    assert big.max_memory_used_mb >= 31 + 20


def test_unhandled_exception_payload_is_awslambdaric_shaped(tmp_path):
    code = write(tmp_path, {"lambda_function.py": """
        def handler(event, context):
            raise ValueError("bad input: " + event["x"])
    """})
    result = Function("lambda_function.handler", code=code).invoke({"x": "42"})
    assert result.function_error == "Unhandled" and result.status_code == 200
    body = result.payload
    assert body["errorType"] == "ValueError" and body["errorMessage"] == "bad input: 42"
    assert body["requestId"] == result.request_id
    assert body["stackTrace"] == [
        '  File "/var/task/lambda_function.py", line 3, in handler\n    raise ValueError("bad input: " + event["x"])\n']
    assert "[ERROR] ValueError: bad input: 42" in result.log


@pytest.mark.parametrize("files, handler, error_type, message", [
    ({"lambda_function.py": "import not_installed_lib\n"}, "lambda_function.handler",
     "Runtime.ImportModuleError", "Unable to import module 'lambda_function': No module named 'not_installed_lib'"),
    ({"lambda_function.py": "def other(e, c): pass\n"}, "lambda_function.handler",
     "Runtime.HandlerNotFound", "Handler 'handler' missing on module 'lambda_function'"),
    ({"lambda_function.py": "x = 1\n"}, "nodot", "Runtime.MalformedHandlerName",
     "Bad handler 'nodot': not enough values to unpack (expected 2, got 1)"),
    ({"lambda_function.py": "def handler(e, c)\n    pass\n"}, "lambda_function.handler",
     "Runtime.UserCodeSyntaxError", None),
    ({"lambda_function.py": "raise KeyError('CONFIG')\n"}, "lambda_function.handler", "KeyError", "'CONFIG'"),
])
def test_init_errors(tmp_path, files, handler, error_type, message):
    fn = Function(handler, code=write(tmp_path, files))
    result = fn.invoke()
    assert result.error_type == error_type and result.payload["errorType"] == error_type
    if message:
        assert result.payload["errorMessage"] == message
    assert fn.invoke().cold_start  # a failed INIT leaves no environment behind


def test_marshal_error_and_decimal_and_bytes():
    from datetime import datetime

    assert Function(lambda e, c: {"n": Decimal("1.10")}).invoke().raw_payload == b'{"n": 1.10}'
    bad = Function(lambda e, c: {"when": datetime(2026, 1, 1)}).invoke()
    assert bad.error_type == "Runtime.MarshalError"
    assert bad.payload["errorMessage"] == "Unable to marshal response: Object of type datetime is not JSON serializable"
    assert Function(lambda e, c: b"raw").invoke().raw_payload == b"raw"


def test_timeout_is_enforced_and_the_process_stays_usable():
    def spin(event, context):
        while True:
            pass

    fn = Function(spin, timeout=1)
    started = time.monotonic()
    result = fn.invoke()
    assert time.monotonic() - started < 1.5
    assert result.error_type == "Sandbox.Timedout" and result.timed_out
    assert result.payload["errorMessage"] == f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds"
    assert "Task timed out after 1.00 seconds" in result.log and "Status: timeout" in result.report
    assert fn.invoke().cold_start  # the environment was thrown away
    swallow = Function(lambda e, c: _swallow_everything(), timeout=1)
    started = time.monotonic()
    assert swallow.invoke().error_type == "Sandbox.Timedout"
    assert time.monotonic() - started < 2.5


def _swallow_everything():
    deadline = time.monotonic() + 1.3
    while time.monotonic() < deadline:
        try:
            time.sleep(0.01)
        except Exception:  # noqa: BLE001 - the point: a handler swallowing everything still times out
            pass


def test_sleeping_handler_times_out_promptly():
    result = Function(lambda e, c: time.sleep(30), timeout=1).invoke()
    assert result.error_type == "Sandbox.Timedout" and 1000 <= result.duration_ms < 1400


def test_payload_limits():
    # The response limit is 6,291,556 bytes of JSON (the quotes count): AWS's figure, 100 bytes over 6 MB.
    assert Function(lambda e, c: "x" * (6_291_556 - 2)).invoke().error_type is None
    fn = Function(lambda e, c: "x" * (6_291_556 - 1))
    result = fn.invoke()
    assert result.error_type == "Function.ResponseSizeTooLarge" and result.function_error == "Unhandled"
    assert json.loads(result.raw_payload) == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge"}
    with pytest.raises(ServiceError) as raised:
        fn.invoke({"big": "y" * (6 * 1024 * 1024)})
    assert raised.value.code == "RequestTooLargeException" and raised.value.status == 413
    with pytest.raises(ServiceError) as raised:
        fn.invoke({"big": "y" * (1024 * 1024)}, invocation_type="Event")
    assert raised.value.code == "RequestTooLargeException"
    with pytest.raises(ServiceError) as raised:
        fn.invoke(b"{not json")
    assert raised.value.code == "InvalidRequestContentException"


def test_reserved_concurrency_zero_throttles():
    with pytest.raises(ServiceError) as raised:
        Function(lambda e, c: 1, reserved_concurrency=0).invoke()
    assert raised.value.code == "TooManyRequestsException" and raised.value.status == 429
    assert raised.value.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_sys_exit_is_an_exit_error_and_replaces_the_environment():
    fn = Function(lambda e, c: sys.exit(3))
    result = fn.invoke()
    assert result.error_type == "Runtime.ExitError"
    assert result.payload["errorMessage"] == (
        f"RequestId: {result.request_id} Error: Runtime exited with error: exit status 3")
    assert fn.invoke().cold_start


def test_configuration_is_validated():
    for kwargs in ({"memory": 64}, {"memory": 20000}, {"timeout": 901}, {"layers": ["a"] * 6},
                   {"environment": {"BIG": "x" * 5000}}):
        with pytest.raises(ValueError):
            Function(lambda e, c: None, **kwargs)


def test_request_ids_are_the_uuid4_text_of_the_seeded_draws():
    import random
    import uuid

    from lambda_local.runtime.service import Ids

    ids, draws = Ids(seed=7), random.Random(7)
    for _ in range(1000):
        assert ids.request_id() == str(uuid.UUID(int=draws.getrandbits(128), version=4))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts the process's descriptors in /proc")
def test_a_code_folders_function_runs_in_its_task_root_and_gives_its_descriptor_back(tmp_path):
    """Environments move into their task root through a descriptor they keep (no path resolved per invocation);
    shutting them down, or dropping them, closes it."""
    import gc

    (tmp_path / "data.txt").write_text("beside the handler")
    (tmp_path / "lambda_function.py").write_text(
        "import os\n\ndef handler(event, context):\n    return [os.getcwd(), open('data.txt').read()]\n")
    caller = os.getcwd()
    Function("lambda_function.handler", code=tmp_path).invoke({})  # (the caller's folder's one descriptor, kept)
    gc.collect()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        fn = Function("lambda_function.handler", code=tmp_path)
        assert fn.invoke({}).payload == [str(tmp_path), "beside the handler"]
        assert fn.invoke({}).payload == [str(tmp_path), "beside the handler"]  # warm: the same folder
        assert os.getcwd() == caller
        fn.shutdown()
    dropped = Function("lambda_function.handler", code=tmp_path)
    dropped.invoke({})
    del dropped
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) <= before


def test_the_caller_is_put_back_into_whatever_folder_it_moved_to_between_invocations(tmp_path, monkeypatch):
    """A warm invocation does not ask for the caller's folder while nothing moved it since the last one: every move
    counts, by os.chdir, os.fchdir or a function's own, so the caller always comes back where it was."""
    code, first, second, third = (tmp_path / name for name in ("code", "first", "second", "third"))
    for folder in (code, first, second, third):
        folder.mkdir()
    (code / "lambda_function.py").write_text(
        "import os\n\ndef handler(event, context):\n    here = os.getcwd()\n"
        "    if event.get('wander'):\n        os.chdir('/')\n    return here\n")
    fn = Function("lambda_function.handler", code=code)
    monkeypatch.chdir(first)
    assert fn.invoke({}).payload == str(code) and os.getcwd() == str(first)
    assert fn.invoke({}).payload == str(code) and os.getcwd() == str(first)  # warm, not moved: the same folder
    os.chdir(second)
    assert fn.invoke({}).payload == str(code) and os.getcwd() == str(second)
    fd = os.open(third, os.O_RDONLY)
    try:
        os.fchdir(fd)
    finally:
        os.close(fd)
    assert fn.invoke({"wander": True}).payload == str(code) and os.getcwd() == str(third)
    assert fn.invoke({}).payload == str(code) and os.getcwd() == str(third)


def test_the_warm_paths_json_is_the_json_modules_own_byte_for_byte_and_error_for_error():
    """The event's and the response's JSON go through the json module's C encoder and scanner directly: the same
    bytes as json.dumps/JSONEncoder.encode, the same event as json.loads, and for anything they refuse, the same
    error with the same message (a circular structure included)."""
    from lambda_local.runtime import errors
    from lambda_local.runtime.function import _to_json
    from lambda_local.runtime.invoke import check_payload
    from lambda_local.runtime.python_runtime import _ENCODER, marshal

    values = [{"a": 1, "é": "ü\u2028", "n": None, "f": 1.5, "big": 10 ** 30, "t": (1, 2), 3: "int key", 2.5: "f"},
              "text", 1.0, [], {"nested": [{"x": [True, False]}]}, float("inf")]
    for value in values:
        assert _to_json(value) == json.dumps(value).encode("utf-8")
        assert marshal(value) == _ENCODER.encode(value).encode("utf-8")
    circular: list = []
    circular.append(circular)
    for bad in (circular, {"s": {1}}, {(1, 2): 0}, {"deep": [object()]}):
        for fast, exact in ((_to_json, json.dumps), (marshal, _ENCODER.encode)):
            with pytest.raises(Exception) as ours:
                fast(bad)
            with pytest.raises(Exception) as theirs:
                exact(bad)
            assert (type(ours.value), str(ours.value)) == (type(theirs.value), str(theirs.value))
    for body in (b'{"a": 1}', b'{"a": [1, {"b": "\xc3\xa9"}]} \t\r\n', b'{"a": NaN}'):
        assert check_payload(body, "RequestResponse") == json.loads(body)
    for body in (b'{"a": 1} x', b'{"a": ', b"{}{}", b'{"a": 1,}', b'{"\xff": 1}'):
        with pytest.raises(errors.ServiceError) as refused:
            check_payload(body, "RequestResponse")
        try:
            json.loads(body.decode("utf-8", "surrogatepass"))
        except ValueError as exc:
            expected = f"Could not parse payload into json: {exc}"
        except UnicodeDecodeError as exc:  # pragma: no cover - (the decode itself refuses)
            expected = f"Could not parse payload into json: {exc}"
        assert expected in str(refused.value)


def test_a_plain_invocations_context_is_the_constructors_context():
    """Most invocations (no client context, no Cognito identity) get their context from fields made once per
    environment: the same attributes, values and repr as the constructor gives."""
    from lambda_local.runtime.context import LambdaContext

    fields = LambdaContext.fields("orders", "$LATEST", 256, "/aws/lambda/orders", "2026/12/05/[$LATEST]abc")
    plain = LambdaContext.plain(fields, "req-1", "arn:aws:lambda:us-east-1:123456789012:function:orders", 7.5, None)
    made = LambdaContext(aws_request_id="req-1", function_name="orders", function_version="$LATEST",
                         invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:orders",
                         memory_limit_in_mb=256, log_group_name="/aws/lambda/orders",
                         log_stream_name="2026/12/05/[$LATEST]abc", deadline=7.5)
    assert repr(plain) == repr(made)
    ours, theirs = vars(plain), vars(made)
    assert ours.keys() == theirs.keys()
    assert {k: v for k, v in ours.items() if k != "identity"} == {k: v for k, v in theirs.items() if k != "identity"}
    assert plain.identity is not made.identity and repr(plain.identity) == repr(made.identity)
    assert plain.memory_limit_in_mb == "256" and plain.w3c() == {} and plain.client_context is None


def test_max_memory_used_is_the_environments_high_water_mark_whatever_was_remembered():
    fn = Function(lambda event, context: "ok", memory=512)
    fn.invoke({})
    env = fn.environments[0]
    mb = 1024 * 1024

    def expected() -> int:
        return min(-(-(31 * mb + env.init_memory_bytes + env.peak_bytes) // mb), 512)

    first = env.memory_used_mb(0)
    assert first == expected() == env.memory_used_mb(0)
    assert env.memory_used_mb(20 * mb) == expected() >= first + 19
    assert env.memory_used_mb(0) == expected()  # a peak only grows
    env.init_memory_bytes += 5 * mb
    assert env.memory_used_mb(0) == expected()  # what INIT allocated counts at once
    assert env.memory_used_mb(900 * mb) == 512  # never above the memory size


_WARM_PATH_HANDLER = '''
import logging
def handler(event, context):
    print("got", event.get("n"), context.aws_request_id, context.function_name, context.memory_limit_in_mb)
    logging.getLogger().warning("seen %s", event.get("n"))
    if event.get("raise"):
        raise ValueError("bad " + str(event["n"]))
    if event.get("set"):
        return {1, 2}
    if event.get("big"):
        return "x" * 6_300_000
    if event.get("exit"):
        raise SystemExit(3)
    return {"n": event.get("n"), "id": context.aws_request_id, "left": context.get_remaining_time_in_millis() > 0}
'''


def _normalised(record, events) -> tuple:
    """A record and the events its listeners got, without what two runs cannot share (durations, the bill)."""
    import dataclasses
    import re

    figures = {"duration_ms", "billed_duration_ms", "cost_usd", "exception", "init_duration_ms", "extra"}
    fields = {k: v for k, v in dataclasses.asdict(record).items() if k not in figures}
    fields["init"] = (record.init_duration_ms is None, sorted(record.extra))
    durations = re.compile(r"(Billed |Init )?Duration: [0-9.]+ ms")
    fields["log"] = durations.sub("Duration", record.log)
    messages = [(e.timestamp_ms, durations.sub("Duration", e.message)) for e in events]
    return fields, messages, type(record.exception).__name__


@pytest.mark.parametrize("code_folder", [True, False])
def test_the_warm_path_records_what_the_exact_path_records(tmp_path, monkeypatch, code_folder):
    """A warm plain invocation runs in one function (invoke._warm); its record, log and the events the service's
    listeners get are the exact path's, field for field, for answers, errors, exits, responses that cannot be encoded
    or are too large, and asynchronous invocations (seeded ids on both runs)."""
    from lambda_local.runtime import invoke as runtime_invoke
    from lambda_local.runtime.service import Ids

    (tmp_path / "lambda_function.py").write_text(_WARM_PATH_HANDLER)
    namespace: dict = {}
    exec(compile(_WARM_PATH_HANDLER, str(tmp_path / "lambda_function.py"), "exec"), namespace)
    requests = [({"n": 1}, "RequestResponse"), ({"n": 2}, "RequestResponse"), ({"n": 3, "raise": True}, "Event"),
                ({"n": 4}, "Event"), ({"n": 5, "set": True}, "RequestResponse"), ({"n": 6, "big": True}, "Event"),
                ({"n": 7, "big": True}, "RequestResponse"), ({"n": 8}, "RequestResponse"),
                ({"n": 9, "exit": True}, "RequestResponse"), ({"n": 10}, "RequestResponse"),
                ({"n": 11, "raise": True}, "RequestResponse"), ({"n": 12}, "RequestResponse")]
    warm = runtime_invoke._warm
    taken = []

    def run(fast: bool, listen: bool = True) -> list:
        seen: list = []
        taken.clear()
        fn = (Function("lambda_function.handler", code=tmp_path, name="warm-path") if code_folder
              else Function(namespace["handler"], name="warm-path"))
        monkeypatch.setattr(fn._service, "ids", Ids(7))
        monkeypatch.setattr(fn._service, "listeners",
                            [lambda record, config, env, events: seen.append(events)] if listen else [])
        monkeypatch.setattr(runtime_invoke, "_warm", (lambda *args: taken.append(warm(*args)) or taken[-1])
                            if fast else (lambda *args: None))
        records = [fn.invoke(event, invocation_type=kind) for event, kind in requests]
        fn.shutdown()
        return [_normalised(record, events) for record, events in zip(records, seen if listen else [[]] * 99)]

    run(fast=False)  # (first reads: the traceback's source lines are cached, so traced peaks are alike after)
    exact = run(fast=False)
    assert run(fast=True) == exact
    # without listeners (the direct API's service) the lines are not made into events; the records are the same
    assert [fields for fields, _, _ in run(fast=True, listen=False)] == [fields for fields, _, _ in exact]
    # the warm path took every warm invocation (the first is cold, and so is the one after the exit's restart)
    assert [index for index, record in enumerate(taken) if record is None] == [0, 9]
    assert [fields["error_type"] for fields, _, _ in exact] == [
        None, None, "ValueError", None, "Runtime.MarshalError", None, "Function.ResponseSizeTooLarge", None,
        "Runtime.ExitError", None, "ValueError", None]
