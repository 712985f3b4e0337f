"""Handlers see the virtual clock (issue 21 item 6): inside an invocation time.time(), datetime.now() and friends
follow the sandbox's clock, which advance() moves; the caller's own clock, and moto's, stay the machine's."""

import base64
import json
import threading
import time
import uuid
from datetime import datetime, timezone

import _time_machine
import boto3
import pytest
import time_machine

from conftest import invoke

START = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()  # the `aws` fixture's virtual start
UUID1_EPOCH = 0x01B21DD213814000  # uuid1's timestamps count 100 ns from 1582-10-15

# A token cache with an expiry, as a published handler writes it: an item with a TTL attribute in DynamoDB.
TOKEN_CACHE = """
import os
import time
import uuid

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
LIFETIME_S = 3600


def handler(event, context):
    item = table.get_item(Key={"id": "token"}).get("Item")
    if item is not None and int(item["expires_at"]) > time.time():
        return {"source": "cache", "token": item["token"]}
    token = uuid.uuid4().hex
    table.put_item(Item={"id": "token", "token": token, "expires_at": int(time.time()) + LIFETIME_S})
    return {"source": "new", "token": token}
"""

CLOCKS = """
import datetime
import threading
import time
import uuid
from time import time as imported_time


def handler(event, context):
    seen = {}
    thread = threading.Thread(target=lambda: seen.update(thread=time.time()))
    thread.start()
    thread.join()
    t0 = time.time()
    time.sleep(0.02)
    return {
        "time": t0, "later": time.time(), "imported": imported_time(), "time_ns": time.time_ns(),
        "now_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "utcnow": datetime.datetime.utcnow().isoformat(),
        "today": datetime.date.today().isoformat(),
        "strftime": time.strftime("%Y-%m-%d", time.gmtime()),
        "thread": seen["thread"], "monotonic": time.monotonic(),
    }
"""


def _machine_time() -> float:
    return _time_machine.original_time() if time_machine.escape_hatch.is_travelling() else time.time()


def test_a_handler_with_expiry_logic_sees_the_clock_advance(aws, create, role):
    boto3.client("iam").put_role_policy(RoleName="lambda-role", PolicyName="table", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                                                "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/tokens"}]}))
    boto3.client("dynamodb").create_table(
        TableName="tokens", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    create("tokens", TOKEN_CACHE, Environment={"Variables": {"TABLE": "tokens"}})
    first = invoke("tokens")[1]
    assert first["source"] == "new"
    assert invoke("tokens")[1] == {"source": "cache", "token": first["token"]}
    aws.advance(minutes=50)
    assert invoke("tokens")[1]["token"] == first["token"]  # 50 minutes old: still valid
    aws.advance(hours=2)
    renewed = invoke("tokens")[1]
    assert renewed["source"] == "new" and renewed["token"] != first["token"]
    stored = boto3.client("dynamodb").get_item(TableName="tokens", Key={"id": {"S": "token"}})["Item"]
    assert abs(int(stored["expires_at"]["N"]) - (START + 170 * 60 + 3600)) < 60  # written on the virtual clock


def test_every_wall_clock_a_handler_reads_is_the_virtual_one_and_ticks(aws, create):
    create("clocks", CLOCKS)
    aws.advance(hours=5)
    before = time.monotonic()
    seen = invoke("clocks")[1]
    after = time.monotonic()
    virtual = START + 5 * 3600
    for name in ("time", "imported", "thread"):
        assert virtual <= seen[name] < virtual + 30, name
    assert seen["later"] - seen["time"] >= 0.02  # real time passes inside the handler
    assert virtual <= seen["time_ns"] / 1e9 < virtual + 30
    assert seen["now_utc"].startswith("2026-01-01T05:")
    assert seen["utcnow"].startswith("2026-01-01T05:")
    assert seen["today"] == "2026-01-01" and seen["strftime"] == "2026-01-01"
    assert before <= seen["monotonic"] <= after  # monotonic clocks are never moved
    # The caller's clock is the machine's, during and after the invocation.
    assert abs(time.time() - _machine_time()) < 1 and abs(time.time() - virtual) > 3600
    aws.advance(hours=24)
    assert invoke("clocks")[1]["today"] == "2026-01-02"


def test_threads_that_are_not_the_functions_keep_the_machine_time(aws, create):
    create("sleeper", "import time\n\ndef handler(event, context):\n    time.sleep(0.2)\n    return time.time()\n")
    samples, stop = [], threading.Event()

    def sample():
        while not stop.is_set():
            samples.append(time.time())
            time.sleep(0.005)

    watcher = threading.Thread(target=sample)
    watcher.start()
    try:
        inside = invoke("sleeper")[1]
    finally:
        stop.set()
        watcher.join()
    assert START <= inside < START + 30
    assert len(samples) > 5 and all(abs(sample - _machine_time()) < 30 for sample in samples)


def test_moto_answers_a_handlers_calls_on_the_machine_clock(aws, create):
    boto3.client("iam").put_role_policy(RoleName="lambda-role", PolicyName="s3", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"],
                                                "Resource": "arn:aws:s3:::notes/*"}]}))
    boto3.client("s3").create_bucket(Bucket="notes")
    create("writer", "import boto3\n\ns3 = boto3.client('s3')\n\ndef handler(event, context):\n"
                     "    s3.put_object(Bucket='notes', Key='a', Body=b'x')\n"
                     "    return s3.head_object(Bucket='notes', Key='a')['LastModified'].timestamp()\n")
    stamped = invoke("writer")[1]
    assert abs(stamped - _machine_time()) < 60  # one clock for everything moto keeps


