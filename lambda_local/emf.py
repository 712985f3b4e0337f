"""Embedded Metric Format: log lines that CloudWatch Logs turns into metrics.

A function that prints an EMF document (Powertools ``Metrics``, ``aws-embedded-metrics``) publishes custom metrics
without calling PutMetricData: CloudWatch Logs reads the ``_aws.CloudWatchMetrics`` directives of each event in the
function's log group and puts the referenced root members as metrics. The line itself stays in the log.

Checked against AWS's specification (CloudWatch_Embedded_Metric_Format_Specification):
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html

* The event must be one JSON object with nothing before or after it; other lines are plain log lines.
* An event that announces itself as EMF (a JSON object with an ``_aws`` member) but whose metadata does not have
  the document's shape counts in ``AWS/Logs`` **EMFParsingErrors**; one whose shape is right but breaks a rule
  (a missing or non-numeric metric target, a non-string dimension, more than 30 dimension keys, more than 100
  metrics or values, an unknown unit, a resolution other than 1 or 60) counts in **EMFValidationErrors**. Both have
  the dimension ``LogGroupName``, as CloudWatch Logs publishes them. How AWS splits its two counters between these
  cases is not documented in detail; this split (shape vs. rules) is our reading of the specification.
* Each DimensionSet of a directive makes its own metric (an empty set: a metric without dimensions); the
  timestamp is ``_aws.Timestamp`` (milliseconds), as written by the function.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from .aws import state

__all__ = ["MetricDatum", "EMFError", "parse", "publish"]

MAX_DIMENSIONS = 30
MAX_METRICS = 100
MAX_VALUES = 100
MAX_NAME = 1024
MAX_DIMENSION_VALUE = 1024
STORAGE_RESOLUTIONS = (1, 60)
UNITS = frozenset((
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits",
    "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
    "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
    "Gigabits/Second", "Terabits/Second", "Count/Second", "None"))


@dataclass(frozen=True)
class MetricDatum:
    """One metric extracted from an EMF event (AWS's MetricDatum fields)."""

    namespace: str
    metric_name: str
    dimensions: tuple[tuple[str, str], ...]
    values: tuple[float, ...]
    unit: str
    timestamp_ms: int
    storage_resolution: int = 60


@dataclass
class EMFError(Exception):
    """An EMF event CloudWatch would not turn into metrics; ``kind`` is 'parsing' or 'validation'."""

    kind: str
    reason: str = field(default="")

    def __str__(self) -> str:
        return f"EMF {self.kind} error: {self.reason}"


def parse(message: str) -> list[MetricDatum] | None:
    """The metrics in one log event: None if it is not EMF at all; raises EMFError if it is broken EMF."""
    text = message.strip()
    if not (text.startswith("{") and '"_aws"' in text):
        return None
    try:
        document = json.loads(text)
    except ValueError as error:
        raise EMFError("parsing", f"not one JSON object: {error}") from None
    if not isinstance(document, dict) or "_aws" not in document:
        return None
    metadata = document["_aws"]
    if not isinstance(metadata, dict):
        raise EMFError("parsing", "_aws must be an object")
    directives = metadata.get("CloudWatchMetrics")
    if directives is None:
        return None  # _aws metadata without metrics (e.g. only a Timestamp): a plain structured log line
    timestamp = metadata.get("Timestamp")
    if not isinstance(directives, list) or not all(isinstance(d, dict) for d in directives):
        raise EMFError("parsing", "_aws.CloudWatchMetrics must be an array of MetricDirective objects")
    if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)):
        raise EMFError("parsing", "_aws.Timestamp must be a number of milliseconds")
    data: list[MetricDatum] = []
    for directive in directives:
        data += _directive(document, directive, int(timestamp))
    return data


