"""``mock_aws()``: moto's AWS with Lambda functions that really run, in this process, on a virtual clock.

>>> import boto3, lambda_local
>>> with lambda_local.mock_aws(seed=1) as aws:             # doctest: +SKIP
...     boto3.client("lambda").create_function(...)
...     boto3.client("lambda").invoke(FunctionName="hello", Payload=b"{}")
...     aws.invocations[-1].cold_start
True
"""

from __future__ import annotations

import collections
import functools
import itertools
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile

from . import iam, logs, metrics, quotas
from .aws import patches, state
from .clock import VirtualClock
from .runtime.errors import ServiceError
from .runtime.function import FunctionConfig
from .runtime.invoke import check_payload as _check_payload, invoke as _invoke
from .runtime.pool import EnvironmentPool
from .runtime import service as _service
from .runtime.service import LambdaService

__all__ = ["mock_aws", "Sandbox"]

_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
# Never let botocore read the learner's real ~/.aws files while mocked.
_FAKE_FILES = {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}

RECURSION_LIMIT = quotas.RECURSION_LIMIT

_active: list["Sandbox"] = []


def _current():
    return _active[-1] if _active else None


class Sandbox:
    """The handle ``mock_aws()`` yields: the virtual clock, the invocation records, the live environments."""

    def __init__(self, service: LambdaService, enforce_iam: bool = True):
        self.service = service
        self.enforce_iam = enforce_iam
        self._pools: dict[tuple[str, str, str], EnvironmentPool] = {}
        self._unzipped: dict[str, tuple[str, int]] = {}
        self._root = tempfile.mkdtemp(prefix="lambda-local-")
        service.listeners.append(self._after_invocation)
        from .triggers.asynchronous import AsyncQueue
        from .triggers.eventbridge import EventBridgeTargets
        from .triggers.sqs import SqsPollers
        from .triggers.streams import StreamPollers

        # Work a trigger starts while a function runs (an S3 write that notifies, a message sent to a queue) waits
        # until the running invocation ends, as on AWS; each piece of work carries the chain of invocations that
        # caused it, so a function that triggers itself is stopped as Lambda's recursive loop detection stops it.
        self._depth = 0
        self._pending: collections.deque = collections.deque()
        self._chain: int | None = None
        self._chains = itertools.count(1)
        self._chain_counts: collections.Counter = collections.Counter()
        self.endpoint: str | None = None  # set by `lambda-local serve`: the local endpoint's URL
        self.endpoint_port: int | None = None
        self._process_endpoint = None  # the loopback endpoint runtime processes (Node.js functions) call
        service.process_environment = self._process_environment
        self.async_queue = AsyncQueue(self)
        self.sqs = SqsPollers(self)
        self.streams = StreamPollers(self)
        self.eventbridge = EventBridgeTargets(self)

    # --- what a learner uses -----------------------------------------------------------------------------------------
    @property
    def clock(self) -> VirtualClock:
        return self.service.clock

    @property
    def invocations(self) -> list:
        """Every invocation so far, oldest first (records with request_id, cold_start, durations, cost_usd, ...)."""
        return self.service.invocations

    def advance(self, seconds: float = 0, minutes: float = 0, hours: float = 0) -> int:
        """Move the virtual clock forward: idle environments expire, retries and schedules fire on the way."""
        ran = self.clock.advance(seconds=seconds, minutes=minutes, hours=hours)
        for pool in self._pools.values():
            pool.expire(self.clock.time())
        return ran

    def http(self, method: str, url: str, *, headers: dict | None = None, body: bytes | str | None = None,
             json_body=None):
        """Send an HTTP request to a Function URL or an API Gateway invoke URL, as a browser or curl would.

        >>> response = aws.http("GET", function_url + "hello?name=Ada")   # doctest: +SKIP
        >>> response.status, response.json()                             # doctest: +SKIP
        """
        from .triggers.http import route

        if json_body is not None:
            body = json.dumps(json_body)
            headers = {"content-type": "application/json", **(headers or {})}
        return route(self, method, url, headers, body)

    def environments(self, function_name: str, region: str | None = None, account_id: str | None = None) -> list:
        """The execution environments of a function that are alive now."""
        key = (account_id or self.service.account_id, region or self.service.region, function_name)
        pool = self._pools.get(key)
        return pool.live() if pool else []

    # --- the bridge from moto ---------------------------------------------------------------------------------------
    def invoke_moto_function(self, fn, payload: bytes, *, invocation_type: str = "RequestResponse",
                             client_context: dict | None = None, qualifier: str | None = None):
        """Run moto's function ``fn`` (a LambdaFunction at its resolved version) in the runtime."""
        config = self.config_for(fn)
        pool = self._pool_for(fn)
        if invocation_type == "DryRun":
            return None
        invoked_arn = config.function_arn + (f":{qualifier}" if qualifier else "")
        credentials = iam.credentials_for(config.role, config.function_name, config.account_id, self.enforce_iam)
        chain = self._chain if self._chain is not None else next(self._chains)
        self._chain_counts[chain] += 1
        if self._chain_counts[chain] > RECURSION_LIMIT:
            raise ServiceError("RecursiveInvocationException",
                               "Lambda has detected your function being invoked in a recursive loop with other "
                               "Amazon Web Services resources and stopped your function's invocation.", 400)
        previous, self._chain = self._chain, chain
        self._depth += 1
        try:
            return _invoke(self.service, pool, config, payload, invocation_type=invocation_type,
                           client_context=client_context, invoked_arn=invoked_arn, credentials=credentials)
        except ServiceError as error:
            if error.status == 429:
                metrics.throttled(config, self.clock.time())
            raise
        finally:
            self._depth -= 1
            self._chain = previous
            if not self._depth:
                self._drain()

    # --- ordering and recursive loops ----------------------------------------------------------------------------
    @property
    def chain(self) -> int | None:
        """The chain of invocations the code running now belongs to (None outside any function)."""
        return self._chain

    def run_or_defer(self, work, chain: int | None = None) -> None:
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

    def provision(self, fn, count: int) -> None:
        """Keep ``count`` environments of ``fn`` (a published version) initialised: provisioned concurrency."""
        from .runtime.invoke import initialize

        config = self.config_for(fn)
        pool = self._pool_for(fn)
        ready = [e for e in pool.environments if e.provisioned and e.config.revision == config.revision]
        for env in ready[count:]:
            env.provisioned = False  # no longer provisioned: it expires like any idle environment
        credentials = iam.credentials_for(config.role, config.function_name, config.account_id, self.enforce_iam)
        for _ in range(count - len(ready)):
            initialize(self.service, pool, config, credentials)

    def invoke_async(self, backend, fn, payload: bytes, qualifier: str | None = None) -> None:
        """InvocationType=Event: the request is checked and queued (202); the first attempt runs at once."""
        _check_payload(payload, "Event")
        self.async_queue.submit(backend, fn.function_name, payload, qualifier)

    def _pool_for(self, fn) -> EnvironmentPool:
        key = (fn.account_id, fn.region, fn.function_name)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = EnvironmentPool(self.service)
        reserved = fn.reserved_concurrency
        pool.reserved_concurrency = None if reserved in (None, "") else int(reserved)
        return pool

    def config_for(self, fn) -> FunctionConfig:
        if getattr(fn, "package_type", "Zip") == "Image":
            raise ServiceError("InvalidParameterValueException",
                               "Container image functions cannot run in lambda_local: only Zip packages with a "
                               "python3.x runtime run here.", 400)
        if not (fn.run_time or "python3.12").startswith(("python", "nodejs20", "nodejs22", "nodejs24")):
            # The API accepts every runtime AWS has; Python runs in this process, Node.js in a node process.
            raise ServiceError("InvalidRuntimeException",
                               f"The runtime {fn.run_time} cannot run in lambda_local: only python3.x and "
                               "nodejs20.x/22.x/24.x functions are invoked here (the others can be created, "
                               "configured and listed).", 502)
        task_root, _ = self._unzip(fn.code_bytes, fn.code_sha_256)
        layer_dirs = [self._layer_dir(fn, layer["Arn"]) for layer in fn.layers]
        logging_config = getattr(fn, "lambda_local_logging_config", None) or {}
        environment = dict(fn.environment_vars or {})
        config = FunctionConfig(
            function_name=fn.function_name, handler=fn.handler, runtime=fn.run_time or "python3.12",
            memory_size=int(fn.memory_size), timeout=float(fn.timeout), environment=environment,
            architecture=(fn.architectures or ["x86_64"])[0], ephemeral_storage=int(fn.ephemeral_storage),
            role=fn.role, version=str(fn.version), account_id=fn.account_id, region=fn.region,
            task_root=task_root, layer_dirs=layer_dirs,
            log_format=logging_config.get("LogFormat", "Text"),
            application_log_level=logging_config.get("ApplicationLogLevel"),
            package_mb=len(fn.code_bytes or b"") / (1024 * 1024),
            vpc=bool((getattr(fn, "_vpc_config", None) or {}).get("SubnetIds")))
        config.revision = hashlib.sha1(json.dumps(
            [fn.code_sha_256, fn.handler, fn.run_time, config.memory_size, config.timeout, environment,
             layer_dirs, fn.role, config.architecture, logging_config], sort_keys=True, default=str
        ).encode()).hexdigest()
        return config

    def _unzip(self, data: bytes, key: str) -> tuple[str, int]:
        cached = self._unzipped.get(key)
        if cached is not None:
            return cached
        target = os.path.join(self._root, hashlib.sha1(key.encode()).hexdigest()[:16])
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            size = sum(info.file_size for info in archive.infolist())
            archive.extractall(target)
        self._unzipped[key] = (target, size)
        return target, size

    def _layer_dir(self, fn, arn: str) -> str:
        layer = state.layer_version_or_none(fn.account_id, fn.region, arn)
        return self._unzip(layer.code_bytes, "layer:" + arn)[0]

    # --- after each invocation ---------------------------------------------------------------------------------------
    def _after_invocation(self, record, config, environment, events) -> None:
        if config.role is None:
            return  # the direct API: no AWS account behind it
        if not self.enforce_iam or iam.allows_logging(config.role, config.region, config.account_id,
                                                      config.log_group_name, environment.log_stream_name):
            logs.write_to_cloudwatch(config.account_id, config.region, config.log_group_name,
                                     environment.log_stream_name, events)
        metrics.record(config, record, self.service.in_flight + 1)

    def _process_environment(self) -> dict[str, str]:
        """Where a runtime process reaches this sandbox's AWS: a loopback endpoint of its own, started with the first
        process (not the learner's `serve` endpoint, which is busy waiting for the very invocation calling it)."""
        if self._process_endpoint is None:
            from .server import LocalEndpoint

            self._process_endpoint = LocalEndpoint(self, port=0, announce=False).start()
        return {"_LAMBDA_LOCAL_AWS_ENDPOINT": self._process_endpoint.url}

    def close(self) -> None:
        for pool in self._pools.values():
            pool.clear()
        if self._process_endpoint is not None:
            self._process_endpoint.stop()
        shutil.rmtree(self._root, ignore_errors=True)


