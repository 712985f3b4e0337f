"""Lambda's rules as small functions, shared by the runtime (environment pool, asynchronous queue, stream pollers)
and the traffic simulator, so both give the same answer by construction. The numbers are in :mod:`.quotas`.

>>> [async_retry_delay(n) for n in (1, 2)]
[60.0, 120.0]
>>> [throttle_retry_delay(n) for n in range(10)]
[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 300.0]
>>> should_retry_async(function_errors=3, max_retries=2), event_too_old(received_at=0, now=61, max_age=60)
(False, True)
"""

from __future__ import annotations

from collections import deque

from . import quotas

__all__ = ["async_retry_delay", "should_retry_async", "throttle_retry_delay", "event_too_old", "stream_retry_delay",
           "idle_expired", "ScalingWindow", "RESERVED_LIMIT", "ACCOUNT_LIMIT", "SCALING_LIMIT"]

# The Reason AWS gives with a TooManyRequestsException.
RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_LIMIT = "ConcurrentInvocationLimitExceeded"
SCALING_LIMIT = "FunctionInvocationRateLimitExceeded"


# --- asynchronous invocation ----------------------------------------------------------------------------------------
def should_retry_async(function_errors: int, max_retries: int = quotas.ASYNC_MAX_RETRIES) -> bool:
    """After ``function_errors`` failed attempts, whether Lambda tries the event again (MaximumRetryAttempts)."""
    return function_errors <= max_retries


def async_retry_delay(function_errors: int) -> float:
    """Seconds before the retry that follows the ``function_errors``-th failed attempt (1, 2, ...)."""
    delays = quotas.ASYNC_RETRY_DELAYS_S
    return delays[min(function_errors - 1, len(delays) - 1)]


def throttle_retry_delay(throttles: int) -> float:
    """Seconds before retrying an event throttled ``throttles`` times before (0 for the first throttle)."""
    return min(quotas.THROTTLE_FIRST_RETRY_S * 2 ** throttles, quotas.THROTTLE_MAX_RETRY_S)


def event_too_old(received_at: float, now: float, max_age: float = quotas.MAX_EVENT_AGE_S) -> bool:
    """Whether an event (or a stream record) is past its maximum age and is given up on."""
    return now - received_at > max_age


# --- event source mappings ------------------------------------------------------------------------------------------
def stream_retry_delay(attempts: int) -> float:
    """Seconds before retrying a stream batch that has failed ``attempts`` times (1, 2, ...)."""
    return min(quotas.STREAM_FIRST_RETRY_S * 2 ** (attempts - 1), quotas.STREAM_MAX_RETRY_S)


# --- environments and scaling ---------------------------------------------------------------------------------------
def idle_expired(last_used: float, now: float, idle_timeout: float = quotas.IDLE_TIMEOUT_S) -> bool:
    """Whether an idle environment has been idle long enough for Lambda to shut it down."""
    return now - last_used >= idle_timeout


class ScalingWindow:
    """Lambda's scaling rate: a function creates at most ``SCALING_ENVIRONMENTS`` new environments in any
    ``SCALING_WINDOW_S`` seconds (a sliding window).

    >>> window = ScalingWindow(limit=2, seconds=10)
    >>> window.try_create(0), window.try_create(1), window.try_create(2), window.try_create(10.5)
    (True, True, False, True)
    """

    def __init__(self, limit: int = quotas.SCALING_ENVIRONMENTS, seconds: float = quotas.SCALING_WINDOW_S):
        self.limit = limit
        self.seconds = seconds
        self._created: deque[float] = deque()

    def try_create(self, now: float) -> bool:
        """Count a new environment at ``now`` if the rate allows it; False means throttle (SCALING_LIMIT)."""
        created = self._created
        cutoff = now - self.seconds
        while created and created[0] <= cutoff:
            created.popleft()
        if len(created) >= self.limit:
            return False
        created.append(now)
        return True
