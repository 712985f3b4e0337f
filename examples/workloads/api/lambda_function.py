"""An API handler: parses a query parameter and answers with JSON (a stand-in for a real backend call)."""

import json

GREETING = "Hello"  # module-level code runs once per execution environment (INIT)


def lambda_handler(event, context):
    name = (event.get("queryStringParameters") or {}).get("name", "world")
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"message": f"{GREETING}, {name}!"})}
