"""Every change this project makes to moto, named, in one place.

Each patch replaces one moto attribute with a function of ours that hands the work to the active sandbox and falls
back to moto's original when no ``lambda_local.mock_aws()`` is active. ``tests/test_moto_bridge.py`` checks that
each patched attribute still exists with the signature we rely on, so a moto upgrade that moves one fails loudly.
"""

from __future__ import annotations

import base64
import functools
import inspect
import json
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import unquote

from .runtime.errors import ServiceError

__all__ = ["PATCHES", "install"]


@dataclass(frozen=True)
class Patch:
    name: str
    target: str  # "module:Class.attribute"
    signature: tuple[str, ...]  # the parameters we rely on
    replacement: Callable
    why: str

    def resolve(self):
        module_name, _, path = self.target.partition(":")
        owner_name, _, attribute = path.rpartition(".")
        module = __import__(module_name, fromlist=[owner_name])
        return getattr(module, owner_name), attribute


_originals: dict[str, Callable] = {}
_current: Callable[[], Any] = lambda: None  # set by sandbox: returns the active Sandbox or None


def original(name: str) -> Callable:
    return _originals[name]


class _LambdaServiceError(Exception):
    """Carries a ServiceError out through moto's response machinery as an HTTP error."""


def _reply(status: int, headers: dict, body):
    headers["status"] = status  # moto takes the status from this header
    return status, headers, body


def _error_response(error: ServiceError):
    headers = {"x-amzn-ErrorType": error.code, "content-type": "application/json"}
    body = {"__type": error.code, **error.body()}
    return _reply(error.status, headers, json.dumps(body))


def _invoke_response(self) -> Any:
    """LambdaResponse.invoke: Qualifier honoured, the function run by our runtime, AWS's status codes and errors."""
    sandbox = _current()
    if sandbox is None:
        return original("lambda-invoke-response")(self)
    function_name = unquote(self.path.rsplit("/", 2)[-2])
    qualifier = self._get_param("Qualifier") or self.querystring.get("Qualifier", [None])[0]
    headers = {k.lower(): v for k, v in self.headers.items()}
    invocation_type = headers.get("x-amz-invocation-type", "RequestResponse")
    if invocation_type not in ("RequestResponse", "Event", "DryRun"):
        return _error_response(ServiceError(
            "InvalidParameterValueException",
            f"1 validation error detected: Value '{invocation_type}' at 'invocationType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"))
    fn = self.backend.get_function(function_name, qualifier)  # moto raises ResourceNotFoundException
    body = self.raw_body if isinstance(getattr(self, "raw_body", None), bytes) else self.body
    payload = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    client_context = headers.get("x-amz-client-context")
    try:
        if client_context:
            client_context = json.loads(base64.b64decode(client_context))
    except ValueError:
        return _error_response(ServiceError("InvalidRequestContentException",
                                            "Client context must be a valid Base64-encoded JSON object."))
    try:
        result = sandbox.invoke_moto_function(fn, payload, invocation_type=invocation_type,
                                              client_context=client_context, qualifier=qualifier)
    except ServiceError as error:
        return _error_response(error)
    response_headers = {"content-type": "application/json", "x-amz-executed-version": str(fn.version)}
    if invocation_type == "DryRun":
        return _reply(204, response_headers, "")
    if invocation_type == "Event":
        return _reply(202, response_headers, "")
    if result.function_error:
        response_headers["x-amz-function-error"] = result.function_error
    if headers.get("x-amz-log-type") == "Tail":
        tail = result.log.encode("utf-8")[-4096:]
        response_headers["x-amz-log-result"] = base64.b64encode(tail).decode("ascii")
    return _reply(200, response_headers, result.raw_payload)


def _function_invoke(self, body, request_headers, response_headers):
    """LambdaFunction.invoke: the path moto's own triggers take; runs the function in our runtime."""
    sandbox = _current()
    if sandbox is None:
        return original("lambda-function-invoke")(self, body, request_headers, response_headers)
    payload = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    invocation_type = (request_headers or {}).get("x-amz-invocation-type", "Event")
    result = sandbox.invoke_moto_function(self, payload, invocation_type=invocation_type)
    if result is None:
        return b""
    if result.function_error:
        response_headers["x-amz-function-error"] = result.function_error
    return result.raw_payload


