"""AWS's own request validation for an answer that is an API call's arguments (botocore's service models)."""

from __future__ import annotations

import functools
from typing import Any

import botocore.session
from botocore.validate import ParamValidator


@functools.cache
def _operation(service: str, operation: str):
    return botocore.session.get_session().get_service_model(service).operation_model(operation)


def invalid_parameters(service: str, operation: str, parameters: Any) -> str | None:
    """What botocore would refuse in ``client.<operation>(**parameters)`` before sending it, or None."""
    if not isinstance(parameters, dict):
        return f"the arguments of {operation} are a dict, not {type(parameters).__name__}"
    report = ParamValidator().validate(parameters, _operation(service, operation).input_shape)
    if report.has_errors():
        return report.generate_report().replace("\n", "; ")
    return None
