"""Where the time of one invocation goes: the numbers behind benchmarks/README.md's breakdown.

    python benchmarks/breakdown.py            # the per-step budget of a warm direct invoke (no profiler needed)
    python benchmarks/breakdown.py --json     # the same figures as JSON
    python benchmarks/breakdown.py --code-folder  # the same for a handler in a code folder (the peers' baseline)
    python benchmarks/breakdown.py all        # the three parts below
    python benchmarks/breakdown.py warm       # py-spy profile of warm direct invokes, in µs per part
    python benchmarks/breakdown.py boto3      # py-spy profile of boto3 invokes inside mock_aws()
    python benchmarks/breakdown.py ablation   # each costly piece switched off in turn (no profiler needed)

``warm`` and ``boto3`` sample a loop of invocations with py-spy (``pip install py-spy``; it must be allowed to
ptrace) and turn each part's share of the samples into µs with the per-call time measured here without a profiler.
``ablation`` replaces one piece of the runtime at a time *in this process only* (tracemalloc, the timeout timer) and
times warm invokes again: what a piece costs is the difference.
"""

from __future__ import annotations

import argparse
import ast
import collections
import functools
import linecache
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from harness import EVENT, handler, repeat  # noqa: E402

# --- the workloads py-spy samples ---------------------------------------------------------------------------------


def _warm_loop():
    from lambda_local import Function

    fn = Function(handler, name="breakdown-warm")
    fn.invoke(EVENT)

    def batch(n):
        for _ in range(n):
            fn.invoke(EVENT)
        fn.invocations.clear()
        getattr(fn._service, "invocations", []).clear()

    return batch, None


def _boto3_loop():
    import lambda_local
    from rows_aws import PAYLOAD, _clients, deploy

    mock = lambda_local.mock_aws(seed=1)
    aws = mock.__enter__()
    (lam,) = _clients("lambda")
    deploy("breakdown-boto3")

    def batch(n):
        for _ in range(n):
            lam.invoke(FunctionName="breakdown-boto3", Payload=PAYLOAD)["Payload"].read()
        aws.invocations.clear()

    return batch, lambda: mock.__exit__(None, None, None)


WORKLOADS = {"warm": (_warm_loop, 1000), "boto3": (_boto3_loop, 100)}


def per_call_us(name: str, runs: int = 7) -> float:
    """The workload's µs per call, measured without a profiler (the fastest of ``runs``: the least disturbed)."""
    make, size = WORKLOADS[name]
    batch, close = make()
    try:
        batch(size)
        times = []
        for _ in range(runs):
            start = time.perf_counter_ns()
            batch(size)
            times.append((time.perf_counter_ns() - start) / 1e3 / size)
        return min(times)
    finally:
        if close:
            close()


def _workload(name: str, seconds: float) -> None:
    make, size = WORKLOADS[name]
    batch, close = make()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        batch(size)
    if close:
        close()


# --- reading py-spy's raw output ------------------------------------------------------------------------------------


def _samples(raw: Path):
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            yield stack.split(";"), int(count)


def _parse(frame: str) -> tuple[str, str, int]:
    """'func (path/file.py:12)' -> ('func', 'path/file.py', 12)."""
    name, _, where = frame.partition(" (")
    path, _, line = where.rstrip(")").rpartition(":")
    return name, path, int(line) if line.isdigit() else 0


@functools.lru_cache(maxsize=None)
def _statements(path: str) -> list[tuple[int, int, str]]:
    """(first line, last line, source) of every simple statement in a runtime file, innermost last."""
    full = HERE.parent / path
    if not full.exists():
        return []
    source = full.read_text()
    spans = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.stmt) and not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.If, ast.Try,
                                                                ast.With, ast.For, ast.While)):
            spans.append((node.lineno, node.end_lineno or node.lineno, ast.get_source_segment(source, node) or ""))
    return spans


