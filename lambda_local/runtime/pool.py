"""The environments of one function: reuse while warm, expire when idle, create on demand within concurrency."""

from __future__ import annotations

from .. import policy
from . import errors
from .environment import ExecutionEnvironment

__all__ = ["EnvironmentPool"]


def _new_environment(config, *args):
    """An environment of the function's runtime: Python runs in this process, Node.js in a process of its own."""
    if config.runtime.startswith("nodejs"):
        from .nodejs.environment import NodeEnvironment

        return NodeEnvironment(config, *args)
    return ExecutionEnvironment(config, *args)


class EnvironmentPool:
    """Environments of one function (all its versions); each serves one request at a time."""

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
        """A warm environment for ``config`` if one is idle (a warm start), or a new one (a cold start).

        Raises a throttle (``TooManyRequestsException``) when reserved or account concurrency is used up.
        """
        service = self.service
        now = service.clock.time()
        self.expire(now)
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
            return warm, False
        if service.in_flight >= service.concurrency_limit:
            raise errors.throttled(policy.ACCOUNT_LIMIT)
        env = _new_environment(config, service.ids.hex32(), now, credentials, service.clock.time)
        env.busy = True
        service.in_flight += 1
        self.environments.append(env)
        return env, True

    def create(self, config, credentials: dict[str, str]) -> ExecutionEnvironment:
        """A new, idle environment (for provisioned concurrency: initialised before any request)."""
        service = self.service
        env = _new_environment(config, service.ids.hex32(), service.clock.time(), credentials, service.clock.time)
        self.environments.append(env)
        return env

    def release(self, env: ExecutionEnvironment, discard: bool = False) -> None:
        env.busy = False
        self.service.in_flight -= 1
        env.last_used = self.service.clock.time()
        if discard:
            self._discard(env)

    def _discard(self, env: ExecutionEnvironment) -> None:
        if env in self.environments:
            self.environments.remove(env)
        env.discard()

    def clear(self) -> None:
        for env in list(self.environments):
            if not env.busy:
                self._discard(env)
