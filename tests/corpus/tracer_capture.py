# Follows: https://docs.powertools.aws.dev/lambda/python/latest/core/tracer/#getting-started
from aws_lambda_powertools import Tracer

tracer = Tracer(service="payment")


@tracer.capture_method
def collect_payment(charge_id: str) -> str:
    tracer.put_annotation(key="PaymentId", value=charge_id)
    return f"collected {charge_id}"


@tracer.capture_lambda_handler
def handler(event, context):
    return collect_payment(event["charge_id"])
