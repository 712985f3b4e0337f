"""Lab 06: move the SDK clients and the configuration out of the handler, so warm calls reuse them.

Checked by counting work, not by timing it: the grader records every boto3 client the function creates and every
AWS call it makes, per invocation, over one cold start and four warm calls on the virtual clock.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

from ..checks import Failure, check, describe_invocation_error

LAB = "06-cold-start-fix"
TITLE = "Fix the cold-start work done on every call"

FUNCTION, TABLE, PARAMETER = "price-quote", "prices", "/shop/config"
PRICES = {"tea": "3.50", "scone": "2.25", "jam": "4.10"}
CONFIG = {"table": TABLE, "tax_rate": "0.20", "currency": "EUR"}
BASKETS = [[{"sku": "tea", "qty": 2}], [{"sku": "scone", "qty": 3}, {"sku": "jam", "qty": 1}],
           [{"sku": "jam", "qty": 2}], [{"sku": "tea", "qty": 1}, {"sku": "scone", "qty": 1}],
           [{"sku": "scone", "qty": 4}]]
CALLS = len(BASKETS)


def _quote(basket, config=CONFIG) -> dict:
    subtotal = sum(Decimal(PRICES[item["sku"]]) * item["qty"] for item in basket)
    total = subtotal * (1 + Decimal(config["tax_rate"]))
    return {"total": str(total.quantize(Decimal("0.01"))), "currency": config["currency"]}


def _setup(lab) -> None:
    lab.client("ssm").put_parameter(Name=PARAMETER, Value=json.dumps(CONFIG), Type="String")
    lab.client("dynamodb").create_table(
        TableName=TABLE, KeySchema=[{"AttributeName": "sku", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "sku", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    for sku, price in PRICES.items():
        lab.client("dynamodb").put_item(TableName=TABLE, Item={"sku": {"S": sku}, "price": {"N": price}})
    # Parameter Store resources are not modelled by the runtime's IAM: "*" is what it can match.
    role = lab.role(f"{FUNCTION}-role", policy={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"},
        {"Effect": "Allow", "Action": "dynamodb:GetItem",
         "Resource": f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}"}]})
    lab.deploy(FUNCTION, role=role)


def _call(lab, basket, config=CONFIG):
    record = lab.invoke(FUNCTION, {"items": basket})
    expected = _quote(basket, config)
    if record.error_type:
        raise Failure(expected=f"the quote {json.dumps(expected)} for {json.dumps({'items': basket})}",
                      got=f"the function failed: {describe_invocation_error(record)}",
                      hint="Moving code out of the handler must not change what it does: a name the handler "
                           "uses must still exist at module level.")
    if record.payload != expected:
        raise Failure(expected=f"the quote {json.dumps(expected)} for {json.dumps({'items': basket})}",
                      got=f"{json.dumps(record.payload)}",
                      hint="Keep the pricing code as it was; only move where the clients and settings are made.")
    return record


def _five_calls(lab):
    """One cold start and four warm calls; what the function did with the SDK, per call."""
    _setup(lab)
    with lab.watch_sdk(FUNCTION) as uses:
        records = [_call(lab, basket) for basket in BASKETS]
    first = len(lab.aws.invocations) - CALLS
    if [r.cold_start for r in records] != [True] + [False] * (CALLS - 1):
        raise Failure(expected="one cold start, then warm calls in the same environment",
                      got="cold starts: " + ", ".join(str(r.cold_start) for r in records),
                      hint="A crash or a timeout discards the environment; look at the function's log in the "
                           "notebook.")
    per_call = [[u for u in uses if u.invocation == first + i] for i in range(CALLS)]
    return records, per_call


def _count(uses) -> str:
    counts = Counter(u.service if u.kind == "client" else f"{u.service}:{u.operation}" for u in uses)
    return ", ".join(f"{name} x{n}" for name, n in sorted(counts.items()))


@check("creates its AWS clients once per execution environment", points=5)
def clients_once(lab):
    _, per_call = _five_calls(lab)
    warm = [u for call in per_call[1:] for u in call if u.kind == "client"]
    if warm:
        return Failure(expected="no new boto3 client on the 4 warm calls (the cold start creates them)",
                       got=f"the warm calls created {len(warm)} clients ({_count(warm)})",
                       hint="Code at module level (outside lambda_handler) runs once per execution environment, "
                            "during INIT; warm calls reuse what it made. Create the clients there.")


@check("loads its configuration once per execution environment", points=5)
def config_once(lab):
    _, per_call = _five_calls(lab)
    reads = [[u for u in call if u.kind == "call" and u.operation == "GetParameter"] for call in per_call]
    warm_reads = [u for call in reads[1:] for u in call]
    if warm_reads:
        return Failure(expected=f"no read of {PARAMETER} on the 4 warm calls (the cold start reads it)",
                       got=f"the warm calls read it {len(warm_reads)} times",
                       hint="Load the settings once, at module level (or on the first call, into a module-level "
                            "variable), and reuse them on warm calls.")
    if not reads[0]:
        return Failure(expected=f"the cold start to read the settings from {PARAMETER}",
                       got="no call read them",
                       hint="Keep the settings in Parameter Store, so they can change without a new deployment; "
                            "read them once per environment.")
    changed = dict(CONFIG, currency="GBP", tax_rate="0.05")
    lab.client("ssm").put_parameter(Name=PARAMETER, Value=json.dumps(changed), Type="String", Overwrite=True)
    lab.aws.advance(hours=2)  # idle environments expire: the next call starts a new one
    _call(lab, BASKETS[0], changed)
