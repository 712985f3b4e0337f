"""Rows through boto3 and moto: invoke against moto's own echo, an S3 upload with and without a trigger, and an SQS
queue drained by an event source mapping against one drained by hand."""

from __future__ import annotations

import json
import math
import time

from harness import EVENT, HANDLER_SOURCE, Figure, Row, Stats, interleaved, log, time_batch

REGION = "us-east-1"
ACCOUNT = "123456789012"
TRUST_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
SQS_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
PAYLOAD = json.dumps(EVENT).encode()
ECHO_RATIO_TARGET = 1.2  # issue 20 (1.5 in issue 7)
SQS_TARGET_RATE = 20_000  # messages a second drained by a mapping (issue 20)
SQS_TARGET_MESSAGES = 10_000
SQS_TARGET_S = SQS_TARGET_MESSAGES / SQS_TARGET_RATE


def _clients(*names: str):
    import boto3

    return [boto3.client(name, region_name=REGION) for name in names]


def deploy(name: str, policies: tuple[str, ...] = (BASIC_EXECUTION,)) -> str:
    """Create an execution role with ``policies`` and the benchmark handler as function ``name``; returns its ARN.
    (moto alone knows no AWS managed policies: its echo gets a role without any.)"""
    from lambda_local import zip_package

    iam, lam = _clients("iam", "lambda")
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
    for policy in policies:
        iam.attach_role_policy(RoleName=f"{name}-role", PolicyArn=policy)
    return lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="lambda_function.handler",
                               Code={"ZipFile": zip_package({"lambda_function.py": HANDLER_SOURCE})})["FunctionArn"]


def _invoke_batch(lam, name: str):
    def batch(n: int) -> None:
        for _ in range(n):
            lam.invoke(FunctionName=name, Payload=PAYLOAD)["Payload"].read()

    return batch


def _block(mock, size: int, runs: int, ours: bool) -> list[float]:
    """Runs of boto3 invokes inside one mock: a function deployed, warmed up, then timed."""
    with mock as sandbox:
        (lam,) = _clients("lambda")
        deploy("bench-echo", (BASIC_EXECUTION,) if ours else ())
        batch = _invoke_batch(lam, "bench-echo")
        first = lam.invoke(FunctionName="bench-echo", Payload=PAYLOAD)
        body = first["Payload"].read()
        expected = {"statusCode": 200, "body": "Ada"} if ours else EVENT
        if json.loads(body) != expected or "FunctionError" in first:
            raise RuntimeError(f"unexpected invoke response: {body[:200]!r}")
        batch(size)  # warm-up
        times = []
        for _ in range(runs):
            times.append(time_batch(batch, size))
            if ours:
                sandbox.invocations.clear()
        return times


def boto3_invoke(quick: bool) -> Row:
    import moto

    import lambda_local

    rounds, runs, size = (1, 3, 20) if quick else (5, 3, 50)
    ours, echo = [], []
    # A mock per block: moto's echo and lambda_local each get their own, taking turns so drift hits both.
    for _ in range(rounds):
        echo += _block(moto.mock_aws(config={"lambda": {"use_docker": False}}), size, runs, ours=False)
        ours += _block(lambda_local.mock_aws(seed=1), size, runs, ours=True)
    ours_s, echo_s = Stats.of(ours).scaled(1e3), Stats.of(echo).scaled(1e3)
    ratio = ours_s.median / echo_s.median
    return Row("boto3", "boto3 invoke, warm", "ms", Figure("lambda_local.mock_aws()", ours_s),
               Figure("moto lambda_simple echo", echo_s), ratio=ratio,
               target=f"{ratio:.3f}x < {ECHO_RATIO_TARGET}x", target_met=ratio < ECHO_RATIO_TARGET,
               notes=["same payload; ours runs the handler and writes its log to CloudWatch Logs and its metrics "
                      "to CloudWatch; moto's echo returns the payload without running anything, after moto's "
                      "generic dispatch, which ours skips for Invoke (aws/patches._invoke_without_routing); "
                      f"{rounds * runs} runs of {size} invokes per side"])


