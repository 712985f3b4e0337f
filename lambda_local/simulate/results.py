"""What a simulation returns: totals per function, a per-second timeline, latency percentiles, the bill, and
(when asked for) one row per request. Plain Python; ``to_dataframe()`` converts when pandas is installed."""

from __future__ import annotations

import math
from array import array
from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from .. import billing
from ..coldstart import ColdStart
from .plots import PERCENTILES, plot_concurrency, plot_cost, plot_latency

__all__ = ["RequestRecord", "Timeline", "FunctionResult", "SimulationResult"]

HOURS_PER_MONTH = 730  # the month billing.monthly_bill assumes for provisioned concurrency


class _Text(str):
    """A string that shows as itself in a notebook (no quotes, real line breaks)."""

    def __repr__(self) -> str:
        return str(self)


class Histogram:
    """Latencies in buckets 1% wide: percentiles to within 1% in constant memory, however many requests."""

    _K = 1 / math.log1p(0.01)
    _FLOOR_MS = 0.001
    PENDING_MAX = 4096  # distinct values counted before they are folded into buckets

    def __init__(self):
        self._buckets: Counter = Counter()
        self._count = 0
        self._total = 0.0
        self._max = 0.0
        self._min = math.inf
        # Values added since the last read, counted as they are: a simulation replays a few measured durations
        # millions of times, so adding one is one counter increment, and the bucketing (a logarithm), the sum and
        # the extremes are done once per distinct value when a figure is read (bounded: a continuous model folds
        # every 4,096 distinct values, keeping memory flat).
        self._pending: Counter = Counter()

    def add(self, value_ms: float, times: int = 1) -> None:
        pending = self._pending
        pending[value_ms] += times
        if len(pending) > self.PENDING_MAX:
            self._fold()

    def _fold(self) -> None:
        pending = self._pending
        if not pending:
            return
        log, floor, k, buckets = math.log, self._FLOOR_MS, self._K, self._buckets
        # (value * times: the sum within a rounding error of adding them one by one; figures print rounded)
        for value, times in pending.items():
            buckets[int(log(max(value, floor)) * k)] += times
            self._count += times
            self._total += value * times
            if value > self._max:
                self._max = value
            if value < self._min:
                self._min = value
        pending.clear()

    @property
    def buckets(self) -> Counter:
        self._fold()
        return self._buckets

    @property
    def count(self) -> int:
        self._fold()
        return self._count

    @property
    def total(self) -> float:
        self._fold()
        return self._total

    @property
    def max(self) -> float:
        self._fold()
        return self._max

    @property
    def min(self) -> float:
        self._fold()
        return self._min

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else float("nan")

    def percentile(self, p: float) -> float:
        """The ``p``-th percentile (0-100), nan when empty."""
        if not self.count:
            return float("nan")
        rank, seen = max(1, math.ceil(self.count * p / 100)), 0
        for key in sorted(self.buckets):
            seen += self.buckets[key]
            if seen >= rank:
                return min(max(math.exp((key + 0.5) / self._K), self.min), self.max)
        return self.max


@dataclass(slots=True)
class RequestRecord:
    """One invoke attempt (an async event retried after a throttle or an error has one row per attempt).

    Times are seconds from the start of the simulation; ``start``/``end`` are None for a throttled attempt.
    """

    function: str
    request: int
    attempt: int
    invocation_type: str
    arrival: float
    start: float | None
    end: float | None
    environment: int | None
    cold_start: bool
    provisioned: bool
    throttled: bool
    throttle_reason: str | None
    error: str | None
    init_ms: float | None
    duration_ms: float
    billed_ms: int
    cost_usd: float


