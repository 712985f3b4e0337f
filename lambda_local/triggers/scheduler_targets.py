"""What an EventBridge Scheduler target does when its schedule fires, other than invoking a function: the API call
of a templated target or of a universal target, made with the schedule's execution role, as the Scheduler user guide
describes them ("Using templated targets", "Using universal targets").

* Templated targets call one API operation chosen by the target's ARN: an SQS queue ``SendMessage`` (the payload as
  the message body; ``SqsParameters.MessageGroupId`` for a FIFO queue, which must have content-based deduplication),
  an SNS topic ``Publish``, an EventBridge bus ``PutEvents`` (one entry: ``EventBridgeParameters.Source`` and
  ``DetailType``, the payload as its detail), a Step Functions state machine ``StartExecution``, a Kinesis stream
  ``PutRecord`` (``KinesisParameters.PartitionKey``) and a Firehose stream ``PutRecord``. (Lambda targets are the
  scheduler's own: ``triggers.scheduler``.)
* A universal target, ``arn:aws:scheduler:::aws-sdk:<service>:<apiAction>``, calls that action with ``Input`` as its
  JSON parameters (member names as in the service's API reference). ``<service>`` is the AWS SDK's service
  identifier (``sqs``, ``dynamodb``, ``sfn``, ``eventbridge``, ...); read-only actions (``get...``, ``list...``,
  ``describe...`` and the other prefixes the guide lists) are not supported: CreateSchedule and UpdateSchedule refuse
  them, an unknown service or action and a malformed ARN with ValidationException (:func:`check_target`).

Every call is made through boto3 under the role's credentials, so the role's policies are checked as for a function's
own calls (``iam``), and what the call does (a message that starts a poller, an event a rule matches) happens as it
would for any caller. A refusal comes back as the service's error code and message; :func:`is_retryable` tells a
throttle or a service fault (retried within the schedule's retry policy) from the rest (straight to the DLQ).
Universal targets reach only what moto models.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from .. import iam
from ..runtime.errors import ServiceError

__all__ = ["TargetCall", "call_for", "check_target", "is_retryable", "make_call"]

_UNIVERSAL_PREFIX = "arn:aws:scheduler:::aws-sdk:"

# The read-only actions universal targets refuse ("Using universal targets", Unsupported actions).
_READ_ONLY_PREFIXES = (
    "get", "describe", "list", "poll", "receive", "search", "scan", "query", "select", "read", "lookup", "discover",
    "validate", "batchget", "batchdescribe", "batchread", "transactget", "adminget", "adminlist", "testmigration",
    "retrieve", "testconnection", "translatedocument", "isauthorized", "invokemodel")

# AWS SDK service identifiers whose boto3 name differs; any other identifier is boto3's own name.
_SDK_TO_BOTO3 = {"sfn": "stepfunctions", "eventbridge": "events", "cloudwatchlogs": "logs",
                 "cognitoidentityprovider": "cognito-idp", "elasticloadbalancingv2": "elbv2"}

# Error codes that mean "try again later", whatever the HTTP status they come with.
_THROTTLES = {"ThrottlingException", "Throttling", "TooManyRequestsException", "ProvisionedThroughputExceededException",
              "RequestLimitExceeded", "RequestThrottled", "ServiceUnavailable", "InternalFailure",
              "InternalServerError", "InternalServiceError"}


@dataclass(frozen=True)
class TargetCall:
    """One API call: boto3's service name, the API operation's name, its parameters, and the region it goes to."""

    service: str
    operation: str
    params: dict[str, Any]
    region: str


def call_for(target: dict, payload: bytes, region: str) -> TargetCall:
    """The call a (non-Lambda) target makes with ``payload``; ValidationException for a target Scheduler does not
    support (``region``: the schedule's, where universal targets call)."""
    arn = target.get("Arn") or ""
    if arn.startswith(_UNIVERSAL_PREFIX):
        return _universal(arn, payload, region)
    return _templated(target, arn, payload)


def _templated(target: dict, arn: str, payload: bytes) -> TargetCall:
    parts = arn.split(":")
    if len(parts) < 6:
        raise ServiceError("ValidationException", f"Invalid target ARN: {arn}")
    service, region, account, resource = parts[2], parts[3], parts[4], ":".join(parts[5:])
    text = payload.decode("utf-8")
    if service == "sqs":
        params: dict[str, Any] = {"QueueUrl": f"https://sqs.{region}.amazonaws.com/{account}/{resource}",
                                  "MessageBody": text}
        group = (target.get("SqsParameters") or {}).get("MessageGroupId")
        if group:
            params["MessageGroupId"] = group
        return TargetCall("sqs", "SendMessage", params, region)
    if service == "sns":
        return TargetCall("sns", "Publish", {"TopicArn": arn, "Message": text}, region)
    if service == "events" and resource.startswith("event-bus/"):
        parameters = target.get("EventBridgeParameters") or {}
        # the bus by name: the client is in the bus's region, with the schedule's account
        entry = {"EventBusName": resource.split("/", 1)[1], "Source": parameters.get("Source", ""),
                 "DetailType": parameters.get("DetailType", ""), "Detail": text}
        return TargetCall("events", "PutEvents", {"Entries": [entry]}, region)
    if service == "states" and resource.startswith("stateMachine:"):
        return TargetCall("stepfunctions", "StartExecution", {"stateMachineArn": arn, "input": text}, region)
    if service == "kinesis" and resource.startswith("stream/"):
        key = (target.get("KinesisParameters") or {}).get("PartitionKey")
        if not key:
            raise ServiceError("ValidationException", "KinesisParameters.PartitionKey is required for a Kinesis "
                                                      "stream target.")
        return TargetCall("kinesis", "PutRecord", {"StreamARN": arn, "Data": payload, "PartitionKey": key}, region)
    if service == "firehose" and resource.startswith("deliverystream/"):
        return TargetCall("firehose", "PutRecord", {"DeliveryStreamName": resource.split("/", 1)[1],
                                                    "Record": {"Data": payload}}, region)
    raise ServiceError("ValidationException", f"Target {arn} is not a templated target lambda-local runs (Lambda, "
                                              "SQS, SNS, EventBridge, Step Functions, Kinesis, Firehose) nor a "
                                              "universal target (arn:aws:scheduler:::aws-sdk:service:apiAction).")


@functools.lru_cache(maxsize=1)
def _botocore():
    import botocore.session

    return botocore.session.get_session()


def check_target(target: dict) -> None:
    """What CreateSchedule / UpdateSchedule refuse: a universal target ARN that is malformed, names a service the
    SDK does not have or an action the service lacks, or a read-only action (ValidationException)."""
    arn = target.get("Arn") or ""
    if arn.startswith(_UNIVERSAL_PREFIX):
        _operation(arn)


def _operation(arn: str) -> tuple[str, str]:
    """boto3's service name and the API operation a universal target ARN names."""
    rest = arn[len(_UNIVERSAL_PREFIX):].split(":")
    if len(rest) != 2 or not all(rest):
        raise ServiceError("ValidationException", f"Invalid universal target ARN: {arn}. Expected "
                                                  "arn:aws:scheduler:::aws-sdk:service:apiAction.")
    sdk_service, action = rest
    if action.lower().startswith(_READ_ONLY_PREFIXES):
        raise ServiceError("ValidationException", f"Read-only API action {action} is not supported as a target.")
    service = _SDK_TO_BOTO3.get(sdk_service.lower(), sdk_service.lower())
    session = _botocore()
    if service not in session.get_available_services():
        raise ServiceError("ValidationException", f"{sdk_service} is not a supported service for a target.")
    operations = {name.lower(): name for name in session.get_service_model(service).operation_names}
    operation = operations.get(action.lower())
    if operation is None:
        raise ServiceError("ValidationException", f"{action} is not an API action of {sdk_service}.")
    return service, operation


def _universal(arn: str, payload: bytes, region: str) -> TargetCall:
    service, operation = _operation(arn)
    try:
        params = json.loads(payload.decode("utf-8") or "{}")
    except ValueError:
        raise ServiceError("ValidationException", "The Input of a universal target must be the API action's "
                                                  "parameters as a JSON object.") from None
    if not isinstance(params, dict):
        raise ServiceError("ValidationException", "The Input of a universal target must be a JSON object.")
    return TargetCall(service, operation, params, region)


def make_call(call: TargetCall, role_arn: str, session_name: str, account: str, enforce_iam: bool,
              clients: dict) -> dict:
    """Make ``call`` through boto3 with temporary credentials of ``role_arn`` (checked against its policies when
    ``enforce_iam``); its response, or ServiceError with the service's error code, message and status.

    ``clients`` caches a client per (credentials, service, region) for the caller, as building one takes a while."""
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
    from botocore import xform_name

    # one attempt: Scheduler's retry policy, on the virtual clock, decides about retries (not botocore, in real time)
    client = iam.role_client(call.service, call.region, role_arn, session_name, account, enforce_iam, clients,
                             Config(retries={"total_max_attempts": 1}))
    try:
        response = getattr(client, xform_name(call.operation))(**call.params)
    except ClientError as error:
        details = error.response.get("Error", {})
        raise ServiceError(details.get("Code") or "ServiceError", details.get("Message") or str(error),
                           int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)) from None
    except ParamValidationError as error:
        raise ServiceError("ValidationException", str(error).replace("\n", " "), 400) from None
    except BotoCoreError as error:
        raise ServiceError("ServiceError", str(error), 500) from None
    _raise_failed_entries(call, response)
    return response


def _raise_failed_entries(call: TargetCall, response: dict) -> None:
    """PutEvents answers 200 with the entries it could not put: for Scheduler that is a failed delivery."""
    if call.operation == "PutEvents" and response.get("FailedEntryCount"):
        failed: dict[str, str] = next((e for e in response.get("Entries", []) if e.get("ErrorCode")), {})
        code = failed.get("ErrorCode", "InternalFailure")
        raise ServiceError(code, failed.get("ErrorMessage", ""), 500 if code in _THROTTLES else 400)


def is_retryable(error: ServiceError) -> bool:
    """A throttle or a fault of the service (retried within the retry policy), not a refusal (sent to the DLQ)."""
    return error.status == 429 or error.status >= 500 or error.code in _THROTTLES
