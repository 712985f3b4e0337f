"""What the event sources need from the sandbox that hosts them: :class:`TriggerHost`, a small public protocol.

Triggers (the asynchronous queue, pollers, HTTP, SNS, EventBridge) use only these names, never the sandbox's
private parts, so the sandbox can change how it dispatches (threads, another runtime) without touching them.
"""

from __future__ import annotations

import random
from typing import Any, Callable, Iterable, Protocol

from ..clock import VirtualClock

__all__ = ["TriggerHost"]


class TriggerHost(Protocol):
    """The sandbox as the triggers see it."""

    enforce_iam: bool  # whether resource-based policies are checked before a service invokes a function

    @property
    def clock(self) -> VirtualClock:
        """The virtual clock: ``time()``, ``call_later()``, ``call_at()``."""

    @property
    def rng(self) -> random.Random | None:
        """The seeded random source for ids in events (``mock_aws(seed=...)``), None when unseeded."""

    @property
    def chain(self) -> int | None:
        """The chain of invocations running now (recursive loop detection), None outside a function."""

    def now(self) -> float:
        """The virtual clock's time, in epoch seconds."""

    def invoke(self, fn, payload: bytes, *, invocation_type: str = "RequestResponse", qualifier: str | None = None,
               chain: int | None = None, request_id: str | None = None, event: Any = ...):
        """Invoke moto's function ``fn`` (in ``chain`` if given; with ``request_id``, as a retry of that request;
        ``event``: the payload decoded already, when the caller made the payload from it); raises ServiceError if
        refused."""

    def count_throttle(self, fn) -> None:
        """Count a request for ``fn`` that Lambda throttled before invoking it (the Throttles metric)."""

    def queue_event(self, backend, function_name: str, payload: bytes, qualifier: str | None = None):
        """Invoke asynchronously: put the event on Lambda's internal queue (retries, destinations, DLQ)."""

    def run_or_defer(self, work: Callable[[], object], chain: int | None = None) -> None:
        """Run ``work`` now, or after the running invocation ends."""

    def loopback_url(self) -> str:
        """The URL of the sandbox's loopback HTTP endpoint (started on first use), for code in a function."""

    def send_to_destination(self, target: str, body: str, *, attributes: dict[str, str] | None = None,
                            detail_type: str = "", resources: Iterable[str] = ()) -> None:
        """Deliver to an SQS queue, SNS topic, EventBridge bus or function ARN."""
