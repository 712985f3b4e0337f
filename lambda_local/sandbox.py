"""``mock_aws()``: moto's AWS with Lambda functions that really run, in this process, on a virtual clock.

>>> import boto3, lambda_local
>>> with lambda_local.mock_aws(seed=1) as aws:             # doctest: +SKIP
...     boto3.client("lambda").create_function(...)
...     boto3.client("lambda").invoke(FunctionName="hello", Payload=b"{}")
...     aws.invocations[-1].cold_start
True

:class:`Sandbox` is the handle ``mock_aws()`` yields. It puts together parts with one job each: the function
registry (:mod:`lambda_local.registry`), dispatch and recursive loop detection (:mod:`lambda_local.dispatch`),
destinations (:mod:`lambda_local.destinations`), the virtual clock (:mod:`lambda_local.clock`) and the event
sources (:mod:`lambda_local.triggers`, which see it as a :class:`~lambda_local.triggers.host.TriggerHost`).
``mock_aws`` owns the lifecycle: moto started and stopped (:mod:`lambda_local.aws`), credentials kept fake.
"""

from __future__ import annotations

import functools
import json
import os
import random
from typing import TYPE_CHECKING, Iterable

from . import destinations, iam, logs, metrics
from .aws import patches, state
from .clock import VirtualClock
from .dispatch import Dispatcher
from .registry import FunctionRegistry
from .runtime.errors import ServiceError
from .runtime.invoke import FROM_PAYLOAD
from .runtime.invoke import check_payload as _check_payload, initialize as _initialize, invoke as _invoke
from .runtime import service as _service
from .runtime.service import LambdaService

if TYPE_CHECKING:  # the sandbox starts a LocalEndpoint of its own for runtime processes, importing it when it does
    from .server import LocalEndpoint

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

_active: list["Sandbox"] = []


def _current():
    return _active[-1] if _active else None


