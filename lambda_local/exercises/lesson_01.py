"""Lesson 01, handlers (`notebooks/01_handlers.ipynb`): configuration from environment variables; a handled error
instead of a crash."""

from __future__ import annotations

import json
import os

from ._core import exercise, right, wrong
from ._run import invoke, not_a_handler, outcome, returns, show

LESSON = "handlers"  # the lesson notebook is NN_handlers.ipynb


def greet(event, context):
    prefix = os.environ.get("GREETING_PREFIX", "Hello")
    name = event.get("name", "World")
    return {"message": f"{prefix}, {name}!"}


def greet_hard_coded(event, context):
    return {"message": f"Hello, {event['name']}!"}


@exercise("01.1", "Greet from configuration",
          hint='read the prefix with os.environ.get("GREETING_PREFIX", "Hello") inside the handler, and the name '
               'with event.get("name", "World"): event["name"] fails when there is no name',
          right_sample=greet, wrong_sample=greet_hard_coded)
def greet_from_configuration(handler):
    problem = not_a_handler(handler)
    if problem:
        yield wrong(problem)
        return
    yield from returns(handler, [({"name": "Ada"}, {"message": "Howdy, Ada!"}),
                                 ({}, {"message": "Howdy, World!"})],
                       environment={"GREETING_PREFIX": "Howdy"})
    yield from returns(handler, [({"name": "Grace"}, {"message": "Hello, Grace!"})])


def order_total(event, context):
    quantity = event.get("quantity")
    if not isinstance(quantity, int) or quantity <= 0:
        return {"statusCode": 400, "body": json.dumps({"error": "quantity must be a positive whole number"})}
    return {"statusCode": 200, "body": json.dumps({"total": quantity * 10})}


def order_total_raises(event, context):
    quantity = event.get("quantity", 0)
    if quantity <= 0:
        raise ValueError(f"quantity must be positive, got {quantity}")
    return {"statusCode": 200, "body": json.dumps({"total": quantity * 10})}


def _body(payload) -> object:
    try:
        return json.loads(payload.get("body", ""))
    except (AttributeError, TypeError, ValueError):
        return None


@exercise("01.2", "Answer a bad order with 400 instead of crashing",
          hint="check the quantity before you use it, and return "
               '{"statusCode": 400, "body": json.dumps({"error": "..."})} instead of raising: '
               "a returned error is a successful invocation, nothing is retried",
          right_sample=order_total, wrong_sample=order_total_raises)
def handled_error(handler):
    problem = not_a_handler(handler)
    if problem:
        yield wrong(problem)
        return
    good, *bad_events = [{"quantity": 3}, {"quantity": -3}, {}]
    results = invoke(handler, [good, *bad_events])
    first = results[0]
    if first.error_type is None and isinstance(first.payload, dict) and first.payload.get("statusCode") == 200 \
            and _body(first.payload) == {"total": 30}:
        yield right('{"quantity": 3} → statusCode 200, body {"total": 30}')
    else:
        yield wrong(f'{{"quantity": 3}} → {outcome(first)}; expected statusCode 200 and body {{"total": 30}}')
    for event, result in zip(bad_events, results[1:]):
        payload = result.payload
        if result.error_type:
            yield wrong(f"{show(event)} → {outcome(result)}: an unhandled error; expected a returned statusCode 400")
        elif isinstance(payload, dict) and payload.get("statusCode") == 400 and isinstance(_body(payload), dict) \
                and "error" in _body(payload):
            yield right(f"{show(event)} → statusCode 400 with an error message, and no FunctionError")
        else:
            yield wrong(f'{show(event)} → {outcome(result)}; expected statusCode 400 and a body with "error"')


EXERCISES = [greet_from_configuration, handled_error]
