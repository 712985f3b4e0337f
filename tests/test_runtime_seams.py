"""The runtime's seams: environments leased and given back exactly once, an executor any language runtime can
implement, where a function's code and logs live."""

import json
import logging
import os

import pytest

from lambda_local import Function
from lambda_local.runtime.executor import InvokeRequest, PhaseResult


def test_a_raising_listener_leaves_the_count_in_flight_exact():
    fn = Function(lambda e, c: "ok")
    service = fn._service
    before = service.in_flight

    def broken(*args):
        raise RuntimeError("a listener failed")

    service.listeners.append(broken)
    try:
        for _ in range(3):
            with pytest.raises(RuntimeError, match="a listener failed"):
                fn.invoke({})
            assert service.in_flight == before
    finally:
        service.listeners.remove(broken)
    assert fn.invoke({}).payload == "ok" and service.in_flight == before
    assert not any(env.busy for env in fn.environments)


def test_an_error_inside_the_lease_gives_the_environment_back_once_and_discards_it():
    fn = Function(lambda e, c: "ok")
    fn.invoke({})
    pool, service = fn._pool, fn._service
    before = service.in_flight
    with pytest.raises(KeyError):
        with pool.lease(fn.config, {}) as lease:
            assert lease.env.busy and service.in_flight == before + 1 and not lease.cold
            raise KeyError("machinery failed")
    assert service.in_flight == before and lease.env not in pool.environments and not lease.env.alive


class EchoRuntime:
    """A runtime in another 'language': it sees only bytes and the request's headers, as over the Runtime API."""

    def __init__(self):
        self.inits = 0

    def init(self, env, log, timeout_s, stopper):
        self.inits += 1
        log.write_text("echo runtime ready\n")
        return PhaseResult(duration_ms=5.0)

    def invoke(self, env, request: InvokeRequest, log, stopper):
        if request.payload == b'"hang"':
            return PhaseResult(timed_out=True, duration_ms=request.timeout_s * 1000)
        log.write_text(f"echo {request.request_id}\n")
        return PhaseResult(payload=request.payload, duration_ms=1.0)


def test_another_runtime_plugs_in_through_the_executor_seam():
    runtime = EchoRuntime()
    fn = Function(lambda e, c: None, name="echo")
    fn.config.executor = runtime
    first, second = fn.invoke({"a": 1}), fn.invoke([2])
    assert first.payload == {"a": 1} and second.payload == [2] and runtime.inits == 1
    assert first.cold_start and not second.cold_start and first.init_duration_ms == pytest.approx(5.0 + 82.0)
    assert "echo runtime ready" in first.log and f"echo {second.request_id}" in second.log
    hung = fn.invoke("hang")
    assert hung.error_type == "Sandbox.Timedout" and "Task timed out after 3.00 seconds" in hung.log
    assert fn.invoke({}).cold_start and runtime.inits == 2  # the runtime restarted


def test_lambda_task_root_and_the_working_folder_are_the_code(tmp_path):
    (tmp_path / "data.json").write_text('{"greeting": "hello"}')
    (tmp_path / "app.py").write_text(
        "import json, os\n"
        "def handler(e, c):\n"
        "    with open(os.path.join(os.environ['LAMBDA_TASK_ROOT'], 'data.json')) as f:\n"
        "        by_root = json.load(f)['greeting']\n"
        "    with open('data.json') as f:\n"
        "        by_cwd = json.load(f)['greeting']\n"
        "    return [by_root, by_cwd, os.environ['LAMBDA_TASK_ROOT'] == os.getcwd()]\n")
    assert Function("app.handler", code=tmp_path).invoke({}).payload == ["hello", "hello", True]


POWERTOOLS_APP = """\
from aws_lambda_powertools import Logger

logger = Logger(service="orders")
logger.info("cold start of the module")


def handler(event, context):
    logger.info("processing", extra={"order": event["order"]})
    return event["order"]
"""


def _json_lines(log):
    lines = []
    for line in log.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_powertools_logger_writes_into_the_invocation_that_logged_cold_warm_and_in_a_second_environment(tmp_path):
    (tmp_path / "app.py").write_text(POWERTOOLS_APP)
    fn = Function("app.handler", code=tmp_path, environment={"POWERTOOLS_LOG_LEVEL": "INFO"})
    cold, warm = fn.invoke({"order": 1}), fn.invoke({"order": 2})
    assert [(line["message"], line.get("order")) for line in _json_lines(cold.log)] == [
        ("cold start of the module", None), ("processing", 1)]
    assert [(line["message"], line.get("order")) for line in _json_lines(warm.log)] == [("processing", 2)]
    assert _json_lines(warm.log)[0]["service"] == "orders"

    # A second environment of the same function (the first one is busy) starts from nothing: its own Logger.
    inner = {}

    def nested(event, context):
        inner["result"] = fn.invoke({"order": 3})
        return "outer"

    outer_fn = Function(nested, name="outer")
    fn.environments[0].busy = True  # as if a request were running there
    try:
        outer_fn.invoke({})
    finally:
        fn.environments[0].busy = False
    second = inner["result"]
    assert second.cold_start and second.environment_id != cold.environment_id
    assert [(line["message"], line.get("order")) for line in _json_lines(second.log)] == [
        ("cold start of the module", None), ("processing", 3)]
    again = fn.invoke({"order": 4})
    assert [line.get("order") for line in _json_lines(again.log)] == [4]
    assert not logging.getLogger("orders").handlers  # the notebook's registry never saw the function's loggers


