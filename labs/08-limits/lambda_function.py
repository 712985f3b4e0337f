"""report-export: exports one CSV report per region, for the finance team's month-end.

Invoked with {"regions": [{"name": "north", "rows": 1200}, ...]}, it answers what it exported. Two of Lambda's limits
stand in its way: a response may hold at most 6 MB (a big region's report is larger), and the function is stopped at
its timeout (a month-end with many regions takes longer than one invocation may run).
"""

import os
import time

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
        # TODO 2: the function is stopped at its timeout, and everything it did in this call is lost. Before each
        #         region, look at context.get_remaining_time_in_millis(): when less than MARGIN_MS is left, stop,
        #         and return the regions not exported yet under "left", so the caller can send them again.
        region = regions.pop(0)
        time.sleep(SECONDS_PER_REGION)
        report = build_report(region["name"], region["rows"])
        # TODO 1: a report can be bigger than the 6 MB a synchronous response may hold. Write it to the bucket
        #         BUCKET under the key reports/<region name>.csv (boto3's s3.put_object), and return where it is
        #         instead: {"region": ..., "bucket": BUCKET, "key": ..., "bytes": len(report)}.
        exported.append({"region": region["name"], "report": report})
    return {"exported": exported, "left": [r["name"] for r in regions]}
