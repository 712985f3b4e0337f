"""AWS's checks on Lambda API requests that moto leaves out, raising the errors AWS answers with (moto's exception
classes, so moto's response machinery turns them into AWS's HTTP errors).

The patch table calls these from CreateFunction, UpdateFunctionConfiguration, UpdateFunctionCode and
PutFunctionConcurrency.
"""

from __future__ import annotations

import functools
import io
import json
import re
import zipfile
from typing import Any

from .. import iam, quotas
from . import state

__all__ = ["validate_function_spec", "check_reserved_concurrency", "check_ephemeral_storage", "invalid_parameter",
           "resource_conflict", "function_name_error", "unzipped_size", "SUPPORTED_RUNTIMES", "DEPRECATED_RUNTIMES"]

SUPPORTED_RUNTIMES = ("python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
DEPRECATED_RUNTIMES = ("python2.7", "python3.6", "python3.7", "python3.8")
# Runtimes the API accepts (a function can be created, configured and listed) that do not run in this process.
_OTHER_RUNTIMES = ("nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x", "java11", "java17", "java21", "dotnet8",
                   "ruby3.2", "ruby3.3", "ruby3.4", "provided.al2", "provided.al2023")


def _invalid(message: str) -> Exception:
    from moto.awslambda.exceptions import InvalidParameterValueException

    return InvalidParameterValueException(message)


def invalid_parameter(message: str) -> Exception:
    """Lambda's InvalidParameterValueException (400) with ``message``."""
    return _invalid(message)


def resource_conflict(message: str) -> Exception:
    """Lambda's ResourceConflictException (409) with ``message``."""
    from moto.awslambda.exceptions import LambdaClientError

    error = LambdaClientError("ResourceConflictException", message)
    error.code = 409
    return error


def _validation(field: str, value: Any, constraint: str) -> Exception:
    from moto.awslambda.exceptions import LambdaClientError

    return LambdaClientError("ValidationException",
                             f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
                             f"constraint: {constraint}")


def _range(field: str, value, low: int, high: int) -> None:
    if value is not None and not low <= int(value) <= high:
        raise _validation(field, value, "Member must have value " + (
            f"greater than or equal to {low}" if int(value) < low else f"less than or equal to {high}"))


# --- names, from botocore's service model (the data AWS's SDKs are built from) -----------------------------------
FUNCTION_NAME_MAX = 64  # a function's own name; the model's longer limits are for the ARN forms


@functools.lru_cache(maxsize=None)
def _constraints(operation: str, member: str) -> tuple[int, int, str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("lambda")
    shape = model.operation_model(operation).input_shape.members[member]
    return shape.metadata.get("min", 0), shape.metadata.get("max", 10 ** 9), shape.metadata.get("pattern", ".*")


def function_name_error(value, operation: str = "Invoke", member: str = "FunctionName",
                        field: str = "functionName") -> str | None:
    """AWS's ValidationException message for a function name ``operation`` refuses, or None if it is valid.

    "The length constraint applies only to the full ARN. If you specify only the function name, it is limited to
    64 characters in length." (Lambda API reference)."""
    if not isinstance(value, str):
        return None  # botocore refuses other types before sending
    low, high, pattern = _constraints(operation, member)
    prefix = f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
    if len(value) > high:
        return prefix + f"Member must have length less than or equal to {high}"
    if len(value) < low:
        return prefix + f"Member must have length greater than or equal to {low}"
    if re.fullmatch(pattern, value) is None:
        return prefix + f"Member must satisfy regular expression pattern: {pattern}"
    if ":" not in value and len(value) > FUNCTION_NAME_MAX:
        return prefix + f"Member must have length less than or equal to {FUNCTION_NAME_MAX}"
    return None


def validate_function_spec(spec: dict, backend, *, update: bool = False, enforce_iam: bool = True) -> None:
    """Refuse a CreateFunction/UpdateFunction* request as AWS would: the request's shape first (name, runtime,
    memory, timeout: ValidationException), then the role's trust, environment size, layers, the zip itself and
    the unzipped size of code plus layers."""
    if not update and "FunctionName" in spec:
        message = function_name_error(spec["FunctionName"], "CreateFunction")
        if message:
            from moto.awslambda.exceptions import LambdaClientError

            raise LambdaClientError("ValidationException", message)
    runtime = spec.get("Runtime")
    if runtime in DEPRECATED_RUNTIMES:
        raise _invalid(f"The runtime parameter of {runtime} is no longer supported for creating or updating "
                       "AWS Lambda functions. We recommend you use a supported runtime while creating or "
                       "updating functions.")
    if runtime and runtime not in SUPPORTED_RUNTIMES and runtime not in _OTHER_RUNTIMES:
        raise _validation("runtime", runtime, "Member must satisfy enum value set: [" +
                          ", ".join(SUPPORTED_RUNTIMES + _OTHER_RUNTIMES) + "]")
    _range("memorySize", spec.get("MemorySize"), quotas.MEMORY_MIN_MB, quotas.MEMORY_MAX_MB)
    _range("timeout", spec.get("Timeout"), 1, quotas.TIMEOUT_MAX_S)
    # The request's shape is checked before anything is looked up: a bad value is a ValidationException even when
    # the role is wrong too, as on AWS.
    role = spec.get("Role")
    if role and enforce_iam and not update and not iam.trusts_lambda(role) and state.role_or_none(role):
        raise _invalid("The role defined for the function cannot be assumed by Lambda.")
    variables = (spec.get("Environment") or {}).get("Variables") or {}
    if sum(len(k) + len(str(v)) for k, v in variables.items()) > quotas.ENVIRONMENT_VARIABLES_BYTES:
        raise _invalid(f"Lambda was unable to configure your environment variables because the environment "
                       f"variables you have provided exceeded the 4KB limit. String measured: "
                       f"{json.dumps(variables)[:100]}...")
    layers = spec.get("Layers")
    if layers is not None and len(layers) > quotas.LAYERS_PER_FUNCTION:
        raise _invalid("Cannot reference more than 5 layers.")
    unzipped = _code_size(spec.get("Code") or {}, update)
    for arn in layers or []:
        layer = backend.layers_versions_by_arn(arn)
        if layer is not None:
            unzipped += unzipped_size(layer.code_bytes, check=False)
    if unzipped > quotas.UNZIPPED_PACKAGE_BYTES:
        raise _invalid(f"Function code combined with layers exceeds the maximum allowed size of "
                       f"{quotas.UNZIPPED_PACKAGE_BYTES} bytes. The actual size is {unzipped} bytes.")


def _code_size(code: dict, update: bool) -> int:
    """The unzipped size of a ZipFile upload (0 without one); refuses a too-large or corrupt zip."""
    if "ZipFile" not in code:
        return 0
    from moto.awslambda.models import _zipfile_content

    # base64 as moto receives it: a string from the API, bytes from CloudFormation's inline Code.ZipFile
    data = _zipfile_content(code["ZipFile"])[0]
    if len(data) > quotas.ZIPPED_PACKAGE_BYTES:
        from moto.awslambda.exceptions import LambdaClientError

        error = LambdaClientError("RequestEntityTooLargeException",
                                  "Request must be smaller than 69905067 bytes for the "
                                  f"{'UpdateFunctionCode' if update else 'CreateFunction'} operation")
        error.code = 413
        raise error
    return unzipped_size(data)


def unzipped_size(data: bytes, check: bool = True) -> int:
    """The size of a deployment package or layer once unzipped; AWS's error if it is not a zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data or b"")) as archive:
            if check and archive.testzip() is not None:
                raise zipfile.BadZipFile
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError):
        raise _invalid("Could not unzip uploaded file. Please check your file, then try to upload again.") from None


def check_ephemeral_storage(size: int) -> None:
    """EphemeralStorage.Size: 512-10,240 MB (moto ignores it on update)."""
    low, high = quotas.EPHEMERAL_STORAGE_MIN_MB, quotas.EPHEMERAL_STORAGE_MAX_MB
    if not low <= size <= high:
        from moto.awslambda.exceptions import LambdaClientError

        raise LambdaClientError("ValidationException", f"1 validation error detected: Value '{size}' at "
                                "'ephemeralStorage.size' failed to satisfy constraint: Member must have value "
                                + (f"less than or equal to {high}" if size > high
                                   else f"greater than or equal to {low}"))


def check_reserved_concurrency(backend, function_name: str, reserved: int, concurrency_limit: int) -> None:
    """PutFunctionConcurrency: AWS always leaves 100 unreserved concurrency to the account's other functions."""
    others = sum(int(f.reserved_concurrency) for f in backend.list_functions()
                 if f.reserved_concurrency not in (None, "") and f.function_name != function_name)
    if concurrency_limit - others - reserved < quotas.UNRESERVED_CONCURRENCY_MIN:
        raise _invalid("Specified ReservedConcurrentExecutions for function decreases account's "
                       "UnreservedConcurrentExecution below its minimum value of [100].")
