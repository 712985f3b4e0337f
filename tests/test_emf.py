"""Embedded Metric Format: what a function prints as EMF becomes CloudWatch metrics, as CloudWatch Logs does it."""

import json
import time
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from lambda_local import emf
from conftest import invoke

POWERTOOLS_HANDLER = """
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

metrics = Metrics(namespace="ServerlessAirline", service="booking")


@metrics.log_metrics
def handler(event, context):
    metrics.add_dimension(name="environment", value="test")
    metrics.add_metric(name="SuccessfulBooking", unit=MetricUnit.Count, value=event["bookings"])
    metrics.add_metric(name="BookingLatency", unit=MetricUnit.Milliseconds, value=12.5)
    return "ok"
"""


def _statistics(namespace, name, dimensions, statistic="Sum", now=None):
    now = now or datetime.now(timezone.utc)
    points = boto3.client("cloudwatch").get_metric_statistics(
        Namespace=namespace, MetricName=name, Dimensions=dimensions, StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(hours=1), Period=3600, Statistics=[statistic])["Datapoints"]
    return [p[statistic] for p in points], [p.get("Unit") for p in points]


def test_powertools_metrics_become_cloudwatch_metrics_cold_and_warm(aws, create):
    create("booking", POWERTOOLS_HANDLER)
    invoke("booking", {"bookings": 2})  # cold
    invoke("booking", {"bookings": 3})  # warm: the same environment
    dims = [{"Name": "service", "Value": "booking"}, {"Name": "environment", "Value": "test"}]
    # Powertools stamps each document with the function's clock: the virtual one
    sums, units = _statistics("ServerlessAirline", "SuccessfulBooking", dims, now=aws.clock.now())
    assert sums == [5.0] and units == ["Count"]
    latency, units = _statistics("ServerlessAirline", "BookingLatency", dims, "Maximum", now=aws.clock.now())
    assert latency == [12.5] and units == ["Milliseconds"]
    listed = boto3.client("cloudwatch").list_metrics(Namespace="ServerlessAirline")["Metrics"]
    assert {m["MetricName"] for m in listed} == {"SuccessfulBooking", "BookingLatency"}


def test_get_metric_data_reads_emf_values_and_the_line_stays_in_the_log(create):
    document = {"_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [
        {"Namespace": "Shop", "Dimensions": [["Region"], []], "Metrics": [{"Name": "Orders", "Unit": "Count"}]}]},
        "Region": "eu", "Orders": [1, 4]}
    create("shop", f"import json\ndef handler(e, c):\n    print(json.dumps({document!r}))\n")
    invoke("shop")
    now = datetime.now(timezone.utc)
    queries = [{"Id": "by_region", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Orders",
                                                             "Dimensions": [{"Name": "Region", "Value": "eu"}]},
                                                  "Period": 60, "Stat": "Sum"}},
               {"Id": "count", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Orders",
                                                          "Dimensions": [{"Name": "Region", "Value": "eu"}]},
                                              "Period": 60, "Stat": "SampleCount"}}]
    results = boto3.client("cloudwatch").get_metric_data(
        MetricDataQueries=queries, StartTime=now - timedelta(hours=1), EndTime=now + timedelta(hours=1))
    values = {r["Id"]: r["Values"] for r in results["MetricDataResults"]}
    assert values == {"by_region": [5.0], "count": [2.0]}
    listed = boto3.client("cloudwatch").list_metrics(Namespace="Shop")["Metrics"]
    # each DimensionSet is its own metric (moto may list one several times)
    assert {str(m["Dimensions"]) for m in listed} == {str([]), str([{"Name": "Region", "Value": "eu"}])}
    messages = _log_messages("/aws/lambda/shop")
    assert any(m.strip() == json.dumps(document) for m in messages)


