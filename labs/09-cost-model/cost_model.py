"""What one Lambda function costs a month, on demand: requests plus compute (GB-seconds), less the free tier.

Prices: us-east-1, x86_64, the first volume tier (every workload in this lab stays below 6 billion GB-seconds a
month). Return exact amounts in USD, not rounded: AWS rounds the bill, not each line of it.
"""

import math

PRICE_PER_REQUEST = 0.20 / 1_000_000  # USD per request
PRICE_PER_GB_SECOND = 0.0000166667  # USD per GB-second of compute
FREE_REQUESTS = 1_000_000  # free each month
FREE_GB_SECONDS = 400_000  # free each month


def billed_ms(duration_ms: float) -> int:
    """The milliseconds Lambda bills for one call that ran ``duration_ms``."""
    # TODO 1: Lambda bills each call in whole milliseconds, rounding up.
    return duration_ms


def monthly_cost(requests: int, memory_mb: int, duration_ms: float, free_tier: bool = True) -> float:
    """USD a month for ``requests`` calls that each run ``duration_ms`` with ``memory_mb`` of memory."""
    request_charge = requests * PRICE_PER_REQUEST

    # TODO 2: compute is charged per GB-second: the memory in GB (memory_mb / 1024) times the billed seconds of
    #         each call, for every call.
    compute_charge = 0.0

    # TODO 3: with free_tier, the month's first FREE_REQUESTS requests and FREE_GB_SECONDS GB-seconds cost
    #         nothing (and a charge never goes below zero).
    return request_charge + compute_charge


def cheapest_memory(durations_ms: dict[int, float], requests: int) -> int:
    """The memory size (MB) that makes ``requests`` calls a month cheapest, given the average duration (ms) a call
    takes at each size, e.g. {128: 1180.0, 256: 560.0, 512: 245.0}.

    Compare list prices (free_tier=False): the free tier is shared by every function of the account.
    """
    # TODO 4: price every memory size and return the one that costs least.
    return max(durations_ms)
