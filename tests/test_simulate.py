"""The traffic simulation: AWS's scaling, concurrency and retry rules on a virtual timeline, what it measures, what
it costs, and memory tuning.

Rules pinned here come from AWS's documentation (scaling-behavior.html, lambda-concurrency.html,
provisioned-concurrency.html, invocation-async-error-handling.html) and /work/shared/reference/lambda-facts.md.
"""

import bisect
import itertools
import time
from decimal import Decimal as D

import pytest

from lambda_local import Function
from lambda_local.billing import invocation_cost
from lambda_local.coldstart import runtime_init_ms
from lambda_local.runtime.service import DEFAULT_IDLE_TIMEOUT_S
from lambda_local.simulate import (
    Burst, ConstantRate, DailyCurve, Timestamps, Workload, simulate, tune,
)

REQUEST = D("0.20") / 1_000_000
PC_CONFIGURED, PC_DURATION = D("0.0000041667"), D("0.0000097222")


def trivial(name="trivial", **config):
    return Function(lambda event, context: {"ok": True}, name=name, **config)


def cold_times(result):
    return sorted(r.start for r in result.records if r.cold_start)


def most_in_any_window(times, width):
    return max((bisect.bisect_left(times, t + width) - i for i, t in enumerate(times)), default=0)


# --- scaling rate and account concurrency -----------------------------------------------------------------------

def test_burst_of_5000_starts_1000_environments_and_throttles_the_rest():
    result = simulate(trivial(), Burst(5000, at=0), duration_ms=200, keep_requests=True)
    assert (result.invocations, result.cold_starts, result.throttles) == (1000, 1000, 4000)
    assert result.environments_created == 1000
    assert result.function.throttle_reasons == {"ConcurrentInvocationLimitExceeded": 4000}
    first_second = result.timeline.rows()[0]
    assert first_second["requests"] == 5000 and first_second["cold_starts"] == 1000
    assert first_second["throttles"] == 4000 and first_second["concurrency"] == 1000
    # Synchronous callers get their 429 and nothing is retried for them.
    assert result.requests == 5000 and result.function.retries == 0


def test_scaling_rate_is_1000_new_environments_per_10_seconds_even_with_concurrency_to_spare():
    # 5,000 at once against an account allowed 10,000: the scaling rate is what stops them.
    result = simulate(trivial(), Burst(5000, at=0), duration_ms=200, concurrency_limit=10_000)
    assert (result.cold_starts, result.throttles) == (1000, 4000)
    assert result.function.throttle_reasons == {"FunctionInvocationRateLimitExceeded": 4000}


def test_sustained_demand_gets_1000_more_environments_every_10_seconds():
    # 256 requests a second (exact in binary, so window edges are exact), each holding its environment 60 s.
    fn = trivial(timeout=900)
    result = simulate(fn, ConstantRate(256, duration=30), duration_ms=60_000, concurrency_limit=10_000,
                      keep_requests=True)
    starts = cold_times(result)
    assert [sum(a <= t < a + 10 for t in starts) for a in (0, 10, 20)] == [1000, 1000, 1000]
    assert most_in_any_window(starts, 10.0) == 1000
    assert result.throttles == 256 * 30 - 3000
    assert set(result.function.throttle_reasons) == {"FunctionInvocationRateLimitExceeded"}


def test_environments_are_reused_when_free():
    # One request every 2 s, each 100 ms: one environment serves them all, the first one cold.
    result = simulate(trivial(), ConstantRate(0.5, duration=60), duration_ms=100, keep_requests=True)
    assert result.invocations == 30 and result.cold_starts == 1 and result.environments_created == 1
    assert {r.environment for r in result.records} == {1}


def test_account_concurrency_is_settable():
    result = simulate(trivial(), Burst(500, at=0), duration_ms=100, concurrency_limit=200)
    assert (result.invocations, result.throttles) == (200, 300)


# --- reserved and provisioned concurrency ---------------------------------------------------------------------------