class Sandbox:
    """The handle ``mock_aws()`` yields: the virtual clock, the invocation records, the live environments."""

    def __init__(self, service: LambdaService, enforce_iam: bool = True, seed: int | None = None):
        self.service = service
        self.enforce_iam = enforce_iam
        self.functions = FunctionRegistry(service)
        self.dispatch = Dispatcher()
        service.listeners.append(self._after_invocation)
        from .triggers.asynchronous import AsyncQueue
        from .triggers.eventbridge import EventBridgeTargets
        from .triggers.sqs import SqsPollers
        from .triggers.streams import StreamPollers

        self.endpoint: str | None = None  # set by `lambda-local serve`: the local endpoint's URL
        self.endpoint_port: int | None = None
        # the loopback endpoint runtime processes (Node.js functions) call
        self._process_endpoint: LocalEndpoint | None = None
        service.process_environment = self._process_environment
        self.async_queue = AsyncQueue(self)
        self.sqs = SqsPollers(self)
        self.streams = StreamPollers(self)
        self.eventbridge = EventBridgeTargets(self)
        from .triggers.scheduler import SchedulerTargets

        self.scheduler = SchedulerTargets(self)  # EventBridge Scheduler schedules on the virtual clock
        from .triggers.firehose import FirehoseStreams

        self.firehose = FirehoseStreams(self)  # Firehose delivery streams with a Lambda transformation
        from .triggers.websocket import WebSocketApis

        self.websockets = WebSocketApis(self)  # WebSocket APIs' connections (aws.websocket(url))
        from .xray import XRay

        self.xray = XRay(service.clock, seed)  # trace ids and sampling, reproducible with the sandbox's seed
        self.functions.xray_daemon_address = self.xray.daemon_address

    # --- what a learner uses -----------------------------------------------------------------------------------------
    @property
    def clock(self) -> VirtualClock:
        return self.service.clock

    @property
    def invocations(self) -> list:
        """Every invocation so far, oldest first (records with request_id, cold_start, durations, cost_usd, ...)."""
        return self.service.invocations

    def advance(self, seconds: float = 0, minutes: float = 0, hours: float = 0) -> int:
        """Move the virtual clock forward: idle environments expire, retries, schedules and alarms fire on the way."""
        from .alarms import watch_alarms

        watch_alarms(self)  # CloudWatch evaluates metric alarms every minute, once there are any
        ran = self.clock.advance(seconds=seconds, minutes=minutes, hours=hours)
        self.functions.expire(self.clock.time())
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

    def websocket(self, url: str, *, headers: dict | None = None):
        """Connect to a WebSocket API's stage URL (``wss://API.execute-api.REGION.amazonaws.com/STAGE``) as a client
        would: ``$connect`` runs; ``send()``, ``received`` and ``close()`` on what it returns.

        >>> ws = aws.websocket(f"wss://{api_id}.execute-api.us-east-1.amazonaws.com/production")   # doctest: +SKIP
        >>> ws.send({"action": "sendmessage", "message": "hi"}); ws.received                       # doctest: +SKIP
        """
        return self.websockets.connect(url, headers)

    def environments(self, function_name: str, region: str | None = None, account_id: str | None = None) -> list:
        """The execution environments of a function that are alive now."""
        return self.functions.environments(account_id or self.service.account_id, region or self.service.region,
                                           function_name)

    # --- the TriggerHost protocol (lambda_local/triggers/host.py) -----------------------------------------------------
    def now(self) -> float:
        return self.clock.time()

    @property
    def rng(self) -> random.Random | None:
        return self.service.ids.rng

    @property
    def chain(self) -> int | None:
        """The chain of invocations the code running now belongs to (None outside any function)."""
        return self.dispatch.chain

    def invoke(self, fn, payload: bytes, *, invocation_type: str = "RequestResponse",
               client_context: dict | None = None, qualifier: str | None = None, chain: int | None = None,
               request_id: str | None = None, trace_header: str | None = None, event=FROM_PAYLOAD):
        """Run moto's function ``fn`` (a LambdaFunction at its resolved version) in the runtime, in ``chain`` (by
        default the running invocation's, or a new one); ``request_id`` keeps the id of an earlier attempt of the
        same request (asynchronous retries); ``trace_header`` is the caller's X-Amzn-Trace-Id; ``event`` the payload
        decoded already, when the caller made the payload from it (``runtime.invoke.check_payload``)."""
        config = self.functions.config_for(fn)
        pool = self.functions.pool_for(fn)
        if invocation_type == "DryRun":
            return None
        invoked_arn = config.function_arn + (f":{qualifier}" if qualifier else "")
        credentials = iam.credentials_for(config.role, config.function_name, config.account_id, self.enforce_iam)
        with self.dispatch.invocation(chain) as running, \
                self.xray.request((fn.tracing_config or {}).get("Mode"), trace_header, config.function_arn):
            try:
                return _invoke(self.service, pool, config, payload, invocation_type=invocation_type,
                               client_context=client_context, invoked_arn=invoked_arn, credentials=credentials,
                               request_id=request_id, chain=running, event=event)
            except ServiceError as error:
                if error.status == 429:
                    metrics.throttled(config, self.clock.time())
                raise

    def count_throttle(self, fn) -> None:
        """A request for ``fn`` that Lambda throttled without invoking it (e.g. an SQS batch beyond reserved
        concurrency): counted in its Throttles metric."""
        try:
            config = self.functions.config_for(fn)
        except ServiceError:
            return  # a function that cannot run here is never throttled either
        metrics.throttled(config, self.clock.time())

    def queue_event(self, backend, function_name: str, payload: bytes, qualifier: str | None = None):
        """Lambda's internal queue of asynchronous invocations: the first attempt runs at once (or after the
        running invocation)."""
        return self.async_queue.submit(backend, function_name, payload, qualifier)

    def run_or_defer(self, work, chain: int | None = None) -> None:
        """Run ``work`` now, or after the running invocation ends if a function is running."""
        self.dispatch.run_or_defer(work, chain)

    def send_to_destination(self, target: str, body: str, *, attributes: dict[str, str] | None = None,
                            detail_type: str = "", resources: Iterable[str] = ()) -> None:
        destinations.send(target, body, queue_event=self.queue_event, attributes=attributes,
                          detail_type=detail_type, resources=resources)

    # --- what the patch table calls ----------------------------------------------------------------------------------
    def invoke_async(self, backend, fn, payload: bytes, qualifier: str | None = None) -> None:
        """InvocationType=Event: the request is checked and queued (202); the first attempt runs at once."""
        _check_payload(payload, "Event")
        self.queue_event(backend, fn.function_name, payload, qualifier)

    def provision(self, fn, count: int) -> None:
        """Keep ``count`` environments of ``fn`` (a published version) initialised: provisioned concurrency."""
        config = self.functions.config_for(fn)
        pool = self.functions.pool_for(fn)
        ready = [e for e in pool.environments if e.provisioned and e.config.revision == config.revision]
        for env in ready[count:]:
            env.provisioned = False  # no longer provisioned: it expires like any idle environment
        credentials = iam.credentials_for(config.role, config.function_name, config.account_id, self.enforce_iam)
        for _ in range(count - len(ready)):
            _initialize(self.service, pool, config, credentials)

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
        """Where a runtime process reaches this sandbox's AWS."""
        return {"_LAMBDA_LOCAL_AWS_ENDPOINT": self.loopback_url()}

    def loopback_url(self) -> str:
        """The URL of the sandbox's own loopback endpoint, started on first use: where code running in a function
        reaches this sandbox's AWS over HTTP (not the learner's `serve` endpoint, which is busy waiting for the very
        invocation calling it)."""
        if self._process_endpoint is None:
            from .server import LocalEndpoint

            self._process_endpoint = LocalEndpoint(self, port=0, announce=False, aws_hosts=True).start()
        return self._process_endpoint.url

    def close(self) -> None:
        self.functions.close()
        self.xray.close()
        if self._process_endpoint is not None:
            self._process_endpoint.stop()


