"""Lab 09: a resilient asynchronous consumer. Idempotent (the same event delivered twice does its work once, with
a DynamoDB conditional write), with an on-failure destination or a DLQ and a retry limit, on the virtual clock.
"""

from __future__ import annotations

import json
from decimal import Decimal

from ..checks import Failure, check, describe_invocation_error, show

LAB = "09-resilient-async"
TITLE = "A resilient asynchronous consumer"

FUNCTION, ACCOUNTS, PROCESSED, FAILURES = "credit-payment", "accounts", "processed-payments", "payments-failed"
ACCOUNT, REGION = "123456789012", "us-east-1"
# The check's own role: broad on the two tables, so any correct way of writing them works.
TABLES_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "dynamodb:*", "Resource": [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{ACCOUNTS}",
                                                          f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{PROCESSED}"]},
    {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{FAILURES}"}]}
PAYMENTS = [{"payment_id": "p-1001", "account": "acme", "amount": 25},
            {"payment_id": "p-1001", "account": "acme", "amount": 25},  # the same event, delivered again
            {"payment_id": "p-1002", "account": "acme", "amount": 25},  # same account and amount: another payment
            {"payment_id": "p-1003", "account": "globex", "amount": 10.5}]
BALANCES = {"acme": Decimal("50"), "globex": Decimal("10.5")}
BAD_PAYMENT = {"payment_id": "p-1004", "account": "acme", "amount": -5}
_ALWAYS_FAILS = ("def lambda_handler(event, context):\n"
                 "    raise RuntimeError(f\"cannot credit {event.get('payment_id')}\")\n")


def _tables(lab) -> None:
    dynamodb = lab.client("dynamodb")
    for table, key in ((ACCOUNTS, "account"), (PROCESSED, "payment_id")):
        dynamodb.create_table(TableName=table, KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")


def _send(lab, event: dict) -> None:
    """An asynchronous invocation, as an event source makes it; Lambda answers 202 and tries it at once."""
    lab.client("lambda").invoke(FunctionName=FUNCTION, InvocationType="Event", Payload=json.dumps(event))


def _balances(lab) -> dict:
    items = lab.client("dynamodb").scan(TableName=ACCOUNTS)["Items"]
    return {item["account"]["S"]: Decimal(item.get("balance", {}).get("N", "0")) for item in items}


def _shown(balances: dict) -> str:
    return ", ".join(f"{account} {balance}" for account, balance in sorted(balances.items())) or "no accounts"


def _invocations(lab) -> list:
    return [r for r in lab.aws.invocations if r.function_name == FUNCTION]


def _failure_messages(lab) -> list[dict]:
    sqs = lab.client("sqs")
    url = sqs.get_queue_url(QueueName=FAILURES)["QueueUrl"]
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]
    return [json.loads(body) for body in bodies]


def _kept(message: dict, event: dict) -> bool:
    """A DLQ message is the event itself; a destination's is an invocation record holding it."""
    return message == event or message.get("requestPayload") == event


def _failing_function(lab) -> tuple[str, object]:
    """The failure queue (the learner's create_failure_queue), a stand-in credit-payment that always fails, and
    the learner's configure_async; (queue ARN, deploy module)."""
    deploy = lab.module("deploy.py")
    queue_arn = lab.call(deploy.create_failure_queue, lab.client("sqs"), what="deploy.create_failure_queue(sqs)")
    lab.deploy(FUNCTION, {"lambda_function.py": _ALWAYS_FAILS},
               role=lab.role(f"{FUNCTION}-role", policy=TABLES_POLICY))
    lab.call(deploy.configure_async, lab.client("lambda"), queue_arn,
             what="deploy.configure_async(lambda_client, queue_arn)")
    _send(lab, BAD_PAYMENT)
    lab.aws.advance(minutes=10)  # retries come about 1 and then 2 minutes apart
    return queue_arn, deploy


@check("credits a payment delivered twice only once", points=3)
def idempotent(lab):
    _tables(lab)
    lab.deploy(FUNCTION, role=lab.role(f"{FUNCTION}-role", policy=TABLES_POLICY),
               environment={"ACCOUNTS_TABLE": ACCOUNTS, "PROCESSED_TABLE": PROCESSED})
    for payment in PAYMENTS:
        _send(lab, payment)
    failed = [r for r in _invocations(lab) if r.error_type]
    if failed:
        return Failure(expected="every delivery to succeed, the repeated one included",
                       got=f"an invocation failed: {describe_invocation_error(failed[0])}",
                       hint="A duplicate is not an error: catch the ConditionalCheckFailedException of your "
                            "conditional write and return. An error makes Lambda retry the event, and finally "
                            "treat it as failed.")
    balances = _balances(lab)
    if balances != BALANCES:
        return Failure(expected=f"the balances {_shown(BALANCES)} after the payments {show(PAYMENTS, 400)}",
                       got=_shown(balances),
                       hint="acme too high: the repeated payment was credited again. acme too low: two different "
                            "payments were taken for one; the idempotency key is the payment_id. Record it with "
                            'put_item(..., ConditionExpression="attribute_not_exists(payment_id)") before crediting.')


@check("sends a payment that keeps failing to payments-failed", points=2)
def failure_destination(lab):
    _failing_function(lab)
    kept = [m for m in _failure_messages(lab) if _kept(m, BAD_PAYMENT)]
    if not kept:
        config = lab.client("lambda").get_function_configuration(FunctionName=FUNCTION)
        dead_letter = show(config.get("DeadLetterConfig") or "none")
        return Failure(expected=f"the failed payment {show(BAD_PAYMENT)} in the queue {FAILURES}, 10 minutes after "
                                "its last try",
                       got=f"{FAILURES} holds nothing for it (the function's DeadLetterConfig: {dead_letter})",
                       hint="lambda_client.put_function_event_invoke_config(FunctionName=..., DestinationConfig="
                            "{\"OnFailure\": {\"Destination\": <queue ARN>}}), or DeadLetterConfig={\"TargetArn\": "
                            "<queue ARN>} on the function. Without either, Lambda drops the event after its retries.")


@check("retries a failed payment once, not twice", points=2)
def retries_once(lab):
    _failing_function(lab)
    tries = len(_invocations(lab))
    if tries != 2:
        return Failure(expected="2 tries of a payment that always fails: the first one and one retry",
                       got=f"{tries} tries", hint="put_function_event_invoke_config(FunctionName=..., "
                                                  "MaximumRetryAttempts=...) sets how many times Lambda retries "
                                                  "(0, 1 or 2; 2 when not set).")


@check("end to end: duplicates credited once, a bad payment kept after 2 tries", points=3)
def end_to_end(lab):
    lab.call(lab.module("deploy.py").main, what="deploy.main()")
    for payment in PAYMENTS + [BAD_PAYMENT]:
        _send(lab, payment)
    lab.aws.advance(minutes=10)
    balances = _balances(lab)
    if balances != BALANCES:
        return Failure(expected=f"the balances {_shown(BALANCES)}", got=_shown(balances),
                       hint="Make the first check pass first. If the function failed, try it in the lab "
                            "notebook: AccessDenied means the role in deploy.py does not allow a call you make.")
    bad_tries = len(_invocations(lab)) - len(PAYMENTS)
    kept = [m for m in _failure_messages(lab) if _kept(m, BAD_PAYMENT)]
    if bad_tries != 2 or not kept:
        return Failure(expected=f"the bad payment {show(BAD_PAYMENT)} tried twice, then kept in {FAILURES}",
                       got=f"tried {bad_tries} time(s); {'kept' if kept else 'not kept'} in {FAILURES}",
                       hint="Make the two checks above pass first: each one tries one part of this.")
