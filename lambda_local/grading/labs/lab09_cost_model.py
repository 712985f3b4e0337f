"""Lab 09: a monthly cost model that matches the course's bill (lambda_local.billing) and picks the cheapest memory."""

from __future__ import annotations

import math

from ..checks import Failure, check, show

LAB = "09-cost-model"
TITLE = "A cost model that matches the bill"

WHOLE_MS = [(1_000_000, 256, 200), (30_000_000, 512, 200), (100_000_000, 1024, 1000), (5_000, 128, 40)]
FRACTIONAL_MS = [(2_000_000, 128, 26.73), (100_000_000, 1024, 0.4)]
FREE_TIER = [(500_000, 128, 100), (1_000_000, 128, 0.5), (3_000_000, 512, 120), (20_000_000, 1024, 300)]
# A CPU-bound job: more memory brings more CPU, so it runs faster (the shape a power-tuning run shows).
CPU_BOUND = {128: 1180.0, 256: 560.0, 512: 245.0, 1024: 130.0, 1769: 80.0, 3008: 78.0}
MEASURED_SIZES = (128, 512, 1024, 2048)
_WORKLOAD = "sorted(str(i * 7919 % 10007) for i in range(4000))"


def _model(lab):
    return lab.module("cost_model.py")


def _bill(requests, memory, duration, free_tier) -> float:
    from ...billing import monthly_bill

    return float(monthly_bill(requests, memory, duration, free_tier=free_tier).total)


def _money(value) -> str:
    return f"${value:,.6f}" if isinstance(value, (int, float)) else show(value)


def _same(got, expected) -> bool:
    return isinstance(got, (int, float)) and not isinstance(got, bool) and \
        math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-6)


def _compare(lab, workloads, free_tier: bool, hint: str):
    cost = _model(lab).monthly_cost
    for requests, memory, duration in workloads:
        expected = _bill(requests, memory, duration, free_tier)
        got = lab.call(cost, requests, memory, duration, free_tier=free_tier,
                       what=f"monthly_cost({requests}, {memory}, {duration}, free_tier={free_tier})")
        if not _same(got, expected):
            raise Failure(expected=f"{_money(expected)} for {requests:,} calls of {duration} ms at {memory} MB "
                                   f"(free tier {'on' if free_tier else 'off'}), as lambda_local.billing bills it",
                          got=f"{_money(got)} from monthly_cost", hint=hint)


def _measure(lab) -> dict[int, list]:
    """The same small function run at several memory sizes by the runtime: its warm invocations per size."""
    from ...runtime.function import Function

    def handler(event, context):
        return len(eval(_WORKLOAD))  # noqa: S307 - a fixed expression of the check's own

    measured = {}
    for memory in MEASURED_SIZES:
        function = Function(handler, name=f"sample-{memory}", memory=memory)
        measured[memory] = [function.invoke({}) for _ in range(3)][1:]
    return measured


@check("prices requests and compute as AWS does", points=3)
def prices_like_aws(lab):
    _compare(lab, WHOLE_MS, False, "Requests cost $0.20 per million. Compute costs PRICE_PER_GB_SECOND for every "
                                   "GB-second: memory_mb / 1024 GB times the billed seconds of each call, for all "
                                   "the calls. Do not round: the bill is compared to a millionth of a dollar.")


@check("bills each call in whole milliseconds, rounded up", points=3)
def rounds_up(lab):
    hint = "Lambda bills every call in whole milliseconds, rounded up: 26.73 ms bills 27 ms, 0.4 ms bills 1 ms."
    _compare(lab, FRACTIONAL_MS, False, hint)
    cost = _model(lab).monthly_cost
    for memory, records in _measure(lab).items():
        for record in records:
            got = lab.call(cost, 1, memory, record.duration_ms, free_tier=False, what="monthly_cost(1, ...)")
            if not _same(got, record.cost_usd):
                return Failure(expected=f"{_money(record.cost_usd)} for one call of {record.duration_ms:.3f} ms at "
                                        f"{memory} MB, as the runtime billed it ({record.billed_duration_ms} ms)",
                               got=f"{_money(got)} from monthly_cost(1, {memory}, {record.duration_ms:.3f}, "
                                   "free_tier=False)", hint=hint)


@check("applies the monthly free tier", points=2)
def free_tier(lab):
    _compare(lab, FREE_TIER, True, "Each month the first 1,000,000 requests and 400,000 GB-seconds are free: "
                                   "subtract them from what was used, never going below zero.")


@check("picks the cheapest memory size for a workload", points=4)
def cheapest(lab):
    pick = _model(lab).cheapest_memory
    measured = {memory: sum(r.duration_ms for r in records) / len(records)
                for memory, records in _measure(lab).items()}
    for label, durations, requests in (("a CPU-bound job", CPU_BOUND, 10_000_000),
                                       ("a function measured with the runtime", measured, 50_000_000)):
        costs = {memory: _bill(requests, memory, duration, False) for memory, duration in durations.items()}
        best = min(costs.values())
        answer = lab.call(pick, dict(durations), requests, what="cheapest_memory(durations_ms, requests)")
        if answer not in costs or not math.isclose(costs[answer], best, rel_tol=1e-9):
            table = ", ".join(f"{m} MB {d:g} ms" for m, d in durations.items())
            right = [m for m, c in costs.items() if math.isclose(c, best, rel_tol=1e-9)]
            return Failure(expected=f"{' or '.join(map(str, right))} MB (${best:,.2f} a month) for {label} at "
                                    f"{requests:,} calls a month ({table})",
                           got=f"cheapest_memory returned {answer!r}"
                               + (f" (${costs[answer]:,.2f} a month)" if answer in costs else ""),
                           hint="Price every memory size with monthly_cost(..., free_tier=False) and return the "
                                "size that costs least. More memory costs more per ms but can finish sooner.")
