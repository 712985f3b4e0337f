"""Arrival patterns: when requests reach a function, in seconds from the start of a simulation.

Every pattern is deterministic unless asked otherwise (``ConstantRate(..., poisson=True, seed=...)``), so a
lesson's numbers are the same on every run. Patterns combine with ``+``::

    arrivals = ConstantRate(20, duration=600) + Burst(2000, at=300)
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator, Sequence

__all__ = ["Arrivals", "ConstantRate", "Burst", "DailyCurve", "Timestamps"]

DAY_S = 86_400.0


class Arrivals:
    """Base class of arrival patterns: ``times(horizon)`` yields sorted arrival times (seconds) before ``horizon``."""

    def times(self, horizon: float = math.inf) -> Iterator[float]:
        raise NotImplementedError

    @property
    def end(self) -> float | None:
        """When the pattern stops (seconds), or None when it goes on for ever."""
        raise NotImplementedError

    def __add__(self, other: "Arrivals") -> "Arrivals":
        if not isinstance(other, Arrivals):
            return NotImplemented
        return _Merged((self, other))


@dataclass(frozen=True)
class _Merged(Arrivals):
    parts: tuple[Arrivals, ...]

    def times(self, horizon: float = math.inf) -> Iterator[float]:
        return heapq.merge(*(part.times(horizon) for part in self.parts))

    @property
    def end(self) -> float | None:
        ends = [part.end for part in self.parts]
        finite = [end for end in ends if end is not None]
        return None if len(finite) < len(ends) else max(finite)

    def __add__(self, other: Arrivals) -> Arrivals:
        if not isinstance(other, Arrivals):
            return NotImplemented
        return _Merged(self.parts + (other.parts if isinstance(other, _Merged) else (other,)))


def _check(value: object, name: str, minimum: float = 0.0) -> float:
    """``value`` as a float, or a ValueError naming ``name`` when it is not a number ``>= minimum``."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value) or value < minimum:
        raise ValueError(f"{name} must be a number >= {minimum:g} (got {value!r})")
    return float(value)


@dataclass(frozen=True)
class ConstantRate(Arrivals):
    """``per_second`` requests a second from ``start`` for ``duration`` seconds (None: until the simulation ends).

    Evenly spaced by default; ``poisson=True`` draws random gaps with the same mean (seeded, so still repeatable).

    >>> list(ConstantRate(2, duration=2).times())
    [0.0, 0.5, 1.0, 1.5]
    """

    per_second: float
    start: float = 0.0
    duration: float | None = None
    poisson: bool = False
    seed: int = 0

    def __post_init__(self):
        _check(self.per_second, "per_second")
        _check(self.start, "start")
        if self.duration is not None:
            _check(self.duration, "duration")

    @property
    def end(self) -> float | None:
        return None if self.duration is None else self.start + self.duration

    def times(self, horizon: float = math.inf) -> Iterator[float]:
        stop = min(horizon, self.end if self.end is not None else math.inf)
        if self.per_second <= 0:
            return
        if self.poisson:
            rng, t = random.Random(self.seed), self.start
            while True:
                t += rng.expovariate(self.per_second)
                if t >= stop:
                    return
                yield t
        gap, start, i = 1.0 / self.per_second, self.start, 0
        while True:
            t = start + i * gap  # multiply, not accumulate: no drift after a million arrivals
            if t >= stop:
                return
            yield t
            i += 1


@dataclass(frozen=True)
class Burst(Arrivals):
    """``count`` requests at once at ``at`` seconds, or spread evenly over ``over`` seconds.

    >>> list(Burst(3, at=5).times()), list(Burst(4, at=0, over=2).times())
    ([5.0, 5.0, 5.0], [0.0, 0.5, 1.0, 1.5])
    """

    count: int
    at: float = 0.0
    over: float = 0.0

    def __post_init__(self):
        if not isinstance(self.count, int) or isinstance(self.count, bool) or self.count < 0:
            raise ValueError(f"count must be a whole number >= 0 (got {self.count!r})")
        _check(self.at, "at")
        _check(self.over, "over")

    @property
    def end(self) -> float:
        return self.at + self.over

    def times(self, horizon: float = math.inf) -> Iterator[float]:
        gap = self.over / self.count if self.count else 0.0
        for i in range(self.count):
            t = float(self.at) + i * gap
            if t >= horizon:
                return
            yield t


