"""Lab 15, the capstone: the guides' CRUD users API on DynamoDB behind API Gateway (a REST API, Lambda proxy
integration), checked with HTTP requests through ``aws.http(...)``, as a client would send them.
"""

from __future__ import annotations

import json

from ..checks import Failure, check, describe_invocation_error, show

LAB = "15-rest-api-capstone"
TITLE = "The capstone: a users API on DynamoDB behind API Gateway"

FUNCTION, TABLE = "users-api", "users"
ACCOUNT, REGION = "123456789012", "us-east-1"
TABLE_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "dynamodb:*", "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"}]}
USERS = [{"id": "u-1", "name": "Ada Lovelace", "email": "ada@example.com"},
         {"id": "u-2", "name": "Grace Hopper", "email": "grace@example.com"}]
INVALID = [(None, "no body"), ("not json", "a body that is not JSON"), ('["Ada"]', "a JSON list"),
           ('{"name": "Ada"}', "no email"), ('{"name": "", "email": "ada@example.com"}', "an empty name"),
           ('{"name": "Ada", "email": "ada.example.com"}', "an email without @"),
           ('{"name": 7, "email": "ada@example.com"}', "a name that is not a string")]
# A stand-in for users-api in the check of deploy.py: it answers with what API Gateway sent it.
_ECHO = """
import json


def lambda_handler(event, context):
    seen = {"method": event["httpMethod"], "resource": event["resource"],
            "id": (event.get("pathParameters") or {}).get("id")}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(seen)}
"""
# What API Gateway means by the statuses it answers itself.
_GATEWAY_ERRORS = {403: "API Gateway's own answer: no such route, or the API is not deployed to that stage",
                   500: "API Gateway's own answer: it may not invoke the function (no permission for "
                        "apigateway.amazonaws.com), or the integration is not AWS_PROXY",
                   502: "API Gateway's own answer: the function's answer is not a proxy response "
                        "{statusCode, headers, body}"}


def _api(lab) -> str:
    """The check's own, known-good REST API in front of users-api (ANY method on /users and /users/{id})."""
    apigateway = lab.client("apigateway")
    api = apigateway.create_rest_api(name="users-grader")["id"]
    root = next(r["id"] for r in apigateway.get_resources(restApiId=api)["items"] if r["path"] == "/")
    users = apigateway.create_resource(restApiId=api, parentId=root, pathPart="users")["id"]
    user = apigateway.create_resource(restApiId=api, parentId=users, pathPart="{id}")["id"]
    uri = (f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
           f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION}/invocations")
    for resource in (users, user):
        apigateway.put_method(restApiId=api, resourceId=resource, httpMethod="ANY", authorizationType="NONE")
        apigateway.put_integration(restApiId=api, resourceId=resource, httpMethod="ANY", type="AWS_PROXY",
                                   integrationHttpMethod="POST", uri=uri)
    apigateway.create_deployment(restApiId=api, stageName="test")
    lab.allow(FUNCTION, "apigateway.amazonaws.com")
    return f"https://{api}.execute-api.{REGION}.amazonaws.com/test"


def _deploy(lab, seed: bool = True) -> str:
    """The table (with two users), the learner's users-api, and the check's API in front of it; its URL."""
    lab.client("dynamodb").create_table(
        TableName=TABLE, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    for user in USERS if seed else ():
        lab.client("dynamodb").put_item(TableName=TABLE, Item={k: {"S": v} for k, v in user.items()})
    lab.deploy(FUNCTION, role=lab.role(f"{FUNCTION}-role", policy=TABLE_POLICY), environment={"TABLE_NAME": TABLE})
    return _api(lab)


def _call(lab, method: str, url: str, *, request: str, body: str | None = None, expect: tuple[int, ...] = (200,),
          hint: str = ""):
    """Send one request (``request`` names it in messages); (status, decoded JSON body or None), or a Failure
    when the status is not one of ``expect``."""
    response = lab.aws.http(method, url, body=body,
                            headers={"Content-Type": "application/json"} if body is not None else None)
    try:
        data = json.loads(response.body) if response.body else None
    except ValueError:
        data = response.text
    if response.status not in expect:
        got = f"{response.status} and the body {show(data)}"
        last = lab.aws.invocations[-1] if lab.aws.invocations else None
        if response.status == 502 and last is not None and last.error_type:
            got = f"502: the function failed, {describe_invocation_error(last)}"
        elif response.status in _GATEWAY_ERRORS:
            got += f" ({_GATEWAY_ERRORS[response.status]})"
        raise Failure(expected=f"{' or '.join(map(str, expect))} for {request}", got=got,
                      hint=hint or "Try the request in the lab notebook to see the function's answer and log.")
    return response.status, data


def _error_body(data, request: str, status: int) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("error"), str) or not data["error"].strip():
        raise Failure(expected=f'a JSON body like {{"error": "..."}} with the {status} for {request}',
                      got=f"the body {show(data)}", hint="An error message tells the client what to fix: "
                                                         'respond(status, {"error": "..."}).')


