"""word-counter: counts the words and lines of each text file uploaded to the text-uploads bucket, and writes the
counts as JSON to the bucket named by the RESULTS_BUCKET environment variable, under the upload's key with .json
instead of its extension: "reports/q1 summary.txt" -> "reports/q1 summary.json".

S3 invokes it for each new object. Open lab.ipynb for the task and to check your work.
"""

import json
import os
import posixpath
from urllib.parse import unquote_plus

import boto3

s3 = boto3.client("s3")  # created once per execution environment; warm calls reuse it


def summarize(text: str) -> dict:
    """The counts for one text: {"words": ..., "lines": ...}."""
    return {"words": len(text.split()), "lines": len(text.splitlines())}


def result_key(key: str) -> str:
    """Where the summary of the upload `key` goes: "reports/q1 summary.txt" -> "reports/q1 summary.json"."""
    # TODO 3: splitext only looks at the last path part, so a dot in a folder name stays.
    return posixpath.splitext(key)[0] + ".json"


def lambda_handler(event, context):
    summaries = []
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        # TODO 1: unquote_plus undoes both the %XX escapes and the + S3 puts for a space.
        key = unquote_plus(record["s3"]["object"]["key"])

        # TODO 2: the object as it is now; Body is a stream, read it once.
        text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")

        summary = {"source": f"s3://{bucket}/{key}", **summarize(text)}

        # TODO 4: another bucket, so writing a result never triggers this function again (a loop that bills).
        s3.put_object(Bucket=os.environ["RESULTS_BUCKET"], Key=result_key(key),
                      Body=json.dumps(summary).encode("utf-8"), ContentType="application/json")

        summaries.append(summary)
    return summaries  # S3 ignores it; a test event in the console (or the lab notebook) shows it