class Timeline:
    """Per-interval figures (``interval`` seconds each, 1 by default), one list-like column per name.

    ``concurrency`` is the most requests in flight at once during the interval, ``environments`` the execution
    environments alive at its end (provisioned ones included).
    """

    COLUMNS = ("requests", "invocations", "cold_starts", "throttles", "errors", "concurrency", "environments")
    # One signed 64-bit counter per interval; set from COLUMNS in __init__, declared here for the type checker.
    requests: array[int]
    invocations: array[int]
    cold_starts: array[int]
    throttles: array[int]
    errors: array[int]
    concurrency: array[int]
    environments: array[int]

    def __init__(self, interval: float):
        self.interval = interval
        for name in self.COLUMNS:
            setattr(self, name, array("q"))

    def __len__(self) -> int:
        return len(self.requests)

    @property
    def time(self) -> list[float]:
        """Start of each interval, in seconds from the start of the simulation."""
        return [i * self.interval for i in range(len(self))]

    def rows(self) -> list[dict[str, float]]:
        columns = [getattr(self, name) for name in self.COLUMNS]
        return [{"time": i * self.interval, **dict(zip(self.COLUMNS, values))}
                for i, values in enumerate(zip(*columns))]

    def to_dataframe(self):
        """A pandas DataFrame indexed by ``time`` (needs pandas)."""
        pd = _pandas()
        frame = pd.DataFrame({name: list(getattr(self, name)) for name in self.COLUMNS})
        frame.index = pd.Index(self.time, name="time")
        return frame

    @classmethod
    def total(cls, timelines: list["Timeline"], concurrency) -> "Timeline":
        out = cls(timelines[0].interval)
        length = max(len(t) for t in timelines)
        for name in cls.COLUMNS:
            column = getattr(out, name)
            if name == "concurrency":
                column.extend(concurrency)
                continue
            for i in range(length):
                column.append(sum(getattr(t, name)[i] for t in timelines if i < len(t)))
        return out


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError("to_dataframe() needs pandas, which is not installed: pip install pandas "
                          "(everything else works without it)") from None
    return pandas


