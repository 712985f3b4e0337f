"""report-export: exports one CSV report per region, for the finance team's month-end.

Invoked with {"regions": [{"name": "north", "rows": 1200}, ...]}, it answers what it exported. Two of Lambda's limits
stand in its way: a response may hold at most 6 MB (a big region's report is larger), and the function is stopped at
its timeout (a month-end with many regions takes longer than one invocation may run).
"""

import os
import time

import boto3

s3 = boto3.client("s3")  # once per execution environment (lesson 06)

BUCKET = os.environ.get("REPORTS_BUCKET", "exported-reports")
SECONDS_PER_REGION = 0.1  # stands for querying one region's sales
MARGIN_MS = 500  # stop when less than this is left before the timeout


def build_report(name: str, rows: int) -> str:
    """One region's CSV report (its rows all alike here): 30 bytes a row, so 250,000 rows are more than 6 MB."""
    return "region,order,amount\n" + f"{name[:8]:<8},order-000001,0012.50\n" * rows


def lambda_handler(event, context):
    exported = []
    regions = list(event["regions"])
    while regions:
        # TODO 2: stopping on our own keeps what is done and says what is left; a timeout would lose the whole call
        #         (and, for an asynchronous caller, retry it from the start).
        if context.get_remaining_time_in_millis() < MARGIN_MS:
            break
        region = regions.pop(0)
        time.sleep(SECONDS_PER_REGION)
        report = build_report(region["name"], region["rows"])
        # TODO 1: the response carries where the report is, never the report: S3 takes objects of up to 5 TB, a
        #         synchronous response 6 MB (Function.ResponseSizeTooLarge above that).
        key = f"reports/{region['name']}.csv"
        s3.put_object(Bucket=BUCKET, Key=key, Body=report.encode())
        exported.append({"region": region["name"], "bucket": BUCKET, "key": key, "bytes": len(report)})
    return {"exported": exported, "left": [r["name"] for r in regions]}