def test_a_stream_handler_made_at_init_keeps_writing_on_warm_invocations(tmp_path):
    (tmp_path / "app.py").write_text(
        "import logging, sys\n"
        "log = logging.getLogger('app')\n"
        "log.addHandler(logging.StreamHandler(sys.stdout))\n"
        "log.setLevel(logging.INFO)\n"
        "def handler(e, c):\n"
        "    log.info('call %s', e['n'])\n"
        "    return e['n']\n")
    fn = Function("app.handler", code=tmp_path)
    logs = [fn.invoke({"n": n}).log for n in range(3)]
    for n, log in enumerate(logs):
        assert f"call {n}\n" in log and all(f"call {m}\n" not in log for m in range(3) if m != n)


def test_init_duration_is_the_same_through_the_api_with_a_big_package_and_through_function(aws, create, tmp_path):
    from conftest import invoke
    from lambda_local.coldstart import runtime_init_ms

    source = "import json\nCONFIG = json.loads('{\"a\": 1}')\ndef handler(e, c):\n    return CONFIG\n"
    create("big", files={"lambda_function.py": source, "blob.bin": os.urandom(5 * 1024 * 1024)})
    invoke("big")
    through_api = aws.invocations[-1]
    (tmp_path / "lambda_function.py").write_text(source)
    direct = Function("lambda_function.handler", code=tmp_path).invoke({})
    # Fetching and unpacking 5 MB happen before INIT, as on AWS: the platform's part is the runtime's start-up alone.
    for record in (through_api, direct):
        assert record.cold_start
        platform_ms = record.init_duration_ms - record.extra["function_init_ms"]
        assert platform_ms == pytest.approx(runtime_init_ms("python3.12"))


def test_logging_config_json_writes_platform_records_and_filters_by_level():
    def handler(event, context):
        logging.getLogger("app").debug("a detail")
        logging.getLogger("app").info("an info")
        print("plain print")
        return "ok"

    records = lambda result: [json.loads(line) for line in result.log.splitlines() if line.startswith("{")]  # noqa
    default = Function(handler, name="json-default", log_format="JSON").invoke({})
    kinds = [r.get("type") or r["level"] for r in records(default)]
    # JSON alone: application logs at INFO (the default ApplicationLogLevel), platform records at INFO.
    assert kinds == ["platform.initStart", "platform.start", "INFO", "platform.report"]
    report = records(default)[-1]["record"]
    assert report["requestId"] == default.request_id and report["status"] == "success"
    assert report["metrics"]["billedDurationMs"] == default.billed_duration_ms and "initDurationMs" in report["metrics"]
    assert "plain print" in default.log and default.report == json.dumps(records(default)[-1])
    verbose = Function(handler, name="json-debug", log_format="JSON", log_level="DEBUG",
                       system_log_level="DEBUG").invoke({})
    assert [r.get("type") or r["level"] for r in records(verbose)] == [
        "platform.initStart", "platform.start", "DEBUG", "INFO", "platform.runtimeDone", "platform.report"]
    quiet = Function(handler, name="json-warn", log_format="JSON", log_level="ERROR", system_log_level="WARN")
    assert records(quiet.invoke({})) == [] and "plain print" in quiet.invocations[-1].log
    text = Function(handler, name="text").invoke({})  # Text: the runtime's root logger stays at WARNING
    assert "an info" not in text.log and text.log.splitlines()[-1].startswith("REPORT RequestId: ")


def test_logging_config_log_group_through_the_api(aws, create):
    from conftest import invoke

    create("grouped", "def handler(e, c):\n    print('to my group')\n    return 1\n",
           LoggingConfig={"LogFormat": "Text", "LogGroup": "/custom/orders"})
    response, _ = invoke("grouped")
    assert response["StatusCode"] == 200
    logs_client = __import__("boto3").client("logs")
    streams = logs_client.describe_log_streams(logGroupName="/custom/orders")["logStreams"]
    events = logs_client.get_log_events(logGroupName="/custom/orders",
                                        logStreamName=streams[0]["logStreamName"])["events"]
    assert any(e["message"] == "to my group" for e in events)


def test_the_libraries_handlers_import_are_their_own_not_the_runtimes():
    """The runtime's own dependencies are shared with every environment; Powertools and the X-Ray SDK must not be
    among them (an extra, `course`), or one environment's Tracer and Logger state would leak into the next."""
    from lambda_local.runtime.isolation import _shared_top_levels

    shared = _shared_top_levels()
    assert {"aws_lambda_powertools", "aws_xray_sdk"}.isdisjoint(shared)
    assert {"boto3", "botocore", "moto"} <= shared


ASYNC_HANDLER = """
import asyncio, logging

async def answer():
    return 42

def handler(event, context):
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    return asyncio.run(answer()), getattr(record, "taskName", None)
"""


def test_a_handler_runs_outside_the_callers_event_loop(tmp_path):
    """A kernel runs cells inside its asyncio loop; a handler on AWS runs outside any: asyncio.run() works in it and
    its log records name no task (Python 3.12+ would name the kernel's). The caller's loop is back afterwards."""
    import asyncio

    (tmp_path / "lambda_function.py").write_text(ASYNC_HANDLER)
    fn = Function("lambda_function.handler", code=str(tmp_path))

    async def caller():
        result = fn.invoke({})
        return result.payload, asyncio.get_running_loop()

    payload, loop = asyncio.run(caller())
    assert payload == [42, None]
    assert loop is not None
