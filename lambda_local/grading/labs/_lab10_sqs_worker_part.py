"""Lab 07: an SQS worker with partial batch failures. Good messages are processed once; bad ones are retried
after the visibility timeout and end in the dead-letter queue after maxReceiveCount receives, on the virtual clock.
"""

from __future__ import annotations

import json
from collections import Counter

from ..checks import Failure, check, describe_invocation_error, function_output, show

LAB = "07-sqs-worker"
TITLE = "An SQS worker with partial batch failures"

FUNCTION, TABLE, QUEUE, DLQ = "order-worker", "stock", "orders", "orders-dlq"
ACCOUNT, REGION = "123456789012", "us-east-1"
MAX_RECEIVES = 3
SQS_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
STOCK_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "dynamodb:UpdateItem",
     "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"}]}
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


def _send(lab, url: str, bodies) -> list[str]:
    """Send the bodies in one call (so they are all waiting before a poll); their message ids, in order."""
    entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)]
    answer = lab.client("sqs").send_message_batch(QueueUrl=url, Entries=entries)
    ids = {entry["Id"]: entry["MessageId"] for entry in answer["Successful"]}
    return [ids[str(i)] for i in range(len(bodies))]


def _worker(lab) -> None:
    """The stock table and the learner's order-worker, with a role that may poll queues and update the table."""
    lab.client("dynamodb").create_table(
        TableName=TABLE, KeySchema=[{"AttributeName": "sku", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "sku", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    role = lab.role(f"{FUNCTION}-role", policy=STOCK_POLICY, managed=(SQS_EXECUTION,))
    lab.deploy(FUNCTION, role=role, environment={"TABLE_NAME": TABLE})


def _stock(lab) -> dict[str, int]:
    items = lab.client("dynamodb").scan(TableName=TABLE)["Items"]
    return dict(sorted((item["sku"]["S"], int(item.get("reserved", {}).get("N", 0))) for item in items))


def _waiting(lab, url: str) -> int:
    attributes = lab.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def _dead_letters(lab) -> list[str]:
    sqs = lab.client("sqs")
    url = sqs.get_queue_url(QueueName=DLQ)["QueueUrl"]
    return [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]


def _invocations(lab) -> list:
    return [r for r in lab.aws.invocations if r.function_name == FUNCTION]


def _batches(lab) -> list[list[str]]:
    """The batches the probe received, in order."""
    return [json.loads(line)["batch"] for r in _invocations(lab) for line in function_output(r.log)
            if line.startswith('{"batch"')]


def _stock_failure(stock: dict) -> Failure:
    return Failure(expected=f"the reserved stock {show(EXPECTED_STOCK)}: each of the {len(GOOD)} good orders "
                            "reserved exactly once",
                   got=f"{show(stock)}",
                   hint="More than expected: good orders were processed again because their batch came back. "
                        "Less: the handler stopped at the first bad message. Handle each message in its own "
                        "try/except and report only the failed ones.")


@check("reports bad messages in batchItemFailures, so good ones are processed once", points=3)
def partial_failures(lab):
    _worker(lab)
    url, arn = _queue(lab, QUEUE, VisibilityTimeout=30)
    ids = _send(lab, url, BODIES)
    lab.client("lambda").create_event_source_mapping(FunctionName=FUNCTION, EventSourceArn=arn, BatchSize=10,
                                                     FunctionResponseTypes=["ReportBatchItemFailures"])
    first = _invocations(lab)[0]
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
        return Failure(expected="the 2 bad messages still in the queue (to be retried, then sent to a DLQ)",
                       got=f"{_waiting(lab, url)} message(s) in the queue",
                       hint="A message the function does not report as failed is deleted.")


@check("the queue moves a message to orders-dlq after 3 failed receives", points=2)
def redrive(lab):
    arn = lab.call(lab.module("deploy.py").create_queues, lab.client("sqs"), what="deploy.create_queues(sqs)")
    sqs = lab.client("sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    lab.deploy(FUNCTION, {"lambda_function.py": _PROBE})
    lab.client("lambda").create_event_source_mapping(FunctionName=FUNCTION, EventSourceArn=arn, BatchSize=10)
    sqs.send_message(QueueUrl=url, MessageBody="fail all")
    for _ in range(12):  # the message comes back after each visibility timeout
        lab.aws.advance(seconds=int(attributes.get("VisibilityTimeout", 30)) + 1)
    tries, dead = len(_invocations(lab)), _dead_letters(lab)
    if dead != ["fail all"] or tries != MAX_RECEIVES:
        redrive_policy = attributes.get("RedrivePolicy")
        return Failure(expected=f"a message that always fails to be received {MAX_RECEIVES} times, then moved to "
                                f"{DLQ}",
                       got=f"it was received {tries} time(s); {DLQ} holds {len(dead)} message(s); the queue's "
                           f"RedrivePolicy is {redrive_policy or 'not set'}",
                       hint="Give the queue the attribute RedrivePolicy = json.dumps({\"deadLetterTargetArn\": "
                            "<the DLQ's ARN>, \"maxReceiveCount\": MAX_RECEIVES}).")


@check("the mapping batches for 5 seconds and reads batchItemFailures", points=2)
def mapping(lab):
    url, arn = _queue(lab, QUEUE, VisibilityTimeout=60)
    lab.deploy(FUNCTION, {"lambda_function.py": _PROBE})
    uuid = lab.call(lab.module("deploy.py").connect, lab.client("lambda"), arn,
                    what="deploy.connect(lambda_client, queue_arn)")
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


@check("end to end: good orders reserved once, bad ones in orders-dlq", points=3)
def end_to_end(lab):
    lab.call(lab.module("deploy.py").main, what="deploy.main()")
    sqs = lab.client("sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    _send(lab, url, BODIES)
    lab.aws.advance(minutes=10)
    failed = [r for r in _invocations(lab) if r.error_type]
    if failed:
        return Failure(expected="order-worker never to fail as a whole", got=describe_invocation_error(failed[0]),
                       hint="Make the first check pass first.")
    stock = _stock(lab)
    if stock != EXPECTED_STOCK:
        return _stock_failure(stock)
    dead = sorted(_dead_letters(lab))
    if dead != sorted(BAD) or _waiting(lab, url):
        return Failure(expected=f"the 2 bad messages in {DLQ} after 10 minutes, none left in {QUEUE}",
                       got=f"{DLQ} holds {show(dead)}; {_waiting(lab, url)} message(s) left in {QUEUE}",
                       hint="Make the three checks above pass first: each one tries one part of this.")