def test_a_learners_own_time_machine_travel_decides_the_time(aws, create):
    create("now", "import time\n\ndef handler(event, context):\n    return time.time()\n")
    invoke("now")  # the virtual clock's patch is in
    with time_machine.travel(datetime(2030, 6, 1, tzinfo=timezone.utc), tick=False):
        assert time.time() == datetime(2030, 6, 1, tzinfo=timezone.utc).timestamp()
        assert invoke("now")[1] == time.time()
    assert START <= invoke("now")[1] < START + 30
    assert not time_machine.escape_hatch.is_travelling()  # between invocations nothing travels: the machine's time


def test_the_patch_is_in_only_while_an_invocation_runs(aws, create):
    """Outside invocations datetime.now() and time.time() are CPython's own (a patched datetime.now() costs 10x, and
    moto and botocore read it several times a request); uuid1() gets its own clock back too."""
    create("travelling", "import time_machine\nimport uuid\n\ndef handler(event, context):\n"
                         "    return [time_machine.escape_hatch.is_travelling(), uuid.uuid1().time]\n")
    machine_uuid = uuid.uuid1()  # (uuid1 never goes below its last timestamp: the virtual clock's is forgotten)
    travelling, stamp = invoke("travelling")[1]
    assert travelling and START <= (stamp - UUID1_EPOCH) / 1e7 < START + 30  # uuid1() in a handler: virtual too
    assert not time_machine.escape_hatch.is_travelling() and time_machine.traveller_stack == []
    assert abs((uuid.uuid1().time - machine_uuid.time) / 1e7) < 30
    with pytest.raises(ValueError, match="Not currently time-travelling"):
        _time_machine.original_time()  # time-machine's own word that its patch is out


def test_a_learners_travel_started_in_a_handler_outlives_the_invocation_until_it_stops(aws, create):
    create("starts", "import time\nimport time_machine\n\ndef handler(event, context):\n"
                     "    time_machine.travel(2_000_000_000, tick=False).start()\n    return time.time()\n")
    create("now", "import time\n\ndef handler(event, context):\n    return time.time()\n")
    assert invoke("starts")[1] == 2_000_000_000  # on top of ours: the learner's travel wins
    assert time.time() == 2_000_000_000 and len(time_machine.traveller_stack) == 1  # it outlives the invocation
    assert invoke("now")[1] == 2_000_000_000  # and decides the next one's time, as any learner's travel
    time_machine.travel(0).stop()  # stopped as its owner would (stop() pops the top of time-machine's stack)
    assert not time_machine.escape_hatch.is_travelling()
    assert START <= invoke("now")[1] < START + 30


THREADED_CALLER = """
import json
import threading
import time
import uuid

import boto3

lam = boto3.client("lambda")


def handler(event, context):
    seen = []
    thread = threading.Thread(target=lambda: [lam.invoke(FunctionName="callee") for _ in range(5)])
    thread.start()
    while thread.is_alive():
        seen.append(time.time())
    thread.join()
    seen.append(time.time())
    callee = json.loads(lam.invoke(FunctionName="callee")["Payload"].read())
    return {"seen": [min(seen), max(seen)], "after": time.time(), "callee": callee}
"""


