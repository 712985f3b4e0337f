"""users-api: a CRUD API of users, stored in the DynamoDB table `users`, behind API Gateway (a REST API with the
Lambda proxy integration).

    GET    /users         200 and the list of users: [{"id": ..., "name": ..., "email": ...}, ...]
    GET    /users/{id}    200 and the user; 404 when there is no such user
    POST   /users         body {"name": ..., "email": ...}: 201 and the new user, with its id; 400 when invalid
    DELETE /users/{id}    204 (no body); 404 when there is no such user
    anything else         404

Every answer but 204 has a JSON body; errors are {"error": "<what is wrong>"}. Open lab.ipynb for the task.
"""

import json
import os
import uuid

import boto3

table = boto3.resource("dynamodb").Table(os.environ.get("TABLE_NAME", "users"))


def respond(status: int, data=None) -> dict:
    """An API Gateway proxy response: the status, and data as a JSON body (no body when data is None)."""
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": "" if data is None else json.dumps(data)}


def list_users() -> dict:
    # TODO 1: a scan returns at most 1 MB per call; follow LastEvaluatedKey so a big table is listed whole.
    response = table.scan()
    users = response["Items"]
    while "LastEvaluatedKey" in response:
        response = table.scan(ExclusiveStartKey=response["LastEvaluatedKey"])
        users += response["Items"]
    return respond(200, users)


def get_user(user_id: str) -> dict:
    # TODO 1: get_item answers without "Item" when there is none: that is the 404, not an exception.
    user = table.get_item(Key={"id": user_id}).get("Item")
    if user is None:
        return respond(404, {"error": f"no user {user_id}"})
    return respond(200, user)


def invalid(data) -> str | None:
    """What is wrong with a new user's data, or None when it is valid."""
    if not isinstance(data, dict):
        return 'send a JSON object: {"name": "...", "email": "..."}'
    for field in ("name", "email"):
        if not isinstance(data.get(field), str) or not data[field].strip():
            return f"{field} is missing: it must be a non-empty string"
    if "@" not in data["email"]:
        return "email must contain an @"
    return None


def create_user(body) -> dict:
    # TODO 2: validate everything before writing anything; a client's mistake is a 400 with a message, never a
    #         500 (a crash). Only the known fields are stored, so a client cannot add attributes of its own.
    try:
        data = json.loads(body or "")
    except ValueError:
        return respond(400, {"error": "the body must be JSON"})
    problem = invalid(data)
    if problem:
        return respond(400, {"error": problem})
    user = {"id": str(uuid.uuid4()), "name": data["name"].strip(), "email": data["email"].strip()}
    table.put_item(Item=user)
    return respond(201, user)


def delete_user(user_id: str) -> dict:
    # TODO 3: one call both deletes and tells whether there was anything to delete.
    deleted = table.delete_item(Key={"id": user_id}, ReturnValues="ALL_OLD").get("Attributes")
    if deleted is None:
        return respond(404, {"error": f"no user {user_id}"})
    return respond(204)


def lambda_handler(event, context):
    route = (event["httpMethod"], event["resource"])
    user_id = (event.get("pathParameters") or {}).get("id")
    if route == ("GET", "/users"):
        return list_users()
    if route == ("GET", "/users/{id}"):
        return get_user(user_id)
    if route == ("POST", "/users"):
        return create_user(event.get("body"))
    if route == ("DELETE", "/users/{id}"):
        return delete_user(user_id)
    return respond(404, {"error": f"no route for {event['httpMethod']} {event['path']}"})