def test_reserved_concurrency_caps_the_function():
    result = simulate(trivial(), ConstantRate(100, duration=10), duration_ms=500, reserved_concurrency=10)
    fn = result.function
    assert fn.peak_concurrency == 10 and max(result.timeline.concurrency) == 10
    assert fn.throttles > 0 and set(fn.throttle_reasons) == {"ReservedFunctionConcurrentInvocationLimitExceeded"}
    assert fn.environments_created == 10


def test_reserved_concurrency_zero_throttles_everything():
    result = simulate(trivial(), Burst(50, at=0), reserved_concurrency=0)
    assert result.invocations == 0 and result.throttles == 50


def test_reserved_concurrency_is_taken_from_the_other_functions():
    reserved = Workload(trivial("reserved"), Burst(10, at=0), duration_ms=100, reserved_concurrency=900)
    other = Workload(trivial("other"), Burst(500, at=0), duration_ms=100)
    result = simulate([reserved, other])
    assert result.functions["other"].invocations == 100  # 1,000 - 900 reserved
    assert result.functions["other"].throttle_reasons == {"ConcurrentInvocationLimitExceeded": 400}
    assert result.functions["reserved"].throttles == 0


def test_reserving_more_than_leaves_100_unreserved_is_refused():
    with pytest.raises(ValueError, match=r"below its minimum value of \[100\]"):
        simulate(trivial(), Burst(1, at=0), reserved_concurrency=950)


def test_provisioned_cannot_exceed_reserved():
    with pytest.raises(ValueError, match="provisioned concurrency"):
        simulate(trivial(), Burst(1, at=0), reserved_concurrency=5, provisioned_concurrency=6)


def test_provisioned_environments_never_cold_start():
    result = simulate(trivial(), ConstantRate(50, duration=20), duration_ms=100, provisioned_concurrency=10)
    fn = result.function
    assert fn.cold_starts == 0 and fn.environments_created == 0
    assert fn.provisioned_invocations == fn.invocations == 1000
    assert fn.latency.max == pytest.approx(100)  # no Init Duration anywhere


def test_beyond_provisioned_requests_spill_over_to_on_demand_and_cold_start_there():
    result = simulate(trivial(), Burst(30, at=0), duration_ms=100, provisioned_concurrency=10, keep_requests=True)
    provisioned = [r for r in result.records if r.provisioned]
    on_demand = [r for r in result.records if not r.provisioned]
    assert len(provisioned) == 10 and not any(r.cold_start for r in provisioned)
    assert len(on_demand) == 20 and all(r.cold_start for r in on_demand)


def test_provisioned_and_reserved_together_leave_reserved_minus_provisioned_on_demand():
    result = simulate(trivial(), Burst(30, at=0), duration_ms=100, reserved_concurrency=15,
                      provisioned_concurrency=10)
    fn = result.function
    assert fn.provisioned_invocations == 10 and fn.cold_starts == 5 and fn.throttles == 15


# --- environments: idle expiry, discards ---------------------------------------------------------------------------

def test_idle_environments_expire_after_the_runtimes_idle_timeout():
    arrivals = Timestamps([0, 100, 100 + DEFAULT_IDLE_TIMEOUT_S + 1])
    result = simulate(trivial(), arrivals, duration_ms=100, keep_requests=True)
    assert result.idle_timeout_s == DEFAULT_IDLE_TIMEOUT_S
    assert [r.cold_start for r in result.records] == [True, False, True]
    assert result.function.environments_expired == 1
    environments = list(result.timeline.environments)
    assert environments[699] == 1 and environments[700] == 0  # idle since 100.1 s: gone at 700.1 s
    assert environments[701] == 1  # the new one


def test_idle_timeout_is_settable():
    result = simulate(trivial(), Timestamps([0, 30, 100]), duration_ms=10, idle_timeout=60, keep_requests=True)
    assert [r.cold_start for r in result.records] == [True, False, True]


def test_timeouts_throw_the_environment_away():
    fn = trivial(timeout=1)
    result = simulate(fn, ConstantRate(1, duration=5), duration_ms=5000, keep_requests=True)
    assert all(r.error == "Sandbox.Timedout" and r.duration_ms == 1000 for r in result.records)
    assert all(r.cold_start for r in result.records)  # each discarded environment is replaced by a new one
    assert result.function.environments_discarded == 5