def test_malformed_emf_stays_a_log_line_and_counts_in_aws_logs(aws, create):
    broken_json = '{"_aws": {"CloudWatchMetrics": [ '
    bad_target = json.dumps({"_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [
        {"Namespace": "Shop", "Dimensions": [[]], "Metrics": [{"Name": "Orders"}]}]}, "Orders": "many"})
    create("broken", f"def handler(e, c):\n    print({broken_json!r})\n    print({bad_target!r})\n")
    invoke("broken")
    dims = [{"Name": "LogGroupName", "Value": "/aws/lambda/broken"}]
    logged_at = datetime.fromtimestamp(aws.clock.time(), timezone.utc)  # counted when the line was logged
    assert _statistics("AWS/Logs", "EMFParsingErrors", dims, now=logged_at)[0] == [1.0]
    assert _statistics("AWS/Logs", "EMFValidationErrors", dims, now=logged_at)[0] == [1.0]
    assert boto3.client("cloudwatch").list_metrics(Namespace="Shop")["Metrics"] == []
    messages = [m.strip() for m in _log_messages("/aws/lambda/broken")]
    assert broken_json.strip() in messages and bad_target in messages


def _log_messages(group):
    logs = boto3.client("logs")
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    return [e["message"] for s in streams
            for e in logs.get_log_events(logGroupName=group, logStreamName=s["logStreamName"])["events"]]


def _doc(**changes):
    document = {"_aws": {"Timestamp": 1_700_000_000_000, "CloudWatchMetrics": [
        {"Namespace": "App", "Dimensions": [["Service"]], "Metrics": [{"Name": "Hits", "Unit": "Count"}]}]},
        "Service": "api", "Hits": 3}
    directive = document["_aws"]["CloudWatchMetrics"][0]
    for key, value in changes.items():
        target = directive if key in directive else document
        target[key] = value
    return json.dumps(document)


def test_a_valid_document_parses_to_one_datum_per_metric_and_dimension_set():
    (datum,) = emf.parse(_doc())
    assert datum == emf.MetricDatum("App", "Hits", (("Service", "api"),), (3.0,), "Count", 1_700_000_000_000)
    assert emf.parse(_doc(Metrics=[{"Name": "Hits"}]))[0].unit == "None"  # AWS's default unit


@pytest.mark.parametrize("line", ["plain text", '{"level": "INFO", "message": "no _aws"}', "[1, 2]",
                                  '{"_aws": {"Timestamp": 1}}'])
def test_lines_that_are_not_emf_are_left_alone(line):
    assert emf.parse(line) is None


@pytest.mark.parametrize("line, kind", [
    ('{"_aws": {"CloudWatchMetrics": []} ', "parsing"),  # no Timestamp
    ('{"_aws": [] }', "parsing"),
    ('{"_aws": {"CloudWatchMetrics": {}, "Timestamp": 1}}', "parsing"),
    ('{"_aws": {"CloudWatchMetrics": [], "Timestamp": "now"}}', "parsing"),
    ('{"_aws": {"CloudWatchMetrics": []}, "x": 1} extra', "parsing"),
    (_doc(Namespace=7), "parsing"),
    (_doc(Dimensions=[[1]]), "parsing"),
    (_doc(Metrics=[{"Unit": "Count"}]), "parsing"),
    (_doc(Namespace=""), "validation"),
    (_doc(Dimensions=[]), "validation"),
    (_doc(Dimensions=[[f"d{i}" for i in range(31)]]), "validation"),
    (_doc(Service=5), "validation"),
    (_doc(Hits="3"), "validation"),
    (_doc(Hits=[1] * 101), "validation"),
    (_doc(Hits=True), "validation"),
    (_doc(Metrics=[{"Name": "Hits", "Unit": "Apples"}]), "validation"),
    (_doc(Metrics=[{"Name": "Hits", "StorageResolution": 30}]), "validation"),
    (_doc(Metrics=[{"Name": f"m{i}"} for i in range(101)]), "validation"),
])
def test_broken_emf_is_classified_as_cloudwatch_counts_it(line, kind):
    with pytest.raises(emf.EMFError) as error:
        emf.parse(line)
    assert error.value.kind == kind
