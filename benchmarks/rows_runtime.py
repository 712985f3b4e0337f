"""Rows that need no AWS API: warm and cold invokes through the direct API, and the traffic simulation."""

from __future__ import annotations

import gc
import importlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

from harness import EVENT, Figure, Row, Stats, handler, interleaved, log, repeat, write_handler

WARM_BUDGET_US = 50.0
COLD_BUDGET_MS = 5.0


def _forget_records(fn) -> None:
    """Drop the records a batch left, so a long run does not time a growing list (and its gc) instead of invokes."""
    fn.invocations.clear()
    service = getattr(fn, "_service", None)
    if isinstance(getattr(service, "invocations", None), list):
        service.invocations.clear()


def _checked(result, cold: bool | None = None):
    if result.error_type is not None:
        raise RuntimeError(f"the benchmark handler failed: {result.error_type}: {result.error_message}")
    if cold is not None and result.cold_start is not cold:
        raise RuntimeError(f"expected a {'cold' if cold else 'warm'} start, got the other")
    return result


def warm_direct(fn, *, size: int, runs: int) -> tuple[Stats, Stats]:
    """(invoke, plain call) in seconds per call: ``fn.invoke(EVENT)`` on a warm environment against
    ``handler(EVENT, None)``."""
    _checked(fn.invoke(EVENT))
    _checked(fn.invoke(EVENT), cold=False)
    return interleaved(repeat(fn.invoke, EVENT), repeat(handler, EVENT, None), size=size, runs=runs,
                       after_run=lambda: _forget_records(fn))


def warm(quick: bool) -> Row:
    from lambda_local import Function

    fn = Function(handler, name="bench-warm")
    # Short runs, many of them: a busy moment spoils a few runs, not the median.
    size, runs = (300, 7) if quick else (500, 31)
    ours, plain = warm_direct(fn, size=size, runs=runs)
    ours, plain = ours.scaled(1e6), plain.scaled(1e6)
    overhead = ours.median - plain.median
    return Row("warm", "warm invoke, direct API", "µs",
               Figure("Function(handler).invoke(event)", ours), Figure("handler(event, None)", plain),
               ratio=ours.median / plain.median, target=f"overhead {overhead:.1f} < {WARM_BUDGET_US:.0f} µs",
               target_met=overhead < WARM_BUDGET_US,
               notes=[f"overhead per warm invoke {overhead:.1f} µs (median invoke minus median plain call; "
                      f"{ours.low - plain.low:.1f} µs in the fastest runs); {runs} runs of {size} calls each"],
               details={"overhead_us": overhead, "calls_per_run": size})


def cold(quick: bool) -> Row:
    from lambda_local import Function

    runs = 10 if quick else 40
    folder = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    try:
        write_handler(folder)
        fn = Function("lambda_function.handler", code=folder, name="bench-cold")

        def cold_once() -> float:
            fn.shutdown()  # discarding the old environment is not part of the cold start
            gc.collect()
            start = time.perf_counter_ns()
            _checked(fn.invoke(EVENT), cold=True)
            return (time.perf_counter_ns() - start) / 1e6

        def import_once() -> float:
            sys.path.insert(0, str(folder))
            try:
                gc.collect()
                start = time.perf_counter_ns()
                importlib.import_module("lambda_function")
                return (time.perf_counter_ns() - start) / 1e6
            finally:
                sys.path.remove(str(folder))
                sys.modules.pop("lambda_function", None)

        for _ in range(3):  # warm-up: bytecode cached, imports of the runtime itself done
            cold_once(), import_once()
        ours, imports = [], []
        for _ in range(runs):
            ours.append(cold_once())
            imports.append(import_once())
        _forget_records(fn)
        fn.shutdown()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ours_s, import_s = Stats.of(ours), Stats.of(imports)
    overhead = ours_s.median - import_s.median
    return Row("cold", "cold invoke, small handler from a code folder", "ms",
               Figure("shutdown(); invoke(event)", ours_s), Figure("import of the handler module", import_s),
               ratio=ours_s.median / import_s.median,
               target=f"{ours_s.median:.2f} < {COLD_BUDGET_MS:.0f} ms + import",
               target_met=overhead < COLD_BUDGET_MS,
               notes=[f"wall time of the whole cold invoke (new environment, INIT, handler, record); the REPORT "
                      f"line's Init Duration adds a modelled runtime start-up that is not spent here; "
                      f"{runs} runs"],
               details={"overhead_ms": overhead})