# --- asynchronous events --------------------------------------------------------------------------------------------

def test_throttled_async_events_are_retried_not_dropped():
    result = simulate(trivial(), Burst(3000, at=0), duration_ms=1000, invocation_type="Event", keep_requests=True)
    fn = result.function
    assert fn.invocations == 3000 and fn.dropped == 0 and fn.failed == 0
    assert fn.throttles > 0 and fn.retries == fn.throttles
    attempts = sorted((r for r in result.records if r.request == 2999), key=lambda r: r.attempt)
    waits = [b.arrival - a.arrival for a, b in itertools.pairwise(attempts)]
    assert waits == [2.0 ** i for i in range(len(waits))]  # 1 s, 2 s, 4 s ...
    assert not attempts[-1].throttled and all(a.throttled for a in attempts[:-1])
    assert fn.async_delay.max >= 1000


def test_async_events_throttled_past_the_maximum_event_age_are_dropped():
    result = simulate(trivial(), Burst(10, at=0), invocation_type="Event", reserved_concurrency=0,
                      max_event_age_s=60, keep_requests=True)
    fn = result.function
    assert fn.dropped == 10 and fn.invocations == 0
    # Tries at 0, 1, 3, 7, 15 and 31 s; the next wait (32 s) would make the event 63 s old.
    assert sorted({r.arrival for r in result.records}) == [0, 1, 3, 7, 15, 31]


def test_async_throttle_retries_are_at_most_five_minutes_apart():
    result = simulate(trivial(), Burst(1, at=0), invocation_type="Event", reserved_concurrency=0,
                      keep_requests=True)
    times = [r.arrival for r in result.records]
    waits = [b - a for a, b in itertools.pairwise(times)]
    assert max(waits) == 300 and result.function.dropped == 1
    assert times[-1] <= 6 * 3600


def test_async_function_errors_are_retried_twice_a_minute_then_two_apart():
    def failing(event, context):
        raise ValueError("boom")

    result = simulate(Function(failing, name="failing"), Burst(4, at=0), invocation_type="Event",
                      duration_ms=100, keep_requests=True)
    fn = result.function
    assert fn.invocations == 12 and fn.failed == 4 and fn.error_types == {"ValueError": 12}
    starts = sorted(r.start for r in result.records if r.request == 0)
    assert [round(b - a, 3) for a, b in itertools.pairwise(starts)][1] == 120.1  # 100 ms run + 2 minutes
    assert 60.18 <= starts[1] - starts[0] < 61  # the first run was cold: + Init Duration (82 ms or more)


def test_sync_function_errors_are_not_retried():
    def failing(event, context):
        raise KeyError("id")

    result = simulate(Function(failing, name="failing-sync"), Burst(5, at=0), duration_ms=10)
    assert result.invocations == 5 and result.errors == 5 and result.function.retries == 0


# --- what is measured and what is modelled -----------------------------------------------------------------------

def test_the_real_handler_runs_only_for_the_measured_sample():
    calls = []
    fn = Function(lambda event, context: calls.append(event["n"]) or "ok", name="counted")
    result = simulate(fn, ConstantRate(100, duration=20), event=lambda i: {"n": i}, measure_cold=2,
                      measure_warm=5, keep_requests=True)
    assert result.invocations == 2000
    assert len(calls) == result.function.measured_cold + result.function.measured_warm <= 7
    assert calls[0] == 0 and calls == sorted(calls)  # the events of the requests that were measured
    # Without a duration model every Duration is one of the measured ones.
    assert len({r.duration_ms for r in result.records}) <= 7


def test_measured_errors_carry_over_to_every_request():
    def broken(event, context):
        raise RuntimeError("no database offline")

    result = simulate(Function(broken, name="broken"), ConstantRate(50, duration=10))
    assert result.errors == result.invocations == 500
    assert result.function.error_types == {"RuntimeError": 500}


def test_a_duration_model_gets_each_request():
    seen = []

    def model(request):
        seen.append((request.index, request.attempt))
        return 300 if request.index % 2 else 100

    result = simulate(trivial(), ConstantRate(10, duration=10), duration_ms=model, keep_requests=True)
    assert [r.duration_ms for r in result.records[:4]] == [100, 300, 100, 300]
    assert seen[:3] == [(0, 1), (1, 1), (2, 1)]