def _directive(document: dict, directive: dict, timestamp_ms: int) -> list[MetricDatum]:
    namespace, dimension_sets, metrics = (directive.get(k) for k in ("Namespace", "Dimensions", "Metrics"))
    if not isinstance(namespace, str) or not isinstance(dimension_sets, list) or not isinstance(metrics, list):
        raise EMFError("parsing", "a MetricDirective needs Namespace (string), Dimensions and Metrics (arrays)")
    if not all(isinstance(s, list) and all(isinstance(k, str) for k in s) for s in dimension_sets):
        raise EMFError("parsing", "Dimensions must be an array of arrays of strings")
    if not all(isinstance(m, dict) and isinstance(m.get("Name"), str) for m in metrics):
        raise EMFError("parsing", "each MetricDefinition needs a Name (string)")
    if not 1 <= len(namespace) <= MAX_NAME:
        raise EMFError("validation", "Namespace must have 1 to 1024 characters")
    if not dimension_sets:
        raise EMFError("validation", "Dimensions must hold at least one DimensionSet")
    if len(metrics) > MAX_METRICS:
        raise EMFError("validation", f"a MetricDirective holds at most {MAX_METRICS} metrics")
    resolved_sets = [_dimensions(document, keys) for keys in dimension_sets]
    data = []
    for metric in metrics:
        name, unit = metric["Name"], metric.get("Unit", "None")
        resolution = metric.get("StorageResolution", 60)
        if not 1 <= len(name) <= MAX_NAME:
            raise EMFError("validation", "a metric Name must have 1 to 1024 characters")
        if unit not in UNITS:
            raise EMFError("validation", f"{unit!r} is not a CloudWatch unit")
        if resolution not in STORAGE_RESOLUTIONS or isinstance(resolution, bool):
            raise EMFError("validation", "StorageResolution must be 1 or 60")
        values = _values(document, name)
        for dimensions in resolved_sets:
            data.append(MetricDatum(namespace, name, dimensions, values, unit, timestamp_ms, resolution))
    return data


def _dimensions(document: dict, keys: list[str]) -> tuple[tuple[str, str], ...]:
    if len(keys) > MAX_DIMENSIONS:
        raise EMFError("validation", f"a DimensionSet holds at most {MAX_DIMENSIONS} dimension keys")
    pairs = []
    for key in keys:
        value = document.get(key)
        if not isinstance(value, str):
            raise EMFError("validation", f"dimension {key!r} must be a string member of the root node")
        if not 1 <= len(value) <= MAX_DIMENSION_VALUE:
            raise EMFError("validation", f"dimension {key!r} must have 1 to 1024 characters")
        pairs.append((key, value))
    return tuple(pairs)


def _values(document: dict, name: str) -> tuple[float, ...]:
    target = document.get(name)
    values = target if isinstance(target, list) else [target]
    if not values or len(values) > MAX_VALUES:
        raise EMFError("validation", f"metric {name!r} must have 1 to {MAX_VALUES} values")
    numbers: list[float] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise EMFError("validation", f"metric {name!r} must be a number or an array of numbers")
        numbers.append(float(value))
    return tuple(numbers)


def publish(account_id: str, region: str, log_group: str, events) -> int:
    """Put the metrics of every EMF event (``.message``, ``.timestamp_ms``) into CloudWatch, and count each broken
    one in ``AWS/Logs`` at the time it was logged. Returns the number of metric values put."""
    put = 0
    for event in events:
        try:
            data = parse(event.message)
        except EMFError as error:
            counter = "EMFParsingErrors" if error.kind == "parsing" else "EMFValidationErrors"
            state.put_metric_data(account_id, region, "AWS/Logs", event.timestamp_ms / 1000, [(counter, 1, "Count")],
                                  [{"Name": "LogGroupName", "Value": log_group}])
            continue
        for datum in data or ():
            state.put_metric_values(account_id, region, datum.namespace, datum.timestamp_ms / 1000,
                                    datum.metric_name, list(datum.values), datum.unit,
                                    [{"Name": k, "Value": v} for k, v in datum.dimensions], datum.storage_resolution)
            put += len(datum.values)
    return put
