"""AWS's error names and messages for Lambda, as data in one place.

Two kinds of failure exist on AWS and here:

* a *function error*: the invoke call succeeds (HTTP 200) and the payload is an error object
  ``{"errorMessage", "errorType", "requestId", "stackTrace"}`` with ``FunctionError: Unhandled``;
* a *service error*: the invoke call itself fails (throttled, payload too large, bad request), raised to the caller
  as :class:`ServiceError` here and as ``botocore.exceptions.ClientError`` through boto3.

Sources: awslambdaric (bootstrap.py, lambda_runtime_marshaller.py), the Lambda API reference (Invoke errors), and
../shared/reference/lambda-facts.md.
"""

from __future__ import annotations

from .. import quotas

# errorType values the runtime and the platform put in function-error payloads.
IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
MALFORMED_HANDLER = "Runtime.MalformedHandlerName"
SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
MARSHAL_ERROR = "Runtime.MarshalError"
UNMARSHAL_ERROR = "Runtime.UnmarshalError"
TIMEOUT = "Sandbox.Timedout"
OUT_OF_MEMORY = "Runtime.OutOfMemory"
EXIT_ERROR = "Runtime.ExitError"
RESPONSE_TOO_LARGE = "Function.ResponseSizeTooLarge"

SYNC_PAYLOAD_LIMIT = quotas.SYNC_PAYLOAD_BYTES
ASYNC_PAYLOAD_LIMIT = quotas.ASYNC_PAYLOAD_BYTES
SYNC_RESPONSE_LIMIT = quotas.SYNC_RESPONSE_BYTES


def timeout_message(request_id: str, timeout_s: float) -> str:
    return f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds"


def exit_message(status: int) -> str:
    """What the platform says of a runtime process that exited before it answered: a clean exit (status 0) gave it
    no reason at all (AWS: "Runtime exited without providing a reason"); any other status is named."""
    return "Runtime exited without providing a reason" if status == 0 else \
        f"Runtime exited with error: exit status {status}"


def platform_error(error_type: str, message: str) -> bytes:
    """The error object the platform answers with when a runtime process died or ran out of time (it sent none of
    its own): two fields, as the Node.js runtimes' invocations answer a timeout or an exit."""
    import json

    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def response_too_large_message(size: int) -> str:
    """AWS's message (the size of the response is not in it)."""
    return f"Response payload size exceeded maximum allowed payload size ({SYNC_RESPONSE_LIMIT} bytes)."


class ServiceError(Exception):
    """The invoke call itself was refused, as AWS's Lambda service refuses it.

    ``code`` is AWS's error code (``TooManyRequestsException``), ``status`` the HTTP status, ``reason`` the
    ``Reason`` field AWS adds to throttles.
    """

    def __init__(self, code: str, message: str, status: int = 400, reason: str | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.reason = reason

    def body(self) -> dict:
        body = {"Type": "User", "message": self.message}
        if self.reason:
            body["Reason"] = self.reason
        return body


def throttled(reason: str) -> ServiceError:
    messages = {
        "ReservedFunctionConcurrentInvocationLimitExceeded": "Rate Exceeded.",
        "ConcurrentInvocationLimitExceeded": "Rate Exceeded.",
        "FunctionInvocationRateLimitExceeded": "Rate Exceeded.",
    }
    return ServiceError("TooManyRequestsException", messages.get(reason, "Rate Exceeded."), 429, reason)


def request_too_large(size: int, limit: int) -> ServiceError:
    return ServiceError(
        "RequestTooLargeException",
        f"{size} byte payload is too large for the {'Event' if limit == ASYNC_PAYLOAD_LIMIT else 'RequestResponse'} "
        f"invocation type (limit {limit} bytes)",
        413,
    )


def invalid_request_content(detail: str) -> ServiceError:
    return ServiceError(
        "InvalidRequestContentException", f"Could not parse request body into json: {detail}", 400
    )
