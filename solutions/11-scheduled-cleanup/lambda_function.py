"""session-cleanup: deletes the sessions older than 30 days from the DynamoDB table `sessions`.

An EventBridge schedule invokes it; the event's "time" says when the schedule fired ("2026-01-31T03:00:00Z").
Each session item has a `created_at` attribute: when the session was created, in epoch seconds (seconds since
1970-01-01, UTC). Open lab.ipynb for the task.
"""

import json
import os
from datetime import datetime, timedelta

import boto3
from boto3.dynamodb.conditions import Attr

table = boto3.resource("dynamodb").Table(os.environ.get("TABLE_NAME", "sessions"))
MAX_AGE = timedelta(days=30)


def cutoff(event) -> int:
    """The epoch seconds before which a session is too old: MAX_AGE before the time the schedule fired."""
    # TODO 1: "Z" means UTC; replacing it keeps this working on Pythons older than 3.11 too.
    fired = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    return int((fired - MAX_AGE).timestamp())


def expired_keys(oldest_allowed: int) -> list[dict]:
    """The keys of every session created before oldest_allowed, from every page of the scan."""
    options = {"FilterExpression": Attr("created_at").lt(oldest_allowed), "ProjectionExpression": "session_id"}
    keys = []
    while True:
        page = table.scan(**options)
        keys += page["Items"]
        if "LastEvaluatedKey" not in page:
            return keys
        options["ExclusiveStartKey"] = page["LastEvaluatedKey"]  # the filter applies after the 1 MB read


def lambda_handler(event, context):
    oldest_allowed = cutoff(event)
    deleted = 0

    # TODO 2: the filter spares sending young sessions back, but the scan still reads (and bills) the whole table;
    #         batch_writer groups the deletes 25 to a BatchWriteItem call and retries what DynamoDB left undone.
    with table.batch_writer() as batch:
        for key in expired_keys(oldest_allowed):
            batch.delete_item(Key=key)
            deleted += 1

    print(json.dumps({"cutoff": oldest_allowed, "deleted": deleted}))  # one line per run, easy to search for
    return {"cutoff": oldest_allowed, "deleted": deleted}
