"""greeting: answers GET /hello?name=Ada behind API Gateway (REST API, Lambda proxy integration).

API Gateway hands each HTTP request to this function as an event, and turns what the function returns back into
an HTTP response. Open lab.ipynb to try it and to check your work.
"""

import json
import os


def lambda_handler(event, context):
    # TODO 1: read the `name` parameter of the query string. API Gateway puts the query string in
    #         event["queryStringParameters"]: a dict, or None when the URL has no query string at all.
    name = "world"

    # TODO 3: when the name is missing or empty, answer 400 (Bad Request) with a JSON body {"error": "..."}
    #         that tells the caller what is wrong.

    # TODO 4: start the greeting with the GREETING_PREFIX environment variable ("Hello" when it is not set).
    message = f"Hello, {name}!"

    # TODO 2: API Gateway expects {"statusCode": <int>, "headers": {...}, "body": <a string>}.
    #         Answer 200 with the JSON text of {"message": message} and the header Content-Type: application/json.
    return message