def simulate(quick: bool) -> Row:
    title = "traffic simulation, 1,000,000 requests" if not quick else "traffic simulation, 100,000 requests"
    try:
        from lambda_local.simulate import ConstantRate, simulate as run_simulation
    except ImportError as exc:
        return Row.unavailable("simulate", title, "not available yet", f"lambda_local.simulate: {exc}")
    from lambda_local import Function

    requests = 100_000 if quick else 1_000_000
    runs = 1 if quick else 3
    ours, floor = [], []
    for _ in range(runs):
        fn = Function(handler, name="bench-simulate")
        start = time.perf_counter()
        result = run_simulation(fn, ConstantRate(1000, duration=requests / 1000), progress=False)
        ours.append(time.perf_counter() - start)
        if result.requests != requests:
            raise RuntimeError(f"the simulation served {result.requests:,} requests, not {requests:,}")
        batch = repeat(handler, EVENT, None)
        start = time.perf_counter()
        batch(requests)
        floor.append(time.perf_counter() - start)
        log(f"  simulate: {ours[-1]:.2f} s for {requests:,} requests")
    ours_s, floor_s = Stats.of(ours), Stats.of(floor)
    wide = _simulate_at_concurrency(50_000 if quick else 500_000)
    return Row("simulate", title, "s", Figure("simulate(fn, ConstantRate(1000/s))", ours_s),
               Figure(f"{requests:,} plain handler calls", floor_s), ratio=ours_s.median / floor_s.median,
               target=f"10M at 1,000 concurrency in {wide['projected_s']:.0f} s (projected) < "
                      f"{SIMULATE_BUDGET_S:.0f} s",
               target_met=wide["projected_s"] < SIMULATE_BUDGET_S,
               notes=[f"{runs} run(s); the simulation runs the real handler for its first cold and warm invokes "
                      "and replays those measurements for the rest, on the virtual clock",
                      f"at 1,000 concurrency (ConstantRate(10,000/s), duration_ms=100): {wide['requests']:,} "
                      f"requests in {wide['seconds']:.2f} s, peak concurrency {wide['peak_concurrency']:,}, "
                      f"the process's peak memory grew {wide['rss_growth_mb']:.0f} MB; 10,000,000 projected "
                      f"linearly: {wide['projected_s']:.0f} s ({wide['projected_cpu_s']:.0f} s of CPU)"],
               details={"requests": requests, "requests_per_second": requests / ours_s.median,
                        "at_1000_concurrency": wide})


SIMULATE_BUDGET_S = 30.0  # 10 million requests at 1,000 concurrency (issue 20)


def _simulate_at_concurrency(requests: int) -> dict:
    """``requests`` at 10,000 a second lasting 100 ms each (1,000 in flight): seconds taken, the projection to 10
    million, and how much the process's peak resident memory grew (flat memory: the run keeps no per-request rows)."""
    import resource

    from lambda_local import Function
    from lambda_local.simulate import ConstantRate, simulate as run_simulation

    fn = Function(handler, name="bench-simulate-wide")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu = time.perf_counter(), time.process_time()
    result = run_simulation(fn, ConstantRate(10_000, duration=requests / 10_000), duration_ms=100, progress=False)
    seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    log(f"  simulate: {seconds:.2f} s ({cpu_s:.2f} s of CPU) for {requests:,} requests at 1,000 concurrency")
    # The CPU time too: on a shared machine the wall time includes waiting for a core, the CPU time does not.
    return {"requests": result.requests, "seconds": seconds, "projected_s": seconds * 10_000_000 / requests,
            "cpu_s": cpu_s, "projected_cpu_s": cpu_s * 10_000_000 / requests,
            "peak_concurrency": result.functions[fn.name].peak_concurrency, "rss_growth_mb": grown_mb}
