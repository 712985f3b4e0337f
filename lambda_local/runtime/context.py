"""The ``context`` object a Python handler receives: the same attributes and methods as the real runtime's
``awslambdaric.lambda_context.LambdaContext``, with AWS's values."""

from __future__ import annotations

from typing import Any, Callable

from .clocks import stopwatch

__all__ = ["LambdaContext"]

_W3C_ALLOWED_FIELDS = ("traceparent", "tracestate", "baggage")


class CognitoIdentity:
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]
    cognito_identity_id: str | None
    cognito_identity_pool_id: str | None

    def __repr__(self) -> str:
        return (
            f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class Client:
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]
    installation_id: str | None
    app_title: str | None
    app_version_name: str | None
    app_version_code: str | None
    app_package_name: str | None

    def __repr__(self) -> str:
        fields = ",".join(f"{name}={getattr(self, name)}" for name in self.__slots__)
        return f"Client([{fields}])"


class ClientContext:
    __slots__ = ["custom", "env", "client"]
    custom: dict | None
    env: dict | None
    client: Any  # the caller's dict, then the Client made from it

    def __repr__(self) -> str:
        return f"ClientContext([custom={self.custom},env={self.env},client={self.client}])"


def _from_dict(cls: type[CognitoIdentity | Client | ClientContext], data: dict | None) -> Any:
    if data is None:
        return None
    obj = cls()
    for name in cls.__slots__:
        setattr(obj, name, data.get(name))
    return obj


class LambdaContext:
    """What ``context`` holds during an invocation.

    ``memory_limit_in_mb`` is a string, as in the real runtime. ``get_remaining_time_in_millis()`` counts down in
    real time from the function's timeout.
    """

    def __init__(
        self,
        *,
        aws_request_id: str,
        function_name: str,
        function_version: str,
        invoked_function_arn: str,
        memory_limit_in_mb: int,
        log_group_name: str,
        log_stream_name: str,
        deadline: float,
        client_context: dict | None = None,
        cognito_identity: dict | None = None,
        tenant_id: str | None = None,
        log_sink: Callable[[str], None] | None = None,
    ):
        self.aws_request_id = aws_request_id
        self.log_group_name = log_group_name
        self.log_stream_name = log_stream_name
        self.function_name = function_name
        self.memory_limit_in_mb = str(memory_limit_in_mb)
        self.function_version = function_version
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        if client_context is None:  # most invocations: skip the copying below
            self._w3c_fields = {}
            self.client_context = None
        else:
            self._w3c_fields = _extract_w3c(client_context)
            self.client_context = _from_dict(ClientContext, client_context)
            if self.client_context is not None:
                self.client_context.client = _from_dict(Client, self.client_context.client)
        self.identity = identity = CognitoIdentity()
        identity.cognito_identity_id = identity.cognito_identity_pool_id = None
        if cognito_identity is not None:
            self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")
        # A monotonic deadline: the countdown must not jump if the wall clock (or the virtual clock) moves.
        self._deadline = deadline
        self._log_sink = log_sink

    @classmethod
    def plain(cls, fields: dict, aws_request_id: str, invoked_function_arn: str, deadline: float,
              log_sink: Callable[[str], None] | None) -> "LambdaContext":
        """The context of an invocation without a client context or a Cognito identity (most of them), its
        function's fields (``function_name``, ``function_version``, ``memory_limit_in_mb`` as a string,
        ``log_group_name``, ``log_stream_name``) taken from ``fields``, made once per execution environment: the
        same attributes and values as the constructor's, without its keyword parsing on the warm path."""
        self = cls.__new__(cls)
        attributes = self.__dict__
        attributes["aws_request_id"] = aws_request_id
        attributes.update(fields)
        attributes["invoked_function_arn"] = invoked_function_arn
        attributes["tenant_id"] = None
        attributes["_w3c_fields"] = {}
        attributes["client_context"] = None
        self.identity = identity = CognitoIdentity()
        identity.cognito_identity_id = identity.cognito_identity_pool_id = None
        attributes["_deadline"] = deadline
        attributes["_log_sink"] = log_sink
        return self

    @staticmethod
    def fields(function_name: str, function_version: str, memory_limit_in_mb: int, log_group_name: str,
               log_stream_name: str) -> dict:
        """The fields :meth:`plain` takes: those of one function version in one execution environment."""
        return {"log_group_name": log_group_name, "log_stream_name": log_stream_name, "function_name": function_name,
                "memory_limit_in_mb": str(memory_limit_in_mb), "function_version": function_version}

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out (never negative)."""
        remaining = int((self._deadline - stopwatch.monotonic()) * 1000)
        return remaining if remaining > 0 else 0

    def w3c(self) -> dict:
        """The W3C trace-context fields passed in the client context, if any."""
        return dict(self._w3c_fields)

    def log(self, msg: Any) -> None:
        """Write ``msg`` to the function's log, as the real runtime's ``context.log`` does (no newline added)."""
        if self._log_sink is not None:
            self._log_sink(str(msg))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},client_context={self.client_context},"
            f"identity={self.identity},tenant_id={self.tenant_id}])"
        )


def _extract_w3c(client_context: dict | None) -> dict:
    if not isinstance(client_context, dict) or not isinstance(client_context.get("w3c"), dict):
        return {}
    raw = client_context.pop("w3c")
    return {key: raw[key] for key in _W3C_ALLOWED_FIELDS if isinstance(raw.get(key), str)}
