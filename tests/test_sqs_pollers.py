"""Lambda's SQS pollers at AWS's pace: concurrent batches, failures that never stop a backlog, throttles against
reserved concurrency, and producers that never see a consumer's trouble."""

import json
from datetime import datetime

import boto3

from test_triggers import WORKER, _queue, _seen

RAISES_ON_POISON = """
import json
def handler(event, context):
    bodies = [json.loads(record["body"]) for record in event["Records"]]
    for record, body in zip(event["Records"], bodies):
        print(json.dumps({"id": body["id"], "receives": record["attributes"]["ApproximateReceiveCount"]}))
    if any(body.get("poison") for body in bodies):
        raise RuntimeError("poison in the batch")
"""


def _send(url, bodies):
    sqs = boto3.client("sqs")
    for start in range(0, len(bodies), 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": json.dumps(body)}
                                                      for i, body in enumerate(bodies[start:start + 10])])


def _counts(url):
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def _throttles(function):
    stats = boto3.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Lambda", MetricName="Throttles", Dimensions=[{"Name": "FunctionName", "Value": function}],
        StartTime=datetime(2025, 12, 31), EndTime=datetime(2026, 1, 2), Period=86400, Statistics=["Sum"])
    return sum(point["Sum"] for point in stats["Datapoints"])


def test_a_backlog_with_failing_batches_drains_while_the_failures_wait_for_their_visibility_timeout(aws, create):
    _, dlq_arn = _queue("backlog-dlq")
    url, arn = _queue("backlog", VisibilityTimeout=60,
                      RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}))
    poison = {0, 137, 500, 999}
    _send(url, [{"id": i, "poison": i in poison} for i in range(1000)])
    create("worker", RAISES_ON_POISON)
    boto3.client("lambda").create_event_source_mapping(FunctionName="worker", EventSourceArn=arn, BatchSize=10)

    first = _seen(aws, "worker")
    assert len(first) == 1000 and len(aws.invocations) == 100  # every batch tried at once, failures or not
    failed_batches = [r for r in aws.invocations if r.error_type]
    assert len(failed_batches) == len(poison)
    in_flight = 10 * len(poison)
    assert _counts(url) == (0, in_flight)  # the failed batches wait, invisible; everything else is deleted

    aws.advance(seconds=59)
    assert len(_seen(aws, "worker")) == 1000
    aws.advance(seconds=2)  # visible again after the visibility timeout, received a second time
    again = _seen(aws, "worker")[1000:]
    assert len(again) == in_flight and {s["receives"] for s in again} == {"2"}
    aws.advance(minutes=2)
    assert {s["receives"] for s in _seen(aws, "worker")[1000 + in_flight:]} == {"3"}
    aws.advance(minutes=2)  # a fourth receive would exceed maxReceiveCount: the messages go to the DLQ instead
    assert len(_seen(aws, "worker")) == 1000 + 2 * in_flight and _counts(url) == (0, 0)
    dlq_url = boto3.client("sqs").get_queue_url(QueueName="backlog-dlq")["QueueUrl"]
    assert _counts(dlq_url)[0] == in_flight


def test_pollers_beyond_reserved_concurrency_are_throttled_and_maximum_concurrency_avoids_it(aws, create):
    client = boto3.client("lambda")
    results = {}
    for name, scaling in (("reserved", None), ("capped", {"MaximumConcurrency": 2})):
        url, arn = _queue(f"{name}-queue", VisibilityTimeout=30)
        _send(url, [{"id": i} for i in range(100)])
        create(name, WORKER)
        client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
        client.create_event_source_mapping(FunctionName=name, EventSourceArn=arn, BatchSize=10,
                                           **({"ScalingConfig": scaling} if scaling else {}))
        results[name] = (len(_seen(aws, name)), _throttles(name), _counts(url))
    # 5 pollers against 2 reserved: in each round of 5 concurrent batches 3 are throttled; their messages wait
    assert results["reserved"] == (40, 6, (0, 60))
    # MaximumConcurrency 2 keeps the pollers within the reserved concurrency: nothing throttled, all processed
    assert results["capped"] == (100, 0, (0, 0))
    aws.advance(seconds=31)
    assert len(_seen(aws, "reserved")) > 40  # the throttled messages come back and are tried again