def test_an_invocation_that_ends_inside_another_leaves_the_outer_ones_clock_virtual(aws, create):
    """Invocations nest (a function invoking another, from any of its threads): the inner one's end must not take the
    patch out from under the outer one, nor from the caller's other thread that is still reading the clock."""
    boto3.client("iam").put_role_policy(RoleName="lambda-role", PolicyName="invoke", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction",
                                                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:callee"}]}))
    create("callee", "import time\n\ndef handler(event, context):\n    return time.time()\n")
    create("caller", THREADED_CALLER)
    aws.advance(hours=1)
    seen = invoke("caller")[1]
    for value in [*seen["seen"], seen["after"], seen["callee"]]:
        assert START + 3600 <= value < START + 3600 + 60
    assert not time_machine.escape_hatch.is_travelling()


@pytest.mark.parametrize("when", ["init", "provisioned"])
def test_module_level_code_runs_on_the_virtual_clock_too(aws, create, when):
    create("loaded", "import time\nLOADED = time.time()\n\ndef handler(event, context):\n    return LOADED\n")
    aws.advance(hours=3)
    if when == "provisioned":
        version = boto3.client("lambda").publish_version(FunctionName="loaded")["Version"]
        boto3.client("lambda").put_provisioned_concurrency_config(
            FunctionName="loaded", Qualifier=version, ProvisionedConcurrentExecutions=1)
        loaded = invoke("loaded", Qualifier=version)[1]
    else:
        loaded = invoke("loaded")[1]
    assert START + 3 * 3600 <= loaded < START + 3 * 3600 + 30


# freezegun caches, per module, which attributes hold a time function, keyed by the attribute *names*; a module that
# kept the machine's clock in an attribute it later re-pointed had that attribute "restored" to the patched
# time.time_ns when a freeze ended, and the next time.time() recursed forever (moto's Secrets Manager suite, which
# freezes time between invocations, found it). Fresh interpreter: the order of the first freeze matters.
FREEZE_AROUND_THE_PATCH = """
import io
import base64
import json
import time
import zipfile

import boto3
from freezegun import freeze_time

import lambda_local

HANDLER = "import time\\n\\ndef handler(event, context):\\n    return time.time()\\n"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                             "Principal": {"Service": "lambda.amazonaws.com"}}]})


def now():
    return json.loads(boto3.client("lambda").invoke(FunctionName="now")["Payload"].read())


with freeze_time("2020-01-01"):  # freezegun notes every module's time functions
    pass
with lambda_local.mock_aws(seed=7, start="2026-01-01T00:00:00Z"):
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("lambda_function.py", HANDLER)
    role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    boto3.client("lambda").create_function(FunctionName="now", Runtime="python3.12", Role=role, Timeout=30,
                                           Handler="lambda_function.handler", Code={"ZipFile": package.getvalue()})
    first = now()
    with freeze_time("2021-06-01"):
        frozen = time.time()
        during = now()
    after = now()
    print(first, frozen, during, after, abs(time.time() - time.time_ns() / 1e9) < 1)
"""


def test_a_learners_freezegun_before_and_after_the_first_invocation_leaves_both_clocks_working(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "freeze.py"
    script.write_text(FREEZE_AROUND_THE_PATCH)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    first, frozen, during, after, machine_ok = done.stdout.split()
    assert START <= float(first) < START + 30 and START <= float(after) < START + 30  # the virtual clock, still
    assert float(frozen) == float(during) == datetime(2021, 6, 1, tzinfo=timezone.utc).timestamp()  # freeze wins
    assert machine_ok == "True"


def test_a_learners_freeze_leaves_the_runtimes_stopwatch_running(aws, create):
    """freezegun freezes time.monotonic/perf_counter in the caller; on AWS that cannot reach the service, and here the
    timeout, Duration and the remaining time still run on the machine's clocks (the handler's own clock is frozen)."""
    from freezegun import freeze_time

    create("sleeper", "import time\n\ndef handler(event, context):\n"
                      "    before = context.get_remaining_time_in_millis()\n"
                      "    time.sleep(event['s'])\n"
                      "    return [time.time(), before - context.get_remaining_time_in_millis()]\n", Timeout=1)
    with freeze_time("2021-06-01"):
        response, (frozen, elapsed_ms) = invoke("sleeper", {"s": 0.05}, LogType="Tail")
        report = base64.b64decode(response["LogResult"]).decode().strip().splitlines()[-1]
        timed_out = invoke("sleeper", {"s": 3})
    assert frozen == datetime(2021, 6, 1, tzinfo=timezone.utc).timestamp()  # the learner's freeze wins in the handler
    assert elapsed_ms >= 45
    assert float(report.split("Duration: ")[1].split(" ms")[0]) >= 45
    assert timed_out[0]["FunctionError"] == "Unhandled" and timed_out[1]["errorType"] == "Sandbox.Timedout"