def _statement(path: str, line: int) -> str:
    inside = [s for s in _statements(path) if s[0] <= line <= s[1]]
    return min(inside, key=lambda s: s[1] - s[0])[2] if inside else linecache.getline(str(HERE.parent / path), line)


# What a call made by the runtime's invoke path is for (by the called function's name), then by the statement.
CALLEES = [
    (("handler",), "the handler itself"),
    (("call_with_timeout", "_call_with_signal", "_arm", "_leave_signal", "memory_watchdog", "<lambda>"),
     "timeout timer (SIGALRM) + memory watchdog"),
    (("measure",), "tracemalloc start/stop (measure)"),
    (("request_id",), "request id (uuid4)"),
    (("check_payload",), "request payload check (json.loads)"),
    (("dumps",), "event to JSON (direct API)"),
    (("loads",), "event from JSON"),
    (("marshal",), "response to JSON (marshal)"),
    (("invocation_cost", "billed_duration_ms"), "billing"),
    (("acquire", "release", "expire"), "environment pool (acquire, release)"),
    (("LambdaContext",), "context object"),
    (("ExecutionEnvironment.enter", "ExecutionEnvironment.exit", "ProcessGuard", "NamespaceView", "ModuleSpace"),
     "environment swap (enter/exit)"),
    (("LogSink", "SinkStream"), "log capture (sinks, stdout swap)"),
    (("report_line", "start_line", "end_line", "init_start_line", "LogEvent", "genexpr", "clock_ms"),
     "log write (START/END/REPORT, log text)"),
    (("memory_used_mb",), "memory figure (Max Memory Used)"),
    (("__init__", "Invocation"), "record (Invocation)"),
    (("LambdaService.record",), "record (service list, listeners)"),
]
STATEMENTS = [
    ("Invocation(", "record (Invocation)"), ("measure(", "tracemalloc start/stop (measure)"),
    ("billing", "billing"), ("logs.", "log write (START/END/REPORT, log text)"),
    ("events", "log write (START/END/REPORT, log text)"), ("LambdaContext(", "context object"),
    ("env.enter", "environment swap (enter/exit)"), ("env.exit", "environment swap (enter/exit)"),
    ("sink", "log capture (sinks, stdout swap)"), ("lock", "service lock"),
]
ORCHESTRATORS = ("_run", "invoke", "Function.invoke")
# Work done once, not per warm invoke: a new environment, its INIT (the loop's first, cold, invoke), and the first
# import of a module (time-machine's, at the first invocation, is ~1 s under the profiler)
COLD_ONLY = ("ExecutionEnvironment.init ", "ExecutionEnvironment.__init__", "_shared_top_levels",
             "_init (lambda_local/runtime/invoke.py", "_find_and_load (")
SKIPPED = "setup, first (cold) invoke, loop"


def _category(frames: list[str]) -> str:
    """The part of a warm direct invoke one sample belongs to."""
    at = None
    for i, frame in enumerate(frames):
        name, path, _ = _parse(frame)
        if name in ORCHESTRATORS and path.startswith("lambda_local/runtime/"):
            at = i
    if at is None:
        return SKIPPED
    name, path, line = _parse(frames[at])
    below = [_parse(f)[0] for f in frames[at + 1:]]
    if below:
        # Inside measure(): split the handler, the timer and tracemalloc itself.
        if below[0] == "measure":
            for callee in below[1:]:
                if callee == "handler":
                    return "the handler itself"
            return ("timeout timer (SIGALRM) + memory watchdog" if len(below) > 1
                    else "tracemalloc start/stop (measure)")
        for names, category in CALLEES:
            if any(n in below[0] for n in names):
                return category
        return f"other: {below[0]}"
    statement = _statement(path, line)
    for keyword, category in STATEMENTS:
        if keyword in statement:
            return category
    return "invoke bookkeeping (its own lines)"


