"""The simulator's fast path changes no figure: every count, percentile, timeline row, bill line and per-request row
is the same as the event-by-event reference path gives, and as the simulator gave before it had a fast path.

A learner reads these figures in lessons 06 and 08; a speed-up that moved one of them by a rounding error would
change a lesson's output. Handlers here report seeded durations and INIT times (the runtime still runs them), so
the figures are the same on every run and every machine.
"""

import dataclasses
import hashlib
import json
import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from lambda_local import Function
from lambda_local.simulate import Burst, ConstantRate, Timestamps, Workload, engine, simulate
from lambda_local.simulate.results import Histogram, Timeline


class SeededFunction(Function):
    """A function whose measured Duration and INIT come from a seeded generator instead of the wall clock (the
    handler still runs through the runtime), so a simulation's figures are repeatable to the last bit."""

    def __init__(self, handler, *, seed: int, duration_ms: tuple[float, float] = (0.5, 40.0), **config):
        super().__init__(handler, **config)
        self._rng = random.Random(seed)
        self._duration_range = duration_ms

    def invoke(self, event=None, **kwargs):
        record = super().invoke(event, **kwargs)
        duration = round(self._rng.uniform(*self._duration_range), 3)
        extra = {"function_init_ms": round(self._rng.uniform(1.0, 300.0), 3)} if record.cold_start else {}
        return dataclasses.replace(record, duration_ms=duration, extra=extra)


def ok(event, context):
    return {"ok": True}


def fails_every_third(event, context):
    if event and event.get("n", 0) % 3 == 0:
        raise ValueError("every third order fails")
    return {"ok": True}


def _histogram(h: Histogram) -> list:
    return [h.count, h.total, h.min, h.max, sorted(h.buckets.items())]


def _counter(c: Counter) -> list:
    return sorted(([list(k) if isinstance(k, tuple) else k, n] for k, n in c.items()), key=repr)


def _timeline(t: Timeline) -> dict:
    return {"interval": t.interval, **{name: list(getattr(t, name)) for name in Timeline.COLUMNS}}


def figures(result) -> dict:
    """Everything a simulation reports, as plain data (the wall-clock time aside)."""
    out: dict = {"dict": result.to_dict(), "summary": str(result.summary()), "repr": repr(result),
                 "timeline": _timeline(result.timeline), "span": result.span_s, "traffic": result.traffic_s,
                 "bill": result.bill().as_dict(), "functions": {}}
    for name, fn in result.functions.items():
        row = {}
        for f in dataclasses.fields(fn):
            value = getattr(fn, f.name)
            if isinstance(value, Histogram):
                value = _histogram(value)
            elif isinstance(value, Counter):
                value = _counter(value)
            elif isinstance(value, Timeline):
                value = _timeline(value)
            elif dataclasses.is_dataclass(value):
                value = dataclasses.asdict(value)
            row[f.name] = value
        if result.span_s > 0:
            row["monthly_bill"] = fn.monthly_bill(result.traffic_s or result.span_s).as_dict()
        out["functions"][name] = row
    if result.records is not None:
        out["records"] = [list(dataclasses.astuple(r)) for r in result.records]
    return out


