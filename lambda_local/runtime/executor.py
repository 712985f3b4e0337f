"""The runtime seam: what the Lambda service asks of a language runtime, in any language.

AWS's own contract is the Runtime API: a runtime initialises (imports the handler; ``POST /runtime/init/error`` if
that fails), then loops on ``GET /runtime/invocation/next`` (the event, with ``Lambda-Runtime-Aws-Request-Id``,
``-Deadline-Ms``, ``-Invoked-Function-Arn``, ``-Client-Context``, ``-Cognito-Identity``, ``-Trace-Id`` headers) and
answers each with ``POST /runtime/invocation/{id}/response`` (bytes) or ``/error`` (an error object). A runtime that
exits, or runs past the deadline, answers nothing: the platform reports it and resets the environment.

:class:`RuntimeExecutor` is that contract as two calls, :meth:`~RuntimeExecutor.init` and
:meth:`~RuntimeExecutor.invoke`, each returning a :class:`PhaseResult`. The in-process Python runtime
(``python_runtime.PythonExecutor``) implements it; a process runtime (Node.js speaking the Runtime API over HTTP)
implements the same two calls. The platform's side — leases, timeouts' messages, START/END/REPORT, billing — is in
``invoke.py`` and never depends on the language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from .timeouts import Stopper

__all__ = ["InvokeRequest", "PhaseResult", "RuntimeExecutor"]


@dataclass(slots=True)
class InvokeRequest:
    """One event as ``GET /runtime/invocation/next`` hands it to a runtime: the body and its headers' values."""

    request_id: str
    payload: bytes  # the body, as sent
    event: Any  # the body decoded from JSON (a runtime that unmarshals itself can ignore it)
    invoked_function_arn: str
    timeout_s: float  # the deadline is this far from the start of the invocation
    client_context: dict | None = None
    cognito_identity: dict | None = None
    trace_id: str | None = None


@dataclass(slots=True)
class PhaseResult:
    """What a runtime reports for INIT or for one invocation.

    ``payload`` is the response (``/response``); ``error_type``/``error_message``/``stack_trace`` the error object
    (``/error``, ``/init/error``); ``timed_out`` and ``fatal`` say the runtime answered nothing in time, or died
    (exit, out of memory): either way the environment is reset. ``duration_ms`` is how long the phase ran (billing
    stops at the timeout), ``peak_bytes`` what it allocated at most.

    A runtime in a process of its own reports what it can measure itself: ``error_payload``, its own error object
    passed through as the response (Node.js's ``{errorType, errorMessage, trace}``, not Python's shape);
    ``runtime_start_measured``, INIT's ``duration_ms`` includes the runtime's start-up (so none is modelled);
    ``absolute_peak_bytes``, the process's peak resident memory (Max Memory Used as it is, not baseline + allocated);
    ``platform_error``, a failure with no error object of the runtime's (its process died or ran out of time) is
    answered with the platform's own two fields (``errors.platform_error``), also when INIT failed so.
    """

    payload: bytes = b""
    error_type: str | None = None
    error_message: str = ""
    stack_trace: list[str] | None = None
    timed_out: bool = False
    fatal: bool = False
    duration_ms: float = 0.0
    peak_bytes: int = 0
    error_payload: bytes | None = None
    runtime_start_measured: bool = False
    absolute_peak_bytes: int | None = None
    platform_error: bool = False
    exception: BaseException | None = None  # what a handler in this process raised, for post-mortem debugging

    @property
    def failed(self) -> bool:
        return self.error_type is not None or self.timed_out

    @property
    def reset(self) -> bool:
        """Whether the environment must go (a timeout, a crash, a failed INIT)."""
        return self.timed_out or self.fatal


class RuntimeExecutor(Protocol):
    """A language runtime, as the Lambda service drives it. ``env`` is the execution environment (its id, config,
    scratch folder, log stream); ``log`` receives what the runtime writes during the phase.

    ``exclusive``: the runtime runs code in this process, so its environment takes the process's turn
    (``execution.ExecutionLock``) for the phase; a runtime in a process of its own takes none. (Not declared:
    exclusive.)
    """

    exclusive: bool

    def init(self, env, log, timeout_s: float, stopper: Stopper) -> PhaseResult:
        """The INIT phase: start the runtime and run the function's static code (imports, module level)."""
        ...

    def invoke(self, env, request: InvokeRequest, log, stopper: Stopper) -> PhaseResult:
        """One invocation in an initialised environment."""
        ...
