"""The virtual clock: what Lambda leaves to time (idle expiry, retries, schedules, visibility timeouts) waits for it.

Real time never moves it; only :meth:`VirtualClock.advance` does, so a lesson can "wait an hour" in a millisecond
and every run of a notebook sees the same timestamps.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

__all__ = ["VirtualClock"]


@dataclass(order=True)
class _Timer:
    when: float
    seq: int
    callback: Callable[[], object] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


def _to_epoch(start: datetime | str | float | None) -> float:
    if start is None:
        # Whole milliseconds, so log timestamps and event times agree with each other.
        return round(datetime.now(timezone.utc).timestamp(), 3)
    if isinstance(start, (int, float)):
        return float(start)
    if isinstance(start, str):
        start = datetime.fromisoformat(start.replace("Z", "+00:00"))
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    return start.timestamp()


class VirtualClock:
    """A clock that only moves when told to, with callbacks scheduled on it.

    >>> clock = VirtualClock("2026-01-01T00:00:00Z")
    >>> fired = []
    >>> _ = clock.call_later(90, lambda: fired.append(clock.now()))
    >>> clock.advance(minutes=2)
    1
    >>> fired[0].isoformat()
    '2026-01-01T00:01:30+00:00'
    """

    def __init__(self, start: datetime | str | float | None = None):
        self._now = self._start = _to_epoch(start)
        self._timers: list[_Timer] = []
        self._seq = itertools.count()

    def time(self) -> float:
        """Seconds since the epoch, like :func:`time.time`."""
        return self._now

    def advanced(self) -> float:
        """How many seconds ``advance()`` has moved the clock since it started. What moto stamps with the machine's
        clock (a Cognito token's ``exp``) ages by this much plus the real time that passed."""
        return self._now - self._start

    def now(self) -> datetime:
        """The current virtual time as an aware UTC datetime."""
        return datetime.fromtimestamp(self._now, timezone.utc)

    def call_at(self, when: float, callback: Callable[[], object]) -> _Timer:
        """Run ``callback`` when the clock reaches ``when`` (epoch seconds); returns a handle with ``cancel()``."""
        timer = _Timer(max(when, self._now), next(self._seq), callback)
        heapq.heappush(self._timers, timer)
        return timer

    def call_later(self, delay: float, callback: Callable[[], object]) -> _Timer:
        return self.call_at(self._now + delay, callback)

    def run_due(self) -> int:
        """Run the callbacks due now (e.g. ones scheduled with no delay); returns how many ran."""
        return self._run_until(self._now)

    def advance(self, seconds: float = 0, minutes: float = 0, hours: float = 0) -> int:
        """Move time forward, running every callback that falls due on the way, in order.

        Returns the number of callbacks that ran.
        """
        delta = timedelta(seconds=seconds, minutes=minutes, hours=hours).total_seconds()
        if delta < 0:
            raise ValueError("the clock only moves forward")
        ran = self._run_until(self._now + delta)
        return ran

    def _run_until(self, target: float) -> int:
        ran = 0
        while self._timers and self._timers[0].when <= target:
            timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self._now = max(self._now, timer.when)
            timer.callback()
            ran += 1
        self._now = max(self._now, target)
        return ran

    @property
    def pending(self) -> int:
        """How many callbacks are waiting."""
        return sum(not t.cancelled for t in self._timers)
