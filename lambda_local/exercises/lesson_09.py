"""Lesson 09, pricing (`notebooks/09_pricing.ipynb`): a monthly bill from the price sheet; what billed INIT
adds; both compared with ``billing.monthly_bill``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ..billing import PRICES, monthly_bill
from ._core import exercise, right, wrong
from ._run import show

LESSON = "pricing"


def _dollars(answer: Any) -> Decimal | None:
    if isinstance(answer, bool) or not isinstance(answer, (int, float, Decimal)):
        return None
    try:
        return Decimal(str(answer))
    except InvalidOperation:
        return None


def _close(answer: Decimal, expected: Decimal) -> bool:
    return abs(answer - expected) < Decimal("0.01")


_CALLS, _MEMORY, _MS = 20_000_000, 1024, 150


@exercise("09.1", "A month of 20 million calls",
          hint="requests: calls × $0.20 per million; compute: calls × memory in GB × billed seconds × the price per "
               "GB-second (PRICES.architectures['x86_64'].duration_tiers[0].rate); the bill is both",
          right_sample=54.0, wrong_sample=4.0,
          solution='''
              requests = 20_000_000 * PRICES.request                      # $4.00
              gb_s = 20_000_000 * (1024 / 1024) * 0.150                   # 3,000,000 GB-seconds
              compute = Decimal(gb_s) * PRICES.architectures["x86_64"].duration_tiers[0].rate   # $50.00
              monthly_cost = requests + compute                           # $54.00
              # the same from the course's calculator: monthly_bill(20_000_000, 1024, 150, free_tier=False)''')
def monthly_cost(answer):
    dollars = _dollars(answer)
    if dollars is None:
        yield wrong(f"give the month's cost in dollars, as a number; got {show(answer)}")
        return
    bill = monthly_bill(_CALLS, _MEMORY, _MS, free_tier=False)
    requests = next(line.amount for line in bill.lines if line.item == "Requests")
    compute = bill.total - requests
    if _close(dollars, bill.total):
        yield right(f"${bill.total:,.2f}: requests ${requests:,.2f} + compute ${compute:,.2f}")
    elif _close(dollars, requests):
        yield wrong(f"${dollars:,.2f} is only the request fee: the compute (GB-seconds) is missing")
    elif _close(dollars, compute):
        yield wrong(f"${dollars:,.2f} is only the compute: the request fee ($0.20 per million) is missing")
    else:
        yield wrong(f"${dollars:,.2f} is not what {_CALLS:,} calls of {_MEMORY} MB and {_MS} ms cost on x86_64 "
                    "without the free tier")


_INIT = dict(cold_start_ratio=0.01, init_duration_ms=600)


@exercise("09.2", "What billed INIT adds",
          hint="since August 2025 a cold start bills its INIT: cold calls (1% of 10 M) × 0.6 s × 0.5 GB, "
               "at the price per GB-second",
          right_sample=0.5, wrong_sample=0,
          solution='''
              cold_calls = 10_000_000 * 0.01                              # 100,000 cold starts
              init_gb_s = cold_calls * 0.600 * (512 / 1024)               # 30,000 GB-seconds
              init_cost = Decimal(init_gb_s) * PRICES.architectures["x86_64"].duration_tiers[0].rate   # $0.50
              # or: monthly_bill(10_000_000, 512, 50, cold_start_ratio=0.01, init_duration_ms=600, free_tier=False)
              #     minus monthly_bill(10_000_000, 512, 50, free_tier=False)''')
def init_cost(answer):
    dollars = _dollars(answer)
    if dollars is None:
        yield wrong(f"give the extra cost in dollars, as a number; got {show(answer)}")
        return
    plain = monthly_bill(10_000_000, 512, 50, free_tier=False).total
    extra = monthly_bill(10_000_000, 512, 50, free_tier=False, **_INIT).total - plain
    if _close(dollars, extra):
        yield right(f"${extra:,.2f} a month more: ${plain + extra:,.2f} instead of ${plain:,.2f}")
    elif dollars == 0:
        yield wrong("$0 was right until August 2025; now a cold start's INIT is billed with its first request")
    else:
        yield wrong(f"${dollars:,.2f} is not what 100,000 INITs of 600 ms at 512 MB add "
                    f"(at ${PRICES.architectures['x86_64'].duration_tiers[0].rate} per GB-second)")


EXERCISES = [monthly_cost, init_cost]