def s3_trigger(quick: bool) -> Row:
    import lambda_local

    runs, size = (5, 10) if quick else (15, 20)
    with lambda_local.mock_aws(seed=1) as aws:
        s3, lam = _clients("s3", "lambda")
        arn = deploy("bench-on-upload")
        for bucket in ("bench-triggered", "bench-plain"):
            s3.create_bucket(Bucket=bucket)
        lam.add_permission(FunctionName="bench-on-upload", StatementId="s3-invoke", Action="lambda:InvokeFunction",
                           Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::bench-triggered",
                           SourceAccount=ACCOUNT)
        s3.put_bucket_notification_configuration(Bucket="bench-triggered", NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
        body = b"x" * 1024

        def upload(bucket: str):
            def batch(n: int) -> None:
                for i in range(n):
                    s3.put_object(Bucket=bucket, Key=f"upload-{i % 4}.txt", Body=body)

            return batch

        upload("bench-triggered")(3)
        if [r.function_name for r in aws.invocations[-3:]] != ["bench-on-upload"] * 3:
            raise RuntimeError("the S3 upload did not invoke the function")
        triggered, plain = interleaved(upload("bench-triggered"), upload("bench-plain"), size=size, runs=runs,
                                       after_run=aws.invocations.clear)
    triggered, plain = triggered.scaled(1e3), plain.scaled(1e3)
    return Row("s3", "S3 put_object (1 KB), warm", "ms", Figure("bucket notifies a function", triggered),
               Figure("same upload, no notification", plain), ratio=triggered.median / plain.median,
               notes=["S3 invokes asynchronously; the first attempt runs before put_object returns, so the row "
                      f"includes the whole invocation; {runs} runs of {size} uploads per side"],
               details={"trigger_cost_ms": triggered.median - plain.median})


# --- SQS ------------------------------------------------------------------------------------------------------------
def _fill(sqs, name: str, count: int) -> tuple[str, float]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    start = time.perf_counter()
    for first in range(0, count, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": json.dumps({"n": first + i})} for i in range(min(10, count - first))])
    return url, time.perf_counter() - start


def _left(sqs, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def _by_mapping(aws, sqs, lam, count: int) -> dict:
    name = f"bench-mapped-{count}"
    url, fill_s = _fill(sqs, name, count)
    before = len(aws.invocations)
    start = time.perf_counter()
    mapping = lam.create_event_source_mapping(FunctionName="bench-worker", BatchSize=10,
                                              EventSourceArn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}")
    drain_s = time.perf_counter() - start
    invocations = len(aws.invocations) - before
    lam.delete_event_source_mapping(UUID=mapping["UUID"])
    left = _left(sqs, url)
    if left or invocations != math.ceil(count / 10):
        raise RuntimeError(f"the mapping left {left} of {count} messages after {invocations} invocations")
    aws.invocations.clear()
    return {"fill_s": fill_s, "drain_s": drain_s}


def _by_hand(sqs, count: int) -> dict:
    url, fill_s = _fill(sqs, f"bench-manual-{count}", count)
    received = 0
    start = time.perf_counter()
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
        received += len(messages)
    drain_s = time.perf_counter() - start
    if received != count:
        raise RuntimeError(f"received {received} of {count} messages by hand")
    return {"fill_s": fill_s, "drain_s": drain_s}


def _exponent(sizes: list[int], costs: list[float]) -> float:
    """How cost grows with queue size, from the last two sizes (2, quadratic, when there is only one)."""
    if len(sizes) < 2 or costs[-2] <= 0:
        return 2.0
    k = math.log(costs[-1] / costs[-2]) / math.log(sizes[-1] / sizes[-2])
    return min(max(k, 1.0), 2.5)


def sqs_mapping(quick: bool, messages: int | None = None) -> Row:
    """Drain queues of growing size (a ladder) until the next size would not fit the time budget: the largest
    size measured makes the row. ``messages`` measures that one size, whatever it costs."""
    import lambda_local

    ladder = [messages] if messages else ([500, 1000] if quick else [1000, 2000, SQS_TARGET_MESSAGES])
    budget_s = math.inf if messages else (10.0 if quick else 60.0)
    steps: list[dict] = []
    started = time.perf_counter()
    with lambda_local.mock_aws(seed=1) as aws:
        sqs, lam = _clients("sqs", "lambda")
        deploy("bench-worker", (SQS_EXECUTION,))
        for i, count in enumerate(ladder):
            ours = _by_mapping(aws, sqs, lam, count)
            theirs = _by_hand(sqs, count)
            steps.append({"messages": count, "mapping": ours, "by_hand": theirs,
                          "wall_s": sum(ours.values()) + sum(theirs.values())})
            log(f"  sqs: {count:,} messages: mapping {ours['drain_s']:.2f} s, by hand {theirs['drain_s']:.2f} s "
                f"(filling the queues: {ours['fill_s'] + theirs['fill_s']:.1f} s)")
            if i + 1 < len(ladder):
                k = _exponent([s["messages"] for s in steps], [s["wall_s"] for s in steps])
                projected = steps[-1]["wall_s"] * (ladder[i + 1] / count) ** k
                if time.perf_counter() - started + projected > budget_s:
                    log(f"  sqs: stopping at {count:,}: {ladder[i + 1]:,} messages would take ~{projected:.0f} s")
                    break
    top = steps[-1]
    count = top["messages"]
    ours_s = Stats.of([top["mapping"]["drain_s"]]).rate(count)
    hand_s = Stats.of([top["by_hand"]["drain_s"]]).rate(count)
    notes = [f"{count:,} messages sent with send_message_batch first (not timed), then one mapping with "
             "BatchSize=10 drains them (timed: create_event_source_mapping returns when the queue is empty); "
             "the baseline receives 10 at a time and deletes them with delete_message_batch; one drain per size"]
    k = _exponent([s["messages"] for s in steps], [s["mapping"]["drain_s"] for s in steps])
    at_target = top["mapping"]["drain_s"] * (SQS_TARGET_MESSAGES / count) ** k
    if count != SQS_TARGET_MESSAGES:
        notes.append(f"stopped at {count:,} messages to keep make bench short: draining {SQS_TARGET_MESSAGES:,} "
                     f"would take ~{at_target:.0f} s (cost grows as size^{k:.1f} here); force it with "
                     f"--sqs-messages {SQS_TARGET_MESSAGES}")
    target = (f"{SQS_TARGET_MESSAGES / at_target:,.0f} msg/s{'' if count == SQS_TARGET_MESSAGES else ' (projected)'}"
              f" >= {SQS_TARGET_RATE:,}")
    return Row("sqs", f"SQS event source mapping, {count:,} messages", "msg/s",
               Figure("mapping drains the queue", ours_s), Figure("receive + delete with boto3", hand_s),
               ratio=top["mapping"]["drain_s"] / top["by_hand"]["drain_s"], target=target,
               target_met=at_target < SQS_TARGET_S, notes=notes,
               details={"steps": steps, "seconds_for_target": at_target, "growth_exponent": k})
