"""The standard Lambda metrics, put into CloudWatch (moto) as AWS puts them: namespace ``AWS/Lambda``, dimension
``FunctionName``; Invocations, Errors, Duration, Throttles, ConcurrentExecutions."""

from __future__ import annotations

from .aws import state

__all__ = ["record", "throttled"]

NAMESPACE = "AWS/Lambda"


def _put(config, timestamp: float, data: list[tuple[str, float, str]]) -> None:
    dims = [{"Name": "FunctionName", "Value": config.function_name}]
    state.put_metric_data(config.account_id, config.region, NAMESPACE, timestamp, data, dims)


def record(config, invocation, concurrent: int) -> None:
    """Metrics of one finished invocation."""
    _put(config, invocation.timestamp, [
        ("Invocations", 1, "Count"),
        ("Errors", 1 if invocation.error_type else 0, "Count"),
        ("Duration", round(invocation.duration_ms, 2), "Milliseconds"),
        ("ConcurrentExecutions", concurrent, "Count"),
    ])


def throttled(config, timestamp: float) -> None:
    """A throttled request counts in Throttles, not in Invocations."""
    _put(config, timestamp, [("Throttles", 1, "Count")])