@dataclass(repr=False)
class FunctionResult:
    """Everything the simulation counted for one function."""

    name: str
    memory_mb: int
    architecture: str
    runtime: str
    ephemeral_storage_mb: int
    invocation_type: str
    reserved_concurrency: int | None
    provisioned_concurrency: int
    requests: int = 0  # invoke attempts, async retries included
    invocations: int = 0  # attempts that ran (billed)
    cold_starts: int = 0
    provisioned_invocations: int = 0
    throttles: int = 0
    throttle_reasons: Counter = field(default_factory=Counter)
    errors: int = 0
    error_types: Counter = field(default_factory=Counter)
    retries: int = 0  # async re-attempts after a throttle or a function error
    dropped: int = 0  # async events thrown away after the maximum event age (throttled for too long)
    failed: int = 0  # async events that failed on every attempt (would go to a DLQ or on-failure destination)
    environments_created: int = 0
    environments_expired: int = 0
    environments_discarded: int = 0  # after a timeout or a crash
    peak_concurrency: int = 0
    cold_start_model: ColdStart | None = None  # the modelled platform part + the mean measured INIT
    latency: Histogram = field(default_factory=Histogram)  # init + duration of every invocation (ms)
    latency_warm: Histogram = field(default_factory=Histogram)  # warm invocations only
    async_delay: Histogram = field(default_factory=Histogram)  # first arrival -> start, async events (ms)
    init: Histogram = field(default_factory=Histogram)  # Init Duration of cold starts (ms)
    duration: Histogram = field(default_factory=Histogram)  # Duration of every invocation (ms)
    billed_warm: Counter = field(default_factory=Counter)  # billed ms -> count, on-demand warm
    billed_cold: Counter = field(default_factory=Counter)  # (billed with init, without) -> count
    billed_provisioned: Counter = field(default_factory=Counter)
    provisioned_busy_s: float = 0.0
    measured_cold: int = 0  # invocations the real handler ran for (see engine docs)
    measured_warm: int = 0
    timeline: Timeline | None = None

    def __repr__(self) -> str:
        return (f"<FunctionResult {self.name}: requests {self.requests:,}, invocations {self.invocations:,}, "
                f"cold starts {self.cold_starts:,}, throttles {self.throttles:,}, errors {self.errors:,}>")

    def bill(self, span_s: float) -> billing.Bill:
        """The list-price bill of this function for the simulated ``span_s`` seconds (no free tier, no tiers)."""
        prices = billing.PRICES
        arch = prices.architectures[self.architecture]
        gb = lambda ms: billing.gb_seconds(self.memory_mb, ms)  # noqa: E731
        warm_gb_s = sum((gb(ms) * n for ms, n in self.billed_warm.items()), Decimal(0))
        cold_gb_s = sum((gb(without) * n for (_, without), n in self.billed_cold.items()), Decimal(0))
        init_gb_s = sum((gb(with_init - without) * n for (with_init, without), n in self.billed_cold.items()),
                        Decimal(0))
        pc_gb_s = sum((gb(ms) * n for ms, n in self.billed_provisioned.items()), Decimal(0))
        rate = arch.duration_tiers[0].rate
        lines = [billing.BillLine("Requests", Decimal(self.invocations), "requests", prices.request,
                                  prices.request * self.invocations),
                 _line("Compute: duration", warm_gb_s + cold_gb_s, rate),
                 _line("Compute: cold-start INIT", init_gb_s, rate)]
        if self.ephemeral_storage_mb > prices.ephemeral_free_mb:
            billed_s = (sum((Decimal(ms) * n for ms, n in self.billed_warm.items()), Decimal(0))
                        + sum((Decimal(w) * n for (w, _), n in self.billed_cold.items()), Decimal(0))
                        + sum((Decimal(ms) * n for ms, n in self.billed_provisioned.items()), Decimal(0))) / 1000
            extra_gb = Decimal(self.ephemeral_storage_mb - prices.ephemeral_free_mb) / 1024
            lines.append(_line("Ephemeral storage", extra_gb * billed_s, prices.ephemeral_storage))
        if self.provisioned_concurrency:
            step = prices.provisioned_step_minutes * 60
            seconds = Decimal(max(1, math.ceil(span_s / step)) * step)
            configured = Decimal(self.provisioned_concurrency) * Decimal(self.memory_mb) / 1024 * seconds
            lines.append(_line(f"Provisioned concurrency ({self.provisioned_concurrency} configured)",
                               configured, arch.provisioned_configured))
            lines.append(_line("Provisioned concurrency: duration", pc_gb_s, arch.provisioned_duration))
        return billing.Bill(tuple(lines), ("list price for the simulated time: no free tier, no volume tiers",))

    def monthly_bill(self, span_s: float, *, free_tier: bool = True) -> billing.Bill:
        """This traffic kept up for a month (730 h), priced by ``billing.monthly_bill`` with the measured
        averages: duration, cold-start ratio and Init Duration, provisioned-concurrency utilisation."""
        if span_s <= 0:
            raise ValueError("nothing was simulated")
        scale = HOURS_PER_MONTH * 3600 / span_s
        on_demand = self.invocations - self.provisioned_invocations
        utilisation = (self.provisioned_busy_s / (self.provisioned_concurrency * span_s)
                       if self.provisioned_concurrency else 1.0)
        return billing.monthly_bill(
            round(self.invocations * scale), self.memory_mb,
            self.duration.mean if self.invocations else 0.0,
            architecture=self.architecture, free_tier=free_tier, ephemeral_storage_mb=self.ephemeral_storage_mb,
            cold_start_ratio=self.cold_starts / on_demand if on_demand else 0.0,
            init_duration_ms=self.init.mean if self.cold_starts else 0.0,
            provisioned_concurrency=self.provisioned_concurrency,
            provisioned_utilisation=min(1.0, utilisation))


def _line(item: str, quantity: Decimal, rate: Decimal) -> billing.BillLine:
    return billing.BillLine(item, quantity, "GB-s", rate, quantity * rate)


def _ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


