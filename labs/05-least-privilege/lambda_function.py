"""report-indexer: when a CSV report lands under incoming/ in the acme-reports bucket, count its rows, total its
amounts and record both in the report-index DynamoDB table.

This function is finished and works. Your task is its execution role's policy: policy.json.
"""

import csv
import io
from decimal import Decimal
from urllib.parse import unquote_plus

import boto3

TABLE_NAME = "report-index"

s3 = boto3.client("s3")
table = boto3.resource("dynamodb").Table(TABLE_NAME)


def lambda_handler(event, context):
    record = event["Records"][0]["s3"]
    bucket, key = record["bucket"]["name"], unquote_plus(record["object"]["key"])
    text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    total = sum(Decimal(row["amount"]) for row in rows)
    table.put_item(Item={"report": key, "rows": len(rows), "total": total})
    print(f"indexed s3://{bucket}/{key}: {len(rows)} rows, total {total}")
    return {"report": key, "rows": len(rows), "total": str(total)}
