"""The Lambda runtime: functions, execution environments, invocations."""

from .errors import ServiceError
from .function import Function, FunctionConfig
from .invocation import Invocation

__all__ = ["Function", "FunctionConfig", "Invocation", "ServiceError"]
