"""Lab 10: resilient asynchronous processing, in two parts.

Part 1 (``lambda_function.py``, ``deploy.py``): an idempotent asynchronous consumer (the same event delivered twice
does its work once, with a DynamoDB conditional write), with an on-failure destination or a DLQ and a retry limit.
Part 2 (``sqs_worker/``): an SQS worker with partial batch failures. Good messages are processed once; bad ones are
retried after the visibility timeout and end in the dead-letter queue after maxReceiveCount receives. Both on the
virtual clock.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

from ..checks import Failure, check, describe_invocation_error, function_output, show

LAB = "10-resilient-async"
TITLE = "Resilient asynchronous processing: an idempotent consumer and an SQS worker"

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


# --- Part 2: the SQS worker (sqs_worker/), once lab 07 of the first edition ------------------------------------
WORKER, STOCK_TABLE, ORDERS_QUEUE, ORDERS_DLQ = "order-worker", "stock", "orders", "orders-dlq"
MAX_RECEIVES = 3
SQS_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
STOCK_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "dynamodb:UpdateItem",
     "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{STOCK_TABLE}"}]}
GOOD = [{"order_id": "o-1", "sku": "tea", "quantity": 2}, {"order_id": "o-2", "sku": "scone", "quantity": 3},
        {"order_id": "o-3", "sku": "tea", "quantity": 1}, {"order_id": "o-4", "sku": "jam", "quantity": 4},
        {"order_id": "o-5", "sku": "scone", "quantity": 1}, {"order_id": "o-6", "sku": "jam", "quantity": 2},
        {"order_id": "o-7", "sku": "tea", "quantity": 5}, {"order_id": "o-8", "sku": "honey", "quantity": 1}]
BAD = ["not an order", json.dumps({"order_id": "o-9", "sku": "tea", "quantity": 0})]
# Bad messages in the middle of the batch, so a handler that stops at the first one leaves good ones unprocessed.
BODIES = [json.dumps(GOOD[0]), json.dumps(GOOD[1]), BAD[0], json.dumps(GOOD[2]), json.dumps(GOOD[3]), BAD[1],
          json.dumps(GOOD[4]), json.dumps(GOOD[5]), json.dumps(GOOD[6]), json.dumps(GOOD[7])]
EXPECTED_STOCK = dict(sorted(sum((Counter({o["sku"]: o["quantity"]}) for o in GOOD), Counter()).items()))

# A stand-in for order-worker in the checks of deploy.py, so they do not depend on the learner's handler: it
# prints the size of each batch, and reports the messages whose body is "bad" (or all of them: "fail all").
_PROBE = """
import json