def test_init_duration_is_measured_init_plus_the_modelled_platform_part():
    result = simulate(trivial(), Burst(20, at=0), duration_ms=50, package_mb=10, vpc=True, keep_requests=True)
    model = result.function.cold_start_model
    assert model.platform_ms == runtime_init_ms("python3.12", package_mb=10, vpc=True)
    assert all(r.init_ms >= model.platform_ms for r in result.records if r.cold_start)
    assert "your INIT" in result.summary() and "package 1030 ms" in result.summary()


# --- results: timeline, memory, data frames ------------------------------------------------------------------------

def test_timeline_adds_up_to_the_totals():
    arrivals = ConstantRate(40, duration=120) + Burst(800, at=60)
    result = simulate(trivial(), arrivals, duration_ms=250)
    tl = result.timeline
    assert sum(tl.requests) == result.requests and sum(tl.invocations) == result.invocations
    assert sum(tl.cold_starts) == result.cold_starts and sum(tl.throttles) == result.throttles
    assert max(tl.concurrency) == result.function.peak_concurrency
    assert tl.requests[60] > tl.requests[59]  # the burst shows in its second
    assert len(tl) == pytest.approx(result.span_s, abs=1)


def test_interval_sets_the_timeline_resolution():
    result = simulate(trivial(), ConstantRate(10, duration=600), duration_ms=10, interval=60)
    assert len(result.timeline) == 10 and list(result.timeline.requests) == [600] * 10


def test_timeline_of_long_runs_is_coarser_so_memory_stays_flat():
    result = simulate(trivial(), ConstantRate(0.01, duration=3 * 86_400), duration_ms=10)
    assert result.timeline.interval == 3 and len(result.timeline) == 86_400
    assert sum(result.timeline.requests) == result.requests == 2592


def test_defaults_are_the_runtimes_settings():
    import lambda_local

    with lambda_local.mock_aws(idle_timeout=60, concurrency_limit=300):
        result = simulate(trivial(), Timestamps([0, 30, 100]), duration_ms=10)
    assert (result.idle_timeout_s, result.concurrency_limit) == (60, 300)
    assert result.cold_starts == 2


def test_large_runs_keep_no_per_request_data():
    result = simulate(trivial(), ConstantRate(2000, duration=50), duration_ms=99, progress=False)
    assert result.requests == 100_000 and result.records is None
    assert len(result.function.latency.buckets) < 50  # histogram buckets, not 100,000 values


def test_latency_percentiles_with_and_without_cold_starts():
    result = simulate(trivial(), ConstantRate(100, duration=10) + Burst(300, at=5), duration_ms=100)
    fn = result.function
    assert fn.latency_warm.percentile(99.9) == pytest.approx(100, rel=0.01)
    assert fn.latency.percentile(99.9) > 180  # cold starts add an Init Duration of 82 ms or more
    assert fn.latency.percentile(50) == pytest.approx(100, rel=0.01)


def test_to_dataframe_needs_pandas():
    result = simulate(trivial(), Burst(10, at=0), duration_ms=10, keep_requests=True)
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="needs pandas"):
            result.to_dataframe()
        return
    frame = result.to_dataframe("requests")
    assert len(frame) == 10 and {"arrival", "cold_start", "billed_ms", "cost_usd"} <= set(frame.columns)
    assert list(result.to_dataframe().columns)[:2] == ["requests", "invocations"]


def test_requests_frame_needs_kept_requests():
    result = simulate(trivial(), Burst(10, at=0), duration_ms=10)
    with pytest.raises(ValueError, match="keep_requests=True"):
        result.to_dataframe("requests")


# --- money ------------------------------------------------------------------------------------------------------------

def test_bill_of_provisioned_traffic_equals_a_hand_calculation():
    # 20,000 requests of 200 ms at 512 MB, all served by 10 provisioned environments over 200 s.
    result = simulate(trivial(memory=512), ConstantRate(100, duration=200), duration_ms=200,
                      provisioned_concurrency=30)
    assert result.function.provisioned_invocations == 20_000 and result.cold_starts == 0
    configured = 30 * D("0.5") * 300 * PC_CONFIGURED  # 200 s rounds up to one 5-minute step
    duration = 20_000 * D("0.5") * D("0.2") * PC_DURATION
    assert result.bill().total == 20_000 * REQUEST + configured + duration


