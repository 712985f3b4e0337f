"""The environments of one function: reuse while warm, expire when idle, create on demand within concurrency."""

from __future__ import annotations

from .. import policy
from . import errors
from .environment import ExecutionEnvironment

__all__ = ["EnvironmentPool", "Lease"]


class Lease:
    """One environment lent to one invocation: ``with pool.lease(config, credentials) as lease``. Set ``reset`` when
    the runtime must restart (a timeout, a crash, a failed INIT: the next request runs INIT again in the same
    environment, whose ``/tmp`` stays, as on AWS); ``discard`` to shut the environment down.

    Acquiring and releasing are one construct (as LocalStack's assignment service lends environments with a context
    manager): an exception inside the block, from the function's machinery or from anything else, gives the
    environment back once and discards it, so the count of requests in flight stays exact.
    """

    __slots__ = ("pool", "config", "credentials", "env", "cold", "reset", "discard")

    def __init__(self, pool: "EnvironmentPool", config, credentials: dict[str, str]):
        self.pool, self.config, self.credentials = pool, config, credentials
        self.env: ExecutionEnvironment | None = None
        self.cold = False
        self.reset = False
        self.discard = False

    def __enter__(self) -> "Lease":
        pool = self.pool
        with pool.service.lock:
            self.env, self.cold = pool.acquire(self.config, self.credentials)
        return self

    def restart(self) -> ExecutionEnvironment:
        """A new runtime in the leased environment, now, within this request: INIT failed and AWS runs it again
        with the request (the same id, log stream and ``/tmp``; the old runtime stops for good)."""
        pool, old = self.pool, self.env
        assert old is not None  # only while leased
        fresh = old.restarted()  # (busy: no other request takes the old one meanwhile)
        fresh.busy = True
        with pool.service.lock:
            if old in pool.environments:
                pool.environments[pool.environments.index(old)] = fresh
            self.env = fresh
        return fresh

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.discard = True
        env = self.env
        assert env is not None  # __enter__ set it (__exit__ does not run when acquiring failed)
        with self.pool.service.lock:
            self.pool._release(env, self.discard, self.reset)


class EnvironmentPool:
    """Environments of one function (all its versions); each serves one request at a time.

    Concurrency is counted as AWS counts it even though environments take turns in this process (see
    ``execution.ExecutionLock``): a request holds its environment, and counts in flight, from its lease to its
    release; reserved and account concurrency throttle on that count.
    """

    def __init__(self, service):
        self.service = service
        self.environments: list[ExecutionEnvironment] = []
        self.reserved_concurrency: int | None = None

    def busy(self) -> int:
        return sum(env.busy for env in self.environments)

    def expire(self, now: float) -> None:
        """Shut down environments idle for longer than the service's idle timeout."""
        timeout = self.service.idle_timeout
        for env in [e for e in self.environments
                    if not e.busy and not e.provisioned and policy.idle_expired(e.last_used, now, timeout)]:
            self._discard(env)

    def live(self, now: float | None = None) -> list[ExecutionEnvironment]:
        self.expire(self.service.clock.time() if now is None else now)
        return list(self.environments)

    def acquire(self, config, credentials: dict[str, str]) -> tuple[ExecutionEnvironment, bool]:
        """A warm environment for ``config`` (used through :meth:`lease`) if one is idle (a warm start), or a new one
        (a cold start).

        Raises a throttle (``TooManyRequestsException``) when reserved or account concurrency is used up.
        """
        service = self.service
        now = service.clock.time()
        timeout = service.idle_timeout
        only = self._only_one_idle(config, now, False)
        if only is not None:
            return only, not only.initialised  # a reset environment runs INIT again
        for env in self.environments:
            if not env.busy and not env.provisioned and policy.idle_expired(env.last_used, now, timeout):
                self.expire(now)  # (the check alone is the common case: nothing has been idle that long)
                break
        reserved = self.reserved_concurrency
        if reserved is not None and self.busy() >= reserved:
            # reserved concurrency caps running requests, warm environments or not (0 throttles every call)
            raise errors.throttled(policy.RESERVED_LIMIT)
        warm = None
        for env in self.environments:
            if env.busy:
                continue
            if env.config.revision != config.revision:
                self._discard(env)  # code or configuration changed: AWS starts new environments
            elif warm is None or env.last_used > warm.last_used:
                warm = env
        if warm is not None:
            warm.busy = True
            service.in_flight += 1
            return warm, not warm.initialised  # a reset environment runs INIT again
        if service.in_flight >= service.concurrency_limit:
            raise errors.throttled(policy.ACCOUNT_LIMIT)
        env = ExecutionEnvironment(config, service.ids.hex32(), now, credentials, service.clock.time)
        env.busy = True
        service.in_flight += 1
        self.environments.append(env)
        return env, True

    def take_warm(self, config) -> ExecutionEnvironment | None:
        """The warm start :meth:`acquire` would make when the function has one environment and no reserved
        concurrency, and that environment is idle, initialised, not past the idle timeout and of ``config``'s
        revision: it is marked busy and counted in flight, as :meth:`acquire` does (give it back with
        ``_release``). None in every other case, with nothing changed (the caller leases through :meth:`lease`)."""
        service = self.service
        with service.lock:
            return self._only_one_idle(config, service.clock.time(), True)

    def _only_one_idle(self, config, now: float, initialised: bool) -> ExecutionEnvironment | None:
        """The warm start of most functions and every warm loop (one environment, no reserved concurrency), in one
        look: that environment, marked busy and counted in flight, if it is idle, not past the idle timeout
        (``policy.idle_expired``), of ``config``'s revision and, if ``initialised`` is asked for, initialised; else
        None, with nothing changed."""
        environments = self.environments
        if len(environments) != 1 or self.reserved_concurrency is not None:
            return None
        only = environments[0]
        service = self.service
        if (only.busy or only.config.revision != config.revision or initialised and not only.initialised
                or not (only.provisioned or now - only.last_used < service.idle_timeout)):
            return None
        only.busy = True
        service.in_flight += 1
        return only

    def lease(self, config, credentials: dict[str, str]) -> Lease:
        """Lend an environment for one invocation (a context manager): it is given back exactly once, however the
        invocation ends. Entering raises a throttle when concurrency is used up."""
        return Lease(self, config, credentials)

    def create(self, config, credentials: dict[str, str]) -> ExecutionEnvironment:
        """A new, idle environment (for provisioned concurrency: initialised before any request)."""
        service = self.service
        env = ExecutionEnvironment(config, service.ids.hex32(), service.clock.time(), credentials, service.clock.time)
        self.environments.append(env)
        return env

    def _release(self, env: ExecutionEnvironment, discard: bool = False, reset: bool = False) -> None:
        env.busy = False
        self.service.in_flight -= 1
        env.last_used = self.service.clock.time()
        if discard:
            self._discard(env)
        elif reset and env in self.environments:
            # The runtime restarts in the same environment: a new process (the old one, and any thread it left
            # running, is cut off for good), the same id, log stream and /tmp.
            self.environments[self.environments.index(env)] = env.restarted()

    def _discard(self, env: ExecutionEnvironment) -> None:
        if env in self.environments:
            self.environments.remove(env)
        env.discard()

    def clear(self) -> None:
        for env in list(self.environments):
            if not env.busy:
                self._discard(env)
