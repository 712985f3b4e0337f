"""Lesson 08, limits (`notebooks/08_limits.ipynb`): estimate concurrency; reserve concurrency so one function
is never throttled and another is capped, checked with the course's traffic simulator and Lambda's rules."""

from __future__ import annotations

from .. import quotas
from ..runtime import Function
from ..simulate import Burst, ConstantRate, Workload, simulate
from ._core import exercise, right, wrong
from ._run import show

LESSON = "limits"

_RATE, _SECONDS = 200, 0.3


@exercise("08.1", "How many environments does it keep busy?",
          hint="concurrency ≈ requests per second × seconds per request (300 ms is 0.3 s)",
          right_sample=60, wrong_sample=200 * 300,
          solution="busy_environments = 200 * 0.3   # 60: requests per second × seconds per request")
def estimate_concurrency(answer):
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        yield wrong(f"give a number of environments, not {show(answer)}")
        return
    expected = _RATE * _SECONDS
    simulated = simulate(Function(lambda event, context: None, name="api"), ConstantRate(_RATE, duration=10),
                         duration_ms=_SECONDS * 1000).peak_concurrency
    if abs(answer - expected) <= 1:
        yield right(f"about {expected:g} requests in flight on average")
        yield right(f"the simulator's peak with this traffic: {simulated}, more than the average (the first requests "
                    "wait for INIT, so they stay in flight longer): leave headroom when you reserve")
    else:
        yield wrong(f"{answer:g} is far from what {_RATE} requests a second of {_SECONDS * 1000:g} ms keep in flight "
                    f"(the simulator's peak was {simulated})")


_CAP = 300  # what the export's database can take at once
_MOST_RESERVED = quotas.ACCOUNT_CONCURRENCY - quotas.UNRESERVED_CONCURRENCY_MIN


@exercise("08.2", "Reserve concurrency: protect checkout, cap the export",
          hint="checkout needs about 50 × 0.2 = 10 at once: reserve a margin above that; the export's reserved "
               f"concurrency is also its cap, so reserve {_CAP} for it; together at most {_MOST_RESERVED}",
          right_sample={"checkout": 50, "report-export": _CAP}, wrong_sample={"checkout": 10, "report-export": 950},
          solution=f'reserved = {{"checkout": 50, "report-export": {_CAP}}}   # 50 is a margin above the 10 checkout '
                   f"needs; {_CAP} caps the export; together {50 + _CAP}, leaving {_MOST_RESERVED + 100 - 50 - _CAP} "
                   "unreserved")
def reserve(answer):
    names = ("checkout", "report-export")
    if not isinstance(answer, dict) or set(answer) != set(names) \
            or not all(isinstance(answer[n], int) and not isinstance(answer[n], bool) for n in names):
        yield wrong(f'give {{"checkout": N, "report-export": M}}, whole numbers; got {show(answer)}')
        return
    total = answer["checkout"] + answer["report-export"]
    if total > _MOST_RESERVED or min(answer.values()) < 0:
        yield wrong(f"AWS refuses to reserve {total:,} of {quotas.ACCOUNT_CONCURRENCY:,}: at least "
                    f"{quotas.UNRESERVED_CONCURRENCY_MIN} must stay unreserved for the account's other functions")
        return
    yield right(f"AWS accepts it: {quotas.ACCOUNT_CONCURRENCY - total:,} stay unreserved")
    result = simulate([
        Workload(Function(lambda event, context: None, name="checkout"), ConstantRate(50, duration=30),
                 duration_ms=200, reserved_concurrency=answer["checkout"]),
        Workload(Function(lambda event, context: None, name="report-export"), Burst(6000, at=10, over=5),
                 duration_ms=2000, reserved_concurrency=answer["report-export"]),
    ])
    checkout, export = result.functions["checkout"], result.functions["report-export"]
    if checkout.throttles == 0:
        yield right(f"checkout: {checkout.requests:,} requests, none throttled (at most {checkout.peak_concurrency} "
                    "at once)")
    else:
        yield wrong(f"checkout: {checkout.throttles:,} of {checkout.requests:,} requests throttled; it reached "
                    f"{checkout.peak_concurrency} at once")
    if export.invocations == 0:
        yield wrong("report-export never ran: reserved concurrency 0 throttles every request")
    elif export.peak_concurrency <= _CAP:
        yield right(f"report-export: at most {export.peak_concurrency} at once, within the database's {_CAP}")
    else:
        yield wrong(f"report-export: {export.peak_concurrency:,} at once; the database takes {_CAP}")


EXERCISES = [estimate_concurrency, reserve]