def test_send_message_never_fails_because_of_the_consumer(aws, create):
    client = boto3.client("lambda")
    url, arn = _queue("orphans", VisibilityTimeout=30)
    create("gone", WORKER)
    client.create_event_source_mapping(FunctionName="gone", EventSourceArn=arn)
    client.delete_function(FunctionName="gone")
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps({"id": 1}))
    assert _counts(url) == (1, 0)  # the message stays in the queue, untouched

    url, arn = _queue("blocked", VisibilityTimeout=30)
    create("blocked", WORKER)
    client.put_function_concurrency(FunctionName="blocked", ReservedConcurrentExecutions=0)
    client.create_event_source_mapping(FunctionName="blocked", EventSourceArn=arn)
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps({"id": 2}))
    assert _counts(url) == (0, 1) and _seen(aws, "blocked") == []  # received, throttled, back after 30 s
    assert _throttles("blocked") == 1
    aws.advance(seconds=31)
    assert _throttles("blocked") == 2 and _counts(url) == (0, 1)

    url, arn = _queue("broken", VisibilityTimeout=30)
    create("broken", "import nonexistent_module\ndef handler(event, context):\n    return 1\n")
    client.create_event_source_mapping(FunctionName="broken", EventSourceArn=arn)
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody="x")
    assert _counts(url) == (0, 1)  # the init error fails the batch; the message waits for its visibility timeout


FIFO_WORKER = """
import json
def handler(event, context):
    seen = [(json.loads(r["body"])["id"], r["attributes"]["ApproximateReceiveCount"]) for r in event["Records"]]
    print("BATCH " + json.dumps(seen))
    if any(json.loads(r["body"]).get("fail") and r["attributes"]["ApproximateReceiveCount"] == "1"
           for r in event["Records"]):
        raise RuntimeError("fails on the first receive")
"""


def test_fifo_order_survives_a_failed_batch_and_a_group_waits_while_in_flight(aws, create):
    url, arn = _queue("orders.fifo", FifoQueue="true", ContentBasedDeduplication="true", VisibilityTimeout=30)
    create("fifo", FIFO_WORKER)
    boto3.client("lambda").create_event_source_mapping(FunctionName="fifo", EventSourceArn=arn, BatchSize=2)
    messages = [("a0", "a"), ("a1", "a"), ("b0", "b"), ("a2", "a"), ("b1", "b"), ("a3", "a")]
    boto3.client("sqs").send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": json.dumps({"id": m, "fail": m == "a1"}), "MessageGroupId": group}
        for i, (m, group) in enumerate(messages)])

    def batches():
        return [(json.loads(line[6:]), r.error_type is None) for r in aws.invocations
                for line in r.log.splitlines() if line.startswith("BATCH ")]

    delivered = [m for batch, _ in batches() for m, _ in batch]
    assert not any(m in ("a2", "a3") for m in delivered)  # group a is held while a0/a1 wait to be retried
    assert [m for m in delivered if m.startswith("b")] == ["b0", "b1"]  # group b is not held by group a
    aws.advance(seconds=31)
    done = [m for batch, ok in batches() if ok for m, _ in batch]
    assert [m for m in done if m.startswith("a")] == ["a0", "a1", "a2", "a3"]  # in order, each once
    retried = [m for batch, _ in batches() for m, receives in batch if receives == "2"]
    assert retried[0] == "a0"  # redelivered from the first message of the failed batch, not from a later one


PRINTS_RECORDS_AND_FAILS = """
import json
def handler(event, context):
    print(json.dumps(event["Records"]))
    raise RuntimeError("not yet")  # the message comes back after its visibility timeout
"""


def _delivered(aws, name):
    return [record for r in aws.invocations if r.function_name == name
            for line in r.log.splitlines() if line.startswith("[{") for record in json.loads(line)]