def _create_function(self, spec):
    """LambdaBackend.create_function: AWS's checks moto leaves out (zip, handler, limits, runtime)."""
    sandbox = _current()
    if sandbox is not None:
        sandbox.validate_function_spec(spec, self)
    return original("lambda-create-function")(self, spec)


def _update_function_configuration(self, function_name, qualifier, body):
    sandbox = _current()
    if sandbox is not None:
        sandbox.validate_function_spec(body, self, update=True)
    return original("lambda-update-configuration")(self, function_name, qualifier, body)


def _update_function_code(self, function_name, qualifier, body):
    sandbox = _current()
    if sandbox is not None:
        sandbox.validate_function_spec({"Code": body}, self, update=True)
    return original("lambda-update-code")(self, function_name, qualifier, body)


def _put_function_concurrency(self, function_name, reserved_concurrency):
    """LambdaBackend.put_function_concurrency: AWS always keeps 100 unreserved; moto only checks with an env var."""
    sandbox = _current()
    if sandbox is not None:
        sandbox.check_reserved_concurrency(self, function_name, int(reserved_concurrency))
    return original("lambda-put-concurrency")(self, function_name, reserved_concurrency)


@functools.lru_cache(maxsize=1)
def _aws_managed_policy_data() -> dict:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


def _init_aws_policies(self):
    """IAMBackend._init_aws_policies: AWS's managed policies in the standard partition only, parsed once.

    moto builds all ~1,600 of them for every partition of every account it touches (about 0.7 s per sandbox);
    a course only ever uses the ``aws`` partition.
    """
    from moto.iam.models import AWSManagedPolicy
    from moto.settings import load_iam_aws_managed_policies

    if not load_iam_aws_managed_policies() or self.region_name != "aws":
        return []
    return [AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
            for name, data in _aws_managed_policy_data().items()]


PATCHES = [
    Patch("lambda-invoke-response", "moto.awslambda.responses:LambdaResponse.invoke", ("self",),
          _invoke_response, "moto ignores Qualifier, runs code only in Docker and never throttles"),
    Patch("lambda-function-invoke", "moto.awslambda.models:LambdaFunction.invoke",
          ("self", "body", "request_headers", "response_headers"), _function_invoke,
          "moto's triggers (S3, SNS, SQS, Logs) call this to run a function"),
    Patch("lambda-create-function", "moto.awslambda.models:LambdaBackend.create_function", ("self", "spec"),
          _create_function, "moto accepts corrupt zips, bad handlers, >5 layers and out-of-range settings"),
    Patch("lambda-update-configuration", "moto.awslambda.models:LambdaBackend.update_function_configuration",
          ("self", "function_name", "qualifier", "body"), _update_function_configuration,
          "the same checks on update"),
    Patch("lambda-update-code", "moto.awslambda.models:LambdaBackend.update_function_code",
          ("self", "function_name", "qualifier", "body"), _update_function_code, "the same checks on new code"),
    Patch("lambda-put-concurrency", "moto.awslambda.models:LambdaBackend.put_function_concurrency",
          ("self", "function_name", "reserved_concurrency"), _put_function_concurrency,
          "AWS keeps 100 unreserved concurrency; moto checks only when MOTO_LAMBDA_CONCURRENCY_QUOTA is set"),
    Patch("iam-aws-managed-policies", "moto.iam.models:IAMBackend._init_aws_policies", ("self",),
          _init_aws_policies, "parse AWS managed policies once, for the standard partition only"),
]


def install(current: Callable[[], Any]) -> None:
    """Apply every patch once (idempotent); ``current`` returns the active sandbox or None."""
    global _current
    _current = current
    for patch in PATCHES:
        if patch.name in _originals:
            continue
        owner, attribute = patch.resolve()
        existing = getattr(owner, attribute)
        params = tuple(inspect.signature(existing).parameters)
        if params[: len(patch.signature)] != patch.signature:
            raise RuntimeError(f"moto changed {patch.target}: expected parameters {patch.signature}, got {params}")
        _originals[patch.name] = existing
        setattr(owner, attribute, patch.replacement)