@dataclass
class SimulationResult:
    """The outcome of :func:`lambda_local.simulate.simulate`.

    ``functions`` maps each function's name to its :class:`FunctionResult`; ``timeline`` holds the per-second
    figures of all functions together; ``requests`` one :class:`RequestRecord` per attempt when
    ``keep_requests=True`` was passed (None otherwise, so memory stays flat).
    """

    functions: dict[str, FunctionResult]
    timeline: Timeline
    span_s: float  # simulated seconds, from 0 to the last event
    traffic_s: float  # seconds of arrivals (the simulation's duration), what monthly figures scale from
    concurrency_limit: int
    idle_timeout_s: float
    records: list[RequestRecord] | None = None
    wall_time_s: float = 0.0

    def _total(self, name: str) -> int:
        return sum(getattr(fn, name) for fn in self.functions.values())

    @property
    def requests(self) -> int:
        """Invoke attempts over every function (async retries included)."""
        return self._total("requests")

    @property
    def invocations(self) -> int:
        """Attempts that ran (and were billed)."""
        return self._total("invocations")

    @property
    def cold_starts(self) -> int:
        return self._total("cold_starts")

    @property
    def throttles(self) -> int:
        return self._total("throttles")

    @property
    def errors(self) -> int:
        return self._total("errors")

    @property
    def environments_created(self) -> int:
        return self._total("environments_created")

    @property
    def peak_concurrency(self) -> int:
        """The most requests in flight at once, over the whole account."""
        return max(self.timeline.concurrency, default=0)

    @property
    def function(self) -> FunctionResult:
        """The only function's result (an error when several were simulated)."""
        if len(self.functions) != 1:
            raise ValueError("several functions were simulated: use result.functions[name] "
                             f"({', '.join(self.functions)})")
        return next(iter(self.functions.values()))

    # --- money --------------------------------------------------------------------------------------------------
    def bill(self) -> billing.Bill:
        """List price of everything simulated, line by line (each function's lines, prefixed with its name
        when there are several)."""
        lines: list[billing.BillLine] = []
        notes: tuple[str, ...] = ()
        for name, fn in self.functions.items():
            bill = fn.bill(self.span_s)
            notes = bill.notes
            prefix = f"{name}: " if len(self.functions) > 1 else ""
            lines += [billing.BillLine(prefix + l.item, l.quantity, l.unit, l.rate, l.amount) for l in bill.lines]
        return billing.Bill(tuple(lines), notes)

    @property
    def cost_usd(self) -> Decimal:
        """Exact list price of the simulated traffic."""
        return self.bill().total

    def monthly_bill(self, *, free_tier: bool = True) -> billing.Bill:
        """This traffic kept up for a whole month (730 h), as ``billing.monthly_bill`` prices it (one function).

        The simulated arrivals are scaled from their duration to a month, with the measured averages (Duration,
        cold-start ratio, Init Duration, provisioned utilisation). A short simulation's cold starts include its
        ramp-up from zero environments, so the month's cold starts are an upper bound.
        """
        return self.function.monthly_bill(self.traffic_s or self.span_s, free_tier=free_tier)

    # --- text ---------------------------------------------------------------------------------------------------
    def summary(self) -> str:
        """A short plain-text report: counts, latency percentiles, cold starts part by part, cost."""
        out = [f"Simulated {self.span_s:,.1f} s of traffic (account concurrency {self.concurrency_limit:,}, "
               f"idle timeout {self.idle_timeout_s:g} s)"]
        for fn in self.functions.values():
            out += [""] + _function_summary(fn)
        out += ["", f"Cost (list price, simulated time): ${self.cost_usd:,.6f}"]
        return _Text("\n".join(out))

    def __repr__(self) -> str:
        counts = ", ".join(f"{k} {getattr(self, k):,}" for k in ("requests", "invocations", "cold_starts", "throttles"))
        return f"<SimulationResult {len(self.functions)} function(s), {self.span_s:,.1f} s: {counts}>"

    def to_dict(self) -> dict:
        """A JSON-friendly summary (for ``lambda-local simulate --json``)."""
        out: dict[str, Any] = {"span_s": self.span_s, "concurrency_limit": self.concurrency_limit,
               "idle_timeout_s": self.idle_timeout_s, "functions": {}, "bill": self.bill().as_dict()}
        for name, fn in self.functions.items():
            out["functions"][name] = {
                "requests": fn.requests, "invocations": fn.invocations, "cold_starts": fn.cold_starts,
                "provisioned_invocations": fn.provisioned_invocations, "throttles": fn.throttles,
                "throttle_reasons": dict(fn.throttle_reasons), "errors": fn.errors,
                "error_types": dict(fn.error_types), "retries": fn.retries, "dropped": fn.dropped,
                "failed": fn.failed, "environments_created": fn.environments_created,
                "environments_expired": fn.environments_expired, "peak_concurrency": fn.peak_concurrency,
                "latency_ms": _percentiles(fn.latency), "latency_warm_ms": _percentiles(fn.latency_warm),
                "cold_start_ms": _cold_start_dict(fn.cold_start_model),
                "measured": {"cold": fn.measured_cold, "warm": fn.measured_warm},
            }
        return out

    # --- data frames and plots ----------------------------------------------------------------------------------
    def to_dataframe(self, what: str = "timeline"):
        """``"timeline"`` (per second, all functions) or ``"requests"`` (needs keep_requests=True), as pandas."""
        if what == "timeline":
            return self.timeline.to_dataframe()
        if what == "requests":
            if self.records is None:
                raise ValueError("no per-request rows were kept: simulate(..., keep_requests=True)")
            pd = _pandas()
            return pd.DataFrame([asdict(r) for r in self.records])
        raise ValueError("what must be 'timeline' or 'requests'")

    def plot_concurrency(self, ax=None):
        """Concurrency, live environments, cold starts and throttles over time."""
        return plot_concurrency(self, ax=ax)

    def plot_latency(self, ax=None):
        """Latency percentiles with and without cold starts."""
        return plot_latency(self, ax=ax)

    def plot_cost(self, ax=None):
        """The bill of the simulated traffic, line by line."""
        return plot_cost(self, ax=ax)