def digest(result) -> str:
    text = json.dumps(figures(result), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def both_paths(monkeypatch, run):
    """``run()``'s figures on the fast path and on the event-by-event reference path."""
    fast = figures(run())
    monkeypatch.setattr(engine, "_REFERENCE_ONLY", True)
    reference = figures(run())
    monkeypatch.setattr(engine, "_REFERENCE_ONLY", False)
    return fast, reference


# --- scenarios, with figures from the simulator before it had a fast path -------------------------------------------
# Each digest below was produced by the event-by-event simulator (commit 7990d9e, before the fast path) running the
# same scenario; the readable figures next to it say what the scenario exercises.

def replayed_measurements():
    fn = SeededFunction(ok, seed=1, name="replayed")
    return simulate(fn, ConstantRate(400, duration=5) + Burst(1500, at=2), measure_cold=5, measure_warm=30)


def constant_duration_at_the_account_limit():
    fn = SeededFunction(ok, seed=2, name="at-the-limit")
    return simulate(fn, ConstantRate(5000, duration=3), duration_ms=120, concurrency_limit=500)


def reserved_and_provisioned():
    fn = SeededFunction(ok, seed=3, name="reserved")
    return simulate(fn, ConstantRate(300, duration=4) + Burst(200, at=1), duration_ms=80,
                    reserved_concurrency=30, provisioned_concurrency=10)


def async_errors_and_throttles():
    fn = SeededFunction(fails_every_third, seed=4, name="async")
    return simulate(fn, Burst(900, at=0) + ConstantRate(50, duration=20), invocation_type="Event",
                    event=lambda i: {"n": i}, concurrency_limit=400, duration_ms=700)


def two_functions_idle_expiry_and_timeouts():
    slow = SeededFunction(ok, seed=5, name="slow", timeout=2)
    quick = SeededFunction(ok, seed=6, name="quick")
    rng = random.Random(7)
    return simulate([
        Workload(slow, ConstantRate(20, duration=30), duration_ms=lambda r: rng.choice((150.0, 900.0, 2500.0))),
        Workload(quick, Timestamps([0, 0.5, 1, 40, 41, 200, 200.25]) + Burst(50, at=100, over=5)),
    ], idle_timeout=30, keep_requests=True)


def poisson_with_a_model():
    fn = SeededFunction(ok, seed=8, name="poisson", memory=1024, ephemeral_storage=2048)
    return simulate(fn, ConstantRate(2000, duration=2, poisson=True, seed=9),
                    duration_ms=lambda r: 20.0 + (r.index % 17) * 3.25, keep_requests=True)


def measured_errors_and_idle_gaps():
    fn = SeededFunction(fails_every_third, seed=10, name="gaps")
    arrivals = ConstantRate(150, duration=3) + Burst(400, at=1.5) + ConstantRate(150, start=40, duration=3)
    return simulate(fn, arrivals, event=lambda i: {"n": i}, idle_timeout=15, measure_warm=12)


SCENARIOS = {
    # scenario: (digest of figures(), (requests, invocations, cold starts, throttles))
    replayed_measurements: ("bfe22d71b9d2781b", (3500, 2992, 1000, 508)),
    constant_duration_at_the_account_limit: ("7959eb614add6969", (15000, 11568, 500, 3432)),
    reserved_and_provisioned: ("856ec052d9bd2b5e", (1400, 1161, 20, 239)),
    async_errors_and_throttles: ("1729e670bf3e4759", (3545, 2771, 400, 774)),
    two_functions_idle_expiry_and_timeouts: ("3ace4c14beb1c382", (657, 657, 209, 0)),
    poisson_with_a_model: ("e4c023bb79f7b721", (4065, 4065, 467, 0)),
    measured_errors_and_idle_gaps: ("d3f1ee72265316af", (1300, 1300, 432, 0)),
}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.__name__)
def test_figures_are_those_of_the_event_by_event_simulator(scenario):
    expected_digest, counts = SCENARIOS[scenario]
    result = scenario()
    assert (result.requests, result.invocations, result.cold_starts, result.throttles) == counts
    # A price, quota or cold-start model changed on purpose moves these too: then regenerate the digests on the
    # event-by-event path (engine._REFERENCE_ONLY = True) and say why in the commit.
    assert digest(result) == expected_digest, "a figure differs from the event-by-event simulator's"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.__name__)
def test_fast_path_gives_the_figures_of_the_event_by_event_path(monkeypatch, scenario):
    fast, reference = both_paths(monkeypatch, scenario)
    assert fast == reference


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**16), rate=st.sampled_from([5.0, 120.0, 900.0, 2500.0]),
       seconds=st.sampled_from([0.5, 1.5, 4.0]), burst=st.integers(0, 1200),
       duration=st.one_of(st.none(), st.sampled_from([0.0, 3.0, 95.5, 250.0, 2999.0, 3000.0, 4000.0])),
       concurrency=st.sampled_from([200, 400, 1000]), reserved=st.sampled_from([None, 20, 60]),
       provisioned=st.sampled_from([0, 0, 5]), idle=st.sampled_from([0.4, 3.0, 360.0]),
       interval=st.sampled_from([None, 0.25, 7.0]), measure=st.sampled_from([(1, 1), (3, 7), (10, 100)]),
       failing=st.booleans(), poisson=st.booleans())
def test_random_runs_are_the_same_on_both_paths(monkeypatch, seed, rate, seconds, burst, duration, concurrency,
                                                reserved, provisioned, idle, interval, measure, failing, poisson):
    if reserved is not None and provisioned > reserved:
        provisioned = 0

    def run():
        fn = SeededFunction(fails_every_third if failing else ok, seed=seed, name="random", timeout=3)
        arrivals = ConstantRate(rate, duration=seconds, poisson=poisson, seed=seed) + Burst(burst, at=seconds / 3)
        return simulate(fn, arrivals, event=lambda i: {"n": i}, duration_ms=duration, concurrency_limit=concurrency,
                        reserved_concurrency=reserved, provisioned_concurrency=provisioned, idle_timeout=idle,
                        interval=interval, measure_cold=measure[0], measure_warm=measure[1])

    fast, reference = both_paths(monkeypatch, run)
    assert fast == reference
