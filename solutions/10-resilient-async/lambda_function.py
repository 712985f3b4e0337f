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

    # TODO 1: the condition makes check-and-record one atomic step: of two deliveries running at the same time,
    #         exactly one writes the item. The key is the payment's own id, not the account: two payments of the
    #         same amount to the same account are two credits.
    try:
        processed.put_item(Item={"payment_id": payment_id, "account": account, "amount": amount},
                           ConditionExpression="attribute_not_exists(payment_id)")
    except processed.meta.client.exceptions.ConditionalCheckFailedException:
        print(f"payment {payment_id} was credited before: nothing to do")
        return {"status": "duplicate", "payment_id": payment_id}
    try:
        credit(account, amount)
    except Exception:
        processed.delete_item(Key={"payment_id": payment_id})  # not credited after all: let the retry do it
        raise
    return {"status": "credited", "payment_id": payment_id}
