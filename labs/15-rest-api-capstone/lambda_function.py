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
    # TODO 1: 200 and every user in the table (scan it), as a JSON list.
    return respond(501, {"error": "not implemented yet"})


def get_user(user_id: str) -> dict:
    # TODO 1: 200 and the user whose id is user_id (get_item); 404 and an error when there is none.
    return respond(501, {"error": "not implemented yet"})


def create_user(body) -> dict:
    # TODO 2: body is the request's body: text, or None when there is none. It must be a JSON object with a
    #         "name" and an "email": non-empty strings, the email with an "@" in it. Otherwise answer 400 with an
    #         error that says what is wrong. Then store the user with a new id (str(uuid.uuid4())) and answer 201
    #         with the stored user.
    return respond(501, {"error": "not implemented yet"})


def delete_user(user_id: str) -> dict:
    # TODO 3: delete the user: 204 with no body (respond(204)); 404 and an error when there was no such user.
    #         delete_item can tell you what it deleted: ReturnValues="ALL_OLD".
    return respond(501, {"error": "not implemented yet"})


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