def test_bill_equals_the_sum_of_per_request_costs():
    result = simulate(trivial(memory=1024), ConstantRate(50, duration=30) + Burst(200, at=10),
                      duration_ms=lambda r: 40 + r.index % 7, keep_requests=True)
    assert result.cold_starts > 1
    per_request = sum(invocation_cost(r.billed_ms, 1024) for r in result.records if not r.throttled)
    assert result.bill().total == per_request
    assert sum(r.cost_usd for r in result.records) == pytest.approx(float(per_request), rel=1e-9)


def test_30_million_requests_a_month_at_512mb_200ms_is_56_dollars_before_the_free_tier():
    # 30,000 requests in 2,628 s is 30,000,000 in 730 h. By hand: 30 M x $0.20/M = $6.00, plus
    # 30 M x 0.5 GB x 0.2 s = 3,000,000 GB-s x $0.0000166667 = $50.0001: $56.00.
    arrivals = Timestamps([i * 0.0876 for i in range(30_000)])
    result = simulate(trivial(memory=512), arrivals, duration=2628, duration_ms=200)
    bill = result.monthly_bill(free_tier=False)
    [requests] = [l for l in bill.lines if l.item == "Requests"]
    assert requests.quantity == 30_000_000
    assert result.cold_starts <= 5  # 0.02% of the month's GB-s: under half a cent
    assert bill.total_cents == 5600


# --- input errors -------------------------------------------------------------------------------------------------

def test_an_endless_pattern_needs_a_duration():
    with pytest.raises(ValueError, match="duration"):
        simulate(trivial(), ConstantRate(10))


def test_bad_options_are_refused_clearly():
    with pytest.raises(ValueError, match="invocation_type"):
        simulate(trivial(), Burst(1), invocation_type="DryRun")
    with pytest.raises(TypeError, match="arrival pattern"):
        simulate(trivial(), [1, 2, 3])
    with pytest.raises(ValueError, match="per_second"):
        ConstantRate(-1)
    with pytest.raises(ValueError, match="different names"):
        simulate([Workload(trivial("same"), Burst(1)), Workload(trivial("same"), Burst(1))])


# --- traffic patterns ------------------------------------------------------------------------------------------------

