"""Everything observable of SQS event source mappings in several scenarios, as JSON, to compare two checkouts.

    PYTHONPATH=/path/to/a python benchmarks/sqs_observables.py /tmp/a.json
    PYTHONPATH=/path/to/b python benchmarks/sqs_observables.py /tmp/b.json && cmp /tmp/a.json /tmp/b.json

Scenarios: a plain queue with partial batch failures, a crashing batch, an invalid partial-batch response and a
redrive to a DLQ; a FIFO queue with groups and a failed batch; filter criteria; a function forwarding to another
mapped queue; a recursive loop (a function sending to its own queue); reserved concurrency (throttled pollers);
MaximumConcurrency; a batching window. Recorded: every payload a poller sends (and its chain), what each function
saw of its event (and changed in it), every invocation (ids, errors, logs, virtual times), the queues' attributes and
leftover messages, the DLQ, the mappings, every CloudWatch metric and log line, and the seeded generator's state.
Durations and memory in REPORT lines are masked (they are measured); everything else must be identical. It takes a
few seconds (eight functions' cold starts), too slow for the unit suite: a change to the pollers, the SQS records or
moto's SQS patches runs it before and after.
"""

import hashlib
import io
import json
import re
import sys
import zipfile

import boto3

import lambda_local
from lambda_local import sandbox as sb

captured = []
orig = sb.Sandbox.invoke


def spy(self, fn, payload, **kw):
    captured.append((fn.function_name, payload.decode(), kw.get("chain")))
    return orig(self, fn, payload, **kw)


sb.Sandbox.invoke = spy

HANDLER = """
import json, os, boto3
def handler(event, context):
    failures = []
    print(repr(event))
    for r in list(event["Records"]):
        r.pop("md5OfBody")
        r["attributes"]["ApproximateReceiveCount"] = r["attributes"]["ApproximateReceiveCount"]
    event["Records"].append({"messageId": "extra", "body": "", "attributes": {"ApproximateReceiveCount": "1"}})
    for r in event["Records"]:
        body = r["body"]
        if "crash" in body and r["attributes"]["ApproximateReceiveCount"] == "1":
            raise RuntimeError("crash")
        if "badreport" in body:
            return {"batchItemFailures": [{"itemIdentifier": "nope"}]}
        if "fail" in body:
            failures.append({"itemIdentifier": r["messageId"]})
        if "forward" in body:
            boto3.client("sqs").send_message(QueueUrl=os.environ["NEXT"], MessageBody="forwarded " + body)
        if "loop" in body:
            boto3.client("sqs").send_message(QueueUrl=os.environ["SELF"], MessageBody=body)
    print("got", len(event["Records"]), context.aws_request_id)
    return {"batchItemFailures": failures}
"""
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
SAN = re.compile(r"(Duration|Max Memory Used|Init Duration|Billed Duration): [0-9.]+")


def zipped():
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("lambda_function.py", HANDLER)
    return b.getvalue()


