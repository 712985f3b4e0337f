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

# --- payloads -------------------------------------------------------------------------------------------------------
SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024  # 6 MB request and response (RequestResponse)
ASYNC_PAYLOAD_BYTES = 1024 * 1024  # 1 MB since October 2025 (was 256 KB)
SYNC_RESPONSE_BYTES = 6_291_556  # AWS's figure in its error message: 6 MB plus 100 bytes

# --- concurrency and scaling ----------------------------------------------------------------------------------------
ACCOUNT_CONCURRENCY = 1000  # the default account limit
UNRESERVED_CONCURRENCY_MIN = 100  # what reserved concurrency must leave to the account's other functions
SCALING_ENVIRONMENTS = 1000  # new environments per function ...
SCALING_WINDOW_S = 10.0  # ... in any 10 seconds (a sliding window: unused capacity is never banked)

# --- execution environments -----------------------------------------------------------------------------------------
# AWS does not document how long an idle environment lives; measurements put it around 5-15 minutes, sometimes up
# to an hour. Ten minutes is the default here; change it with mock_aws(idle_timeout=...).
IDLE_TIMEOUT_S = 600.0
INIT_TIMEOUT_S = 10.0  # the on-demand INIT phase limit

# --- asynchronous invocation ----------------------------------------------------------------------------------------
ASYNC_RETRY_DELAYS_S = (60.0, 120.0)  # after a function error: "about one minute, then two minutes"
ASYNC_MAX_RETRIES = 2  # MaximumRetryAttempts: 0-2, default 2
THROTTLE_FIRST_RETRY_S = 1.0  # a throttled event is retried after 1 s, the wait doubling ...
THROTTLE_MAX_RETRY_S = 300.0  # ... up to 5 minutes, until the event is too old
MAX_EVENT_AGE_S = 21_600.0  # MaximumEventAgeInSeconds: 60 s to 6 h, default 6 h
MIN_EVENT_AGE_S = 60.0

# --- event source mappings (streams) --------------------------------------------------------------------------------
STREAM_RECORD_LIFETIME_S = 24 * 3600  # DynamoDB Streams keep records 24 h; Kinesis by default too
STREAM_FIRST_RETRY_S = 1.0  # a failed batch blocks its shard and is retried after 1 s, the wait doubling ...
STREAM_MAX_RETRY_S = 60.0  # ... up to a minute

# --- recursion ------------------------------------------------------------------------------------------------------
RECURSION_LIMIT = 16  # invocations in one chain before Lambda's recursive loop detection stops it