class mock_aws:
    """Mock AWS (moto) with Lambda functions that run in this process. A context manager and a decorator.

    Inside it: fake credentials and region ``us-east-1`` are set, the real ``~/.aws`` files are never read,
    ``boto3`` talks to moto, and functions you create with ``create_function`` (a Zip package, runtime
    ``python3.x``) run here when invoked. It yields a :class:`Sandbox` with ``advance()``, ``invocations``,
    ``environments()`` and ``clock``.

    ``seed`` makes request and environment ids reproducible; ``start`` sets the virtual clock's start time;
    ``idle_timeout`` (seconds) is how long an idle environment stays warm; ``concurrency_limit`` is the account's
    concurrency; ``enforce_iam`` makes calls from handlers obey the execution role.
    """

    def __init__(self, *, seed: int | None = None, start=None, idle_timeout: float = _service.DEFAULT_IDLE_TIMEOUT_S,
                 concurrency_limit: int = _service.DEFAULT_CONCURRENCY_LIMIT, enforce_iam: bool = True,
                 region: str = "us-east-1"):
        from .clock import _to_epoch

        _to_epoch(start)  # a bad start time is refused here, with the caller's line in the traceback
        self._options = dict(seed=seed, start=start, idle_timeout=idle_timeout,
                             concurrency_limit=concurrency_limit, enforce_iam=enforce_iam, region=region)
        self._stack: list[tuple] = []

    def __enter__(self) -> Sandbox:
        options = self._options
        saved_env = {k: os.environ.get(k) for k in (*_FAKE_CREDENTIALS, *_FAKE_FILES)}
        os.environ.update(_FAKE_CREDENTIALS)
        os.environ.update(_FAKE_FILES)
        os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = options["region"]
        moto_mock = state.start(seed=options["seed"])
        boto3 = __import__("boto3")
        saved_session, boto3.DEFAULT_SESSION = boto3.DEFAULT_SESSION, None  # never reuse real cached credentials
        service = LambdaService(clock=VirtualClock(options["start"]), seed=options["seed"],
                                region=options["region"], idle_timeout=options["idle_timeout"],
                                concurrency_limit=options["concurrency_limit"])
        sandbox = Sandbox(service, enforce_iam=options["enforce_iam"])
        patches.install(_current)
        iam.install()
        _service.activate(service)
        _active.append(sandbox)
        self._stack.append((sandbox, moto_mock, saved_env, saved_session))
        return sandbox

    def __exit__(self, *exc_info) -> None:
        sandbox, moto_mock, saved_env, saved_session = self._stack.pop()
        __import__("boto3").DEFAULT_SESSION = saved_session
        _active.remove(sandbox)
        _service.deactivate(sandbox.service)
        sandbox.close()
        moto_mock.stop()
        iam.forget()
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def start(self) -> Sandbox:
        """Enter the mock without a ``with`` block (a notebook's first cell); ``stop()`` leaves it."""
        return self.__enter__()

    def stop(self) -> None:
        self.__exit__(None, None, None)

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return wrapper