def _by_id(users) -> dict:
    return {u.get("id"): u for u in users if isinstance(u, dict)} if isinstance(users, list) else {}


def _table_ids(lab) -> set[str]:
    return {item["id"]["S"] for item in lab.client("dynamodb").scan(TableName=TABLE)["Items"]}


@check("GET /users lists the users, GET /users/{id} returns one (404 when unknown)", points=3)
def reads(lab):
    url = _deploy(lab)
    _, users = _call(lab, "GET", url + "/users", request="GET /users",
                     hint="list_users(): scan the table and respond(200, the items).")
    if _by_id(users) != {u["id"]: u for u in USERS}:
        return Failure(expected=f"GET /users to answer the list of the table's users: {show(USERS, 300)}",
                       got=f"{show(users, 300)}",
                       hint="The body is a JSON list of the items, as they are in the table (id, name, email).")
    _, user = _call(lab, "GET", url + "/users/u-2", request="GET /users/u-2",
                    hint="get_user(user_id): get_item(Key={\"id\": user_id}) and respond(200, the item).")
    if user != USERS[1]:
        return Failure(expected=f"GET /users/u-2 to answer {show(USERS[1])}", got=show(user),
                       hint="get_item answers {\"Item\": {...}}: respond with the item itself.")
    for request in ("GET /users/nobody", "PATCH /users/u-1"):
        method, _, path = request.partition(" ")
        status, data = _call(lab, method, url + path, expect=(404,), request=request,
                             hint="get_item answers without \"Item\" when there is no such key: answer 404 then. "
                                  "A crash would reach the client as a 502.")
        _error_body(data, request, status)


@check("POST /users creates a user (201) and answers 400 for invalid input", points=3)
def creates(lab):
    url = _deploy(lab, seed=False)
    sent = {"name": "Katherine Johnson", "email": "katherine@example.com"}
    _, user = _call(lab, "POST", url + "/users", body=json.dumps(sent), expect=(201,), request="POST /users",
                    hint="create_user(body): json.loads(body), store the user with a new id, respond(201, user).")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"] \
            or {k: user.get(k) for k in sent} != sent:
        return Failure(expected=f"the new user in the body of the 201: {show(sent)} and a new \"id\" (a string)",
                       got=show(user), hint="Answer with the user as stored: its id, name and email.")
    if _table_ids(lab) != {user["id"]}:
        return Failure(expected=f"the user {user['id']} in the table {TABLE}",
                       got=f"the ids {show(sorted(_table_ids(lab)))}",
                       hint="table.put_item(Item=user) stores it.")
    for body, what in INVALID:
        request = f"POST /users with {what}"
        status, data = _call(lab, "POST", url + "/users", body=body, expect=(400,), request=request,
                             hint="Check the body before using it: json.loads raises ValueError for text that is "
                                  "not JSON (and for None use \"\"); then a dict with non-empty string name and "
                                  "email, the email with an @. Answer 400 with an error for anything else.")
        _error_body(data, request, status)
    if len(_table_ids(lab)) != 1:
        return Failure(expected="nothing stored for the invalid requests",
                       got=f"{len(_table_ids(lab))} users in the table",
                       hint="Validate everything before put_item.")


