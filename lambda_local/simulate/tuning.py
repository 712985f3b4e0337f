"""Memory tuning, like AWS Lambda Power Tuning: run a handler at several memory sizes, price each, name the cheapest
and the fastest.

What is measured and what is modelled. Lambda gives a function CPU in proportion to its memory: 1,769 MB is one
full vCPU (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). Here the handler runs on this
machine's CPU whatever its memory setting, so for each invocation we measure its Duration and the CPU time it used;
the part of the Duration spent off the CPU (sleeping, waiting for a service) is kept as it is, and the CPU part is
stretched by 1,769 / memory below one vCPU. A single-threaded Python handler gets no faster above 1,769 MB (more
vCPUs only help threads and processes). One core here is taken to be as fast as one Lambda vCPU.

The handler really runs at every size (so errors, and memory that does not fit, show up per size), and the
durations of every size are modelled from all the measurements pooled, so two sizes differ only by the CPU model
and never by this machine's noise.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Sequence

from .. import billing
from ..runtime import Function
from .results import _Text, _pandas

__all__ = ["tune", "TuningResult", "TuningRow", "modelled_duration_ms", "MB_PER_VCPU", "DEFAULT_MEMORY_SIZES"]

MB_PER_VCPU = 1769
DEFAULT_MEMORY_SIZES = (128, 256, 512, 1024, 1536, 1769, 3008)


def modelled_duration_ms(cpu_ms: float, wait_ms: float, memory_mb: int) -> float:
    """Duration at ``memory_mb`` of an invocation that used ``cpu_ms`` of one full CPU and waited ``wait_ms``.

    >>> modelled_duration_ms(100, 50, 1769), modelled_duration_ms(100, 50, 3008)
    (150.0, 150.0)
    >>> round(modelled_duration_ms(100, 50, 128))
    1432
    """
    return cpu_ms * max(1.0, MB_PER_VCPU / memory_mb) + wait_ms


@dataclass(frozen=True)
class TuningRow:
    """One memory size: mean (modelled) Duration, mean billed ms, mean list price per invocation."""

    memory_mb: int
    duration_ms: float
    billed_ms: float
    cost_usd: Decimal
    error: str | None = None

    @property
    def cost_per_million_usd(self) -> Decimal:
        return self.cost_usd * 1_000_000


@dataclass
class TuningResult:
    """What :func:`tune` found; ``cheapest`` and ``fastest`` skip sizes where the function failed."""

    function: str
    architecture: str
    rows: list[TuningRow]
    cpu_ms: float  # mean CPU time per invocation, measured here
    wait_ms: float  # mean time off the CPU per invocation, measured here

    def _ok(self) -> list[TuningRow]:
        ok = [r for r in self.rows if r.error is None]
        if not ok:
            raise ValueError(f"the function failed at every memory size ({self.rows[0].error})")
        return ok

    @property
    def cheapest(self) -> TuningRow:
        return min(self._ok(), key=lambda r: (r.cost_usd, r.memory_mb))

    @property
    def fastest(self) -> TuningRow:
        # Equal durations (every size above one vCPU) go to the cheaper size.
        return min(self._ok(), key=lambda r: (round(r.duration_ms, 6), r.cost_usd, r.memory_mb))

    def summary(self) -> str:
        head = ("memory", "duration", "billed", "cost / 1M invocations", "")
        rows = [head] + [(f"{r.memory_mb:,} MB", f"{r.duration_ms:,.2f} ms", f"{r.billed_ms:,.1f} ms",
                          f"${r.cost_per_million_usd:,.2f}", r.error or "") for r in self.rows]
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        lines = ["  ".join(cell.rjust(w) if i < 4 else cell for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
                 for row in rows]
        lines.insert(1, "-" * len(lines[0]))
        try:
            cheap, fast = self.cheapest, self.fastest
            lines += ["", f"cheapest: {cheap.memory_mb:,} MB (${cheap.cost_per_million_usd:,.2f} per million)",
                      f"fastest:  {fast.memory_mb:,} MB ({fast.duration_ms:,.2f} ms)"]
        except ValueError as exc:
            lines += ["", str(exc)]
        lines.append(f"measured here: {self.cpu_ms:.3f} ms on the CPU + {self.wait_ms:.3f} ms waiting per invocation; "
                     f"CPU share modelled as memory / {MB_PER_VCPU:,} MB")
        return _Text("\n".join(lines))

    def to_dataframe(self):
        pd = _pandas()
        return pd.DataFrame([{**asdict(r), "cost_usd": float(r.cost_usd)} for r in self.rows]).set_index("memory_mb")

    def plot(self, ax=None):
        """Duration and cost per memory size, as Power Tuning draws them."""
        from .plots import plot_tuning

        return plot_tuning(self, ax=ax)


def _at_memory(fn: Function, memory: int) -> Function:
    cfg = fn.config
    handler = cfg.handler_callable or cfg.handler
    if handler is None:  # FunctionConfig allows it (container images); a Function built from Python always has one
        raise ValueError(f"function {cfg.function_name!r} has no handler to run at another memory size")
    return Function(handler, code=cfg.task_root, name=cfg.function_name, memory=memory,
                    timeout=cfg.timeout, environment=dict(cfg.environment), layers=list(cfg.layer_dirs),
                    runtime=cfg.runtime, architecture=cfg.architecture, ephemeral_storage=cfg.ephemeral_storage,
                    log_format=cfg.log_format, log_level=cfg.application_log_level)


def _measure(fn: Function, event: Any, invocations: int):
    """[(cpu_ms, wait_ms, error)] of ``invocations`` warm invocations (after one to warm up)."""
    fn.invoke(event)
    samples = []
    for _ in range(invocations):
        cpu0 = time.process_time()
        record = fn.invoke(event)
        cpu = (time.process_time() - cpu0) * 1000
        cpu = min(cpu, record.duration_ms)  # the runtime's own work around the handler is not the handler's
        error = record.error_type
        if error is None and record.max_memory_used_mb >= fn.config.memory_size:
            error = "Runtime.OutOfMemory"  # the runtime reports memory capped at the limit: it would not fit
        samples.append((cpu, record.duration_ms - cpu, error))
    return samples


def tune(fn: Function, event: Any = None, memory_sizes: Sequence[int] = DEFAULT_MEMORY_SIZES,
         invocations: int = 10, architecture: str | None = None) -> TuningResult:
    """Run ``fn`` with ``event`` at each memory size (``invocations`` warm calls each) and price every size.

    >>> from lambda_local import Function
    >>> from lambda_local.simulate import tune
    >>> busy = Function(lambda event, context: sum(i * i for i in range(20_000)), name="busy")
    >>> result = tune(busy, memory_sizes=(128, 1769, 3008), invocations=3)
    >>> result.fastest.memory_mb   # no faster above one vCPU, and 1,769 MB is cheaper than 3,008 MB
    1769
    """
    if not isinstance(fn, Function):
        if not callable(fn):
            raise TypeError("tune() needs a lambda_local.Function or a handler callable")
        fn = Function(fn)
    sizes = sorted(set(memory_sizes))
    if not sizes:
        raise ValueError("give at least one memory size")
    for m in sizes:
        if not isinstance(m, int) or not 128 <= m <= 10240:
            raise ValueError(f"memory sizes must be whole MB from 128 to 10,240 (got {m!r})")
    if not isinstance(invocations, int) or invocations < 1:
        raise ValueError("invocations must be a whole number >= 1")
    arch = architecture or fn.config.architecture
    billing._arch(arch)  # a clear error for an unknown architecture
    per_size = {}
    for memory in sizes:
        clone = _at_memory(fn, memory)
        try:
            per_size[memory] = _measure(clone, event, invocations)
        finally:
            clone.shutdown()
    # Durations come from every measurement pooled, so sizes differ only by the CPU model, not by noise here.
    pooled = [s for samples in per_size.values() for s in samples]
    timeout_ms = fn.config.timeout * 1000
    rows = []
    for memory, samples in per_size.items():
        durations = [modelled_duration_ms(cpu, wait, memory) for cpu, wait, _ in pooled]
        billed = [billing.billed_duration_ms(min(d, timeout_ms)) for d in durations]
        costs = [billing.invocation_cost(b, memory, arch, ephemeral_storage_mb=fn.config.ephemeral_storage)
                 for b in billed]
        error = next((e for _, _, e in samples if e), None)
        if error is None and max(durations) >= timeout_ms:
            error = "Sandbox.Timedout"
        rows.append(TuningRow(memory, sum(durations) / len(durations), sum(billed) / len(billed),
                              sum(costs, Decimal(0)) / len(costs), error))
    n = len(pooled)
    return TuningResult(fn.name, arch, rows, sum(s[0] for s in pooled) / n, sum(s[1] for s in pooled) / n)
