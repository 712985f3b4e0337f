"""Many threads invoking at once: through the direct API, through boto3 inside mock_aws, and functions that invoke
functions from threads of their own. Each invocation keeps its own result, log, REPORT line, environment variables,
output and recursion chain; the concurrency accounting is what AWS would show."""

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from lambda_local import Function
from conftest import public_function_url

THREADS = 16


def _fan_out(count, work):
    barrier = threading.Barrier(count)

    def run(i):
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_direct_api_from_many_threads_each_invocation_keeps_its_own_result_and_log():
    def handler(event, context):
        print(f"start {event['i']} {os.environ['AWS_LAMBDA_FUNCTION_NAME']}")
        time.sleep(0.002)
        print(f"end {event['i']} {context.aws_request_id}")
        return {"i": event["i"], "pid": os.environ["ONLY_HERE"]}

    fn = Function(handler, name="fan", environment={"ONLY_HERE": "yes"})
    service = fn._service
    records = _fan_out(THREADS, lambda i: fn.invoke({"i": i}))

    for i, record in enumerate(records):
        assert record.payload == {"i": i, "pid": "yes"}
        lines = [line for line in record.log.splitlines() if line.startswith(("start", "end"))]
        assert lines == [f"start {i} fan", f"end {i} {record.request_id}"]
        assert record.report.startswith(f"REPORT RequestId: {record.request_id}\t")
    assert len({r.request_id for r in records}) == THREADS
    assert service.in_flight == 0 and not any(env.busy for env in fn.environments)
    # Requests that overlapped got environments of their own, as AWS would give them; reused environments were warm.
    cold = sum(r.cold_start for r in records)
    assert cold == len({r.environment_id for r in records}) >= 1
    assert "ONLY_HERE" not in os.environ


def test_while_a_function_runs_other_threads_see_their_own_variables_and_output(capsys):
    inside, outside = threading.Event(), threading.Event()

    def handler(event, context):
        inside.set()
        outside.wait(5)
        print("from the function")
        return os.environ["SECRET"]

    fn = Function(handler, environment={"SECRET": "function's"})
    seen = {}
    caller = threading.Thread(target=lambda: seen.setdefault("result", fn.invoke({})))
    caller.start()
    assert inside.wait(5)
    seen["env"] = os.environ.get("SECRET")
    seen["name"] = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
    print("from the notebook")
    outside.set()
    caller.join(5)
    assert seen["env"] is None and seen["name"] is None
    assert seen["result"].payload == "function's" and "from the function" in seen["result"].log
    assert "from the notebook" not in seen["result"].log
    out = capsys.readouterr().out
    assert "from the notebook" in out and "from the function" not in out


def test_reserved_concurrency_throttles_overlapping_requests_from_threads():
    release = threading.Event()

    def slow(event, context):
        release.wait(5)
        return "done"

    fn = Function(slow, name="reserved", reserved_concurrency=2, timeout=10)
    outcomes = []
    lock = threading.Lock()

    def call(i):
        try:
            result = fn.invoke({})
        except Exception as error:  # noqa: BLE001 - a throttle is the expected outcome for most
            with lock:
                outcomes.append(getattr(error, "code", type(error).__name__))
            return
        with lock:
            outcomes.append(result.payload)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while len(outcomes) < 6 and time.monotonic() < deadline:  # six are refused while two hold the reservation
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(10)
    assert sorted(outcomes) == ["TooManyRequestsException"] * 6 + ["done"] * 2
    assert fn._service.in_flight == 0


FORWARDER = """
import json, boto3
from concurrent.futures import ThreadPoolExecutor

client = boto3.client("lambda")


def handler(event, context):
    def one(n):
        response = client.invoke(FunctionName="leaf", Payload=json.dumps({"n": n, "caller": event["i"]}))
        return json.loads(response["Payload"].read())
    # Invoked from threads the function starts itself, as code that fans out does.
    with ThreadPoolExecutor(3) as pool:
        return {"i": event["i"], "leaves": list(pool.map(one, range(3)))}
"""

LEAF = """
import os
def handler(event, context):
    print(f"leaf {event['caller']}.{event['n']}")
    return {"n": event["n"], "caller": event["caller"], "fn": os.environ["AWS_LAMBDA_FUNCTION_NAME"]}
"""


