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
    # TODO 1: 26.73 ms bills 27 ms; even a 0.4 ms call bills 1 ms.
    return max(1, math.ceil(duration_ms))


def monthly_cost(requests: int, memory_mb: int, duration_ms: float, free_tier: bool = True) -> float:
    """USD a month for ``requests`` calls that each run ``duration_ms`` with ``memory_mb`` of memory."""
    request_charge = requests * PRICE_PER_REQUEST

    # TODO 2: GB-seconds = GB of memory x billed seconds, summed over every call.
    gb_seconds = memory_mb / 1024 * billed_ms(duration_ms) / 1000 * requests
    compute_charge = gb_seconds * PRICE_PER_GB_SECOND

    # TODO 3: the free tier is a monthly allowance: only what is used beyond it is charged.
    if free_tier:
        request_charge = max(0, requests - FREE_REQUESTS) * PRICE_PER_REQUEST
        compute_charge = max(0, gb_seconds - FREE_GB_SECONDS) * PRICE_PER_GB_SECOND
    return request_charge + compute_charge


def cheapest_memory(durations_ms: dict[int, float], requests: int) -> int:
    """The memory size (MB) that makes ``requests`` calls a month cheapest, given the average duration (ms) a call
    takes at each size, e.g. {128: 1180.0, 256: 560.0, 512: 245.0}.

    Compare list prices (free_tier=False): the free tier is shared by every function of the account.
    """
    # TODO 4: more memory costs more per millisecond, but a faster call bills fewer milliseconds.
    return min(durations_ms, key=lambda memory: monthly_cost(requests, memory, durations_ms[memory], free_tier=False))
