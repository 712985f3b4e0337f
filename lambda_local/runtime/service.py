"""The Lambda service of one account and region: the clock, the ids, the account's concurrency, the pools of
environments, and what happens after each invocation (logs to CloudWatch, metrics, the list of records)."""

from __future__ import annotations

import os
import random
import threading
from typing import Callable

from .. import quotas
from ..clock import VirtualClock
from .execution import ExecutionLock

__all__ = ["LambdaService", "current_service"]

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
DEFAULT_IDLE_TIMEOUT_S = quotas.IDLE_TIMEOUT_S
DEFAULT_CONCURRENCY_LIMIT = quotas.ACCOUNT_CONCURRENCY


_UUID4_KEEP = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)  # the variant and version bits cleared
_UUID4_SET = (0x8000 << 48) | (4 << 76)  # RFC 4122 variant, version 4


class Ids:
    """Request and environment ids: random, or reproducible from a seed so a notebook's output never changes."""

    def __init__(self, seed: int | None = None):
        self._rng = random.Random(seed) if seed is not None else None
        # Unseeded ids come from a generator seeded once from the OS (uuid4 asks the OS for every id).
        self._fresh = random.Random(int.from_bytes(os.urandom(16), "big"))

    @property
    def rng(self) -> random.Random | None:
        """The seeded generator (None when unseeded), for event ids made on the sandbox's behalf."""
        return self._rng

    def request_id(self) -> str:
        # uuid.UUID(int=n, version=4) as text, without building the UUID object (a third of the cost of an id)
        n = ((self._rng or self._fresh).getrandbits(128) & _UUID4_KEEP) | _UUID4_SET
        h = f"{n:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def hex32(self) -> str:
        return f"{(self._rng or self._fresh).getrandbits(128):032x}"


class LambdaService:
    """Everything one region's Lambda shares between functions."""

    def __init__(self, *, clock: VirtualClock | None = None, seed: int | None = None,
                 account_id: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION,
                 idle_timeout: float = DEFAULT_IDLE_TIMEOUT_S, concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT,
                 keep_records: bool = True):
        self.clock = clock or VirtualClock()
        self.ids = Ids(seed)
        self.account_id = account_id
        self.region = region
        self.idle_timeout = idle_timeout
        self.concurrency_limit = concurrency_limit
        self.in_flight = 0
        self.invocations: list = []
        self.keep_records = keep_records
        self._last_failed = None  # the record whose exception is kept (see record())
        self.listeners: list[Callable] = []
        # Variables that tell a runtime process (a Node.js function) where this service's AWS is; set by mock_aws().
        self.process_environment: Callable[[], dict[str, str]] = dict
        # Environments take turns in this one process (each swaps its modules, logging registry and working folder
        # in and out), so requests from many threads run one after another; a function invoking another (from any
        # of its threads) runs it on top. Concurrency is still counted as AWS counts it: a request is in flight
        # from its lease (before it waits for its turn) to its release, so throttles and ConcurrentExecutions are
        # what AWS would show for the same requests.
        self.execution = ExecutionLock()
        # Guards the pools' books (environments, in_flight) and the records; held for microseconds, never while
        # code runs.
        self.lock = threading.RLock()
        self.stopper: str | None = None  # how code is stopped at its timeout (timeouts.stopper_for); None: automatic

    def clock_ms(self) -> int:
        return int(self.clock.time() * 1000)

    def turn(self, environment) -> "_Turn":
        """``with service.turn(env)``: ``env`` runs; other environments wait (:class:`~.execution.ExecutionLock`)."""
        return _Turn(self.execution, environment)

    def record(self, invocation, config, environment, events) -> None:
        """After an invocation (its environment given back): keep the record, tell the listeners (CloudWatch Logs,
        metrics)."""
        with self.lock:
            if invocation.exception is not None:
                # Only the latest failed invocation keeps its exception: a traceback keeps every frame alive.
                if self._last_failed is not None:
                    self._last_failed.exception = None
                self._last_failed = invocation
            if self.keep_records:
                self.invocations.append(invocation)
            for listener in self.listeners:
                listener(invocation, config, environment, events)


class _Turn:
    __slots__ = ("lock", "environment")

    def __init__(self, lock: ExecutionLock, environment):
        self.lock, self.environment = lock, environment

    def __enter__(self) -> None:
        self.lock.acquire(self.environment)

    def __exit__(self, *exc_info) -> None:
        self.lock.release(self.environment)


_default: LambdaService | None = None
_active: list[LambdaService] = []


def current_service() -> LambdaService:
    """The service of the innermost active ``mock_aws()``, or a process-wide one for the direct API."""
    global _default
    if _active:
        return _active[-1]
    if _default is None:
        _default = LambdaService()
    return _default


def activate(service: LambdaService) -> None:
    _active.append(service)


def deactivate(service: LambdaService) -> None:
    if service in _active:
        _active.remove(service)