ARN = "arn:aws:sqs:us-east-1:123456789012:"
with lambda_local.mock_aws(seed=7, start="2026-01-01T00:00:00Z") as aws:
    iam, lam, sqs, cw, logs = (
        boto3.client(n, region_name="us-east-1") for n in ("iam", "lambda", "sqs", "cloudwatch", "logs")
    )
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    for p in ("service-role/AWSLambdaSQSQueueExecutionRole", "AmazonSQSFullAccess"):
        iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::aws:policy/" + p)
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    nxt = sqs.create_queue(QueueName="next")["QueueUrl"]
    q = sqs.create_queue(
        QueueName="work",
        Attributes={
            "VisibilityTimeout": "20",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
        },
    )["QueueUrl"]
    fq = sqs.create_queue(
        QueueName="work.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "10"},
    )["QueueUrl"]
    fq2 = sqs.create_queue(QueueName="filtered")["QueueUrl"]
    lq = sqs.create_queue(QueueName="loop")["QueueUrl"]
    tq = sqs.create_queue(QueueName="throttled", Attributes={"VisibilityTimeout": "5"})["QueueUrl"]
    mq = sqs.create_queue(QueueName="maxconc")["QueueUrl"]
    wq = sqs.create_queue(QueueName="window")["QueueUrl"]
    for name in ("fn", "fifo-fn", "filt-fn", "next-fn", "loop-fn", "thr-fn", "max-fn", "win-fn"):
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="lambda_function.handler",
            Code={"ZipFile": zipped()},
            Environment={"Variables": {"NEXT": nxt, "SELF": lq}},
        )
    lam.put_function_concurrency(FunctionName="thr-fn", ReservedConcurrentExecutions=2)
    bodies = [
        "plain",
        "fail me",
        "crash here",
        json.dumps({"kind": "order", "n": 1}),
        "forward this",
        "ünïcödé ✓",
        "x" * 300,
        "badreport",
    ]
    for i in range(27):
        attrs = {}
        if i % 3 == 0:
            attrs = {
                "s": {"DataType": "String", "StringValue": f"v{i}"},
                "n": {"DataType": "Number", "StringValue": str(i)},
                "b": {"DataType": "Binary", "BinaryValue": bytes([i, 0, 255])},
                "c": {"DataType": "String.custom", "StringValue": "c"},
            }
        kw = {"MessageAttributes": attrs} if attrs else {}
        sqs.send_message(QueueUrl=q, MessageBody=f"{bodies[i % len(bodies)]} #{i}", **kw)
    for i in range(17):
        sqs.send_message(
            QueueUrl=fq,
            MessageBody=f"{'crash' if i == 3 else 'fifo'} {i}",
            MessageGroupId=f"g{i % 3}",
            **({"MessageDeduplicationId": f"d{i}"} if i % 2 else {}),
        )
    lam.create_event_source_mapping(FunctionName="next-fn", EventSourceArn=ARN + "next", BatchSize=3)
    lam.create_event_source_mapping(
        FunctionName="fn", EventSourceArn=ARN + "work", BatchSize=4, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    lam.create_event_source_mapping(FunctionName="fifo-fn", EventSourceArn=ARN + "work.fifo", BatchSize=5)
    for _ in range(6):
        aws.advance(25)
    sqs.send_message_batch(
        QueueUrl=fq2,
        Entries=[{"Id": str(i), "MessageBody": json.dumps({"kind": "a" if i % 2 else "b", "i": i})} for i in range(10)],
    )
    lam.create_event_source_mapping(
        FunctionName="filt-fn",
        EventSourceArn=ARN + "filtered",
        BatchSize=10,
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": {"kind": ["a"]}})}]},
    )
    aws.advance(5)
    sqs.send_message(QueueUrl=q, MessageBody="late one")
    # recursion: a function sending its message back to its own queue is stopped
    lam.create_event_source_mapping(FunctionName="loop-fn", EventSourceArn=ARN + "loop", BatchSize=1)
    sqs.send_message(QueueUrl=lq, MessageBody="loop forever")
    aws.advance(5)
    # reserved concurrency 2: a backlog of 50 read by 5 pollers, 3 of them throttled each round
    for first in range(0, 50, 10):
        sqs.send_message_batch(QueueUrl=tq, Entries=[{"Id": str(i), "MessageBody": f"t{first + i}"} for i in range(10)])
    lam.create_event_source_mapping(FunctionName="thr-fn", EventSourceArn=ARN + "throttled", BatchSize=2)
    for _ in range(4):
        aws.advance(6)
    # MaximumConcurrency 2
    for first in range(0, 30, 10):
        sqs.send_message_batch(QueueUrl=mq, Entries=[{"Id": str(i), "MessageBody": f"m{first + i}"} for i in range(10)])
    lam.create_event_source_mapping(
        FunctionName="max-fn", EventSourceArn=ARN + "maxconc", BatchSize=3, ScalingConfig={"MaximumConcurrency": 2}
    )
    # a batching window
    lam.create_event_source_mapping(
        FunctionName="win-fn", EventSourceArn=ARN + "window", BatchSize=5, MaximumBatchingWindowInSeconds=3
    )
    sqs.send_message(QueueUrl=wq, MessageBody="w1")
    aws.advance(1)
    sqs.send_message(QueueUrl=wq, MessageBody="w2")
    aws.advance(5)
    for i in range(7):
        sqs.send_message(QueueUrl=wq, MessageBody=f"wb{i}")
    aws.advance(5)
    queues = (q, fq, fq2, dlq, nxt, lq, tq, mq, wq)
    out = {
        "payloads": captured,
        "invocations": [
            (
                i.function_name,
                i.request_id,
                i.error_type,
                i.error_message,
                i.timestamp,
                i.function_error,
                i.cold_start,
                i.environment_id,
                i.log_stream_name,
                SAN.sub(r"\1: N", i.log),
            )
            for i in aws.invocations
        ],
        "rng": hashlib.sha256(repr(aws.rng.getstate()).encode()).hexdigest(),
        "left": {
            u: {k: v for k, v in sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["All"])["Attributes"].items()}
            for u in queues
        },
        "dlq": sqs.receive_message(
            QueueUrl=dlq, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
        )["Messages"],
        "leftover": {
            u: sqs.receive_message(
                QueueUrl=u, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
            ).get("Messages", [])
            for u in queues
        },
        "mappings": [
            {k: v for k, v in m.items() if k not in ("UUID", "LastModified")}
            for m in lam.list_event_source_mappings()["EventSourceMappings"]
        ],
    }
    metrics = {}
    for fname in ("fn", "fifo-fn", "filt-fn", "next-fn", "loop-fn", "thr-fn", "max-fn", "win-fn"):
        for metric in (
            "Invocations",
            "Errors",
            "Throttles",
            "ConcurrentExecutions",
            "Duration",
            "RecursiveInvocationsDropped",
        ):
            stats = cw.get_metric_statistics(
                Namespace="AWS/Lambda",
                MetricName=metric,
                Dimensions=[{"Name": "FunctionName", "Value": fname}],
                StartTime="2025-12-31T00:00:00Z",
                EndTime="2026-01-03T00:00:00Z",
                Period=60,
                Statistics=["SampleCount", "Sum"] if metric != "Duration" else ["SampleCount"],
            )
            metrics[f"{fname}/{metric}"] = sorted(
                (str(d["Timestamp"]), d.get("SampleCount"), d.get("Sum") if metric != "Duration" else None)
                for d in stats["Datapoints"]
            )
    out["metrics"] = metrics
    out["metric_list"] = sorted(json.dumps(m, sort_keys=True) for m in cw.list_metrics()["Metrics"])
    out["logs"] = {}
    for g in logs.describe_log_groups()["logGroups"]:
        evs = logs.filter_log_events(logGroupName=g["logGroupName"])["events"]
        out["logs"][g["logGroupName"]] = [
            (e["logStreamName"], e["timestamp"], SAN.sub(r"\1: N", e["message"])) for e in evs
        ]
    out["rng_end"] = hashlib.sha256(repr(aws.rng.getstate()).encode()).hexdigest()
json.dump(out, open(sys.argv[1], "w"), indent=1, sort_keys=True, default=str)
print(
    len(captured),
    "payloads;",
    len(out["invocations"]),
    "invocations; rng",
    out["rng"][:12],
    {k: len(v) for k, v in out["logs"].items()},
)
