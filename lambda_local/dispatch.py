"""Dispatch: the order in which work runs, and Lambda's recursive loop detection.

Work a trigger starts while a function runs (an S3 write that notifies, a message sent to a queue) waits until the
running invocation ends, as on AWS. Each piece of work carries the *chain* of invocations that caused it, so a
function that triggers itself is stopped after ``quotas.RECURSION_LIMIT`` invocations, as Lambda's recursive loop
detection stops it.

>>> dispatch = Dispatcher()
>>> ran = []
>>> with dispatch.invocation():
...     dispatch.run_or_defer(lambda: ran.append("after"))
...     ran.append("during")
>>> ran
['during', 'after']
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import itertools
import threading
from typing import Callable, Iterator

from . import quotas
from .runtime.errors import ServiceError
from .runtime.execution import current_environment

__all__ = ["Dispatcher"]

_RECURSIVE_LOOP = ("Lambda has detected your function being invoked in a recursive loop with other Amazon Web "
                   "Services resources and stopped your function's invocation.")


class Dispatcher:
    """Runs work now or after the running invocation; counts each chain's invocations."""

    def __init__(self, recursion_limit: int = quotas.RECURSION_LIMIT):
        self.recursion_limit = recursion_limit
        # The chain and the depth belong to the code that runs (a context: a thread, or a function and the threads
        # it starts), never to the dispatcher as a whole, so threads invoking at the same time keep their own.
        self._chain_var: contextvars.ContextVar = contextvars.ContextVar("lambda_local_chain", default=None)
        self._depth_var: contextvars.ContextVar = contextvars.ContextVar("lambda_local_depth", default=0)
        self._pending: collections.deque = collections.deque()
        self._chains = itertools.count(1)
        self._chain_counts: collections.Counter = collections.Counter()
        self._lock = threading.Lock()

    @property
    def _chain(self) -> int | None:
        return self._chain_var.get()

    @_chain.setter
    def _chain(self, chain: int | None) -> None:
        self._chain_var.set(chain)

    @property
    def _depth(self) -> int:
        return self._depth_var.get()

    @_depth.setter
    def _depth(self, depth: int) -> None:
        self._depth_var.set(depth)

    @property
    def chain(self) -> int | None:
        """The chain of invocations the code running now belongs to (None outside any function)."""
        return self._chain

    @contextlib.contextmanager
    def invocation(self, chain: int | None = None) -> Iterator[int]:
        """One invocation in ``chain`` (default: the running one's, or a new chain); deferred work runs after the
        outermost invocation ends. Raises RecursiveInvocationException past the recursion limit."""
        if chain is None:
            running = current_environment()  # a function invoking: its invocation's chain, whichever thread calls
            chain = running.chain if running is not None and running.chain is not None else self._chain
            if chain is None:
                chain = next(self._chains)
        with self._lock:
            self._chain_counts[chain] += 1
            count = self._chain_counts[chain]
        if count > self.recursion_limit:
            raise ServiceError("RecursiveInvocationException", _RECURSIVE_LOOP, 400)
        previous, self._chain = self._chain, chain
        self._depth += 1
        try:
            yield chain
        finally:
            self._depth -= 1
            self._chain = previous
            if not self._depth:
                self._drain()

    def run_or_defer(self, work: Callable[[], object], chain: int | None = None) -> None:
        """Run ``work`` now, or after the running invocation ends if a function is running."""
        chain = self._chain if chain is None else chain
        if self._depth:
            self._pending.append((work, chain))
            return
        self._run_in_chain(work, chain)

    def _run_in_chain(self, work, chain) -> None:
        previous, self._chain = self._chain, chain
        try:
            work()
        finally:
            self._chain = previous

    def _drain(self) -> None:
        while self._pending and not self._depth:
            work, chain = self._pending.popleft()
            self._run_in_chain(work, chain)
