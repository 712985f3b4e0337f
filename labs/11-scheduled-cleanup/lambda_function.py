"""session-cleanup: deletes the sessions older than 30 days from the DynamoDB table `sessions`.

An EventBridge schedule invokes it; the event's "time" says when the schedule fired ("2026-01-31T03:00:00Z").
Each session item has a `created_at` attribute: when the session was created, in epoch seconds (seconds since
1970-01-01, UTC). Open lab.ipynb for the task.
"""

import json
import os
from datetime import datetime, timedelta

import boto3

table = boto3.resource("dynamodb").Table(os.environ.get("TABLE_NAME", "sessions"))
MAX_AGE = timedelta(days=30)


def cutoff(event) -> int:
    """The epoch seconds before which a session is too old: MAX_AGE before the time the schedule fired."""
    # TODO 1: read the event's "time" (datetime.fromisoformat reads it), subtract MAX_AGE, and return whole epoch
    #         seconds. Use the event's time, not the current time: a run that is retried or replayed later then
    #         deletes exactly the sessions it would have deleted on time.
    return 0


def lambda_handler(event, context):
    oldest_allowed = cutoff(event)
    deleted = 0

    # TODO 2: delete every session whose created_at is below oldest_allowed, and count them in `deleted`. A scan
    #         reads at most 1 MB of the table per call: call it again with ExclusiveStartKey set to the answer's
    #         LastEvaluatedKey, until an answer has none.

    print(json.dumps({"cutoff": oldest_allowed, "deleted": deleted}))  # one line per run, easy to search for
    return {"cutoff": oldest_allowed, "deleted": deleted}
