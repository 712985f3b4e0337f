"""credit-payment: credits each payment to its account's balance, in the DynamoDB table `accounts`.

It is invoked asynchronously (by EventBridge, SNS, or InvocationType="Event") with an event such as
{"payment_id": "p-1001", "account": "acme", "amount": 25}. Asynchronous events can arrive more than once: Lambda
retries an event whose invocation failed, and, rarely, delivers an event twice even when nothing failed. Open
lab.ipynb for the task.
"""

import os
from decimal import Decimal

import boto3

dynamodb = boto3.resource("dynamodb")
accounts = dynamodb.Table(os.environ.get("ACCOUNTS_TABLE", "accounts"))
processed = dynamodb.Table(os.environ.get("PROCESSED_TABLE", "processed-payments"))  # key: payment_id


def credit(account: str, amount: Decimal) -> None:
    """Add amount to the account's balance (an account seen for the first time starts at 0)."""
    accounts.update_item(Key={"account": account}, UpdateExpression="ADD balance :amount",
                         ExpressionAttributeValues={":amount": amount})


def lambda_handler(event, context):
    payment_id, account = event["payment_id"], event["account"]
    amount = Decimal(str(event["amount"]))
    if amount <= 0:
        raise ValueError(f"payment {payment_id}: the amount must be above 0, not {amount}")

    # TODO 1: make the credit idempotent: the same payment delivered twice must be credited once. Record the
    #         payment_id in the `processed` table with a write that fails if it is already there; when it fails,
    #         the payment was credited before: return {"status": "duplicate", ...} without crediting again. A
    #         duplicate is not an error (an error would make Lambda retry it).
    credit(account, amount)
    return {"status": "credited", "payment_id": payment_id}
