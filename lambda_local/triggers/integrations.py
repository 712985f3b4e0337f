"""AWS service integrations of HTTP APIs (``IntegrationType`` AWS_PROXY with an ``IntegrationSubtype``): API Gateway
calls the service itself, with the integration's role (``CredentialsArn``), and no function runs.

The request parameters map the request onto the action's parameters, as API Gateway's "Integration subtype
reference" lists them: a value is a literal, a selection expression (``$request.header.X``,
``$request.querystring.X``, ``$request.path.X``, ``$request.body``, ``$request.body.a.b``, ``$context.X``,
``$stageVariables.X``) or text with ``${request.body.name}``-style parts in it. The client gets the service's
answer: for SQS, its query-protocol response as JSON (``{"SendMessageResponse": {"ResponseMetadata": ...,
"SendMessageResult": ...}}``), for the JSON services their JSON. A missing required parameter is
``400 {"message":"Bad Request"}``; a refused call (the role lacks the permission, the queue does not exist) answers
with the service's status and error.

Modelled: SQS-SendMessage, SQS-ReceiveMessage, SQS-DeleteMessage, SQS-PurgeQueue, EventBridge-PutEvents,
Kinesis-PutRecord, StepFunctions-StartExecution. Not modelled: AppConfig-GetConfiguration,
StepFunctions-StartSyncExecution and StopExecution (a 500), response parameter mappings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .. import iam

__all__ = ["service_integration"]


@dataclass(frozen=True)
class _Action:
    service: str  # boto3's name
    operation: str
    required: tuple[str, ...]
    list_parameters: tuple[str, ...] = ()  # one value in the mapping is a one-item list in the API


# From "Integration subtype reference" (API Gateway developer guide).
_ACTIONS = {
    "SQS-SendMessage": _Action("sqs", "SendMessage", ("QueueUrl", "MessageBody")),
    "SQS-ReceiveMessage": _Action("sqs", "ReceiveMessage", ("QueueUrl",), ("AttributeNames", "MessageAttributeNames")),
    "SQS-DeleteMessage": _Action("sqs", "DeleteMessage", ("ReceiptHandle", "QueueUrl")),
    "SQS-PurgeQueue": _Action("sqs", "PurgeQueue", ("QueueUrl",)),
    "EventBridge-PutEvents": _Action("events", "PutEvents", ("Detail", "DetailType", "Source")),
    "Kinesis-PutRecord": _Action("kinesis", "PutRecord", ("StreamName", "Data", "PartitionKey")),
    "StepFunctions-StartExecution": _Action("stepfunctions", "StartExecution", ("StateMachineArn",)),
}
_ENTRY = ("Detail", "DetailType", "Source", "Time", "EventBusName", "Resources")  # PutEvents' one entry
_clients: dict[tuple, Any] = {}


def service_integration(sandbox, account: str, region: str, integration, request, params: dict[str, str],
                        stage) -> tuple[int, Any]:
    """Answer the request by calling the integration's AWS action: ``(status, JSON body)``."""
    action = _ACTIONS.get(integration.integration_subtype)
    if action is None:
        return 500, {"message": "Internal Server Error"}
    values: dict[str, Any] = {}
    for name, expression in (integration.request_parameters or {}).items():
        value = _evaluate(expression, request, params, stage)
        if value not in (None, ""):
            values[name] = value
    if any(name not in values for name in action.required):
        return 400, {"message": "Bad Request"}
    role_arn = integration.credentials_arn  # the integration's role signs the call (its policies decide)
    client = iam.role_client(action.service, values.pop("Region", region), role_arn, "apigateway", account,
                             sandbox.enforce_iam and bool(role_arn), _clients)
    try:
        arguments = _arguments(client, action, values)
    except (ValueError, TypeError):
        return 400, {"message": "Bad Request"}
    from botocore import xform_name
    from botocore.exceptions import ClientError

    try:
        result = getattr(client, xform_name(action.operation))(**arguments)
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500)
        return status, _error_body(action, error.response)
    return 200, _answer(client, action, result)