class mock_aws:
    """Mock AWS (moto) with Lambda functions that run in this process. A drop-in for ``moto.mock_aws``.

    Used as moto's is: a context manager (``with mock_aws() as aws:``), ``start()``/``stop()``, a function
    decorator with or without parentheses (``@mock_aws``, ``@mock_aws(seed=1)``), or a class decorator (every
    public method runs mocked; a ``setUp``/``setup_method`` runs in the same mocked account as its test, as moto
    does). moto's ``config=`` is passed through to moto, except that Lambda never uses Docker here.

    Inside it: fake credentials and region ``us-east-1`` are set, the real ``~/.aws`` files are never read,
    ``boto3`` talks to moto, and functions you create with ``create_function`` (a Zip package, runtime
    ``python3.x``) run here when invoked. It yields a :class:`Sandbox` with ``advance()``, ``invocations``,
    ``environments()`` and ``clock``.

    ``seed`` makes request and environment ids reproducible; ``start`` sets the virtual clock's start time;
    ``idle_timeout`` (seconds) is how long an idle environment stays warm; ``concurrency_limit`` is the account's
    concurrency; ``enforce_iam`` makes calls from handlers obey the execution role.
    """

    def __new__(cls, func=None, config=None, **options):
        self = super().__new__(cls)
        if func is None:
            return self
        self.__init__(config=config, **options)
        return self(func)  # bare ``@mock_aws``: decorate at once, as moto does

    def __init__(self, func=None, config: dict | None = None, *, seed: int | None = None, start=None,
                 idle_timeout: float = _service.DEFAULT_IDLE_TIMEOUT_S,
                 concurrency_limit: int = _service.DEFAULT_CONCURRENCY_LIMIT, enforce_iam: bool = True,
                 region: str = "us-east-1"):
        from .clock import _to_epoch

        _to_epoch(start)  # a bad start time is refused here, with the caller's line in the traceback
        self._options = dict(seed=seed, start=start, idle_timeout=idle_timeout,
                             concurrency_limit=concurrency_limit, enforce_iam=enforce_iam, region=region)
        self._config = config
        self._stack: list[tuple] = []

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self, reset: bool = True) -> Sandbox:
        """Enter the mock without a ``with`` block (a notebook's first cell); ``stop()`` leaves it.

        ``reset=False`` keeps moto's data from an earlier mock that stopped with ``remove_data=False`` (moto's
        class decorator uses the pair to share a ``setUp``'s resources with its test)."""
        options = self._options
        saved_env = {k: os.environ.get(k) for k in (*_FAKE_CREDENTIALS, *_FAKE_FILES)}
        os.environ.update(_FAKE_CREDENTIALS)
        os.environ.update(_FAKE_FILES)
        os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = options["region"]
        moto_mock = state.start(seed=options["seed"], config=self._config, reset=reset)
        import boto3
        saved_session, boto3.DEFAULT_SESSION = boto3.DEFAULT_SESSION, None  # never reuse real cached credentials
        service = LambdaService(clock=VirtualClock(options["start"]), seed=options["seed"],
                                region=options["region"], idle_timeout=options["idle_timeout"],
                                concurrency_limit=options["concurrency_limit"])
        sandbox = Sandbox(service, enforce_iam=options["enforce_iam"], seed=options["seed"])
        patches.install(_current)
        iam.install(clock=service.clock.time)
        _service.activate(service)
        _active.append(sandbox)
        self._stack.append((sandbox, moto_mock, saved_env, saved_session))
        return sandbox

    def stop(self, remove_data: bool = True) -> None:
        """Leave the mock entered with ``start()``; ``remove_data=False`` keeps moto's data for a later
        ``start(reset=False)``."""
        if not self._stack:
            raise RuntimeError("Called stop() before start().")
        sandbox, moto_mock, saved_env, saved_session = self._stack.pop()
        import boto3

        boto3.DEFAULT_SESSION = saved_session
        _active.remove(sandbox)
        _service.deactivate(sandbox.service)
        sandbox.close()
        moto_mock.stop(remove_data=remove_data)
        iam.forget()
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def __call__(self, func, reset: bool = True, remove_data: bool = True):
        """Decorate a function (it runs inside the mock) or a class (each of its test methods does)."""
        import inspect

        if inspect.isclass(func):
            return state.decorate_class(self, func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            self.start(reset=reset)
            try:
                return func(*args, **kwargs)
            finally:
                self.stop(remove_data=remove_data)

        return wrapper