@dataclass(frozen=True)
class DailyCurve(Arrivals):
    """A day of traffic: the rate rises from ``trough_per_second`` (12 h away from the peak) to
    ``peak_per_second`` at ``peak_hour`` (hours after the start) along a cosine, repeated for ``days`` days.

    >>> curve = DailyCurve(peak_per_second=2, trough_per_second=0, peak_hour=12)
    >>> n = sum(1 for _ in curve.times())
    >>> n == 86_400   # the mean rate is (peak + trough) / 2 = 1 a second
    True
    """

    peak_per_second: float
    trough_per_second: float = 0.0
    peak_hour: float = 14.0
    days: float = 1.0

    def __post_init__(self):
        _check(self.peak_per_second, "peak_per_second")
        _check(self.trough_per_second, "trough_per_second")
        _check(self.days, "days")
        if self.trough_per_second > self.peak_per_second:
            raise ValueError("trough_per_second cannot be above peak_per_second")

    @property
    def end(self) -> float:
        return self.days * DAY_S

    def rate(self, t: float) -> float:
        """Requests a second at ``t`` seconds."""
        phase = 2 * math.pi * (t - self.peak_hour * 3600) / DAY_S
        return self.trough_per_second + (self.peak_per_second - self.trough_per_second) * (1 + math.cos(phase)) / 2

    def _cumulative(self, t: float) -> float:
        # The integral of rate() from 0 to t, in closed form, so whole-second steps add no error.
        swing = (self.peak_per_second - self.trough_per_second) / 2
        k = 2 * math.pi / DAY_S
        t0 = self.peak_hour * 3600
        return (self.trough_per_second + swing) * t + swing / k * (math.sin(k * (t - t0)) - math.sin(-k * t0))

    def times(self, horizon: float = math.inf) -> Iterator[float]:
        stop = min(horizon, self.end)
        emitted, second = 0, 0
        while second < stop:
            due = math.floor(self._cumulative(min(second + 1, self.end)) + 1e-6) - emitted
            for i in range(due):
                t = second + (i + 0.5) / due  # evenly inside the second
                if t >= stop:
                    return
                yield t
            emitted += due
            second += 1


class Timestamps(Arrivals):
    """Recorded traffic: arrival times in seconds from the start, or datetimes / ISO strings (the earliest is t=0).

    >>> list(Timestamps([0.5, 0, 2]).times())
    [0.0, 0.5, 2.0]
    >>> list(Timestamps(["2026-01-01T09:00:00Z", "2026-01-01T09:00:01.5Z"]).times())
    [0.0, 1.5]
    """

    def __init__(self, times: Sequence[float | str | datetime]):
        values: list[object] = list(times)
        moments = [v for v in values if isinstance(v, (str, datetime))]
        if values and len(moments) == len(values):
            stamps = [_epoch(v) for v in moments]
            first = min(stamps)
            values = [s - first for s in stamps]
        self.seconds = tuple(sorted(_check(v, "every timestamp") for v in values))

    @property
    def end(self) -> float:
        return self.seconds[-1] if self.seconds else 0.0

    def times(self, horizon: float = math.inf) -> Iterator[float]:
        for t in self.seconds:
            if t >= horizon:
                return
            yield t

    def __repr__(self) -> str:
        return f"Timestamps({len(self.seconds)} arrivals over {self.end:g} s)"


def _epoch(value: str | datetime) -> float:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not an ISO 8601 timestamp: {value!r}") from None
    if value.tzinfo is None:
        from datetime import timezone

        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()
