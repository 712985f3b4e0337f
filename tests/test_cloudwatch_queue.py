"""CloudWatch writes queued until read (aws/state.py, issue 20): whatever reads CloudWatch Logs or metrics sees what
it saw when every invocation wrote at once: the lines, their timestamps and ingestion times, the order, the data
points; subscribers get a function's lines as they are written."""

import datetime
import threading
import time

import boto3

from lambda_local.aws import state
from conftest import invoke

SOURCE = "def handler(event, context):\n    print('hello', event.get('n'))\n    return event\n"


def _events(group):
    logs = boto3.client("logs")
    return [e for s in logs.describe_log_streams(logGroupName=group)["logStreams"]
            for e in logs.get_log_events(logGroupName=group, logStreamName=s["logStreamName"])["events"]]


def test_logs_read_right_after_an_invoke_hold_its_lines_with_the_ingestion_time_of_the_invoke(aws, create):
    create("talker", SOURCE)
    before = int(time.time() * 1000)
    invoke("talker", {"n": 1})
    after = int(time.time() * 1000)
    time.sleep(0.05)  # a write made only when read would carry the time of the read
    events = _events("/aws/lambda/talker")
    messages = [e["message"] for e in events]
    assert any(m.startswith("START RequestId: ") for m in messages) and messages[-1].startswith("REPORT RequestId: ")
    assert any(m.strip() == "hello 1" for m in messages)
    assert all(before <= e["ingestionTime"] <= after for e in events)
    group = boto3.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/talker")["logGroups"][0]
    assert before <= group["creationTime"] <= after
    assert [e["timestamp"] for e in events] == [r for r in sorted(e["timestamp"] for e in events)]


def test_metrics_are_readable_right_after_an_invoke(aws, create):
    create("counted", SOURCE)
    for n in range(3):
        invoke("counted", {"n": n})
    start = datetime.datetime.fromtimestamp(aws.clock.time() - 600, datetime.timezone.utc)
    stats = boto3.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Lambda", MetricName="Invocations", Dimensions=[{"Name": "FunctionName", "Value": "counted"}],
        StartTime=start, EndTime=start + datetime.timedelta(hours=1), Period=3600, Statistics=["Sum"])
    assert [p["Sum"] for p in stats["Datapoints"]] == [3.0]
    names = {m["MetricName"] for m in boto3.client("cloudwatch").list_metrics(Namespace="AWS/Lambda")["Metrics"]}
    assert {"Invocations", "Errors", "Duration", "ConcurrentExecutions"} <= names


def test_lines_keep_the_order_they_were_written_in_across_functions_and_the_callers_own_writes(aws, create):
    create("first", SOURCE)
    create("second", SOURCE)
    invoke("first", {"n": 1})
    invoke("second", {"n": 2})
    logs = boto3.client("logs")  # the caller's own write in between: its event id comes between theirs
    logs.create_log_group(logGroupName="/mine")
    logs.create_log_stream(logGroupName="/mine", logStreamName="s")
    logs.put_log_events(logGroupName="/mine", logStreamName="s",
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": "mine"}])
    invoke("first", {"n": 3})
    found = []
    for group in ("/aws/lambda/first", "/aws/lambda/second", "/mine"):
        found += [(int(e["eventId"]), e["message"]) for e in logs.filter_log_events(logGroupName=group)["events"]]
    said = [m.strip() for _, m in sorted(found) if m.startswith(("hello", "mine"))]
    assert said == ["hello 1", "hello 2", "mine", "hello 3"]


def test_a_subscriber_gets_a_functions_lines_as_they_are_written_without_any_read(aws, create):
    create("listener", "def handler(event, context):\n    return None\n")
    create("speaker", SOURCE)
    invoke("speaker", {"n": 0})  # its log group exists now
    arn = boto3.client("lambda").get_function(FunctionName="listener")["Configuration"]["FunctionArn"]
    boto3.client("lambda").add_permission(FunctionName="listener", StatementId="logs",
                                          Action="lambda:InvokeFunction", Principal="logs.amazonaws.com")
    boto3.client("logs").put_subscription_filter(logGroupName="/aws/lambda/speaker", filterName="all",
                                                 filterPattern="", destinationArn=arn)
    invoke("speaker", {"n": 1})
    assert [r.function_name for r in aws.invocations][-2:] == ["speaker", "listener"]


def test_the_queue_is_written_every_few_invocations_so_memory_stays_flat(aws, create):
    create("busy", SOURCE)
    for n in range(state.PENDING_LIMIT):  # two writes each: logs and metrics
        invoke("busy", {"n": n})
    assert len(state._pending) < state.PENDING_LIMIT


def test_writes_queued_in_threads_reach_moto_once_each_in_order(aws, create):
    create("threaded", SOURCE)
    threads = [threading.Thread(target=invoke, args=("threaded", {"n": n})) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    said = sorted(e["message"].strip() for e in _events("/aws/lambda/threaded") if e["message"].startswith("hello"))
    assert said == [f"hello {n}" for n in range(4)]


def test_a_log_group_the_queue_creates_exists_for_the_iam_check_until_it_is_deleted(aws, create):
    create("gone", SOURCE)
    invoke("gone", {"n": 1})  # its writes still queued: the group counts as existing
    assert state.log_group_exists(aws.service.account_id, aws.service.region, "/aws/lambda/gone")
    boto3.client("logs").delete_log_group(logGroupName="/aws/lambda/gone")
    assert not state.log_group_exists(aws.service.account_id, aws.service.region, "/aws/lambda/gone")
