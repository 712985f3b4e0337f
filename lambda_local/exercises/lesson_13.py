"""Lesson 13, observability and testing (`notebooks/13_observability.ipynb`): an alarm on a function's throttles;
a structured log line with Powertools' Logger."""

from __future__ import annotations

import json

from ._aws import invalid_parameters
from ._core import exercise, right, wrong
from ._run import invoke_source, outcome, show

LESSON = "observability"

_ABOVE_ZERO = {("GreaterThanOrEqualToThreshold", 1.0), ("GreaterThanThreshold", 0.0)}


@exercise("13.1", "An alarm when the function is throttled",
          hint="Lambda's metrics are in the namespace AWS/Lambda with the dimension FunctionName; Throttles counts "
               "throttled requests, so its Sum over a 300-second period, >= 1, alarms on any throttle",
          right_sample=dict(AlarmName="orders-throttled", Namespace="AWS/Lambda", MetricName="Throttles",
                            Dimensions=[{"Name": "FunctionName", "Value": "orders"}], Statistic="Sum", Period=300,
                            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
                            TreatMissingData="notBreaching"),
          wrong_sample=dict(AlarmName="orders-throttled", Namespace="Lambda", MetricName="Throttles",
                            Dimensions=[{"Name": "Function", "Value": "orders"}], Statistic="Average", Period=300,
                            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold"),
          solution="""
              throttle_alarm = dict(
                  AlarmName="orders-throttled", Namespace="AWS/Lambda", MetricName="Throttles",
                  Dimensions=[{"Name": "FunctionName", "Value": "orders"}], Statistic="Sum", Period=300,
                  EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
                  TreatMissingData="notBreaching",
              )   # then: cloudwatch.put_metric_alarm(**throttle_alarm)""")
def throttle_alarm(parameters):
    problem = invalid_parameters("cloudwatch", "PutMetricAlarm", parameters)
    if problem:
        yield wrong(f"CloudWatch would refuse this call: {problem}")
        return
    metric = (parameters.get("Namespace"), parameters.get("MetricName"))
    if metric == ("AWS/Lambda", "Throttles"):
        yield right("it watches AWS/Lambda Throttles")
    else:
        yield wrong(f"it watches {'/'.join(str(p) for p in metric)}; Lambda publishes Throttles in AWS/Lambda")
    dimensions = {d.get("Name"): d.get("Value") for d in parameters.get("Dimensions", [])}
    if dimensions == {"FunctionName": "orders"}:
        yield right("of the function orders (dimension FunctionName)")
    else:
        yield wrong(f"its dimensions are {show(dimensions)}; Lambda's per-function metrics have one, FunctionName")
    statistic = parameters.get("Statistic")
    if statistic == "Sum":
        yield right("Sum: the number of throttled requests in each period")
    else:
        yield wrong(f"Statistic {statistic}: Throttles is a count per request; its Sum is how many were throttled "
                    "(its Average is always 1 when there is any)")
    threshold = (parameters.get("ComparisonOperator"), float(parameters.get("Threshold", -1)))
    if threshold in _ABOVE_ZERO:
        yield right("it goes to ALARM from the first throttle")
    else:
        yield wrong(f"{threshold[0]} {threshold[1]:g}: the alarm should fire on one throttle or more")
    if parameters.get("TreatMissingData") == "notBreaching":
        yield right("a period without throttles counts as fine (TreatMissingData notBreaching)")
    else:
        yield wrong("a period without data (no invocations, no metrics) leaves the alarm in INSUFFICIENT_DATA "
                    "unless TreatMissingData is notBreaching")


_EVENT = {"order_id": "o-42", "qty": 2}


@exercise("13.2", "A structured log line with the order's id",
          hint='Logger(service="orders") at module level; in the handler logger.append_keys(order_id=...) and '
               'logger.info("order received") print one JSON object with the key',
          right_sample='''
from aws_lambda_powertools import Logger

logger = Logger(service="orders")


def lambda_handler(event, context):
    logger.append_keys(order_id=event["order_id"])
    logger.info("order received")
    return "ok"
''',
          wrong_sample='''
def lambda_handler(event, context):
    print(f"order received: {event['order_id']}")
    return "ok"
''',
          solution="""
              source = \'\'\'
              from aws_lambda_powertools import Logger

              logger = Logger(service="orders")


              def lambda_handler(event, context):
                  logger.append_keys(order_id=event["order_id"])
                  logger.info("order received")
                  return "ok"
              \'\'\'""")
def structured_log(source):
    results = invoke_source(source, [_EVENT])
    if isinstance(results, str):
        yield wrong(results)
        return
    result = results[0]
    if result.error_type:
        yield wrong(f"the handler {outcome(result)}")
        return
    lines = [line for line in result.log.splitlines() if line.startswith("{")]
    documents = []
    for line in lines:
        try:
            documents.append(json.loads(line))
        except ValueError:
            continue
    said = [d for d in documents if d.get("message") == "order received"]
    if not said:
        plain = [line for line in result.log.splitlines() if "order received" in line]
        yield wrong(f"the log line {show(plain[0]) if plain else '(none)'} is plain text; CloudWatch can search a "
                    "JSON line by key" if plain else 'no log line says "order received"')
        return
    document = said[0]
    yield right('one JSON line with the message "order received"')
    if document.get("level") == "INFO":
        yield right("at level INFO")
    else:
        yield wrong(f"its level is {show(document.get('level'))}; an order received is INFO")
    if document.get("order_id") == _EVENT["order_id"]:
        yield right("with the key order_id from the event")
    else:
        yield wrong(f"it has no key order_id = {show(_EVENT['order_id'])}")


EXERCISES = [throttle_alarm, structured_log]
