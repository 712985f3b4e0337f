"""greeting: answers GET /hello?name=Ada behind API Gateway (REST API, Lambda proxy integration).

API Gateway hands each HTTP request to this function as an event, and turns what the function returns back into
an HTTP response. Open lab.ipynb to try it and to check your work.
"""

import json
import os


def respond(status, data):
    """An API Gateway proxy response with a JSON body."""
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(data)}


def lambda_handler(event, context):
    # TODO 1: the query string is None when the URL has none, so fall back to an empty dict.
    name = (event.get("queryStringParameters") or {}).get("name", "").strip()

    # TODO 3: a missing or empty name is the caller's mistake: 400, with a message that says how to fix it.
    if not name:
        return respond(400, {"error": "Add your name to the query string, for example /hello?name=Ada"})

    # TODO 4: configuration comes from the environment, with a default.
    prefix = os.environ.get("GREETING_PREFIX", "Hello")
    message = f"{prefix}, {name}!"

    # TODO 2: API Gateway's response shape; the body is JSON text.
    return respond(200, {"message": message})
