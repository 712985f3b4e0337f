"""Lesson 11, patterns (`notebooks/11_patterns.ipynb`): a REST API handler judged by what API Gateway makes
of its answers; a scheduled job that takes "now" from its event."""

from __future__ import annotations

import inspect
import json
import os
from datetime import datetime, timedelta

from .. import events
from ..triggers.http import _v1_response  # API Gateway's reading of a proxy response, the one the runtime uses
from ._core import exercise, right, wrong
from ._run import invoke, not_a_handler, show

LESSON = "patterns"

ORDERS = {"o-1": {"id": "o-1", "item": "book", "quantity": 2}}


def orders_api(event, context):
    if event["httpMethod"] != "GET" or event["resource"] != "/orders/{id}":
        return {"statusCode": 404, "body": json.dumps({"error": f"no route {event['httpMethod']} {event['path']}"})}
    order_id = event["pathParameters"]["id"]
    order = ORDERS.get(order_id)
    if order is None:
        return {"statusCode": 404, "body": json.dumps({"error": f"no order {order_id}"})}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(order)}


def orders_api_unchecked(event, context):
    order_id = event["pathParameters"]["id"]
    return {"statusCode": 200, "body": ORDERS[order_id]}


_REQUESTS = [("GET", "o-1", 200), ("GET", "o-9", 404), ("DELETE", "o-1", 404)]


@exercise("11.1", "A REST API route that answers 200, 404 and nothing else",
          hint='return {"statusCode": ..., "body": json.dumps(...)}: the body must be a string; look the order up with '
               'ORDERS.get(...) and answer 404 when it is missing; check event["httpMethod"] before anything else',
          right_sample=orders_api, wrong_sample=orders_api_unchecked,
          solution='ORDERS = {"o-1": {"id": "o-1", "item": "book", "quantity": 2}}\n\n'
                   + inspect.getsource(orders_api))
def rest_route(handler):
    problem = not_a_handler(handler)
    if problem:
        yield wrong(problem)
        return
    requests = [events.rest_api_event(method=method, path=f"/orders/{order_id}", resource="/orders/{id}",
                                      path_parameters={"id": order_id}, body=None, time=0)
                for method, order_id, _ in _REQUESTS]
    for (method, order_id, status), result in zip(_REQUESTS, invoke(handler, requests)):
        request = f"{method} /orders/{order_id}"
        if result.error_type:  # API Gateway answers a function error with 502
            yield wrong(f"{request} → 502 {{\"message\": \"Internal server error\"}}: the function failed with "
                        f"{result.error_type}: {result.error_message}; expected {status}")
            continue
        response = _v1_response(result.payload)
        if response.status == 502:
            yield wrong(f"{request} → 502: API Gateway cannot read {show(result.payload)} (the body must be a "
                        f"string); expected {status}")
        elif response.status != status:
            yield wrong(f"{request} → {response.status} {response.text}; expected {status}")
        elif status == 200 and json.loads(response.text or "null") != ORDERS["o-1"]:
            yield wrong(f"{request} → 200 {response.text}; expected the order {show(ORDERS['o-1'])}")
        else:
            yield right(f"{request} → {response.status} {response.text}")


def delete_before(event, context):
    fired = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))   # when the schedule fired
    cutoff = fired - timedelta(days=int(os.environ["MAX_AGE_DAYS"]))
    return {"delete_before": cutoff.date().isoformat()}


def delete_before_fixed_age(event, context):
    fired = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    return {"delete_before": (fired - timedelta(days=30)).date().isoformat()}


@exercise("11.2", "Take now from the schedule's event",
          hint='parse event["time"] (the moment the schedule fired) and subtract '
               'timedelta(days=int(os.environ["MAX_AGE_DAYS"])); the machine\'s clock is not the schedule\'s',
          right_sample=delete_before, wrong_sample=delete_before_fixed_age)
def cutoff_from_event(handler):
    problem = not_a_handler(handler)
    if problem:
        yield wrong(problem)
        return
    cases = [("2026-03-02T03:00:00Z", "30", "2026-01-31"), ("2026-01-15T03:00:00Z", "30", "2025-12-16"),
             ("2026-03-02T03:00:00Z", "7", "2026-02-23")]
    for fired, days, expected in cases:
        event = events.scheduled_event(rule="nightly-cleanup", time=fired)
        [result] = invoke(handler, [event], environment={"MAX_AGE_DAYS": days})
        got = result.payload.get("delete_before") if isinstance(result.payload, dict) else None
        label = f"fired {fired}, MAX_AGE_DAYS={days}"
        if not result.error_type and got == expected:
            yield right(f"{label} → delete before {expected}")
        elif result.error_type:
            yield wrong(f"{label} → failed with {result.error_type}: {result.error_message}")
        else:
            yield wrong(f"{label} → {show(result.payload)}; expected {{\"delete_before\": \"{expected}\"}}")


EXERCISES = [rest_route, cutoff_from_event]