def _cold_start_dict(model: ColdStart | None) -> dict | None:
    if model is None:
        return None
    return {**asdict(model), "platform_ms": model.platform_ms, "init_duration_ms": model.init_duration_ms}


def _percentiles(hist: Histogram) -> dict[str, float | None]:
    return {f"p{p:g}": (None if not hist.count else round(hist.percentile(p), 3)) for p in PERCENTILES}


def _function_summary(fn: FunctionResult) -> list[str]:
    limits = []
    if fn.reserved_concurrency is not None:
        limits.append(f"reserved {fn.reserved_concurrency}")
    if fn.provisioned_concurrency:
        limits.append(f"provisioned {fn.provisioned_concurrency}")
    head = (f"{fn.name} ({fn.memory_mb} MB, {fn.architecture}, {fn.invocation_type}"
            + (", " + ", ".join(limits) if limits else "") + ")")
    out = [head, "-" * len(head)]
    rows = [("requests", f"{fn.requests:,}"),
            ("invocations", f"{fn.invocations:,}"
             + (f" ({fn.provisioned_invocations:,} on provisioned environments)"
                if fn.provisioned_concurrency else "")),
            ("cold starts", f"{fn.cold_starts:,}"
             + (f" ({fn.cold_starts / fn.invocations:.2%} of invocations)" if fn.invocations else "")),
            ("throttles", f"{fn.throttles:,}" + (" (" + ", ".join(f"{r} {n:,}" for r, n in
                                                                  sorted(fn.throttle_reasons.items())) + ")"
                                                  if fn.throttles else "")),
            ("errors", f"{fn.errors:,}" + (" (" + ", ".join(f"{t} {n:,}" for t, n in
                                                            sorted(fn.error_types.items())) + ")"
                                            if fn.errors else ""))]
    if fn.invocation_type == "Event":
        rows.append(("async", f"{fn.retries:,} retries, {fn.dropped:,} dropped (too old), "
                              f"{fn.failed:,} failed every attempt"))
        if fn.async_delay.count:
            rows.append(("queue delay", "  ".join(f"p{p:g} {_ms(fn.async_delay.percentile(p))}"
                                                  for p in PERCENTILES) + f"  max {_ms(fn.async_delay.max)}"))
    rows += [("environments", f"{fn.environments_created:,} created, {fn.environments_expired:,} expired idle"
              + (f", {fn.environments_discarded:,} discarded" if fn.environments_discarded else "")),
             ("peak concurrency", f"{fn.peak_concurrency:,}")]
    if fn.latency.count:
        rows.append(("latency", "  ".join(f"p{p:g} {_ms(fn.latency.percentile(p))}" for p in PERCENTILES)))
        rows.append(("  warm only", "  ".join(f"p{p:g} {_ms(fn.latency_warm.percentile(p))}" for p in PERCENTILES)))
    if fn.cold_start_model is not None:
        rows.append(("cold start", str(fn.cold_start_model)))
    rows.append(("measured", f"the real handler ran {fn.measured_cold:,} cold and {fn.measured_warm:,} warm; "
                             "the other invocations reuse those measurements"))
    width = max(len(k) for k, _ in rows)
    return out + [f"{k:<{width}}  {v}" for k, v in rows]
