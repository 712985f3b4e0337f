"""AWS's request validation for Lambda names, from botocore's service model (the same data AWS's SDKs are built from).

The service answers a name that breaks its shape with a ``ValidationException`` before it looks anything up:

    1 validation error detected: Value 'bad name' at 'functionName' failed to satisfy constraint: Member must
    satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?...

A function's own name is 1 to 64 letters, digits, hyphens and underscores; the longer limits in the model are for
the ARN forms.
"""

from __future__ import annotations

import functools
import re

__all__ = ["function_name_error", "FUNCTION_NAME_MAX"]

FUNCTION_NAME_MAX = 64


@functools.lru_cache(maxsize=None)
def _constraints(operation: str, member: str) -> tuple[int, int, str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("lambda")
    shape = model.operation_model(operation).input_shape.members[member]
    return shape.metadata.get("min", 0), shape.metadata.get("max", 10 ** 9), shape.metadata.get("pattern", ".*")


def _message(value: str, field: str, constraint: str) -> str:
    return (f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            f"{constraint}")


def function_name_error(value, operation: str = "Invoke", member: str = "FunctionName",
                        field: str = "functionName") -> str | None:
    """AWS's ValidationException message for a function name ``operation`` would refuse, or None if it is valid."""
    if not isinstance(value, str):
        return None  # botocore refuses other types before sending
    low, high, pattern = _constraints(operation, member)
    if len(value) > high:
        return _message(value, field, f"Member must have length less than or equal to {high}")
    if len(value) < low:
        return _message(value, field, f"Member must have length greater than or equal to {low}")
    match = re.fullmatch(pattern, value)
    if match is None:
        return _message(value, field, f"Member must satisfy regular expression pattern: {pattern}")
    if ":" not in value and len(value) > FUNCTION_NAME_MAX:
        return _message(value, field, f"Member must have length less than or equal to {FUNCTION_NAME_MAX}")
    return None