BOTO3_MARKERS = [  # (category, frame marker); a sample goes to the innermost marker it contains
    ("botocore client (serialise, sign, hooks, parse)", "BaseClient._make_api_call (botocore/client.py"),
    ("moto: request parsing, dispatch, response", "BotocoreStubber.__call__ (moto/core/botocore_stubber.py"),
    ("bridge: aws.patches._invoke_response, function lookup", "_invoke_response (lambda_local/aws/patches.py"),
    ("bridge: config_for (FunctionConfig, revision hash)", "FunctionRegistry.config_for (lambda_local/registry.py"),
    ("bridge: iam.credentials_for", "credentials_for (lambda_local/iam.py"),
    ("runtime invoke (the direct API's work)", "invoke (lambda_local/runtime/invoke.py"),
    ("after: listeners (log + metrics)", "Sandbox._after_invocation (lambda_local/sandbox.py"),
    ("after: IAM check that the role may write logs", "allows_logging (lambda_local/iam.py"),
    ("after: CloudWatch Logs write", "write_to_cloudwatch (lambda_local/logs.py"),
    ("after: CloudWatch metrics", "record (lambda_local/metrics.py"),
]


def _boto3_category(frames: list[str]) -> str:
    best = SKIPPED
    for frame in frames:
        for category, marker in BOTO3_MARKERS:
            if frame.startswith(marker):
                best = category
    return best


