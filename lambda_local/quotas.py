"""Lambda's numbers, in one place: the quotas and fixed values AWS documents, used by the runtime, the event
sources, the API checks and the simulator alike.

Sources: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html,
invocation-async-retain-records.html, lambda-concurrency.html, scaling-behavior.html and
/work/shared/reference/lambda-facts.md.

>>> MEMORY_MIN_MB, MEMORY_MAX_MB, TIMEOUT_MAX_S
(128, 10240, 900)
"""

from __future__ import annotations

# --- function configuration -----------------------------------------------------------------------------------------
MEMORY_MIN_MB = 128
MEMORY_MAX_MB = 10_240
TIMEOUT_MAX_S = 900
EPHEMERAL_STORAGE_MIN_MB = 512
EPHEMERAL_STORAGE_MAX_MB = 10_240
ENVIRONMENT_VARIABLES_BYTES = 4096  # keys plus values
LAYERS_PER_FUNCTION = 5
ZIPPED_PACKAGE_BYTES = 52_428_800  # 50 MB for a direct upload (larger packages go through S3)
UNZIPPED_PACKAGE_BYTES = 262_144_000  # function code plus layers, unzipped

# --- concurrency ----------------------------------------------------------------------------------------------------
ACCOUNT_CONCURRENCY = 1000  # the default account limit
UNRESERVED_CONCURRENCY_MIN = 100  # what reserved concurrency must leave to the account's other functions

# --- recursion ------------------------------------------------------------------------------------------------------
RECURSION_LIMIT = 16  # invocations in one chain before Lambda's recursive loop detection stops it
