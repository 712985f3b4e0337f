"""word-counter: counts the words and lines of each text file uploaded to the text-uploads bucket, and writes the
counts as JSON to the bucket named by the RESULTS_BUCKET environment variable, under the upload's key with .json
instead of its extension: "reports/q1 summary.txt" -> "reports/q1 summary.json".

S3 invokes it for each new object. Open lab.ipynb for the task and to check your work.
"""

import json
import os

import boto3

s3 = boto3.client("s3")  # created once per execution environment; warm calls reuse it


def summarize(text: str) -> dict:
    """The counts for one text: {"words": ..., "lines": ...}."""
    return {"words": len(text.split()), "lines": len(text.splitlines())}


def result_key(key: str) -> str:
    """Where the summary of the upload `key` goes: "reports/q1 summary.txt" -> "reports/q1 summary.json"."""
    # TODO 3: replace the file's extension, if it has one, with .json; keep its folders as they are
    #         ("notes" -> "notes.json", "v1.2/readme.md" -> "v1.2/readme.json").
    return key


def lambda_handler(event, context):
    summaries = []
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        # TODO 1: S3 URL-encodes the key in its events: "q1 summary.txt" arrives as "q1+summary.txt" and
        #         "café.txt" as "caf%C3%A9.txt". Decode it to get the object's real key.
        key = record["s3"]["object"]["key"]

        # TODO 2: read the object the record names (its body is bytes: decode them as UTF-8 text).
        text = ""

        summary = {"source": f"s3://{bucket}/{key}", **summarize(text)}

        # TODO 4: write the summary as JSON to the bucket named by the RESULTS_BUCKET environment variable,
        #         under result_key(key), with the content type application/json.

        summaries.append(summary)
    return summaries  # S3 ignores it; a test event in the console (or the lab notebook) shows it