def _profile(name: str, seconds: float, keep: Path | None) -> collections.Counter | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists() and not shutil.which(spy):
        print(f"  py-spy not found (pip install py-spy): no {name} profile")
        return None
    folder = keep or Path(tempfile.mkdtemp(prefix="breakdown-"))
    raw = folder / f"{name}.raw"
    command = [spy, "record", "-r", "1000", "-f", "raw", "-o", str(raw), "--", sys.executable, str(Path(__file__)),
               "--workload", name, "--seconds", str(seconds)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0 or not raw.exists():
        print(f"  py-spy failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}")
        return None
    classify = _category if name == "warm" else _boto3_category
    counts = collections.Counter()
    for frames, count in _samples(raw):
        # Only the timed loop's warm invokes: not the setup, not the first (cold) invoke.
        in_loop = any("_loop.<locals>.batch" in f for f in frames)
        cold = any(marker in f for f in frames for marker in COLD_ONLY)
        counts[classify(frames) if in_loop and not cold else SKIPPED] += count
    if keep is None:
        shutil.rmtree(folder, ignore_errors=True)
    return counts


def _report(title: str, counts: collections.Counter, us: float, skip: str) -> None:
    inside = sum(v for k, v in counts.items() if k != skip)
    print(f"\n{title}: {us:.1f} µs per call (fastest of 7 runs without a profiler); "
          f"{inside:,} samples on the invoke path")
    print(f"  {'part':58} {'share':>6} {'µs':>8}")
    for category, count in counts.most_common():
        if category == skip:
            continue
        print(f"  {category:58} {100 * count / inside:5.1f}% {us * count / inside:8.1f}")


# --- ablation ---------------------------------------------------------------------------------------------------------


def allocating_handler(event, context):
    """Builds 1,000 small dicts: what a handler that parses a modest payload allocates."""
    return len([{"i": i} for i in range(1000)])


def _untraced(fn):
    return fn(), 0


def _untimed(fn, timeout_s, *args):
    from lambda_local.runtime.timeouts import Outcome

    outcome = Outcome()
    try:
        outcome.value = fn()
    except BaseException as exc:  # noqa: BLE001 - as the real one: the handler's failure goes in the outcome
        outcome.error = exc
    return outcome


def ablation(rounds: int = 15) -> None:
    """Each variant and the plain call take turns, ``rounds`` times, so a busy machine slows all of them alike; the
    fastest round of each is reported (the least disturbed: what the code itself costs)."""
    from lambda_local import Function
    from lambda_local.runtime import invoke as invoke_module
    from lambda_local.runtime import python_runtime

    class Untimed:  # a stopper that arms nothing
        name = "none"
        run = staticmethod(_untimed)

    untimed = Untimed()
    shipped = (python_runtime.measure, invoke_module.stopper_for)

    def no_stopper(name=None):
        return untimed

    variants = {"as shipped": shipped,
                "no tracemalloc (measure() only calls)": (_untraced, shipped[1]),
                "no timeout timer (the stopper only calls)": (shipped[0], no_stopper),
                "neither": (_untraced, no_stopper)}
    handlers = ((handler, 500), (allocating_handler, 50))
    functions = {(label, target): Function(target, name=f"ablation-{i}-{target.__name__}")
                 for i, label in enumerate(variants) for target, _ in handlers}
    times = collections.defaultdict(list)
    for round_ in range(rounds + 1):  # the first round warms up and is dropped
        for label, (measure, timeout) in variants.items():
            python_runtime.measure, invoke_module.stopper_for = measure, timeout
            try:
                for target, size in handlers:
                    fn = functions[label, target]
                    start = time.perf_counter_ns()
                    for _ in range(size):
                        fn.invoke(EVENT)
                    if round_:
                        times[label, target].append((time.perf_counter_ns() - start) / 1e3 / size)
                    fn.invocations.clear()
                    getattr(fn._service, "invocations", []).clear()
            finally:
                python_runtime.measure, invoke_module.stopper_for = shipped
        for target, size in handlers:
            start = time.perf_counter_ns()
            repeat(target, EVENT, None)(size)
            if round_:
                times["plain", target].append((time.perf_counter_ns() - start) / 1e3 / size)
    median = {key: min(values) for key, values in times.items()}
    print(f"\nablation: warm direct invokes with one piece replaced in this process only "
          f"(µs per call, fastest of {rounds} interleaved rounds)")
    print(f"  {'variant':60} {'trivial handler':>16} {'1,000 dicts':>12}")
    for label in [*variants, "plain"]:
        name = "the handler called as a plain function" if label == "plain" else label
        print(f"  {name:60} {median[label, handler]:16.2f} {median[label, allocating_handler]:12.1f}")
    cost = [median["as shipped", t] - median["no tracemalloc (measure() only calls)", t] for t, _ in handlers]
    timer = median["as shipped", handler] - median["no timeout timer (the stopper only calls)", handler]
    print(f"  => tracemalloc: {cost[0]:.1f} µs per warm invoke of the trivial handler, {cost[1]:.0f} µs for one "
          f"that builds 1,000 dicts ({cost[1] / median['plain', allocating_handler]:.1f}x that handler's own time); "
          f"the timeout timer: {timer:.1f} µs")


# --- the per-step budget: each step of a warm invoke timed on its own -------------------------------------------------


def _fastest_us(step: Callable[[], object], calls: int, rounds: int, after: Callable[[], object] = lambda: None
                ) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter_ns()
        for _ in range(calls):
            step()
        best = min(best, (time.perf_counter_ns() - start) / 1e3 / calls)
        after()
    return best


def budget(calls: int = 20_000, rounds: int = 5, code_folder: bool = False) -> dict:
    """µs per step of one warm direct invoke (``Function(handler).invoke(EVENT)``, trivial handler), each step called
    on its own with the objects a warm invoke uses, fastest of ``rounds`` runs of ``calls``; then the whole invoke
    timed the same way, and the rest (the glue between the steps: calls, locals, branches).

    ``code_folder``: the handler as ``lambda_function.handler`` in a code folder (``Function(..., code=folder)``,
    what the peers' rows measure): the switch then also swaps the environment's modules and moves into its task root,
    and those two parts of it are timed on their own too (shown as "of which", not added again)."""
    import json

    from lambda_local import Function, billing, logs
    from lambda_local.runtime import invoke as invoke_module
    from lambda_local.runtime.context import LambdaContext
    from lambda_local.runtime.environment import TRACE_EVERY, measure
    from lambda_local.runtime.invocation import Invocation
    from lambda_local.runtime.python_runtime import marshal
    from lambda_local.runtime import environment, virtual_time
    from lambda_local.runtime.function import _to_json as to_json
    from lambda_local.runtime.timeouts import stopper_for

    if code_folder:
        from harness import write_handler

        folder = write_handler(Path(tempfile.mkdtemp(prefix="breakdown-code-")) / "code")
        fn = Function("lambda_function.handler", code=folder, name="budget-code")
    else:
        fn = Function(handler, name="budget")
    fn.invoke(EVENT)
    record = fn.invoke(EVENT)
    service, pool, config = fn._service, fn._pool, fn.config
    env = pool.environments[0]
    payload = json.dumps(EVENT).encode("utf-8")
    result = handler(EVENT, None)
    stopper = stopper_for(service.stopper)
    watchdog = env.memory_watch.arm(config.memory_size, env.memory_used_mb(0), False)
    sink = logs.LogSink(service.clock_ms)
    fields = {name: getattr(record, name) for name in Invocation.__dataclass_fields__}
    report = (record.request_id, record.duration_ms, 1, config.memory_size, record.max_memory_used_mb, None)

    def lease():  # (what invoke._warm does: the only warm environment taken and given back, no Lease object)
        taken = pool.take_warm(config)
        with service.lock:
            pool._release(taken, False, False)

    def turn():
        service.execution.acquire(env)
        service.execution.release(env)

    def context():
        return LambdaContext.plain(env.context_fields, record.request_id, config.function_arn, time.monotonic() + 3,
                                   sink.write_text)

    def switch():
        env.enter(sink)
        env.exit()

    def modules():
        env.modules.enter()
        env.modules.exit()

    def task_root():
        cwd = env._chdir_in()
        if cwd is not None:
            environment._back_to(cwd, True)

    def capture():
        log = logs.LogSink(service.clock_ms)
        log.close()

    def memory():
        env.should_trace()
        env.memory_watch.arm(config.memory_size, env.memory_used_mb(0), False)
        env.memory_used_mb(0)

    def frame():  # (the warm path's lines: text only, as the direct API's service has no listeners)
        text = [logs.start_line(record.request_id, config.version)]
        text += [e.message for e in sink.events]
        text += (logs.end_line(record.request_id), logs.report_line(*report), "")
        return "\n".join(text)

    def bill():
        billing.invocation_cost_usd(billing.billed_duration_ms(record.duration_ms), config.memory_size,
                                    config.architecture, config.ephemeral_storage)

    def keep():
        service.record(Invocation(**fields), config, env, [])
        service.invocations.clear()

    steps = {
        "event to JSON (the direct API takes Python objects)": lambda: to_json(EVENT),
        "request check: size, JSON parse": lambda: invoke_module.check_payload(payload, "RequestResponse"),
        "lease: environment pool, concurrency books": lease,
        "execution turn (one environment at a time)": turn,
        "request id": service.ids.request_id,
        "context object": context,
        "environment switch: enter + exit": switch,
        "virtual clock: time-machine's patch in and out, the offset set": lambda: virtual_time.leave(
            virtual_time.enter(service.clock.time())),
        "timer: the deadline (setitimer, or the tick that lingers between runs)": lambda: stopper.run(
            _nothing, 3.0, watchdog),
        "memory: watchdog limit, process size, Max Memory Used": memory,
        f"memory tracing (tracemalloc, 1 warm invoke in {TRACE_EVERY}), per invoke": lambda: measure(_nothing),
        "capture: the invocation's log sink": capture,
        "response to JSON": lambda: marshal(result),
        "logs: START, END, REPORT lines and the log text": frame,
        "bill: billed duration, cost": bill,
        "record: Invocation, service's list": keep,
    }
    parts = {"  of which: modules (ModuleSpace enter + exit)": modules,
             "  of which: working folder (into the task root and back)": task_root} if code_folder else {}

    def forget():  # a long run must not time a growing list of records (and the collector walking it)
        fn.invocations.clear()
        service.invocations.clear()

    # Round by round, every step and the whole invoke take turns (a busy moment slows all of them alike); each
    # figure is the fastest of its rounds.
    figures = {name: float("inf") for name in steps}
    shares = {name: float("inf") for name in parts}
    whole = float("inf")
    for _ in range(rounds):
        for name, step in parts.items():
            shares[name] = min(shares[name], _fastest_us(step, calls, 1))
        for name, step in steps.items():
            if name.startswith("memory tracing"):
                us = _fastest_us(step, max(calls // 10, 1), 1) / TRACE_EVERY
            else:
                us = _fastest_us(step, calls, 1)
            figures[name] = min(figures[name], us)
        for _ in range(4):
            whole = min(whole, _fastest_us(lambda: fn.invoke(EVENT), max(calls // 20, 1), 1, forget))
    total = sum(figures.values())
    return {"warm_invoke_us": whole, "steps_us": figures, "parts_of_switch_us": shares, "steps_total_us": total,
            "glue_us": whole - total, "code_folder": code_folder,
            "plain_call_us": _fastest_us(lambda: handler(EVENT, None), calls, rounds),
            "calls": calls, "rounds": rounds}


def _nothing():
    return None


def print_budget(figures: dict) -> None:
    whole = figures["warm_invoke_us"]
    what = "a handler in a code folder" if figures.get("code_folder") else "a callable handler"
    print(f"\nbudget of one warm direct invoke of {what}: {whole:.1f} µs (each step alone, fastest of "
          f"{figures['rounds']} runs "
          f"of {figures['calls']:,} calls)")
    print(f"  {'step':72} {'µs':>6} {'share':>6}")
    for name, us in figures["steps_us"].items():
        print(f"  {name:72} {us:6.2f} {us / whole:6.1%}")
        if name.startswith("environment switch"):
            for part, part_us in figures.get("parts_of_switch_us", {}).items():
                print(f"  {part:72} {part_us:6.2f}")
    print(f"  {'the rest: the glue between the steps (calls, locals, branches)':72} {figures['glue_us']:6.2f} "
          f"{figures['glue_us'] / whole:6.1%}")
    print(f"  {'the handler as a plain call, for scale':72} {figures['plain_call_us']:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", nargs="?", choices=["budget", "warm", "boto3", "ablation", "all"], default="budget")
    parser.add_argument("--json", action="store_true", help="budget: print the figures as JSON")
    parser.add_argument("--code-folder", action="store_true",
                        help="budget: the handler in a code folder (lambda_function.handler), as the peers' rows")
    parser.add_argument("--calls", type=int, default=20_000, help="budget: calls per run of each step")
    parser.add_argument("--seconds", type=float, default=8.0, help="how long py-spy samples each workload")
    parser.add_argument("--keep", type=Path, help="keep py-spy's raw output in this folder")
    parser.add_argument("--workload", choices=sorted(WORKLOADS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.workload:
        _workload(args.workload, args.seconds)
        return
    if args.part == "budget":
        import json

        figures = budget(calls=max(args.calls, 10), code_folder=args.code_folder)
        if args.json:
            print(json.dumps(figures, indent=2, ensure_ascii=False))
        else:
            print_budget(figures)
        return
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    for name in ("warm", "boto3"):
        if args.part in (name, "all"):
            us = per_call_us(name)
            counts = _profile(name, args.seconds, args.keep)
            if counts:
                _report(f"{name} invoke", counts, us, SKIPPED)
    if args.part in ("ablation", "all"):
        ablation()


if __name__ == "__main__":
    main()