def test_a_mapping_reads_messages_in_place_and_another_receivers_attribute_filter_takes_nothing_away(aws, create):
    """A mapping's receive reads the queue's messages without moto's copy; a consumer that asks for some attributes
    only gets a filtered copy, and the queue's message keeps all of them for the mapping's next delivery."""
    url, arn = _queue("orders", VisibilityTimeout=10)
    sqs, lam = boto3.client("sqs"), boto3.client("lambda")
    sqs.send_message(QueueUrl=url, MessageBody="order ✓", MessageAttributes={
        "Kind": {"DataType": "String", "StringValue": "order"}, "Raw": {"DataType": "Binary", "BinaryValue": b"\x00"}})
    create("printer", PRINTS_RECORDS_AND_FAILS)
    uuid = lam.create_event_source_mapping(FunctionName="printer", EventSourceArn=arn, BatchSize=1)["UUID"]
    lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    aws.advance(seconds=11)
    partial = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["Kind"], VisibilityTimeout=0)["Messages"][0]
    assert set(partial["MessageAttributes"]) == {"Kind"}
    everything = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], AttributeNames=["All"],
                                     VisibilityTimeout=0)["Messages"][0]
    lam.update_event_source_mapping(UUID=uuid, Enabled=True)

    first, again = _delivered(aws, "printer")
    assert set(again["messageAttributes"]) == {"Kind", "Raw"}
    assert again["md5OfMessageAttributes"] == everything["MD5OfMessageAttributes"] == first["md5OfMessageAttributes"]
    assert again["md5OfBody"] == everything["MD5OfBody"]
    counts = first["attributes"]["ApproximateReceiveCount"], again["attributes"]["ApproximateReceiveCount"]
    assert counts == ("1", "4")
    assert again["attributes"]["ApproximateFirstReceiveTimestamp"] == first["attributes"]["SentTimestamp"] \
        == everything["Attributes"]["ApproximateFirstReceiveTimestamp"]
    assert again["receiptHandle"] != first["receiptHandle"]


DECODES_AND_MUTATES = """
import json
def handler(event, context):
    containers = []
    def walk(value):
        if isinstance(value, (dict, list)):
            containers.append(id(value))
            for item in (value.values() if isinstance(value, dict) else value):
                walk(item)
    walk(event)
    same = repr(json.loads(json.dumps(event))) == repr(event) and len(set(containers)) == len(containers)
    print(json.dumps({"as_decoded": same, "bodies": [r["body"] for r in event["Records"]]}))
    keep = [r["messageId"] for r in event["Records"] if r["body"] == "keep"]
    for record in event["Records"]:  # a function may change its event: the poller's own books must not care
        record["messageId"] = "changed"
    event["Records"].clear()
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in keep]}
"""


def test_a_mappings_function_gets_its_event_as_decoding_the_payload_gives_it_and_may_change_it(aws, create):
    """The poller hands the runtime the event along with its JSON: the function gets fresh dicts, lists and strings,
    with the same key order (nothing shared), as decoding would give, and whatever it does to them changes nothing of
    what the poller deletes."""
    url, arn = _queue("decoded", VisibilityTimeout=10)
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=url, MessageBody="keep", MessageAttributes={
        "Kind": {"DataType": "String", "StringValue": "a"}, "Raw": {"DataType": "Binary", "BinaryValue": b"\x01"}})
    sqs.send_message(QueueUrl=url, MessageBody="done ✓", MessageAttributes={
        "Kind": {"DataType": "String", "StringValue": "b"}})
    create("decoder", DECODES_AND_MUTATES)
    boto3.client("lambda").create_event_source_mapping(FunctionName="decoder", EventSourceArn=arn, BatchSize=10,
                                                       FunctionResponseTypes=["ReportBatchItemFailures"])
    aws.advance(seconds=11)
    seen = [json.loads(line) for r in aws.invocations for line in r.log.splitlines() if line.startswith('{"as_')]
    assert seen == [{"as_decoded": True, "bodies": ["keep", "done ✓"]}, {"as_decoded": True, "bodies": ["keep"]}]
    assert _counts(url) == (0, 1)  # the reported failure is back in flight; the other message was deleted
