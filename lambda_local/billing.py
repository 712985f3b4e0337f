"""The one AWS Lambda price sheet and cost model of the course.

The runtime (``cost_usd`` per invocation), the traffic simulator, the pricing lesson,
its calculator widget and the grader all read prices from here, so a price changes
in one place only.

Money is ``decimal.Decimal`` throughout: AWS meters in tiny fractions of a cent and
rounds the *bill*, not each call, so rounding happens only for display (to the cent).
Nothing here touches the network.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Mapping

__all__ = [
    "PRICES", "PriceSheet", "Tier", "ArchitecturePrices", "BillLine", "Bill",
    "billed_duration_ms", "gb_seconds", "invocation_cost", "invocation_cost_usd", "async_request_units",
    "compute_tiers", "monthly_bill",
]

D = Decimal
CENT = D("0.01")
MILLION = D(1_000_000)
KIB = 1024


@dataclass(frozen=True)
class Tier:
    """A volume tier: ``rate`` per GB-s for monthly usage up to ``up_to`` GB-s (None: no cap)."""
    up_to: Decimal | None
    rate: Decimal


@dataclass(frozen=True)
class ArchitecturePrices:
    """Prices that differ between x86_64 and arm64 (all per GB-s)."""
    duration_tiers: tuple[Tier, ...]
    provisioned_configured: Decimal  # per GB-s while provisioned concurrency is configured
    provisioned_duration: Decimal  # per GB-s of invocation time on provisioned environments


@dataclass(frozen=True)
class PriceSheet:
    """Every Lambda (and API Gateway) price the course uses; see ``PRICES``."""
    request: Decimal  # per request
    architectures: Mapping[str, ArchitecturePrices]
    free_requests: int
    free_gb_seconds: Decimal
    ephemeral_storage: Decimal  # per GB-s of /tmp configured above ephemeral_free_mb
    ephemeral_free_mb: int
    provisioned_step_minutes: int
    snapstart_cache: Decimal  # per GB-s a snapshot is cached
    snapstart_cache_minimum_hours: int
    snapstart_restore: Decimal  # per GB restored
    async_first_chunk_bytes: int
    async_step_bytes: int
    api_gateway: Mapping[str, Decimal]  # per request, first volume tier


# Source: AWS Lambda pricing page (https://aws.amazon.com/lambda/pricing/), us-east-1, checked
# Nov 2026, as transcribed in /work/shared/reference/lambda-facts.md ("Prices"), which wins over
# anything else. The arm64 provisioned-concurrency rates are not in that table; they come from the
# AWS Price List API for us-east-1 (SKU MV7PTBS82AVCMXJJ "Concurrency ... for ARM" $0.0000033334 and
# SKU 3Z4YRQ6XJRDK27UP "Invocation duration during provisioned period for ARM" $0.0000077778,
# effective 1 Oct 2025), i.e. 20% below x86 like every other arm64 duration rate.
# API Gateway: first tier of https://aws.amazon.com/api-gateway/pricing/ (HTTP API first 300 M,
# REST API first 333 M a month); Function URLs cost nothing beyond the function itself.
PRICES = PriceSheet(
    request=D("0.20") / MILLION,
    architectures=MappingProxyType({
        "x86_64": ArchitecturePrices(
            duration_tiers=(
                Tier(D(6_000_000_000), D("0.0000166667")),
                Tier(D(15_000_000_000), D("0.0000150000")),  # the next 9 B
                Tier(None, D("0.0000133334")),
            ),
            provisioned_configured=D("0.0000041667"),
            provisioned_duration=D("0.0000097222"),
        ),
        "arm64": ArchitecturePrices(
            duration_tiers=(
                Tier(D(7_500_000_000), D("0.0000133334")),
                Tier(D(18_750_000_000), D("0.0000120001")),  # the next 11.25 B
                Tier(None, D("0.0000106667")),
            ),
            provisioned_configured=D("0.0000033334"),
            provisioned_duration=D("0.0000077778"),
        ),
    }),
    free_requests=1_000_000,
    free_gb_seconds=D(400_000),
    ephemeral_storage=D("0.0000000309"),
    ephemeral_free_mb=512,
    provisioned_step_minutes=5,
    snapstart_cache=D("0.0000015046"),
    snapstart_cache_minimum_hours=3,
    snapstart_restore=D("0.0001397998"),
    async_first_chunk_bytes=256 * KIB,
    async_step_bytes=64 * KIB,
    api_gateway=MappingProxyType({"http": D("1.00") / MILLION, "rest": D("3.50") / MILLION}),
)


def _dec(x: float | int | Decimal) -> Decimal:
    # str() first, so 0.1 becomes Decimal("0.1") and not 0.1000000000000000055...
    return x if isinstance(x, Decimal) else D(str(x))


def _arch(architecture: str) -> ArchitecturePrices:
    try:
        return PRICES.architectures[architecture]
    except KeyError:
        raise ValueError(f"architecture must be one of {sorted(PRICES.architectures)}, "
                         f"not {architecture!r}") from None


def billed_duration_ms(duration_ms: float, init_duration_ms: float | None = None, *,
                       bill_init: bool = True) -> int:
    """Milliseconds AWS bills for one invocation: rounded up to the next 1 ms (at least 1).

    Since 1 Aug 2025 the INIT phase of on-demand ZIP functions on managed runtimes is billed,
    so a cold start (``init_duration_ms`` given) bills ceil(duration + init). Pass
    ``bill_init=False`` for cases where INIT is not billed this way (e.g. provisioned concurrency).

    >>> billed_duration_ms(26.73), billed_duration_ms(26.73, 130.49), billed_duration_ms(26.73, 130.49, bill_init=False)
    (27, 158, 27)
    """
    if duration_ms < 0 or (init_duration_ms is not None and init_duration_ms < 0):
        raise ValueError("durations cannot be negative")
    if init_duration_ms is None or not bill_init:
        # One figure: the ceiling of a float is the ceiling of its shortest decimal form (no integer lies between a
        # float and the shortest string that reads back as it), so this is the Decimal path's answer, ~1 µs sooner.
        return max(1, math.ceil(duration_ms))
    total = _dec(duration_ms)
    if init_duration_ms is not None and bill_init:
        total += _dec(init_duration_ms)  # add as decimals: no float error at the ceiling
    return max(1, math.ceil(total))


def gb_seconds(memory_mb: int | float, billed_ms: int | float) -> Decimal:
    """GB-seconds of one invocation: memory (MB) / 1024 x billed seconds.

    >>> gb_seconds(512, 200)
    Decimal('0.1')
    """
    return _dec(memory_mb) / KIB * _dec(billed_ms) / 1000


def _ephemeral_gb(ephemeral_storage_mb: int) -> Decimal:
    # Every function gets 512 MB of /tmp free; only what is configured above it is charged.
    if not PRICES.ephemeral_free_mb <= ephemeral_storage_mb <= 10_240:
        raise ValueError("ephemeral storage must be 512 to 10,240 MB")
    return D(ephemeral_storage_mb - PRICES.ephemeral_free_mb) / KIB


def invocation_cost(billed_ms: int, memory_mb: int, architecture: str = "x86_64", *,
                    ephemeral_storage_mb: int = 512) -> Decimal:
    """List price of one request: request fee + compute at the first tier (+ extra /tmp).

    No free tier and no volume discount: this is what the runtime records as ``cost_usd``.

    >>> invocation_cost(200, 512)  # $0.0000002 + 0.1 GB-s x $0.0000166667
    Decimal('0.00000186667')
    """
    first_tier = _arch(architecture).duration_tiers[0].rate
    seconds = _dec(billed_ms) / 1000
    return (PRICES.request + gb_seconds(memory_mb, billed_ms) * first_tier
            + _ephemeral_gb(ephemeral_storage_mb) * seconds * PRICES.ephemeral_storage)


@functools.lru_cache(maxsize=4096)
def invocation_cost_usd(billed_ms: int, memory_mb: int, architecture: str = "x86_64",
                        ephemeral_storage_mb: int = 512) -> float:
    """:func:`invocation_cost` as the float a record carries (``Invocation.cost_usd``), remembered per argument set:
    warm invocations repeat a few billed durations, and the Decimal arithmetic costs more than the rest of the bill.
    Exactly the same figure (the same Decimal, converted once). (``ephemeral_storage_mb`` may be given by position:
    the warm path does, as the cache's key is quickest made of positional arguments.)"""
    return float(invocation_cost(billed_ms, memory_mb, architecture, ephemeral_storage_mb=ephemeral_storage_mb))


def async_request_units(payload_bytes: int) -> int:
    """Requests billed for one asynchronous invocation of ``payload_bytes``.

    The first 256 KB counts as one request, each further 64 KB (or part) as one more.

    >>> async_request_units(1000), async_request_units(256 * 1024 + 1), async_request_units(1024 * 1024)
    (1, 2, 13)
    """
    if payload_bytes < 0:
        raise ValueError("payload size cannot be negative")
    extra = max(0, payload_bytes - PRICES.async_first_chunk_bytes)
    return 1 + math.ceil(extra / PRICES.async_step_bytes)


def compute_tiers(total_gb_s: Decimal, architecture: str = "x86_64") -> list[tuple[Decimal, Decimal]]:
    """Split a month's on-demand GB-s over the volume tiers: ``[(gb_s, rate), ...]``.

    >>> compute_tiers(Decimal(7_000_000_000))[1]
    (Decimal('1000000000'), Decimal('0.0000150000'))
    """
    parts, floor = [], D(0)
    for tier in _arch(architecture).duration_tiers:
        top = total_gb_s if tier.up_to is None else min(total_gb_s, tier.up_to)
        if top > floor:
            parts.append((top - floor, tier.rate))
        if tier.up_to is None or total_gb_s <= tier.up_to:
            break
        floor = tier.up_to
    return parts


@dataclass(frozen=True)
class BillLine:
    """One line of a bill: ``quantity`` ``unit`` at ``rate`` per unit costs ``amount`` (exact)."""
    item: str
    quantity: Decimal
    unit: str
    rate: Decimal
    amount: Decimal


def _cents(amount: Decimal) -> Decimal:
    cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return abs(cents) if cents == 0 else cents  # a credit rounding to nothing is 0.00, not -0.00


def _money(amount: Decimal) -> str:
    cents = _cents(amount)
    return f"{'-' if cents < 0 else ''}${abs(cents):,.2f}"


def _plain(d: Decimal) -> str:
    # "0.0000002", not "2E-7": readable in JSON and still exact.
    return format(d.normalize(), "f") if d else "0"


def _quantity(q: Decimal) -> str:
    if q == q.to_integral_value():
        return f"{int(q):,}"
    return f"{q:,.3f}".rstrip("0").rstrip(".")


def _rate(rate: Decimal, unit: str) -> str:
    if unit == "requests":  # quoted per million, as AWS does
        return f"${rate * MILLION:.2f}/M"
    return f"${rate.normalize():f}"


@dataclass(frozen=True)
class Bill:
    """A month's bill. Lines are exact; ``total`` is exact; only display rounds to the cent.

    Free-tier allowances appear as their own negative lines ("Free tier: ...") right after the
    charges they offset, so learners see both the list price and what the free tier saves.
    """
    lines: tuple[BillLine, ...]
    notes: tuple[str, ...] = ()

    @property
    def total(self) -> Decimal:
        """Exact sum of the lines (never below zero: each credit is capped at its charge)."""
        return sum((line.amount for line in self.lines), D(0))

    @property
    def total_cents(self) -> int:
        """The total rounded to the cent, as a whole number of cents (what AWS would invoice)."""
        return int(_cents(self.total) * 100)

    def format(self) -> str:
        """A plain-text table, one line per item, amounts and total rounded to the cent."""
        rows = [("item", "quantity", "unit", "rate", "amount")]
        rows += [(l.item, _quantity(l.quantity), l.unit, _rate(l.rate, l.unit), _money(l.amount))
                 for l in self.lines]
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        fmt = "{:<%d}  {:>%d}  {:<%d}  {:>%d}  {:>%d}" % tuple(widths)
        out = [fmt.format(*row).rstrip() for row in rows]
        rule = "-" * len(out[0])
        out.insert(1, rule)
        out += [rule, fmt.format("Total", "", "", "", _money(self.total)).rstrip()]
        if sum(_cents(l.amount) for l in self.lines) != _cents(self.total):
            out.append("note: lines are rounded for display; the total is rounded once, from exact amounts")
        out += [f"note: {n}" for n in self.notes]
        return "\n".join(out)

    def as_dict(self) -> dict:
        """JSON-friendly form (for ``--json``): exact decimals as strings, plus cent-rounded USD."""
        return {
            "currency": "USD",
            "lines": [{"item": l.item, "quantity": _plain(l.quantity), "unit": l.unit,
                       "rate": _plain(l.rate), "amount": _plain(l.amount),
                       "amount_usd": str(_cents(l.amount))}
                      for l in self.lines],
            "total": _plain(self.total),
            "total_usd": str(_cents(self.total)),
            "total_cents": self.total_cents,
            "notes": list(self.notes),
        }


def _line(item: str, quantity: Decimal, unit: str, rate: Decimal) -> BillLine:
    return BillLine(item, quantity, unit, rate, quantity * rate)


def _provisioned_seconds(hours: float) -> Decimal:
    # Provisioned concurrency is billed from enable to disable, rounded up to 5 minutes.
    step = PRICES.provisioned_step_minutes
    return D(math.ceil(_dec(hours) * 60 / step) * step * 60)


def _split_traffic(requests: int, pc_usable_gb_s: Decimal, gb_s_per_request: Decimal,
                   cold_start_ratio: float) -> tuple[int, int, int]:
    """(served by provisioned environments, warm on-demand, cold on-demand) whole requests."""
    # Provisioned environments are already initialised, so they take traffic first, warm.
    pc = min(requests, int(pc_usable_gb_s // gb_s_per_request))
    on_demand = requests - pc
    cold = int((D(on_demand) * _dec(cold_start_ratio)).to_integral_value(ROUND_HALF_UP))
    return pc, on_demand - cold, cold


def monthly_bill(requests: int, memory_mb: int, duration_ms: float, *,
                 architecture: str = "x86_64", free_tier: bool = True,
                 ephemeral_storage_mb: int = 512, cold_start_ratio: float = 0.0,
                 init_duration_ms: float = 0.0, provisioned_concurrency: int = 0,
                 provisioned_hours: float = 730, provisioned_utilisation: float = 1.0,
                 snapstart: bool = False, snapstart_hours: float = 730,
                 api: str = "none", async_payload_bytes: int | None = None) -> Bill:
    """Estimate one function's monthly bill, line by line.

    ``duration_ms`` is the average run time per request, billed per request (ceil to 1 ms).
    ``cold_start_ratio`` of on-demand requests are cold and also bill ``init_duration_ms``
    (with ``snapstart=True`` pass the billed restore duration instead: a SnapStart cold start
    bills restore time, plus the per-GB restore fee, and the snapshot is cached for
    ``snapstart_hours``, at least 3 h).

    Provisioned concurrency: ``provisioned_concurrency`` environments configured for
    ``provisioned_hours`` (rounded up to 5 min) cost the configured rate whether busy or not.
    ``provisioned_utilisation`` is the share of that configured time spent serving requests;
    traffic goes to those warm environments first (no cold starts there) at the provisioned
    duration rate, the rest spills over to on-demand. The default 1.0 is the optimistic bound.

    Volume tiers apply to the month's on-demand GB-s; the free tier (1 M requests, 400,000 GB-s)
    covers requests and on-demand GB-s only. ``api`` is "none", "url" (Function URL, free),
    "http" or "rest". ``async_payload_bytes`` bills each request as ``async_request_units``.

    >>> print(monthly_bill(1_000_000, 256, 200, free_tier=False).total_cents)
    103
    """
    prices = _arch(architecture)
    if api not in ("none", "url", *PRICES.api_gateway):
        raise ValueError(f"api must be 'none', 'url', 'http' or 'rest', not {api!r}")
    if not 0 <= cold_start_ratio <= 1 or not 0 <= provisioned_utilisation <= 1:
        raise ValueError("cold_start_ratio and provisioned_utilisation must be within 0..1")
    if snapstart and provisioned_concurrency:
        raise ValueError("SnapStart and provisioned concurrency cannot be combined on one version")
    requests = int(requests)
    memory_gb = _dec(memory_mb) / KIB
    warm_ms = billed_duration_ms(duration_ms)
    cold_ms = billed_duration_ms(duration_ms, init_duration_ms)
    notes: list[str] = []

    pc_gb_s = D(provisioned_concurrency) * memory_gb * _provisioned_seconds(provisioned_hours)
    pc_requests, warm, cold = _split_traffic(requests, pc_gb_s * _dec(provisioned_utilisation),
                                             gb_seconds(memory_mb, warm_ms), cold_start_ratio)
    if pc_gb_s and requests:
        notes.append(f"{pc_requests:,} of {requests:,} requests served by provisioned environments")
    on_demand_gb_s = gb_seconds(memory_mb, warm_ms) * warm + gb_seconds(memory_mb, cold_ms) * cold
    billed_seconds = (D(warm_ms) * (warm + pc_requests) + D(cold_ms) * cold) / 1000

    units = async_request_units(async_payload_bytes) if async_payload_bytes is not None else 1
    request_count = D(requests * units)
    lines = [_line("Requests" if units == 1 else f"Requests (async, {units} units each)",
                   request_count, "requests", PRICES.request)]
    tiers = compute_tiers(on_demand_gb_s, architecture)
    for n, (qty, rate) in enumerate(tiers, start=1):
        lines.append(_line(f"Compute (tier {n})", qty, "GB-s", rate))
    if free_tier and request_count:
        # Credits at the price they offset, capped at usage so the bill never goes below zero.
        # The free GB-s are the month's first, so they are always at the first-tier rate.
        lines.append(_line("Free tier: requests", -min(request_count, D(PRICES.free_requests)),
                           "requests", PRICES.request))
        if on_demand_gb_s:
            lines.append(_line("Free tier: compute", -min(on_demand_gb_s, PRICES.free_gb_seconds),
                               "GB-s", prices.duration_tiers[0].rate))
    extra_gb = _ephemeral_gb(ephemeral_storage_mb)
    if extra_gb and billed_seconds:
        lines.append(_line(f"Ephemeral storage ({ephemeral_storage_mb - PRICES.ephemeral_free_mb} MB extra)",
                           extra_gb * billed_seconds, "GB-s", PRICES.ephemeral_storage))
    if pc_gb_s:
        lines.append(_line(f"Provisioned concurrency ({provisioned_concurrency} configured)",
                           pc_gb_s, "GB-s", prices.provisioned_configured))
        if pc_requests:
            lines.append(_line("Provisioned concurrency: duration",
                               gb_seconds(memory_mb, warm_ms) * pc_requests, "GB-s",
                               prices.provisioned_duration))
    if snapstart:
        cache_hours = max(_dec(snapstart_hours), D(PRICES.snapstart_cache_minimum_hours))
        lines.append(_line("SnapStart: snapshot cache", memory_gb * cache_hours * 3600, "GB-s",
                           PRICES.snapstart_cache))
        if cold:
            lines.append(_line("SnapStart: restores", memory_gb * cold, "GB", PRICES.snapstart_restore))
    if api in PRICES.api_gateway:
        lines.append(_line(f"API Gateway ({api.upper()} API)", D(requests), "requests",
                           PRICES.api_gateway[api]))
    if cold:
        notes.append(f"{cold:,} cold starts billed {cold_ms} ms, warm requests {warm_ms} ms")
    return Bill(tuple(lines), tuple(notes))