def test_daily_curve_peaks_at_its_peak_hour():
    curve = DailyCurve(peak_per_second=10, trough_per_second=1, peak_hour=14)
    per_hour = [0] * 24
    for t in curve.times():
        per_hour[int(t // 3600)] += 1
    assert max(range(24), key=per_hour.__getitem__) in (13, 14)
    assert min(range(24), key=per_hour.__getitem__) in (1, 2)
    assert sum(per_hour) == pytest.approx(5.5 * 86_400, rel=1e-6)


def test_poisson_arrivals_are_repeatable_and_keep_the_rate():
    a = list(ConstantRate(50, duration=200, poisson=True, seed=3).times())
    assert a == list(ConstantRate(50, duration=200, poisson=True, seed=3).times())
    assert len(a) == pytest.approx(10_000, rel=0.05)


# --- progress, plots ------------------------------------------------------------------------------------------------

def test_progress_line_on_stderr_when_asked(capsys):
    simulate(trivial(), ConstantRate(2000, duration=100), duration_ms=50, progress=True)
    assert "simulating" in capsys.readouterr().err


def test_no_progress_by_default_for_short_runs(capsys):
    simulate(trivial(), Burst(100, at=0), duration_ms=10)
    assert capsys.readouterr().err == ""


def test_the_automatic_bar_waits_for_work_not_wall_time(monkeypatch):
    """A lesson's output must not depend on machine load: the bar appears after an amount of work, however slow."""
    import time as time_module

    from lambda_local.simulate import _progress

    bar = _progress.Progress(None)
    monkeypatch.setattr(time_module, "perf_counter", lambda: 1e9)  # as if the machine had stalled for ages
    bar.update(0.5, "", events=_progress.SHOW_AFTER_EVENTS - 1)
    assert not bar._shown
    bar.update(0.6, "", events=_progress.SHOW_AFTER_EVENTS)
    assert bar._shown


def test_plots_draw_the_results():
    import matplotlib
    matplotlib.use("Agg")
    result = simulate(trivial(), ConstantRate(20, duration=30) + Burst(300, at=10), duration_ms=200,
                      provisioned_concurrency=2)
    fig = result.plot_concurrency()
    ax = fig.axes[0]
    assert list(ax.lines[0].get_ydata()) == list(result.timeline.concurrency)
    assert ax.get_title() == "Concurrency and throttles"
    assert "with and without cold starts" in result.plot_latency().axes[0].get_title()
    cost = result.plot_cost().axes[0]
    assert [t.get_text() for t in cost.get_yticklabels()][-1] == "Requests"


# --- memory tuning -------------------------------------------------------------------------------------------------

def busy_handler(event, context):
    return sum(i * i for i in range(30_000))


def test_tuning_cpu_bound_handler_is_fastest_at_one_vcpu():
    result = tune(Function(busy_handler, name="busy"), memory_sizes=(128, 512, 1769, 3008), invocations=3)
    d = {r.memory_mb: r.duration_ms for r in result.rows}
    by_size = {r.memory_mb: r for r in result.rows}
    assert d[128] > d[512] > d[1769] and result.cpu_ms > 0
    # Below one vCPU the CPU part stretches by 1,769 / memory, the waiting part does not.
    assert (d[128] - d[1769]) / (d[512] - d[1769]) == pytest.approx((1769 / 128 - 1) / (1769 / 512 - 1))
    assert d[1769] == d[3008]  # one thread: no faster above one vCPU
    assert result.fastest.memory_mb == 1769
    assert by_size[3008].cost_usd > by_size[1769].cost_usd


def test_tuning_a_waiting_handler_makes_the_smallest_size_cheapest():
    def waiting(event, context):
        time.sleep(0.05)
        return "done"

    result = tune(Function(waiting, name="waiting"), memory_sizes=(128, 1024, 2048), invocations=2)
    assert result.cheapest.memory_mb == 128
    small, large = result.rows[0].duration_ms, result.rows[-1].duration_ms
    assert large <= small < 1.5 * large  # 16 times the memory barely speeds up waiting
    assert "cheapest: 128 MB" in result.summary()


def test_tuning_flags_sizes_the_function_does_not_fit_in():
    def hungry(event, context):
        block = bytearray(150 * 1024 * 1024)
        return len(block)

    result = tune(Function(hungry, name="hungry"), memory_sizes=(128, 512), invocations=1)
    assert [r.error for r in result.rows] == ["Runtime.OutOfMemory", None]
    assert result.cheapest.memory_mb == 512


def test_tuning_refuses_bad_sizes():
    with pytest.raises(ValueError, match="128 to 10,240"):
        tune(Function(busy_handler, name="busy2"), memory_sizes=(64,))


def test_latency_histograms_answer_the_same_whenever_they_are_read():
    """Values are counted as they come and bucketed when a figure is read: reading between adds, after more than
    4,096 distinct values (the fold that keeps memory flat) and at the end all agree with the values themselves."""
    import math
    import random

    from lambda_local.simulate.results import Histogram

    rng = random.Random(3)
    values = [rng.choice([12.5, 13.25, 40.0]) for _ in range(3000)] + [rng.uniform(1, 500) for _ in range(6000)]
    histogram = Histogram()
    for i, value in enumerate(values, 1):
        histogram.add(value)
        if i in (1, 2999, 5000):
            assert histogram.count == i and histogram.max == max(values[:i]) and histogram.min == min(values[:i])
    assert len(histogram._pending) <= 4096
    assert histogram.count == len(values) and math.isclose(histogram.mean, sum(values) / len(values))
    ordered = sorted(values)
    for p in (50, 90, 99):
        exact = ordered[math.ceil(len(values) * p / 100) - 1]
        assert math.isclose(histogram.percentile(p), exact, rel_tol=0.011)