@check("DELETE /users/{id} deletes the user (204) and answers 404 for an unknown id", points=2)
def deletes(lab):
    url = _deploy(lab)
    _call(lab, "DELETE", url + "/users/u-1", expect=(204, 200), request="DELETE /users/u-1",
          hint="delete_user(user_id): table.delete_item(Key={\"id\": user_id}) and respond(204).")
    if _table_ids(lab) != {"u-2"}:
        return Failure(expected="only u-2 left in the table after DELETE /users/u-1",
                       got=f"the ids {show(sorted(_table_ids(lab)))}", hint="Delete the item whose id is in the path.")
    for request in ("DELETE /users/u-1", "DELETE /users/nobody"):
        status, data = _call(lab, "DELETE", url + request.split(" ", 1)[1], expect=(404,), request=request,
                             hint="delete_item(..., ReturnValues=\"ALL_OLD\") answers the deleted item under "
                                  "\"Attributes\", and nothing when there was none: answer 404 then.")
        _error_body(data, request, status)


@check("deploy.py puts a REST API in front of the function", points=2)
def api(lab):
    function_arn = lab.client("lambda").get_function_configuration(
        FunctionName=lab.deploy(FUNCTION, {"lambda_function.py": _ECHO}))["FunctionArn"]
    url = lab.call(lab.module("deploy.py").create_api, lab.client("apigateway"), lab.client("lambda"), function_arn,
                   what="deploy.create_api(apigateway, lambda_client, function_arn)")
    if not isinstance(url, str) or ".execute-api." not in url:
        return Failure(expected="create_api() to return the API's URL", got=repr(url),
                       hint="Keep the return line of create_api as it was.")
    for method, path, resource, user_id in (("GET", "/users", "/users", None), ("POST", "/users", "/users", None),
                                            ("GET", "/users/42", "/users/{id}", "42"),
                                            ("DELETE", "/users/42", "/users/{id}", "42")):
        _, seen = _call(lab, method, url + path, body="{}" if method == "POST" else None,
                        request=f"{method} {path}", hint=(
                            "403: API Gateway has no such route (create the resources /users and /users/{id} "
                            "and their methods with add_method), or no deployment to the stage (TODO 5). "
                            "500: API Gateway may not invoke the function: add_permission for "
                            "apigateway.amazonaws.com."))
        if seen != {"method": method, "resource": resource, "id": user_id}:
            return Failure(expected=f"{method} {path} to reach the function as method {method}, resource {resource}",
                           got=f"the function saw {show(seen)}",
                           hint="The resource paths are /users and /users/{id}: pathPart \"users\", then "
                                "pathPart \"{id}\" under it.")


@check("end to end: create, list, read and delete users through the deployed API", points=2)
def end_to_end(lab):
    url = lab.call(lab.module("deploy.py").main, what="deploy.main()")
    if not isinstance(url, str) or ".execute-api." not in url:
        return Failure(expected="deploy.main() to return the API's URL", got=repr(url),
                       hint="Keep the end of main() as it was: `return url`.")
    hint = "Make the checks above pass first: each one tries one part of this."
    ids = []
    for user in USERS:
        _, created = _call(lab, "POST", url + "/users", body=json.dumps({k: user[k] for k in ("name", "email")}),
                           expect=(201,), request="POST /users", hint=hint)
        ids.append(created.get("id") if isinstance(created, dict) else None)
    _, listed = _call(lab, "GET", url + "/users", request="GET /users", hint=hint)
    _, ada = _call(lab, "GET", url + f"/users/{ids[0]}", request=f"GET /users/{ids[0]}", hint=hint)
    _call(lab, "DELETE", url + f"/users/{ids[0]}", expect=(204, 200), request=f"DELETE /users/{ids[0]}", hint=hint)
    _call(lab, "GET", url + f"/users/{ids[0]}", expect=(404,), request=f"GET /users/{ids[0]} after deleting it",
          hint=hint)
    _call(lab, "POST", url + "/users", body="{}", expect=(400,), request="POST /users with {}", hint=hint)
    if sorted(_by_id(listed)) != sorted(ids) or not isinstance(ada, dict) or ada.get("name") != USERS[0]["name"]:
        return Failure(expected="GET /users to list the two users created, and GET /users/{id} to return Ada",
                       got=f"GET /users answered {show(listed)}; GET /users/{{id}} answered {show(ada)}", hint=hint)
