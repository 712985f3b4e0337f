"""Soak: 10,000 invocations through boto3 from 8 threads, with random failures and timeouts. Every count AWS would
show must agree exactly: the invocation records, the START and REPORT lines in CloudWatch Logs, the Invocations and
Errors metrics, and the billed milliseconds of the records against those of the REPORT lines.

A minute or more of work, so it is not part of `make test`: run it with `make soak` (LAMBDA_LOCAL_SOAK=1).
"""

import json
import os
import random
import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import boto3
import pytest

pytestmark = pytest.mark.skipif(os.environ.get("LAMBDA_LOCAL_SOAK") != "1",
                                reason="a soak run: `make soak` (LAMBDA_LOCAL_SOAK=1)")

INVOCATIONS = int(os.environ.get("LAMBDA_LOCAL_SOAK_INVOCATIONS", "10000"))
THREADS = 8
TIMEOUTS = 12  # each costs a second of wall time: enough to mix resets into the run, few enough to stay quick

HANDLER = """
import time

def handler(event, context):
    kind = event["kind"]
    if kind == "fail":
        raise ValueError(f"planned failure {event['n']}")
    if kind == "timeout":
        time.sleep(5)
    print(f"ok {event['n']}")
    return event["n"]
"""


def _plan(seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    kinds = ["ok"] * INVOCATIONS
    for n in rng.sample(range(INVOCATIONS), INVOCATIONS // 20):
        kinds[n] = "fail"
    for n in rng.sample([n for n, k in enumerate(kinds) if k == "ok"], TIMEOUTS):
        kinds[n] = "timeout"
    return kinds


def _log_lines(group: str) -> list[str]:
    logs = boto3.client("logs")
    lines = []
    for page in logs.get_paginator("describe_log_streams").paginate(logGroupName=group):
        for stream in page["logStreams"]:
            token = None
            while True:
                kwargs = {"nextToken": token} if token else {}
                batch = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"],
                                            startFromHead=True, **kwargs)
                lines += [event["message"] for event in batch["events"]]
                if batch["nextForwardToken"] == token or not batch["events"]:
                    break
                token = batch["nextForwardToken"]
    return lines


def _metric_sum(name: str, when: datetime) -> float:
    points = boto3.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Lambda", MetricName=name, Dimensions=[{"Name": "FunctionName", "Value": "soak"}],
        StartTime=when - timedelta(hours=1), EndTime=when + timedelta(hours=1), Period=86400,
        Statistics=["Sum"])["Datapoints"]
    return sum(p["Sum"] for p in points)


def test_ten_thousand_invocations_from_eight_threads_agree_everywhere(aws, create):
    create("soak", HANDLER, Timeout=1)
    kinds = _plan()
    local = threading.local()

    def call(n: int):
        client = getattr(local, "client", None) or boto3.client("lambda")
        local.client = client
        response = client.invoke(FunctionName="soak", Payload=json.dumps({"kind": kinds[n], "n": n}))
        return n, response.get("FunctionError"), json.loads(response["Payload"].read())

    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(call, range(INVOCATIONS)))

    # Each caller got its own answer.
    for n, function_error, payload in answers:
        if kinds[n] == "ok":
            assert (function_error, payload) == (None, n)
        elif kinds[n] == "fail":
            assert function_error == "Unhandled" and payload["errorMessage"] == f"planned failure {n}"
        else:
            assert function_error == "Unhandled" and payload["errorType"] == "Sandbox.Timedout"

    planned = Counter(kinds)
    records = [r for r in aws.invocations if r.function_name == "soak"]
    assert len(records) == INVOCATIONS
    assert Counter(r.error_type for r in records) == {None: planned["ok"], "ValueError": planned["fail"],
                                                      "Sandbox.Timedout": planned["timeout"]}

    lines = _log_lines("/aws/lambda/soak")
    starts = [line for line in lines if line.startswith("START RequestId: ")]
    reports = [line for line in lines if line.startswith("REPORT RequestId: ")]
    assert len(starts) == len(reports) == INVOCATIONS
    assert len({re.search(r"RequestId: (\S+)", line).group(1) for line in reports}) == INVOCATIONS
    assert sum(line.startswith("ok ") for line in lines) == planned["ok"]
    assert sum("Task timed out after 1.00 seconds" in line for line in lines) == planned["timeout"]
    billed_in_logs = sum(int(re.search(r"Billed Duration: (\d+) ms", line).group(1)) for line in reports)
    assert billed_in_logs == sum(r.billed_duration_ms for r in records)

    when = datetime.fromtimestamp(aws.clock.time(), timezone.utc)
    assert _metric_sum("Invocations", when) == INVOCATIONS
    assert _metric_sum("Errors", when) == planned["fail"] + planned["timeout"]
    assert _metric_sum("Throttles", when) == 0
