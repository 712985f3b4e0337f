"""Lesson 14, debugging (`notebooks/14_debugging.ipynb`): read a REPORT line; fix a handler from its traceback."""

from __future__ import annotations

import json

from ._core import exercise, right, wrong
from ._run import invoke_source, outcome, show

LESSON = "debugging"

REPORT = ("REPORT RequestId: 3f0c2a8e-5d1b-4c7e-9a61-2b8f0d4e7c15\tDuration: 1003.52 ms\tBilled Duration: 1258 ms\t"
          "Memory Size: 256 MB\tMax Memory Used: 87 MB\tInit Duration: 254.31 ms\tStatus: timeout\t")
_READ = {"duration_ms": 1003.52, "billed_ms": 1258, "memory_mb": 256, "max_used_mb": 87, "init_ms": 254.31,
         "cold_start": True, "status": "timeout"}
_MEANING = {"duration_ms": "Duration: how long the handler ran",
            "billed_ms": "Billed Duration: Duration plus Init Duration, rounded up to the millisecond",
            "memory_mb": "Memory Size: the function's configured memory",
            "max_used_mb": "Max Memory Used: the peak of the environment's memory",
            "init_ms": "Init Duration: the INIT phase, present on a cold start only",
            "cold_start": "cold_start: a REPORT line with Init Duration is a cold start",
            "status": "Status: timeout (the line says how it ended when it did not end well)"}


@exercise("14.1", "Read a REPORT line",
          hint="each field of the REPORT line is `Name: value unit`, separated by tabs; Init Duration appears on a "
               "cold start only, Status when the invocation timed out or crashed",
          right_sample=dict(_READ),
          wrong_sample={"duration_ms": 1258, "billed_ms": 1003.52, "memory_mb": 87, "max_used_mb": 256,
                        "init_ms": None, "cold_start": False, "status": "error"},
          solution=f"""
              # {REPORT!r}
              reading = {json.dumps(_READ).replace('true', 'True')}""")
def read_report(reading):
    if not isinstance(reading, dict):
        yield wrong(f"the answer is a dict of the fields, not {type(reading).__name__}")
        return
    for key, expected in _READ.items():
        got = reading.get(key)
        if got == expected and type(got) is type(expected):
            yield right(_MEANING[key] + f", {show(expected)}")
        else:
            yield wrong(f"{key} is {show(got)}; {_MEANING[key]}")


_ITEMS = """
import json

def lambda_handler(event, context):
    params = event["queryStringParameters"]
    limit = int(params["limit"])
    items = ["apple", "banana", "cherry", "date"]
    return {"statusCode": 200, "body": json.dumps(items[:limit])}
"""
_FIXED = """
import json

def lambda_handler(event, context):
    params = event.get("queryStringParameters") or {}  # API Gateway sends null when there is no query string
    limit = int(params.get("limit", 2))
    items = ["apple", "banana", "cherry", "date"]
    return {"statusCode": 200, "body": json.dumps(items[:limit])}
"""
_CASES = [({"queryStringParameters": {"limit": "3"}}, ["apple", "banana", "cherry"]),
          ({"queryStringParameters": None}, ["apple", "banana"]),
          ({"queryStringParameters": {"other": "x"}}, ["apple", "banana"])]


@exercise("14.2", "Fix the handler the traceback points at",
          hint="the traceback's last frame is lambda_function.py, `limit = int(params[\"limit\"])`: "
               "queryStringParameters is None without a query string; use (event.get(...) or {}) and "
               '.get("limit", 2)',
          right_sample=_FIXED, wrong_sample=_ITEMS,
          solution=f'items_source = """{_FIXED}"""')
def fix_from_traceback(source):
    results = invoke_source(source, [event for event, _ in _CASES])
    if isinstance(results, str):
        yield wrong(results)
        return
    for (event, expected), result in zip(_CASES, results):
        query = show(event["queryStringParameters"])
        body = None
        if not result.error_type and isinstance(result.payload, dict):
            try:
                body = json.loads(result.payload.get("body") or "null")
            except ValueError:
                body = None
        if body == expected:
            yield right(f"query string {query} → {show(expected)}")
        else:
            yield wrong(f"query string {query} → {outcome(result)}; expected a body of {show(expected)}")


EXERCISES = [read_report, fix_from_traceback]
