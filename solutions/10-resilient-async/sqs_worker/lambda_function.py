"""order-worker: reserves stock for the orders that arrive on the SQS queue `orders`.

Lambda's SQS event source mapping polls the queue and invokes this function with a batch of up to 10 messages.
Each message's body is an order as JSON, {"order_id": "o-1001", "sku": "tea", "quantity": 2}; reserving adds the
quantity to the sku's `reserved` count in the DynamoDB table `stock`. Open lab.ipynb for the task.
"""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ.get("TABLE_NAME", "stock"))


class InvalidOrder(ValueError):
    """A message that is not a valid order."""


def parse(body: str) -> dict:
    """The order in a message body; InvalidOrder when it is not JSON, has no sku, or no whole quantity above 0."""
    try:
        order = json.loads(body)
    except ValueError:
        raise InvalidOrder(f"not JSON: {body[:40]!r}") from None
    if not isinstance(order, dict) or not isinstance(order.get("sku"), str) or not order["sku"]:
        raise InvalidOrder(f"no sku: {body[:40]!r}")
    quantity = order.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise InvalidOrder(f"quantity must be a whole number above 0: {body[:40]!r}")
    return order


def reserve(order: dict) -> None:
    """Add the order's quantity to its sku's reserved stock. Doing it twice reserves twice."""
    table.update_item(Key={"sku": order["sku"]}, UpdateExpression="ADD reserved :quantity",
                      ExpressionAttributeValues={":quantity": order["quantity"]})
    print(json.dumps({"reserved": order["quantity"], "sku": order["sku"], "order_id": order.get("order_id")}))


def lambda_handler(event, context):
    # TODO 4: with ReportBatchItemFailures on the mapping, only the messages listed here go back to the queue;
    #         the rest of the batch is deleted. Any error (a bad order, DynamoDB throttling) is reported the same
    #         way: the message is retried, and after maxReceiveCount receives the queue moves it to its DLQ.
    failures = []
    for record in event["Records"]:
        try:
            reserve(parse(record["body"]))
        except Exception as error:  # noqa: BLE001 - one message's failure, whatever it is
            print(json.dumps({"failed": record["messageId"], "error": f"{type(error).__name__}: {error}"}))
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
