"""price-quote: the total of a shopping basket, with tax, in the shop's currency.

Each call gets an event like {"items": [{"sku": "tea", "qty": 2}]}. Prices live in a DynamoDB table; the shop's
settings (which table, the tax rate, the currency) live in SSM Parameter Store, as JSON, under /shop/config.

It works, but every call pays again for work that only needs doing once per execution environment.
"""

import json
from decimal import Decimal

import boto3


def load_config(ssm):
    """The shop's settings from Parameter Store: {"table": ..., "tax_rate": "0.20", "currency": "EUR"}."""
    return json.loads(ssm.get_parameter(Name="/shop/config")["Parameter"]["Value"])


# TODO 1: module-level code runs once per execution environment (INIT); warm calls reuse these clients.
ssm = boto3.client("ssm")
dynamodb = boto3.client("dynamodb")

# TODO 2: the settings are read at INIT too; a new environment reads them again, so changes still arrive.
config = load_config(ssm)


def lambda_handler(event, context):
    subtotal = Decimal(0)
    for item in event["items"]:
        row = dynamodb.get_item(TableName=config["table"], Key={"sku": {"S": item["sku"]}})["Item"]
        subtotal += Decimal(row["price"]["N"]) * item["qty"]
    total = subtotal * (1 + Decimal(config["tax_rate"]))
    return {"total": str(total.quantize(Decimal("0.01"))), "currency": config["currency"]}
