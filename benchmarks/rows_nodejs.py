"""Node.js rows: a warm and a cold invoke of the same trivial function in Node.js (a node process driven through
the Runtime API) beside the Python runtime (in this process)."""

from __future__ import annotations

import gc
import shutil
import tempfile
import time
from pathlib import Path

from harness import EVENT, Figure, Row, Stats, interleaved, repeat, write_handler
from rows_runtime import _checked, _forget_records

NODE_SOURCE = "exports.handler = async (event) => ({ statusCode: 200, body: event.name || 'world' });\n"
RUNTIMES = ("nodejs22.x", "nodejs20.x")  # the first one this machine has (Node.js 22 starts about twice as fast)
WARM_GOAL_MS = 1.0
COLD_GOAL_MS = 150.0


def _runtime() -> tuple[str | None, str]:
    from lambda_local.runtime.nodejs import install

    reasons = []
    for runtime in RUNTIMES:
        try:
            install.find(runtime)
            return runtime, ""
        except install.NodeNotFound as exc:
            reasons.append(str(exc))
    return None, reasons[-1]


def _functions(folder: Path, runtime: str):
    """(Node.js function, Python function) of the same handler."""
    from lambda_local import Function

    (folder / "node").mkdir(parents=True)
    (folder / "node" / "index.js").write_text(NODE_SOURCE)
    write_handler(folder / "python")
    node = Function("index.handler", code=folder / "node", runtime=runtime, name="bench-node")
    python = Function("lambda_function.handler", code=folder / "python", name="bench-python")
    return node, python


def node_warm(quick: bool) -> Row:
    runtime, reason = _runtime()
    title = f"warm invoke, {runtime or 'nodejs'} beside python3.12"
    if runtime is None:
        return Row.unavailable("node-warm", title, "skipped", reason)
    folder = Path(tempfile.mkdtemp(prefix="bench-node-"))
    try:
        node, python = _functions(folder, runtime)
        for fn in (node, python):
            _checked(fn.invoke(EVENT))
            _checked(fn.invoke(EVENT), cold=False)
        size, runs = (100, 5) if quick else (200, 21)
        ours, theirs = interleaved(repeat(node.invoke, EVENT), repeat(python.invoke, EVENT), size=size, runs=runs,
                                   after_run=lambda: (_forget_records(node), _forget_records(python)))
        node.shutdown()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ours, theirs = ours.scaled(1e3), theirs.scaled(1e3)
    return Row("node-warm", title, "ms", Figure(f"{runtime} Function.invoke(event)", ours),
               Figure("python3.12 Function.invoke(event)", theirs), ratio=ours.median / theirs.median,
               target=f"p50 {ours.median:.2f} < {WARM_GOAL_MS:.0f} ms", target_met=ours.median < WARM_GOAL_MS,
               notes=[f"a warm Node.js invoke is a round trip through the Runtime API to the node process; "
                      f"{runs} runs of {size} calls"])


def node_cold(quick: bool) -> Row:
    runtime, reason = _runtime()
    title = f"cold invoke, {runtime or 'nodejs'} beside python3.12"
    if runtime is None:
        return Row.unavailable("node-cold", title, "skipped", reason)
    folder = Path(tempfile.mkdtemp(prefix="bench-node-"))
    try:
        node, python = _functions(folder, runtime)

        def cold_once(fn) -> float:
            fn.shutdown()  # ending the old environment (killing its process) is not part of the cold start
            gc.collect()
            start = time.perf_counter_ns()
            _checked(fn.invoke(EVENT), cold=True)
            return (time.perf_counter_ns() - start) / 1e6

        runs = 5 if quick else 21
        for _ in range(2):
            cold_once(node), cold_once(python)
        ours, theirs, inits = [], [], []
        for _ in range(runs):
            ours.append(cold_once(node))
            inits.append(node.invocations[-1].init_duration_ms)
            theirs.append(cold_once(python))
        node.shutdown()
        python.shutdown()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ours_s, theirs_s = Stats.of(ours), Stats.of(theirs)
    init = Stats.of(inits)
    return Row("node-cold", title, "ms", Figure(f"{runtime} shutdown(); invoke(event)", ours_s),
               Figure("python3.12 shutdown(); invoke(event)", theirs_s), ratio=ours_s.median / theirs_s.median,
               target=f"{ours_s.median:.0f} < {COLD_GOAL_MS:.0f} ms", target_met=ours_s.median < COLD_GOAL_MS,
               notes=[f"wall time of the whole cold invoke: node starts, AWS's runtime client loads the handler, "
                      f"the event goes through; the REPORT line's Init Duration (median {init.median:.0f} ms) is "
                      f"measured, not modelled as for Python; {runs} runs"],
               details={"init_duration_ms": init.median})
