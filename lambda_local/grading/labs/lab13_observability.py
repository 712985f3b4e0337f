"""Lab 13: observability and testing. A checkout function with Powertools' Logger, Metrics and Tracer, an alarm on
its Errors that notifies a topic, and a unit test that catches an empty order.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from ..checks import Failure, check, describe_invocation_error, function_output, show

LAB = "13-observability"
TITLE = "Observability and testing"

FUNCTION = "checkout"
ORDERS = [{"order_id": "o-1", "lines": [{"price": 3, "qty": 2}, {"price": 4, "qty": 1}]},
          {"order_id": "o-2", "lines": [{"price": 7, "qty": 1}]}]
_FAILS = "def lambda_handler(event, context):\n    raise RuntimeError('payment service down')\n"


def _event(order: dict) -> dict:
    from ...events import rest_api_event

    return rest_api_event(method="POST", path="/checkout", body=order)


def _checkout(lab, order: dict, **config):
    record = lab.invoke(FUNCTION, _event(order))
    if record.error_type:
        raise Failure(expected=f"the checkout of {order['order_id']} to succeed", got=describe_invocation_error(record),
                      hint="Run the lab's first cell: it shows the function's log. An ImportModuleError means an "
                           "import line is wrong.")
    return record


def _json_lines(log: str) -> list[dict]:
    found = []
    for line in function_output(log):
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict):
            found.append(document)
    return found


@check("logs a JSON line with the order's id: checkout complete, at INFO", points=2)
def structured_logs(lab):
    lab.deploy(FUNCTION)
    record = _checkout(lab, ORDERS[0])
    lines = [d for d in _json_lines(record.log) if d.get("message") == "checkout complete"]
    if not lines:
        said = [line for line in function_output(record.log) if "checkout complete" in line]
        return Failure(expected='a JSON log line with "message": "checkout complete"',
                       got=f"the line {show(said[0])}" if said else "no such line",
                       hint='logger = Logger(service="checkout") at module level, then logger.info("checkout '
                            'complete", extra={"total": total}) instead of print.')
    line = lines[0]
    wanted = {"level": "INFO", "service": "checkout", "order_id": "o-1", "total": 10}
    got = {key: line.get(key) for key in wanted}
    if got != wanted:
        return Failure(expected=f"the keys {show(wanted)}", got=show(got),
                       hint="logger.append_keys(order_id=order_id) adds the key to every later line; "
                            "extra={...} to one line.")
    if "function_request_id" not in line:
        return Failure(expected="the invocation's request id on the line (function_request_id)", got=show(line, 300),
                       hint="@logger.inject_lambda_context on the handler adds the context's fields.")


@check("publishes OrderValue in the namespace Checkout", points=2)
def order_value_metric(lab):
    lab.deploy(FUNCTION)
    for order in ORDERS:
        _checkout(lab, order)
    now = datetime.now(timezone.utc)  # EMF lines carry the time they were written
    result = lab.client("cloudwatch").get_metric_data(
        MetricDataQueries=[{"Id": "v", "MetricStat": {"Metric": {
            "Namespace": "Checkout", "MetricName": "OrderValue",
            "Dimensions": [{"Name": "service", "Value": "checkout"}]}, "Period": 86400, "Stat": "Sum"}}],
        StartTime=now - timedelta(days=3650), EndTime=now + timedelta(days=3650))
    total = sum(result["MetricDataResults"][0]["Values"])
    if total != 17:
        listed = lab.client("cloudwatch").list_metrics()["Metrics"]
        seen = sorted({f"{m['Namespace']}/{m['MetricName']}" for m in listed if m["Namespace"] != "AWS/Lambda"})
        return Failure(expected="OrderValue summing to 17 (10 + 7) for the two orders, dimension service=checkout",
                       got=f"{total:g}; the custom metrics CloudWatch has: {show(seen)}",
                       hint='metrics = Metrics(namespace="Checkout", service="checkout"); '
                            'metrics.add_metric(name="OrderValue", unit=MetricUnit.Count, value=total); and '
                            "@metrics.log_metrics on the handler, which prints the EMF line.")


@check("annotates its trace with the order's id", points=2)
def trace_annotation(lab):
    lab.deploy(FUNCTION, TracingConfig={"Mode": "Active"})
    _checkout(lab, ORDERS[0])
    xray = lab.client("xray")
    now = datetime.now(timezone.utc)
    summaries = xray.get_trace_summaries(StartTime=now - timedelta(days=3650),
                                         EndTime=now + timedelta(days=3650))["TraceSummaries"]
    traces = xray.batch_get_traces(TraceIds=[s["Id"] for s in summaries])["Traces"] if summaries else []
    names, annotations = [], {}
    for trace in traces:
        for segment in trace["Segments"]:
            document = json.loads(segment["Document"])
            for sub in document.get("subsegments", []):
                names.append(sub.get("name"))
                annotations.update(sub.get("annotations", {}))
    if annotations.get("order_id") != "o-1":
        return Failure(expected="a subsegment annotated order_id = o-1 in the invocation's trace",
                       got=f"subsegments {show(names)}, annotations {show(annotations)}",
                       hint='tracer = Tracer(service="checkout"), @tracer.capture_lambda_handler on the handler '
                            '(the "## lambda_handler" subsegment), and tracer.put_annotation(key="order_id", '
                            "value=order_id) inside it.")


@check("alarm.py: an Errors alarm that fires and notifies the topic", points=2)
def errors_alarm(lab):
    sns, sqs = lab.client("sns"), lab.client("sqs")
    topic = sns.create_topic(Name="on-call")["TopicArn"]
    inbox = sqs.create_queue(QueueName="on-call-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"})
    lab.deploy(FUNCTION, {"lambda_function.py": _FAILS})  # a stand-in that always fails
    lab.call(lab.module("alarm.py").create_alarm, lab.client("cloudwatch"), FUNCTION, topic,
             what="alarm.create_alarm(cloudwatch, function_name, topic_arn)")
    alarms = lab.client("cloudwatch").describe_alarms()["MetricAlarms"]
    if not alarms:
        return Failure(expected="an alarm after create_alarm", got="no alarm",
                       hint="cloudwatch.put_metric_alarm(AlarmName=..., Namespace=\"AWS/Lambda\", "
                            "MetricName=\"Errors\", ...)")
    lab.aws.advance(minutes=2)
    for _ in range(2):
        lab.invoke(FUNCTION, {})
    lab.aws.advance(minutes=1)
    alarm = lab.client("cloudwatch").describe_alarms()["MetricAlarms"][0]
    if alarm["StateValue"] != "ALARM":
        shown = {k: alarm.get(k) for k in ("Namespace", "MetricName", "Dimensions", "Statistic", "Period",
                                           "Threshold", "ComparisonOperator")}
        return Failure(expected="ALARM a minute after two failed invocations",
                       got=f"{alarm['StateValue']} ({alarm.get('StateReason')}); the alarm: {show(shown, 400)}",
                       hint="Errors is in AWS/Lambda with the dimension FunctionName; Sum over 60 seconds, "
                            ">= 1.")
    messages = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages", [])
    if not messages:
        return Failure(expected=f"a notification on the topic {topic}", got="none",
                       hint="AlarmActions=[topic_arn] makes the alarm notify the topic when it goes to ALARM.")
    name = alarm["AlarmName"]
    if name != f"{FUNCTION}-errors":
        return Failure(expected=f"the alarm's name {FUNCTION}-errors", got=name, hint='AlarmName=f"{function_name}-errors"')


@check("unit_tests.py: an empty order is tested, and refused with 400", points=2)
def unit_test(lab):
    tests = lab.module("unit_tests.py")
    lab.call(tests.test_an_empty_order_is_refused, what="test_an_empty_order_is_refused()", timeout=20,
             hint="Run `python -m pytest` in the lab folder (the lab's last cell does) to see why it fails.")
    lab.deploy(FUNCTION)
    record = lab.invoke(FUNCTION, _event({"order_id": "o-3", "lines": []}))
    payload = record.payload if isinstance(record.payload, dict) else {}
    if payload.get("statusCode") != 400:
        return Failure(expected='400 {"error": "empty order"} for an order without lines',
                       got=describe_invocation_error(record) if record.error_type else show(payload),
                       hint="Return before totalling when order['lines'] is empty.")