@pytest.fixture
def may_invoke(aws, role):
    """The execution role may invoke functions (functions here call functions)."""
    boto3.client("iam").put_role_policy(RoleName="lambda-role", PolicyName="invoke", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"}]}))


def test_boto3_from_many_threads_with_functions_invoking_functions_from_their_own_threads(aws, create, may_invoke):
    create("leaf", LEAF)
    create("forwarder", FORWARDER, Timeout=60)
    client = boto3.client("lambda")

    def call(i):
        response = client.invoke(FunctionName="forwarder", Payload=json.dumps({"i": i}))
        return response.get("FunctionError"), json.loads(response["Payload"].read())

    results = _fan_out(8, call)
    for i, (error, payload) in enumerate(results):
        assert error is None, payload
        assert payload == {"i": i, "leaves": [{"n": n, "caller": i, "fn": "leaf"} for n in range(3)]}
    leaves = [r for r in aws.invocations if r.function_name == "leaf"]
    assert len(leaves) == 24 and all(r.succeeded for r in leaves)
    for record in leaves:
        printed = [line for line in record.log.splitlines() if line.startswith("leaf ")]
        assert len(printed) == 1 and printed[0] == f"leaf {record.payload['caller']}.{record.payload['n']}"
    assert aws.service.in_flight == 0
    # Every thread's first request found a new function at once: its package was unpacked once, atomically.
    assert len([r for r in aws.invocations if r.function_name == "forwarder"]) == 8


def test_first_invocations_of_a_new_function_from_threads_never_race_unpacking_it(aws, create):
    for n in range(3):
        create(f"new{n}", "def handler(e, c):\n    return e['i']\n")
    client = boto3.client("lambda")

    def call(i):
        response = client.invoke(FunctionName=f"new{i % 3}", Payload=json.dumps({"i": i}))
        return json.loads(response["Payload"].read())

    assert _fan_out(12, call) == list(range(12))


def test_concurrent_executions_metric_counts_overlapping_requests(aws, create):
    create("slowish", "import time\ndef handler(e, c):\n    time.sleep(0.05)\n    return 1\n")
    client = boto3.client("lambda")
    _fan_out(6, lambda i: client.invoke(FunctionName="slowish", Payload=b"{}"))
    records = [r for r in aws.invocations if r.function_name == "slowish"]
    assert len(records) == 6
    cloudwatch = boto3.client("cloudwatch")
    stats = cloudwatch.get_metric_statistics(
        Namespace="AWS/Lambda", MetricName="ConcurrentExecutions",
        Dimensions=[{"Name": "FunctionName", "Value": "slowish"}], StartTime=aws.clock.now().replace(year=2025),
        EndTime=aws.clock.now().replace(year=2027), Period=60, Statistics=["Maximum", "SampleCount"])
    datapoints = stats["Datapoints"]
    assert sum(d["SampleCount"] for d in datapoints) == 6
    # Requests that arrived together overlapped: as many environments as the most that were in flight at once.
    assert max(d["Maximum"] for d in datapoints) == len({r.environment_id for r in records}) > 1


def test_a_recursion_chain_belongs_to_its_own_invocation_whichever_thread_calls(aws, create, may_invoke):
    create("self_caller", """
import json, boto3
client = boto3.client("lambda")
def handler(event, context):
    if event["depth"] == 0:
        return "bottom"
    response = client.invoke(FunctionName="self_caller", Payload=json.dumps({"depth": event["depth"] - 1}))
    return json.loads(response["Payload"].read())
""", Timeout=60)
    client = boto3.client("lambda")

    def call(i):
        response = client.invoke(FunctionName="self_caller", Payload=json.dumps({"depth": 5}))
        return response.get("FunctionError"), json.loads(response["Payload"].read())

    # 8 chains of 6 invocations each: far more than 16 in all, yet no chain reaches Lambda's recursion limit.
    assert _fan_out(8, call) == [(None, "bottom")] * 8
    assert client.invoke(FunctionName="self_caller", Payload=b'{"depth": 1}')["StatusCode"] == 200


def test_function_url_requests_from_many_threads_each_get_their_own_response(aws, create):
    create("web", """
import json
def handler(event, context):
    print("path", event["rawPath"])
    return {"statusCode": 200, "body": json.dumps({"path": event["rawPath"], "id": context.aws_request_id})}
""")
    url = public_function_url("web")
    responses = _fan_out(THREADS, lambda i: aws.http("GET", f"{url}item/{i}"))
    assert [r.json()["path"] for r in responses] == [f"/item/{i}" for i in range(THREADS)]
    by_id = {r.request_id: r for r in aws.invocations if r.function_name == "web"}
    assert len(by_id) == THREADS
    for response in responses:
        record = by_id[response.json()["id"]]
        assert f"path {response.json()['path']}" in record.log.splitlines()


def test_a_thread_the_caller_starts_while_a_function_runs_is_never_stopped_with_that_function():
    """Only threads the function's own code started end with its runtime: a thread the notebook (or another caller)
    starts meanwhile is the caller's, even when the function times out and its environment is reset."""
    running = threading.Event()

    def slow(event, context):
        running.set()
        time.sleep(3)

    fn = Function(slow, timeout=1)
    caller = threading.Thread(target=fn.invoke, args=({},))
    caller.start()
    assert running.wait(10)
    finished = []
    host = threading.Thread(target=lambda: (time.sleep(2), finished.append(True)))
    host.start()  # started by the caller's code while the function runs in another thread
    caller.join(30)
    host.join(30)
    assert finished == [True]
