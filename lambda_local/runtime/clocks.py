"""The runtime's stopwatch: the machine's monotonic clocks, out of reach of the time patches a learner applies.

Timeouts, ``get_remaining_time_in_millis()``, Duration and Init Duration are measured on ``time.monotonic()`` and
``time.perf_counter()``. A learner testing a handler with freezegun (``with freeze_time(...)``) replaces those
functions in the ``time`` module and in every module attribute that holds them, so a runtime that read them there
measured 0.00 ms and never timed out while a freeze was on. On AWS a clock frozen in the caller's process cannot
reach the service. Here the runtime reads the clocks through :data:`stopwatch`, an object that holds the real
functions in its class, where freezegun (which swaps module attributes) and time-machine (which moves wall clocks
only) never look; the handler's own ``time.monotonic()`` still follows whatever the learner froze.
"""

from __future__ import annotations

import time

from . import virtual_time

__all__ = ["stopwatch"]


class _Stopwatch:
    """``stopwatch.monotonic()`` and ``stopwatch.perf_counter()``: the machine's clocks, whatever is patched;
    ``stopwatch.wall()``: the machine's wall clock (epoch seconds), for deadlines another process measures."""

    __slots__ = ()
    monotonic = staticmethod(time.monotonic)
    perf_counter = staticmethod(time.perf_counter)
    _time = staticmethod(time.time)  # the builtin: time-machine's C patch reaches it, freezegun's swap does not

    def wall(self) -> float:
        if virtual_time.patched():
            try:
                return virtual_time.machine_wall_time()
            except ValueError:  # the last invocation took the patch out meanwhile: the builtin is the machine's
                pass
        return self._time()


stopwatch = _Stopwatch()
