"""The feedback application's two functions. They are complete: this lab is about the template that deploys them."""

import json
import os
import uuid

import boto3

sqs = boto3.client("sqs")
table = boto3.resource("dynamodb").Table(os.environ.get("TABLE", "unset"))


def submit(event, context):
    """POST /feedback with {"text": ...}: queue it and answer 202, or 400 without a text."""
    try:
        text = json.loads(event.get("body") or "{}")["text"]
    except (ValueError, KeyError, TypeError):
        return {"statusCode": 400, "body": json.dumps({"error": 'send {"text": "..."}'})}
    message = {"id": str(uuid.uuid4()), "text": text, "stage": os.environ["STAGE"]}
    sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(message))
    return {"statusCode": 202, "body": json.dumps({"queued": message["id"]})}


def store(event, context):
    """An SQS batch: each message is one piece of feedback, stored in the table."""
    for record in event["Records"]:
        table.put_item(Item=json.loads(record["body"]))