_PART = re.compile(r"\$\{([^}]+)\}")


def _evaluate(expression, request, params: dict[str, str], stage) -> Any:
    """The value a request parameter mapping gives: a selection expression, text with ``${...}`` parts, or a
    literal."""
    if not isinstance(expression, str):
        return expression
    if expression.startswith("$") and not expression.startswith("${"):
        return _select(expression[1:], request, params, stage)
    if "${" in expression:
        return _PART.sub(lambda m: _text(_select(m.group(1), request, params, stage)), expression)
    return expression


def _text(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _select(path: str, request, params: dict[str, str], stage) -> Any:
    """One selection expression, without its ``$``."""
    from urllib.parse import parse_qsl

    if path.startswith("request.header."):
        return request.headers_lower().get(path.removeprefix("request.header.").lower())
    if path.startswith("request.querystring."):
        name = path.removeprefix("request.querystring.")
        found = [value for key, value in parse_qsl(request.query, keep_blank_values=True) if key == name]
        return ",".join(found) if found else None
    if path.startswith("request.path."):
        return params.get(path.removeprefix("request.path."))
    if path == "request.body" or path.startswith("request.body."):
        text, is_base64 = request.body_fields()
        if path == "request.body":
            return text
        try:
            value: Any = json.loads(text or "")
        except ValueError:
            return None
        for part in path.removeprefix("request.body.").split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value
    if path.startswith("stageVariables."):
        return (getattr(stage, "stage_variables", None) or {}).get(path.removeprefix("stageVariables."))
    if path.startswith("context."):
        known = {"httpMethod": request.method, "path": request.path, "identity.sourceIp": request.source_ip,
                 "stage": getattr(stage, "name", None)}
        return known.get(path.removeprefix("context."))
    return None


def _arguments(client, action: _Action, values: dict[str, Any]) -> dict[str, Any]:
    """The API call's arguments, each value turned into the type the action's model has for it."""
    members = client.meta.service_model.operation_model(action.operation).input_shape.members
    if action.operation == "PutEvents":  # its parameters are the fields of the one entry it sends
        entry_members = members["Entries"].member.members
        return {"Entries": [{name: _typed(entry_members[name], value) for name, value in values.items()
                             if name in _ENTRY}]}
    arguments = {}
    for name, value in values.items():
        if name not in members:
            continue
        if name in action.list_parameters and isinstance(value, str):
            value = [item.strip() for item in value.split(",")]
        arguments[name] = _typed(members[name], value)
    return arguments


def _typed(shape, value):
    if shape.type_name == "integer" or shape.type_name == "long":
        return int(value)
    if shape.type_name == "blob":
        return value.encode("utf-8") if isinstance(value, str) else value
    if shape.type_name in ("structure", "map", "list") and isinstance(value, str):
        return json.loads(value)
    if shape.type_name == "string" and not isinstance(value, str):
        return json.dumps(value)
    return value


def _answer(client, action: _Action, result: dict) -> dict:
    """What the client receives: SQS's query-protocol response as JSON (every field of the result, null when
    absent), or a JSON service's own response."""
    metadata = result.pop("ResponseMetadata", {})
    if action.service != "sqs":
        return result
    output = client.meta.service_model.operation_model(action.operation).output_shape
    fields = {name: result.get(name) for name in (output.members if output is not None else {})}
    return {f"{action.operation}Response": {"ResponseMetadata": {"RequestId": metadata.get("RequestId")},
                                            f"{action.operation}Result": fields or None}}


def _error_body(action: _Action, response: dict) -> dict:
    error = response.get("Error", {})
    if action.service == "sqs":
        return {"Error": {"Code": error.get("Code"), "Message": error.get("Message"), "Type": "Sender"},
                "RequestId": response.get("ResponseMetadata", {}).get("RequestId")}
    return {"__type": error.get("Code"), "message": error.get("Message")}
