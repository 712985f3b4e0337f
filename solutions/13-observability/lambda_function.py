"""Lab 13: the checkout function. It works, and nobody can see what it does: give it structured logs (TODO 1), a
metric (TODO 2) and a trace annotation (TODO 3), and make it refuse an empty order (TODO 5)."""

import json

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

# Created once per execution environment, at module level, like boto3 clients.
logger = Logger(service="checkout")
metrics = Metrics(namespace="Checkout", service="checkout")
tracer = Tracer(service="checkout")


@logger.inject_lambda_context
@metrics.log_metrics  # the EMF line is printed when the handler returns (or fails)
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    order = json.loads(event["body"])
    order_id = order["order_id"]
    logger.append_keys(order_id=order_id)  # TODO 1: on every line from here on
    tracer.put_annotation(key="order_id", value=order_id)  # TODO 3: annotations are searchable in X-Ray
    if not order.get("lines"):  # TODO 5: the bug the unit test catches
        logger.warning("empty order")
        return {"statusCode": 400, "body": json.dumps({"error": "empty order"})}
    total = sum(line["price"] * line["qty"] for line in order["lines"])
    metrics.add_metric(name="OrderValue", unit=MetricUnit.Count, value=total)  # TODO 2
    logger.info("checkout complete", extra={"total": total})  # TODO 1
    return {"statusCode": 200, "body": json.dumps({"order_id": order_id, "total": total})}
