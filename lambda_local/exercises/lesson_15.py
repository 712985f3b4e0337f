"""Lesson 15, the capstone (`notebooks/15_capstone.ipynb`): answer in the Lambda proxy integration's shape; route a
REST API request by method, resource and path parameter.

Both are warm-ups for lab 15 on another API (books, not users), so they do not give its answers away.
"""

from __future__ import annotations

import json
import random
from typing import Any, Callable, Iterator

from ..events import rest_api_event
from ._core import Mark, exercise, right, wrong
from ._run import invoke, not_a_handler, outcome, show

LESSON = "capstone"


# --- 15.1 ------------------------------------------------------------------------------------------------------
def respond(status, data=None):
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": "" if data is None else json.dumps(data)}


def respond_with_a_dict_body(status, data=None):
    return {"statusCode": str(status), "body": data}


_CASES = [(200, {"id": "b-1", "title": "Dune"}), (404, {"error": "no such book"}), (204, None)]


def _one(respond_function: Callable, status: int, data: Any) -> Iterator[Mark]:
    call = f"respond({status}, {show(data)})" if data is not None else f"respond({status})"
    answer = respond_function(status, data) if data is not None else respond_function(status)
    if not isinstance(answer, dict):
        yield wrong(f"{call} returned {show(answer)}: API Gateway needs a dict, else it answers 502")
        return
    problems = []
    if answer.get("statusCode") != status or not isinstance(answer.get("statusCode"), int):
        problems.append(f"statusCode {show(answer.get('statusCode'))}, not the number {status}")
    body = answer.get("body")
    if not isinstance(body, str):
        problems.append(f"body {show(body)} is not a string (API Gateway answers 502 Malformed Lambda proxy response)")
    elif (json.loads(body) if body else None) != data:
        problems.append(f"body {show(body)} is not {'empty' if data is None else 'the data as JSON'}")
    headers = answer.get("headers") or {}
    if data is not None and headers.get("Content-Type") != "application/json":
        problems.append(f"headers {show(headers)} have no Content-Type application/json")
    if problems:
        yield wrong(f"{call}: " + "; ".join(problems))
    else:
        yield right(f"{call} → statusCode {status}, body {show(body)}")


@exercise("15.1", "Answer in the Lambda proxy integration's shape",
          hint='return {"statusCode": status (a number), "headers": {"Content-Type": "application/json"}, '
               '"body": json.dumps(data)}, and the body "" when there is no data: API Gateway passes the body on as '
               "text, so it must be a string",
          right_sample=respond, wrong_sample=respond_with_a_dict_body)
def proxy_shape(respond_function):
    if not callable(respond_function):
        yield wrong(f"the answer is a function respond(status, data=None), not {type(respond_function).__name__}")
        return
    for status, data in _CASES:
        yield from _one(respond_function, status, data)


# --- 15.2 ------------------------------------------------------------------------------------------------------
BOOKS = {"b-1": {"id": "b-1", "title": "Dune"}, "b-2": {"id": "b-2", "title": "Emma"}}


def books_api(event, context):
    import json

    books = {"b-1": {"id": "b-1", "title": "Dune"}, "b-2": {"id": "b-2", "title": "Emma"}}
    route = (event["httpMethod"], event["resource"])
    if route == ("GET", "/books"):
        return {"statusCode": 200, "body": json.dumps(list(books.values()))}
    if route == ("GET", "/books/{isbn}"):
        book = books.get((event.get("pathParameters") or {}).get("isbn"))
        if book:
            return {"statusCode": 200, "body": json.dumps(book)}
        return {"statusCode": 404, "body": json.dumps({"error": "no such book"})}
    return {"statusCode": 404, "body": json.dumps({"error": "no such route"})}


def books_api_by_path(event, context):
    import json

    books = {"b-1": {"id": "b-1", "title": "Dune"}, "b-2": {"id": "b-2", "title": "Emma"}}
    if event["path"] == "/books":
        return {"statusCode": 200, "body": json.dumps(list(books.values()))}
    return {"statusCode": 200, "body": json.dumps(books[event["path"].split("/")[-1]])}


_REQUESTS = [("GET", "/books", "/books", 200, list(BOOKS.values())),
             ("GET", "/books/b-2", "/books/{isbn}", 200, BOOKS["b-2"]),
             ("GET", "/books/b-9", "/books/{isbn}", 404, None),
             ("DELETE", "/books/b-1", "/books/{isbn}", 404, None)]


@exercise("15.2", "Route a REST API request",
          hint='route on (event["httpMethod"], event["resource"]), the matched template such as "/books/{isbn}", '
               'and read the id from event["pathParameters"]["isbn"]; answer 404 for an unknown book and for any '
               "other route",
          right_sample=books_api, wrong_sample=books_api_by_path)
def route_requests(handler):
    problem = not_a_handler(handler)
    if problem:
        yield wrong(problem)
        return
    rng = random.Random(15)
    events = [rest_api_event(method=method, path=path, resource=resource, body=None, rng=rng,
                             time="2026-01-01T09:00:00Z") for method, path, resource, *_ in _REQUESTS]
    for (method, path, _, status, data), result in zip(_REQUESTS, invoke(handler, events)):
        request = f"{method} {path}"
        payload = result.payload if isinstance(result.payload, dict) else {}
        got_status = payload.get("statusCode")
        if result.error_type:
            yield wrong(f"{request} → {outcome(result)}: API Gateway answers 502; expected {status}")
        elif got_status != status:
            yield wrong(f"{request} → statusCode {show(got_status)}; expected {status}")
        elif data is not None and _json(payload.get("body")) != data:
            yield wrong(f"{request} → body {show(payload.get('body'))}; expected {show(data)}")
        else:
            yield right(f"{request} → {status}")


def _json(body: Any) -> Any:
    try:
        return json.loads(body)
    except (TypeError, ValueError):
        return None


EXERCISES = [proxy_shape, route_requests]
