"""Lambda's rules are written once (lambda_local/policy.py, lambda_local/quotas.py): the runtime behind mock_aws()
and the traffic simulator give the same cold-start, throttle and retry counts for the same traffic.

Each scenario is run twice, on the runtime (boto3 against mock_aws, the virtual clock advanced between requests)
and in the simulator, and the counts must agree; they are also pinned to what AWS documents
(invocation-async-error-handling.html, invocation-async-retain-records.html, lambda-runtime-environment.html).
"""

import json
from dataclasses import dataclass

import boto3
import pytest

from lambda_local import Function, policy, quotas
from lambda_local.simulate import Timestamps, simulate

OK = "def handler(event, context):\n    return {'ok': True}\n"
FAILS = "def handler(event, context):\n    raise RuntimeError('always')\n"


@dataclass(frozen=True)
class Scenario:
    name: str
    source: str
    times: tuple[float, ...]  # arrival times, seconds from the start
    invocation_type: str = "RequestResponse"
    reserved: int | None = None
    max_event_age_s: float = quotas.MAX_EVENT_AGE_S
    expected: tuple[int, int, int] = (0, 0, 0)  # (cold starts, throttles, retries), from AWS's documented rules


SCENARIOS = [
    # An idle environment lives IDLE_TIMEOUT_S: requests 5 s apart reuse it, 700 s apart start cold.
    Scenario("idle-expiry", OK, (0, 5, 700, 705, 1400), expected=(3, 0, 0)),
    # A function error is retried twice, 1 then 2 minutes later.
    Scenario("async-errors", FAILS, (0,), "Event", expected=(1, 0, 2)),
    # A throttled event waits 1, 2, 4, 8, 16 s; the next wait (32 s) would pass its 60 s maximum age: 6 throttles.
    Scenario("async-throttled", OK, (0,), "Event", reserved=0, max_event_age_s=60, expected=(0, 6, 0)),
    # Synchronous requests are never retried by Lambda: each throttle is the caller's.
    Scenario("sync-throttled", OK, (0, 1, 2), reserved=0, expected=(0, 3, 0)),
]


def _on_runtime(aws, create, scenario: Scenario) -> tuple[int, int, int]:
    client = boto3.client("lambda")
    create(scenario.name, scenario.source, Timeout=3)
    if scenario.reserved is not None:
        client.put_function_concurrency(FunctionName=scenario.name, ReservedConcurrentExecutions=scenario.reserved)
    if scenario.invocation_type == "Event":
        client.put_function_event_invoke_config(FunctionName=scenario.name,
                                                MaximumEventAgeInSeconds=int(scenario.max_event_age_s))
    start, sync_throttles = aws.clock.time(), 0
    for when in scenario.times:
        aws.advance(seconds=start + when - aws.clock.time())
        try:
            client.invoke(FunctionName=scenario.name, InvocationType=scenario.invocation_type,
                          Payload=json.dumps({}))
        except client.exceptions.TooManyRequestsException:
            sync_throttles += 1
    aws.advance(hours=7)  # past every retry and the longest event age
    records = [r for r in aws.invocations if r.function_name == scenario.name]
    events = [e for e in aws.async_queue.events if e.function_name == scenario.name]
    throttles = sync_throttles + sum(e.history.count("Throttled") for e in events)
    retries = sum(max(0, e.attempts - 1) for e in events)
    return sum(r.cold_start for r in records), throttles, retries


def _fail(event, context):
    raise RuntimeError("always")


def _on_simulator(scenario: Scenario) -> tuple[int, int, int]:
    handler = _fail if scenario.source == FAILS else (lambda event, context: {"ok": True})
    result = simulate(Function(handler, name=scenario.name), Timestamps(list(scenario.times)),
                      invocation_type=scenario.invocation_type, reserved_concurrency=scenario.reserved,
                      max_event_age_s=scenario.max_event_age_s, duration_ms=50, idle_timeout=quotas.IDLE_TIMEOUT_S,
                      concurrency_limit=1000, event={})
    res = result.function
    # The simulator counts every retry; a throttle is followed by a retry unless the event is dropped as too old.
    error_retries = res.retries - (res.throttles - res.dropped) if scenario.invocation_type == "Event" else 0
    return res.cold_starts, res.throttles, error_retries


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_the_runtime_and_the_simulator_count_the_same(aws, create, scenario):
    runtime = _on_runtime(aws, create, scenario)
    simulated = _on_simulator(scenario)
    assert runtime == simulated == scenario.expected


def test_the_throttle_backoff_doubles_to_five_minutes_and_the_error_retries_are_one_then_two_minutes():
    assert [policy.throttle_retry_delay(n) for n in range(11)] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert [policy.async_retry_delay(n) for n in (1, 2)] == [60, 120]
    assert [policy.should_retry_async(n, 2) for n in (1, 2, 3)] == [True, True, False]
    assert [policy.should_retry_async(n, 0) for n in (1,)] == [False]


def test_the_scaling_window_slides():
    window = policy.ScalingWindow(limit=3, seconds=10)
    assert [window.try_create(t) for t in (0, 1, 2, 3, 9.9, 10.0, 10.5, 11.0, 11.5)] == [
        True, True, True, False, False, True, False, True, False]