def lambda_handler(event, context):
    records = event["Records"]
    print(json.dumps({"batch": [r["body"] for r in records]}))
    if any(r["body"] == "fail all" for r in records):
        raise RuntimeError("this batch fails")
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records if r["body"] == "bad"]}
"""


def _queue(lab, name: str, **attributes) -> tuple[str, str]:
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]
    return url, f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def _send_orders(lab, url: str, bodies) -> list[str]:
    """Send the bodies in one call (so they are all waiting before a poll); their message ids, in order."""
    entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)]
    answer = lab.client("sqs").send_message_batch(QueueUrl=url, Entries=entries)
    ids = {entry["Id"]: entry["MessageId"] for entry in answer["Successful"]}
    return [ids[str(i)] for i in range(len(bodies))]


def _worker(lab) -> None:
    """The stock table and the learner's order-worker, with a role that may poll queues and update the table."""
    lab.client("dynamodb").create_table(
        TableName=STOCK_TABLE, KeySchema=[{"AttributeName": "sku", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "sku", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    role = lab.role(f"{WORKER}-role", policy=STOCK_POLICY, managed=(SQS_EXECUTION,))
    lab.deploy(WORKER, "sqs_worker", role=role, environment={"TABLE_NAME": STOCK_TABLE})


def _stock(lab) -> dict[str, int]:
    items = lab.client("dynamodb").scan(TableName=STOCK_TABLE)["Items"]
    return dict(sorted((item["sku"]["S"], int(item.get("reserved", {}).get("N", 0))) for item in items))


def _waiting(lab, url: str) -> int:
    attributes = lab.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def _dead_letters(lab) -> list[str]:
    sqs = lab.client("sqs")
    url = sqs.get_queue_url(QueueName=ORDERS_DLQ)["QueueUrl"]
    return [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]


def _worker_invocations(lab) -> list:
    return [r for r in lab.aws.invocations if r.function_name == WORKER]


def _batches(lab) -> list[list[str]]:
    """The batches the probe received, in order."""
    return [json.loads(line)["batch"] for r in _worker_invocations(lab) for line in function_output(r.log)
            if line.startswith('{"batch"')]


def _stock_failure(stock: dict) -> Failure:
    return Failure(expected=f"the reserved stock {show(EXPECTED_STOCK)}: each of the {len(GOOD)} good orders "
                            "reserved exactly once",
                   got=f"{show(stock)}",
                   hint="More than expected: good orders were processed again because their batch came back. "
                        "Less: the handler stopped at the first bad message. Handle each message in its own "
                        "try/except and report only the failed ones.")


@check("SQS worker: reports bad messages in batchItemFailures, so good ones are processed once", points=3)
def partial_failures(lab):
    _worker(lab)
    url, arn = _queue(lab, ORDERS_QUEUE, VisibilityTimeout=30)
    ids = _send_orders(lab, url, BODIES)
    lab.client("lambda").create_event_source_mapping(FunctionName=WORKER, EventSourceArn=arn, BatchSize=10,
                                                     FunctionResponseTypes=["ReportBatchItemFailures"])
    first = _worker_invocations(lab)[0]
    bad_ids = {ids[i] for i, body in enumerate(BODIES) if body in BAD}
    if first.error_type:
        return Failure(expected=f"a batch of {len(BODIES)} messages, 2 of them bad, to return batchItemFailures",
                       got=f"the function failed: {describe_invocation_error(first)}; the whole batch goes back to "
                           "the queue",
                       hint="Catch the error of each message (try/except around parse and reserve) and go on with "
                            "the next one.")
    payload = first.payload if isinstance(first.payload, dict) else {}
    reported = {item.get("itemIdentifier") for item in payload.get("batchItemFailures") or []
                if isinstance(item, dict)}
    if reported != bad_ids:
        # Show the objects the check compares, not bare ids: a list of id strings is a common wrong answer.
        wanted = {"batchItemFailures": [{"itemIdentifier": i} for i in sorted(bad_ids)]}
        bare_ids = any(isinstance(item, str) for item in payload.get("batchItemFailures") or [])
        return Failure(expected=f"the 2 bad messages reported by messageId: {show(wanted, 400)}",
                       got=f"the function returned {show(first.payload, 400)}",
                       hint=('Each item is an object {"itemIdentifier": record["messageId"]}, not the id alone. '
                             if bare_ids else "") +
                            '{"batchItemFailures": [{"itemIdentifier": record["messageId"]}, ...]}, one item per '
                            "failed message, none for the others. An unknown identifier fails the whole batch.")
    lab.aws.advance(minutes=2)  # the bad ones come back, again and again: the good ones must not
    stock = _stock(lab)
    if stock != EXPECTED_STOCK:
        return _stock_failure(stock)
    if _waiting(lab, url) != len(BAD):
        return Failure(expected="the 2 bad messages still in the queue (to be retried, then sent to a ORDERS_DLQ)",
                       got=f"{_waiting(lab, url)} message(s) in the queue",
                       hint="A message the function does not report as failed is deleted.")


@check("SQS worker: the queue moves a message to orders-dlq after 3 failed receives", points=2)
def redrive(lab):
    arn = lab.call(lab.module("sqs_worker/deploy.py").create_queues, lab.client("sqs"),
                   what="sqs_worker/deploy.create_queues(sqs)")
    sqs = lab.client("sqs")
    url = sqs.get_queue_url(QueueName=ORDERS_QUEUE)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    lab.deploy(WORKER, {"lambda_function.py": _PROBE})
    lab.client("lambda").create_event_source_mapping(FunctionName=WORKER, EventSourceArn=arn, BatchSize=10)
    sqs.send_message(QueueUrl=url, MessageBody="fail all")
    for _ in range(12):  # the message comes back after each visibility timeout
        lab.aws.advance(seconds=int(attributes.get("VisibilityTimeout", 30)) + 1)
    tries, dead = len(_worker_invocations(lab)), _dead_letters(lab)
    if dead != ["fail all"] or tries != MAX_RECEIVES:
        redrive_policy = attributes.get("RedrivePolicy")
        return Failure(expected=f"a message that always fails to be received {MAX_RECEIVES} times, then moved to "
                                f"{ORDERS_DLQ}",
                       got=f"it was received {tries} time(s); {ORDERS_DLQ} holds {len(dead)} message(s); the queue's "
                           f"RedrivePolicy is {redrive_policy or 'not set'}",
                       hint="Give the queue the attribute RedrivePolicy = json.dumps({\"deadLetterTargetArn\": "
                            "<the ORDERS_DLQ's ARN>, \"maxReceiveCount\": MAX_RECEIVES}).")


@check("SQS worker: the mapping batches for 5 seconds and reads batchItemFailures", points=2)
def mapping(lab):
    url, arn = _queue(lab, ORDERS_QUEUE, VisibilityTimeout=60)
    lab.deploy(WORKER, {"lambda_function.py": _PROBE})
    uuid = lab.call(lab.module("sqs_worker/deploy.py").connect, lab.client("lambda"), arn,
                    what="sqs_worker/deploy.connect(lambda_client, queue_arn)")
    config = lab.client("lambda").get_event_source_mapping(UUID=uuid) if isinstance(uuid, str) else {}
    if config.get("BatchSize") != 10:
        return Failure(expected="a mapping with BatchSize 10", got=f"BatchSize {config.get('BatchSize')}",
                       hint="create_event_source_mapping takes BatchSize=...; connect() returns its UUID.")
    for body in ("good", "bad", "good"):
        lab.client("sqs").send_message(QueueUrl=url, MessageBody=body)
    lab.aws.advance(seconds=4)
    early = len(_batches(lab))
    lab.aws.advance(seconds=1)
    if early or _batches(lab) != [["good", "bad", "good"]]:
        return Failure(expected="no invocation for 5 seconds, then one batch of the 3 messages sent",
                       got=f"the batches {show(_batches(lab))}",
                       hint="MaximumBatchingWindowInSeconds=5 makes the poller wait up to 5 seconds to fill a batch "
                            "(fewer invocations, fuller batches).")
    lab.aws.advance(seconds=61)
    if _batches(lab)[1:] != [["bad"]]:
        return Failure(expected='the message the function reported as failed ("bad") to come back alone after the '
                                "visibility timeout",
                       got=f"the batches {show(_batches(lab))}" + (
                           "; the mapping's FunctionResponseTypes is " + show(config.get("FunctionResponseTypes"))),
                       hint='FunctionResponseTypes=["ReportBatchItemFailures"]: without it the mapping treats any '
                            "answer as success and deletes the whole batch, failed messages included.")


@check("SQS worker: end to end: good orders reserved once, bad ones in orders-dlq", points=3)
def worker_end_to_end(lab):
    lab.call(lab.module("sqs_worker/deploy.py").main, what="sqs_worker/deploy.main()")
    sqs = lab.client("sqs")
    url = sqs.get_queue_url(QueueName=ORDERS_QUEUE)["QueueUrl"]
    _send_orders(lab, url, BODIES)
    lab.aws.advance(minutes=10)
    failed = [r for r in _worker_invocations(lab) if r.error_type]
    if failed:
        return Failure(expected="order-worker never to fail as a whole", got=describe_invocation_error(failed[0]),
                       hint="Make the first SQS worker check pass first.")
    stock = _stock(lab)
    if stock != EXPECTED_STOCK:
        return _stock_failure(stock)
    dead = sorted(_dead_letters(lab))
    if dead != sorted(BAD) or _waiting(lab, url):
        return Failure(expected=f"the 2 bad messages in {ORDERS_DLQ} after 10 minutes, none left in {ORDERS_QUEUE}",
                       got=f"{ORDERS_DLQ} holds {show(dead)}; {_waiting(lab, url)} message(s) left in {ORDERS_QUEUE}",
                       hint="Make the three SQS worker checks above pass first: each one tries one part of this.")
