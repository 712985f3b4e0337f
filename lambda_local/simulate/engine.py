"""The traffic simulation: an event-driven discrete simulation of the Lambda service on its own virtual timeline.

Requests arrive (see :mod:`.traffic`), each is given an execution environment or throttled by AWS's rules, and its
completion is put on a heap of future events; the simulation jumps from event to event and never sleeps.

The rules, as AWS documents them (https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html,
.../lambda-concurrency.html, .../provisioned-concurrency.html, .../invocation-async-error-handling.html):

* an environment serves one request at a time; a free warm one is reused (the most recently used first, as the
  runtime does), an idle one is shut down after the idle timeout (the runtime's: ``DEFAULT_IDLE_TIMEOUT_S``, or
  the active ``mock_aws(idle_timeout=...)``), one that timed out or crashed is thrown away;
* **scaling rate**: each function creates at most 1,000 new environments in any 10 seconds (a sliding window:
  AWS refills continuously and never banks unused capacity); beyond it a request is throttled
  (reason ``FunctionInvocationRateLimitExceeded``);
* **account concurrency** (1,000 by default): requests in flight over all functions; a function with **reserved
  concurrency** has that many to itself and never more (``ReservedFunctionConcurrentInvocationLimitExceeded``),
  the others share what is left (``ConcurrentInvocationLimitExceeded``); at least 100 must stay unreserved;
* **provisioned concurrency**: that many environments are initialised before the simulation starts, take requests
  first (never a cold start), are never shut down for idleness, and count against reserved or account concurrency;
  requests beyond them spill over to on-demand environments;
* a throttled **synchronous** request fails (HTTP 429); a throttled **asynchronous** event goes back to Lambda's
  queue and is retried after 1 s, 2 s, 4 s ... up to 5 minutes apart, until it is older than the maximum event age
  (6 h), when it is dropped; a function error is retried ``max_retry_attempts`` times (2), 1 then 2 minutes later.

What is measured and what is modelled: the real handler runs through the runtime (``Function.invoke``) for the
first ``measure_cold`` cold starts and the first ``measure_warm`` warm invocations of each function; every other
request reuses those measurements in turn (round robin), so a million requests take seconds. Measured: the
function's own INIT, each Duration, errors and whether the runtime threw the environment away. Modelled: the
platform part of Init Duration (:mod:`lambda_local.coldstart`: runtime, package size, VPC) and, when you pass
``duration_ms``, every Duration (for handlers that would call slow services). Not modelled: the per-function
requests-per-second quota (10 x concurrency), network latency, provisioned environments being recycled every few
hours, and Lambda slowing its async queue down when it is very long.

How it steps: a run of one function does its steady state's two events (a request given a free warm environment, a
request finishing in an environment that stays warm) inline in a tight loop (``_Steady``); every other event, and
every run of several functions or with ``keep_requests``, goes through the event-by-event code
(``_Simulation._step_events``, ``_attempt``, ``_complete``). Both give the same figures to the last bit.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from .. import billing, coldstart, policy, quotas
from ..policy import ACCOUNT_LIMIT, RESERVED_LIMIT, SCALING_LIMIT
from ..quotas import MAX_EVENT_AGE_S, SCALING_ENVIRONMENTS, SCALING_WINDOW_S
from ..runtime import Function
from ..runtime.service import current_service
from ._progress import Progress
from .results import FunctionResult, Histogram, RequestRecord, SimulationResult, Timeline
from .traffic import Arrivals, _Merged

__all__ = ["Workload", "Request", "simulate", "SCALING_ENVIRONMENTS", "SCALING_WINDOW_S"]

MAX_TIMELINE_ROWS = 86_400  # default timeline resolution: 1 s up to a day of traffic, coarser beyond

_COMPLETE, _RETRY = 0, 1
_REFERENCE_ONLY = False  # tests set it to run every simulation on the event-by-event path (_Simulation._step_events)
_INVOCATION_TYPES = ("RequestResponse", "Event")


@dataclass(frozen=True)
class Request:
    """What a duration model gets: ``duration_ms=lambda request: ...``."""

    function: str
    index: int  # 0, 1, 2 ... in order of arrival, per function
    arrival: float  # seconds from the start (of this attempt)
    attempt: int  # 1 for the first attempt; async retries count up
    event: Any


@dataclass
class Workload:
    """One function and the traffic it gets, for simulating several functions at once.

    ``function``: a :class:`lambda_local.Function` (or a plain ``(event, context)`` callable);
    ``arrivals``: a pattern from :mod:`lambda_local.simulate.traffic` (or a list of them);
    ``event``: the event every request carries, or ``lambda index: event``;
    ``duration_ms``: a fixed Duration or ``lambda request: ms`` instead of the measured ones;
    ``reserved_concurrency``: None uses the function's own setting; ``package_mb``/``vpc`` feed the cold-start model.
    """

    function: Function | Callable
    arrivals: Arrivals | Sequence[Arrivals]
    invocation_type: str = "RequestResponse"
    event: Any = None
    duration_ms: float | Callable[[Request], float] | None = None
    reserved_concurrency: int | None = None
    provisioned_concurrency: int = 0
    package_mb: float = 0.0
    vpc: bool = False
    max_retry_attempts: int = quotas.ASYNC_MAX_RETRIES
    max_event_age_s: float = MAX_EVENT_AGE_S

    def resolved_function(self) -> Function:
        fn = self.function
        if isinstance(fn, Function):
            return fn
        if callable(fn):
            return Function(fn)
        raise TypeError(f"function must be a lambda_local.Function or a callable, not {type(fn).__name__}")

    def pattern(self) -> Arrivals:
        arrivals = self.arrivals
        if isinstance(arrivals, Arrivals):
            return arrivals
        if isinstance(arrivals, (list, tuple)) and arrivals and all(isinstance(a, Arrivals) for a in arrivals):
            return arrivals[0] if len(arrivals) == 1 else _Merged(tuple(arrivals))
        raise TypeError("arrivals must be an arrival pattern (ConstantRate, Burst, DailyCurve, Timestamps) "
                        "or a list of them")


class _Env:
    __slots__ = ("id", "last_used")

    def __init__(self, env_id: int, now: float):
        self.id = env_id
        self.last_used = now


def _reserved_of(fn: Function) -> int | None:
    # The runtime keeps reserved concurrency on the function's pool; prefer a public attribute if it grows one.
    if hasattr(fn, "reserved_concurrency"):
        return fn.reserved_concurrency
    return getattr(getattr(fn, "_pool", None), "reserved_concurrency", None)


class _Sampler:
    """Runs the real handler for the first cold and warm invocations, then hands out those measurements in turn."""

    def __init__(self, fn: Function, workload: Workload, measure_cold: int, measure_warm: int):
        self.fn = fn
        self.name = fn.name
        self.event = workload.event
        self.model = workload.duration_ms
        self.cold_limit = max(1, measure_cold)
        self.warm_limit = max(1, measure_warm)
        self.cold: list[tuple[float, float, str | None, bool]] = []  # (function INIT, Duration, error, discard)
        self.warm: list[tuple[float, str | None, bool]] = []
        self.ci = self.wi = 0
        self.runs_cold = self.runs_warm = 0
        self.timeout_ms = fn.config.timeout * 1000
        self.runtime = fn.config.runtime
        # A constant duration_ms, once checked by modelled(): (duration, whether it reaches the timeout)
        self.constant: tuple[float, bool] | None = None

    def _event(self, index: int) -> Any:
        return self.event(index) if callable(self.event) else self.event

    def _invoke(self, index: int, cold: bool):
        if cold:
            self.fn.shutdown()  # no idle real environment: the runtime must start a new one
        try:
            record = self.fn.invoke(self._event(index))
        except Exception as exc:  # noqa: BLE001 - a refused call (payload too large, throttled by the function's own pool)
            raise ValueError(f"the function refused the simulated request: {exc}") from None
        alive = any(env.id == record.environment_id for env in self.fn.environments)
        if record.cold_start:
            self.runs_cold += 1
            if len(self.cold) < self.cold_limit:
                self.cold.append((self._function_init_ms(record), record.duration_ms, record.error_type, not alive))
        else:
            self.runs_warm += 1
        return record, alive

    def _function_init_ms(self, record) -> float:
        measured = record.extra.get("function_init_ms") if record.extra else None
        if measured is None:  # Init Duration includes the runtime's modelled start-up (tests pin the two equal)
            measured = record.init_duration_ms - coldstart.runtime_init_ms(self.runtime)
        return max(0.0, measured)

    def cold_start(self, index: int) -> tuple[float, float, str | None, bool]:
        if len(self.cold) < self.cold_limit:
            record, alive = self._invoke(index, cold=True)
            if not record.cold_start:  # cannot happen after shutdown(); keep the run's figures all the same
                self.cold.append((0.0, record.duration_ms, record.error_type, not alive))
            return self.cold[-1]
        sample = self.cold[self.ci % len(self.cold)]
        self.ci += 1
        return sample

    def warm_start(self, index: int) -> tuple[float, str | None, bool]:
        if len(self.warm) < self.warm_limit:
            record, alive = self._invoke(index, cold=False)
            self.warm.append((record.duration_ms, record.error_type, not alive))
            return self.warm[-1]
        sample = self.warm[self.wi % len(self.warm)]
        self.wi += 1
        return sample

    def modelled(self, duration: float, error: str | None, discard: bool, index: int, arrival: float,
                 attempt: int) -> tuple[float, str | None, bool]:
        """Apply the learner's duration model (and the timeout it may cross)."""
        model = self.model
        if model is None:
            return duration, error, discard
        if callable(model):  # the Request (and its event) is only built for a model that reads it
            duration = float(model(Request(self.name, index, arrival, attempt, self._event(index))))
        else:
            duration = float(model)
            if duration >= 0:
                self.constant = (duration, duration >= self.timeout_ms)
        if duration < 0:
            raise ValueError(f"duration_ms gave a negative duration ({duration})")
        if duration >= self.timeout_ms:
            return self.timeout_ms, "Sandbox.Timedout", True
        return duration, error, discard


class _State:
    """One function during the run: its environments, its limits, its counters and the current interval's."""

    def __init__(self, index: int, workload: Workload, fn: Function, sampler: _Sampler, reserved: int | None,
                 interval: float):
        cfg = fn.config
        self.index = index
        self.name = fn.name
        self.workload = workload
        self.sampler = sampler
        self.reserved = reserved
        self.provisioned = workload.provisioned_concurrency
        self.od_cap = None if reserved is None else reserved - self.provisioned
        self.is_async = workload.invocation_type == "Event"
        self.idle: deque[_Env] = deque()  # on-demand, oldest use on the left
        self.scaling = policy.ScalingWindow()
        self.next_id = 0
        self.pc_idle = [self._new_env(0.0) for _ in range(self.provisioned)]
        self.busy_od = self.busy_pc = 0
        self.live = 0  # on-demand environments alive (busy or idle)
        self.platform = coldstart.cold_start(cfg.runtime, 0.0, workload.package_mb, workload.vpc)
        self.billed_cache: dict = {}
        self.timeline = Timeline(interval)  # also result.timeline, which is optional in FunctionResult's signature
        self.result = FunctionResult(
            name=fn.name, memory_mb=cfg.memory_size, architecture=cfg.architecture, runtime=cfg.runtime,
            ephemeral_storage_mb=cfg.ephemeral_storage, invocation_type=workload.invocation_type,
            reserved_concurrency=reserved, provisioned_concurrency=self.provisioned, timeline=self.timeline)
        self.cost_cache: dict = {}
        self.reset_interval()

    def _new_env(self, now: float) -> _Env:
        self.next_id += 1
        return _Env(self.next_id, now)

    def reset_interval(self) -> None:
        self.c_requests = self.c_invocations = self.c_cold = self.c_throttles = self.c_errors = 0
        self.c_max = self.busy_od + self.busy_pc

    def expire(self, now: float, timeout: float) -> None:
        idle = self.idle
        while idle and policy.idle_expired(idle[0].last_used, now, timeout):
            idle.popleft()
            self.live -= 1
            self.result.environments_expired += 1


def _validate(workloads: list[Workload], concurrency_limit: int) -> None:
    if not isinstance(concurrency_limit, int) or concurrency_limit < 1:
        raise ValueError(f"concurrency_limit must be a whole number >= 1 (got {concurrency_limit!r})")
    for w in workloads:
        if w.invocation_type not in _INVOCATION_TYPES:
            raise ValueError(f"invocation_type must be 'RequestResponse' or 'Event', not {w.invocation_type!r}")
        if not isinstance(w.provisioned_concurrency, int) or w.provisioned_concurrency < 0:
            raise ValueError("provisioned_concurrency must be a whole number >= 0")
        if not 0 <= w.max_retry_attempts <= quotas.ASYNC_MAX_RETRIES:
            raise ValueError("max_retry_attempts must be 0, 1 or 2")
        if not quotas.MIN_EVENT_AGE_S <= w.max_event_age_s <= MAX_EVENT_AGE_S:
            raise ValueError("max_event_age_s must be 60 to 21,600 seconds")


def _check_concurrency(states: list[_State], concurrency_limit: int) -> int:
    """The unreserved pool's size, after AWS's checks on reserved and provisioned concurrency."""
    reserved = 0
    for s in states:
        if s.reserved is not None:
            if not isinstance(s.reserved, int) or s.reserved < 0:
                raise ValueError(f"{s.name}: reserved_concurrency must be a whole number >= 0")
            if s.provisioned > s.reserved:
                raise ValueError(f"{s.name}: provisioned concurrency ({s.provisioned}) cannot be more than the "
                                 f"function's reserved concurrency ({s.reserved})")
            reserved += s.reserved
        else:
            reserved += s.provisioned  # provisioned environments are carved out of the shared pool
    if reserved and concurrency_limit - reserved < quotas.UNRESERVED_CONCURRENCY_MIN:
        raise ValueError("Specified ReservedConcurrentExecutions for function decreases account's "
                         f"UnreservedConcurrentExecution below its minimum value of "
                         f"[{quotas.UNRESERVED_CONCURRENCY_MIN}]. "
                         f"(account concurrency {concurrency_limit:,}, reserved or provisioned {reserved:,})")
    return concurrency_limit - reserved


class _Simulation:
    def __init__(self, workloads: list[Workload], *, duration: float | None, concurrency_limit: int,
                 idle_timeout: float, keep_requests: bool, interval: float | None, measure_cold: int,
                 measure_warm: int, progress: bool | None):
        _validate(workloads, concurrency_limit)
        if idle_timeout <= 0:
            raise ValueError("idle_timeout must be above 0 seconds")
        if interval is not None and interval <= 0:
            raise ValueError("interval must be above 0 seconds")
        self.timeout = float(idle_timeout)
        self.concurrency_limit = concurrency_limit
        self.records: list[RequestRecord] | None = [] if keep_requests else None
        self.patterns = [w.pattern() for w in workloads]
        ends = [p.end for p in self.patterns]
        self.arrival_horizon = math.inf if duration is None else float(duration)  # patterns end by themselves
        if duration is None:
            finite = [end for end in ends if end is not None]
            if len(finite) < len(ends):
                raise ValueError("an arrival pattern has no end (ConstantRate without duration): "
                                 "pass simulate(..., duration=seconds)")
            duration = max(finite, default=0.0)
        if duration < 0:
            raise ValueError("duration cannot be negative")
        self.horizon = float(duration)
        if interval is None:
            interval = max(1.0, math.ceil(self.horizon / MAX_TIMELINE_ROWS))
        self.interval = float(interval)
        self.states: list[_State] = []
        names = set()
        for i, w in enumerate(workloads):
            fn = w.resolved_function()
            if fn.name in names:
                raise ValueError(f"two workloads use a function named {fn.name!r}: give them different names")
            names.add(fn.name)
            reserved = w.reserved_concurrency if w.reserved_concurrency is not None else _reserved_of(fn)
            self.states.append(_State(i, w, fn, _Sampler(fn, w, measure_cold, measure_warm), reserved,
                                      self.interval))
        self.unreserved_cap = _check_concurrency(self.states, concurrency_limit)
        self.unreserved_busy = 0
        self.heap: list = []
        self.seq = 0
        self.in_flight = 0
        self.bucket = 0
        self.total_concurrency: list[int] = []
        self.c_total_max = 0
        self.progress = Progress(progress)

    # --- the timeline of per-interval figures -------------------------------------------------------------------
    def _flush(self, bucket: int) -> None:
        interval, timeout = self.interval, self.timeout
        while self.bucket < bucket:
            boundary = (self.bucket + 1) * interval
            for s in self.states:
                s.expire(boundary, timeout)
                tl = s.timeline
                tl.requests.append(s.c_requests)
                tl.invocations.append(s.c_invocations)
                tl.cold_starts.append(s.c_cold)
                tl.throttles.append(s.c_throttles)
                tl.errors.append(s.c_errors)
                tl.concurrency.append(s.c_max)
                tl.environments.append(s.live + s.provisioned)
                s.reset_interval()
            self.total_concurrency.append(self.c_total_max)
            self.c_total_max = self.in_flight
            self.bucket += 1

    # --- one invoke attempt ---------------------------------------------------------------------------------------
    def _attempt(self, t: float, s: _State, index: int, attempt: int, first: float, throttles: int,
                 errors: int) -> None:
        res = s.result
        res.requests += 1
        s.c_requests += 1
        cold = provisioned = False
        if s.pc_idle:
            env = s.pc_idle.pop()
            provisioned = True
            s.busy_pc += 1
        else:
            if s.od_cap is not None:  # the function has reserved concurrency: od_cap is what provisioned leaves
                if s.busy_od >= s.od_cap:
                    return self._throttle(t, s, RESERVED_LIMIT, index, attempt, first, throttles, errors)
            elif self.unreserved_busy >= self.unreserved_cap:
                return self._throttle(t, s, ACCOUNT_LIMIT, index, attempt, first, throttles, errors)
            idle = s.idle
            if idle and policy.idle_expired(idle[-1].last_used, t, self.timeout):
                s.expire(t, self.timeout)  # even the most recently used one is too old: all of them are
            if idle:
                env = idle.pop()
            else:
                if not s.scaling.try_create(t):
                    return self._throttle(t, s, SCALING_LIMIT, index, attempt, first, throttles, errors)
                env = s._new_env(t)
                s.live += 1
                res.environments_created += 1
                cold = True
            s.busy_od += 1
            if s.reserved is None:
                self.unreserved_busy += 1
            if idle and policy.idle_expired(idle[0].last_used, t, self.timeout):
                s.expire(t, self.timeout)

        sampler = s.sampler
        if cold:
            function_init, duration, error, discard = sampler.cold_start(index)
            init = s.platform.platform_ms + function_init
        else:
            warm = sampler.warm
            if len(warm) < sampler.warm_limit:
                duration, error, discard = sampler.warm_start(index)
            else:  # (warm_start's replay, inline: this runs for nearly every request)
                duration, error, discard = warm[sampler.wi % len(warm)]
                sampler.wi += 1
            init = 0.0
        if sampler.model is not None:
            constant = sampler.constant
            if constant is None:
                duration, error, discard = sampler.modelled(duration, error, discard, index, t, attempt)
            elif constant[1]:  # (modelled()'s answer for a constant duration, remembered)
                duration, error, discard = sampler.timeout_ms, "Sandbox.Timedout", True
            else:
                duration = constant[0]

        end = t + (init + duration) / 1000.0
        self.seq += 1
        heapq.heappush(self.heap, (end, self.seq, _COMPLETE, s, env, discard, provisioned))
        self.in_flight += 1
        if self.in_flight > self.c_total_max:
            self.c_total_max = self.in_flight
        concurrency = s.busy_od + s.busy_pc
        if concurrency > s.c_max:
            s.c_max = concurrency
            if concurrency > res.peak_concurrency:
                res.peak_concurrency = concurrency

        res.invocations += 1
        s.c_invocations += 1
        res.duration.add(duration)
        res.latency.add(init + duration)
        if cold:
            res.cold_starts += 1
            s.c_cold += 1
            res.init.add(init)
        else:
            res.latency_warm.add(duration)
        billed = self._billed(s, duration, init if cold else None, provisioned)
        if error is not None:
            res.errors += 1
            s.c_errors += 1
            res.error_types[error] += 1
        if provisioned:
            res.provisioned_invocations += 1
            res.provisioned_busy_s += end - t
        if s.is_async:
            res.async_delay.add((t - first) * 1000.0)
            if error is not None:
                w = s.workload
                retry_at = end + policy.async_retry_delay(errors + 1)
                if policy.should_retry_async(errors + 1, w.max_retry_attempts) and not policy.event_too_old(
                        first, retry_at, w.max_event_age_s):
                    self._retry(retry_at, s, index, attempt, first, throttles, errors + 1)
                else:
                    res.failed += 1
        if self.records is not None:  # keep_requests
            self.records.append(RequestRecord(
                s.name, index, attempt, s.workload.invocation_type, t, t, end, env.id, cold, provisioned, False,
                None, error, init if cold else None, duration, billed, self._cost(s, billed, provisioned)))

    def _billed(self, s: _State, duration: float, init: float | None, provisioned: bool) -> int:
        res = s.result
        key = (duration, init)
        cached = s.billed_cache.get(key)
        if cached is None:
            if len(s.billed_cache) > 100_000:  # continuous duration models: keep memory flat
                s.billed_cache.clear()
            cached = (billing.billed_duration_ms(duration, init), billing.billed_duration_ms(duration))
            s.billed_cache[key] = cached
        with_init, without = cached
        if provisioned:
            res.billed_provisioned[without] += 1
            return without
        if init is None:
            res.billed_warm[without] += 1
        else:
            res.billed_cold[cached] += 1
        return with_init

    def _cost(self, s: _State, billed: int, provisioned: bool) -> float:
        key = (billed, provisioned)
        cost = s.cost_cache.get(key)
        if cost is None:
            memory, arch = s.result.memory_mb, s.result.architecture
            if provisioned:
                rate = billing.PRICES.architectures[arch].provisioned_duration
                cost = float(billing.PRICES.request + billing.gb_seconds(memory, billed) * rate)
            else:
                cost = float(billing.invocation_cost(billed, memory, arch,
                                                     ephemeral_storage_mb=s.result.ephemeral_storage_mb))
            s.cost_cache[key] = cost
        return cost

    def _throttle(self, t: float, s: _State, reason: str, index: int, attempt: int, first: float,
                  throttles: int, errors: int) -> None:
        res = s.result
        res.throttles += 1
        res.throttle_reasons[reason] += 1
        s.c_throttles += 1
        if self.records is not None:  # keep_requests
            self.records.append(RequestRecord(s.name, index, attempt, s.workload.invocation_type, t, None, None,
                                              None, False, False, True, reason, None, None, 0.0, 0, 0.0))
        if s.is_async:
            wait = policy.throttle_retry_delay(throttles)
            if policy.event_too_old(first, t + wait, s.workload.max_event_age_s):
                res.dropped += 1
            else:
                self._retry(t + wait, s, index, attempt, first, throttles + 1, errors)

    def _retry(self, when: float, s: _State, index: int, attempt: int, first: float, throttles: int,
               errors: int) -> None:
        s.result.retries += 1
        self.seq += 1
        heapq.heappush(self.heap, (when, self.seq, _RETRY, s, index, attempt + 1, first, throttles, errors))

    def _complete(self, t: float, s: _State, env: _Env, discard: bool, provisioned: bool) -> None:
        self.in_flight -= 1
        if provisioned:
            s.busy_pc -= 1
            if discard:  # Lambda replaces a provisioned environment in the background, initialised
                s.result.environments_discarded += 1
                env = s._new_env(t)
            s.pc_idle.append(env)
            return
        s.busy_od -= 1
        if s.reserved is None:
            self.unreserved_busy -= 1
        if discard:
            s.live -= 1
            s.result.environments_discarded += 1
        else:
            env.last_used = t
            s.idle.append(env)

    # --- the loop -------------------------------------------------------------------------------------------------
    def _arrivals(self):
        horizon = self.arrival_horizon
        if len(self.patterns) == 1:  # (t, 0) pairs made in C, not by a generator frame per request
            return zip(self.patterns[0].times(horizon), itertools.repeat(0))
        streams = [_tagged(p.times(horizon), i) for i, p in enumerate(self.patterns)]
        return heapq.merge(*streams)

    def _step_events(self) -> tuple[float, int, int]:
        """The event-by-event loop, for every kind of run (the reference the fast path is tested against): the last
        event's time, the number of events and of first attempts."""
        heap, states = self.heap, self.states
        inv = 1.0 / self.interval
        arrivals = self._arrivals()
        counters = [0] * len(states)
        nxt = next(arrivals, None)
        last = 0.0
        events = 0
        horizon = self.horizon or 1.0
        while True:
            if heap and (nxt is None or heap[0][0] <= nxt[0]):
                item = heapq.heappop(heap)
                t = item[0]
                bucket = int(t * inv)
                if bucket > self.bucket:
                    self._flush(bucket)
                if item[2] == _COMPLETE:
                    self._complete(t, item[3], item[4], item[5], item[6])
                else:
                    self._attempt(t, item[3], item[4], item[5], item[6], item[7], item[8])
            elif nxt is not None:
                t, i = nxt
                bucket = int(t * inv)
                if bucket > self.bucket:
                    self._flush(bucket)
                self._attempt(t, states[i], counters[i], 1, t, 0, 0)
                counters[i] += 1
                nxt = next(arrivals, None)
            else:
                break
            last = t
            events += 1
            if not events & 0xFFFF:
                self.progress.update(last / horizon, f"{sum(counters):,} requests, t = {last:,.0f} s", events)
        return last, events, sum(counters)

    def run(self) -> SimulationResult:
        started = time.perf_counter()
        states = self.states
        inv = 1.0 / self.interval
        steady = None if _REFERENCE_ONLY else _Steady.of(self)
        last, events, requests = steady.run() if steady is not None else self._step_events()
        span = max(self.horizon, last)
        self._flush(max(1, math.ceil(span * inv - 1e-9), int(last * inv) + 1 if events else 0))
        self.progress.close(f"{requests:,} requests")
        for s in states:
            res = s.result
            res.measured_cold, res.measured_warm = s.sampler.runs_cold, s.sampler.runs_warm
            if res.cold_starts:
                measured = [c[0] for c in s.sampler.cold]
                res.cold_start_model = coldstart.cold_start(
                    s.result.runtime, sum(measured) / len(measured), s.workload.package_mb, s.workload.vpc)
        functions = {s.name: s.result for s in states}
        total = Timeline.total([s.timeline for s in states], self.total_concurrency)
        return SimulationResult(functions, total, span, self.horizon, self.concurrency_limit, self.timeout,
                                self.records, time.perf_counter() - started)


class _Steady:
    """The event loop of a one-function run with its two steady-state events done inline: a request given a free
    warm environment (a replayed measurement, or a constant ``duration_ms``) and a request that leaves its
    environment warm. Every other event (cold starts, throttles, provisioned environments, discards, the
    interval's row) goes through the same ``_Simulation`` methods as the event-by-event loop, in the same order, so
    every figure is the same to the last bit (tests/test_simulate_exact.py runs both).

    What it saves: function calls, and per request four counter increments (the Duration and latency histograms,
    the billed-duration counter), counted per replayed sample instead and added at the end. Only the count of an
    already-present value is deferred (a sample's first use adds it as the event-by-event loop does), so the order
    in which values enter each histogram, and hence its sums, is unchanged; and no histogram folds during the run
    (``of`` checks that the distinct values cannot reach ``Histogram.PENDING_MAX``).
    """

    def __init__(self, sim: "_Simulation"):
        self.sim = sim
        self.s = sim.states[0]

    @classmethod
    def of(cls, sim: "_Simulation") -> "_Steady | None":
        """The fast loop for ``sim``, or None when it needs the event-by-event one (several functions, per-request
        rows, asynchronous events, a duration model per request, more measured samples than a histogram holds)."""
        if len(sim.states) != 1 or sim.records is not None:
            return None
        s = sim.states[0]
        sampler = s.sampler
        if s.is_async or callable(sampler.model):
            return None
        if sampler.warm_limit + 2 * sampler.cold_limit + 4 > Histogram.PENDING_MAX:
            return None
        return cls(sim)

    def _samples(self) -> list[tuple[float, str | None, bool, float]] | None:
        """Once the sampler only replays: per warm sample (seconds to add to the start, error, discard, Duration)."""
        sampler = self.s.sampler
        if len(sampler.warm) < sampler.warm_limit:
            return None
        model = sampler.model
        if model is None:
            return [((0.0 + d) / 1000.0, error, discard, d) for d, error, discard in sampler.warm]
        constant = sampler.constant
        if constant is None or constant[1]:  # not seen yet, or every request times out (then nothing stays warm)
            return None
        d = constant[0]
        return [((0.0 + d) / 1000.0, error, discard, d) for _, error, discard in sampler.warm]

    def run(self) -> tuple[float, int, int]:
        """Like ``_Simulation._step_events``: the last event's time, the number of events and of requests."""
        sim, s = self.sim, self.s
        res, sampler = s.result, s.sampler
        heap, idle, pc_idle = sim.heap, s.idle, s.pc_idle
        heappop, heappush, expired = heapq.heappop, heapq.heappush, policy.idle_expired
        timeout, inv, inf = sim.timeout, 1.0 / sim.interval, math.inf
        unreserved = s.reserved is None
        cap = s.od_cap if s.od_cap is not None else sim.unreserved_cap  # one function: its busy_od is all there is
        times = iter(sim.patterns[0].times(sim.arrival_horizon))
        ta = next(times, inf)
        row_end = _row_start(sim.bucket + 1, inv)  # an event at t >= row_end starts the timeline's next row
        samples: list = []
        ready = False  # the sampler only replays and no provisioned environment is free: warm requests go inline
        deferred: list[int] = []  # per warm sample: requests counted here, not yet in the histograms
        primed: list[bool] = []
        n = fast = requests = events = 0  # fast: requests of this row served inline, not yet in the counters
        t = 0.0
        horizon = sim.horizon or 1.0
        # The counters the inline events change, in locals; written back before every call into _Simulation and
        # read again after it. One function: the requests in flight are its busy environments, so the account's
        # peak of the row (c_total_max) and the function's (c_max) are the same number.
        busy, in_flight, peak, seq, wi = s.busy_od, sim.in_flight, s.c_max, sim.seq, sampler.wi
        # Completions the inline path schedules in order of end (a constant Duration, or requests further apart
        # than their Durations differ) queue here, as (end, seq, environment, discard), instead of on the heap;
        # the next event is the earlier of the two heads by (end, seq): the heap's order had all been on it.
        fifo: deque = deque()
        popleft, append = fifo.popleft, fifo.append
        while True:
            if fifo and fifo[0][0] <= ta and (not heap or fifo[0] < heap[0]):
                t, _, env, discard = item = popleft()
                if t < row_end and not discard:  # it stays warm
                    busy -= 1
                    in_flight -= 1
                    env.last_used = t
                    idle.append(env)
                    events += 1
                    if not events & 0xFFFF:
                        sim.progress.update(t / horizon, f"{requests:,} requests, t = {t:,.0f} s", events)
                    continue
            elif heap and heap[0][0] <= ta:
                item = heappop(heap)
                t = item[0]
                if t < row_end and item[2] == _COMPLETE and not item[5] and not item[6]:
                    env = item[4]  # it stays warm (neither discarded nor provisioned)
                    busy -= 1
                    in_flight -= 1
                    env.last_used = t
                    idle.append(env)
                    events += 1
                    if not events & 0xFFFF:
                        sim.progress.update(t / horizon, f"{requests:,} requests, t = {t:,.0f} s", events)
                    continue
            elif ta != inf:
                t = ta
                item = None
                if (ready and t < row_end and idle and busy < cap
                        and not expired(idle[-1].last_used, t, timeout)):
                    env = idle.pop()  # a warm on-demand environment, as _attempt picks it
                    if idle and expired(idle[0].last_used, t, timeout):
                        s.expire(t, timeout)
                    busy += 1
                    in_flight += 1
                    if in_flight > peak:
                        peak = in_flight
                        if peak > res.peak_concurrency:
                            res.peak_concurrency = peak
                    k = wi % n
                    wi += 1
                    seconds, error, discard, duration = samples[k]
                    seq += 1
                    end = t + seconds
                    if not fifo or end >= fifo[-1][0]:
                        append((end, seq, env, discard))
                    else:
                        heappush(heap, (end, seq, _COMPLETE, s, env, discard, False))
                    if error is not None:
                        res.errors += 1
                        s.c_errors += 1
                        res.error_types[error] += 1
                    if primed[k]:
                        deferred[k] += 1
                    else:  # the first time: as _attempt counts it, so each value enters the counters in order
                        primed[k] = True
                        self._add(duration, 1)
                    fast += 1
                    requests += 1
                    ta = next(times, inf)
                    events += 1
                    if not events & 0xFFFF:
                        sim.progress.update(t / horizon, f"{requests:,} requests, t = {t:,.0f} s", events)
                    continue
            else:
                break
            # Any other event: the event-by-event loop's code, with the counters written back first.
            s.busy_od, sim.in_flight, sim.seq, sampler.wi = busy, in_flight, seq, wi
            s.c_max = sim.c_total_max = peak
            if unreserved:
                sim.unreserved_busy = busy
            if t >= row_end:
                self._count(fast)
                fast = 0
                sim._flush(int(t * inv))
                row_end = _row_start(sim.bucket + 1, inv)
            if item is None:
                sim._attempt(t, s, requests, 1, t, 0, 0)
                requests += 1
                ta = next(times, inf)
                if not samples:
                    samples = self._samples() or []
                    n = len(samples)
                    deferred, primed = [0] * n, [False] * n
            elif len(item) == 4:  # from the deque: a discarded environment
                sim._complete(t, s, item[2], item[3], False)
            elif item[2] == _COMPLETE:
                sim._complete(t, s, item[4], item[5], item[6])
            else:
                sim._attempt(t, s, item[4], item[5], item[6], item[7], item[8])
            busy, in_flight, peak, seq, wi = s.busy_od, sim.in_flight, s.c_max, sim.seq, sampler.wi
            ready = bool(samples) and not pc_idle
            events += 1
            if not events & 0xFFFF:
                sim.progress.update(t / horizon, f"{requests:,} requests, t = {t:,.0f} s", events)
        s.busy_od, sim.in_flight, sim.seq, sampler.wi = busy, in_flight, seq, wi
        s.c_max = sim.c_total_max = peak
        if unreserved:
            sim.unreserved_busy = busy
        self._count(fast)
        for k, times_used in enumerate(deferred):
            if times_used:
                self._add(samples[k][3], times_used)
        return (t if events else 0.0), events, requests

    def _add(self, duration: float, times: int) -> None:
        """Count ``times`` warm on-demand invocations of ``duration`` ms, as ``_Simulation._attempt`` does."""
        res = self.s.result
        res.duration.add(duration, times)
        res.latency.add(0.0 + duration, times)
        res.latency_warm.add(duration, times)
        if times == 1:
            self.sim._billed(self.s, duration, None, False)
        else:
            res.billed_warm[billing.billed_duration_ms(duration)] += times

    def _count(self, fast: int) -> None:
        """Add the requests served inline to the totals and the interval's row (before the row is written)."""
        if fast:
            s = self.s
            s.result.requests += fast
            s.result.invocations += fast
            s.c_requests += fast
            s.c_invocations += fast


def _row_start(bucket: int, inv: float) -> float:
    """The first time ``t`` with ``t * inv >= bucket``: the event loop's test for "a later row of the timeline"
    (``int(t * inv) > bucket - 1``) as one comparison. ``t * inv`` never decreases as ``t`` grows, so the times that
    pass form one interval, found from the quotient by stepping one float at a time."""
    t = bucket / inv
    while t > 0 and math.nextafter(t, -math.inf) * inv >= bucket:
        t = math.nextafter(t, -math.inf)
    while t * inv < bucket:
        t = math.nextafter(t, math.inf)
    return t


def _tagged(times, index: int):
    for t in times:
        yield t, index


def simulate(function, arrivals=None, *, duration: float | None = None,
             concurrency_limit: int | None = None, idle_timeout: float | None = None,
             keep_requests: bool = False, interval: float | None = None, measure_cold: int = 10,
             measure_warm: int = 100,
             progress: bool | None = None, **workload) -> SimulationResult:
    """Replay traffic against a function (or several) on a virtual timeline, as the Lambda service would run it.

    ``function`` is a :class:`lambda_local.Function` (or a plain handler callable) with ``arrivals`` a pattern
    (``ConstantRate``, ``Burst``, ``DailyCurve``, ``Timestamps``, or several added together); or a list of
    :class:`Workload` to simulate functions sharing one account. Per-function options (``invocation_type``,
    ``event``, ``duration_ms``, ``reserved_concurrency``, ``provisioned_concurrency``, ``package_mb``, ``vpc``,
    ``max_retry_attempts``, ``max_event_age_s``) go to :class:`Workload`.

    ``duration``: seconds of arrivals to simulate (default: until the patterns end); events still in flight then are
    finished. ``concurrency_limit``: the account's concurrency; ``idle_timeout``: seconds an idle environment
    lives; both default to the runtime's (those of the active ``mock_aws()``, else 1,000 and
    ``DEFAULT_IDLE_TIMEOUT_S``). ``keep_requests``: keep one row per attempt in ``result.records`` (memory grows with
    the requests; off by default). ``interval``: seconds per row of ``result.timeline`` (default 1 s, coarser
    beyond a day of traffic so the timeline stays under 86,400 rows and memory stays flat). ``measure_cold`` /
    ``measure_warm``: how many invocations run the real handler (see the module's documentation).
    ``progress``: a progress bar (None: only for runs of more than a million events).

    >>> from lambda_local import Function
    >>> from lambda_local.simulate import simulate, Burst
    >>> fn = Function(lambda event, context: "ok", name="burst-demo")
    >>> result = simulate(fn, Burst(5000, at=0), duration_ms=100, concurrency_limit=1000)
    >>> result.invocations, result.cold_starts, result.throttles
    (1000, 1000, 4000)
    """
    if isinstance(function, (list, tuple)):
        if arrivals is not None or workload:
            raise TypeError("with a list of Workload, put arrivals and per-function options in each Workload")
        if not function or not all(isinstance(w, Workload) for w in function):
            raise TypeError("a list passed to simulate() must hold Workload objects")
        workloads = list(function)
    else:
        if arrivals is None:
            raise TypeError("simulate() needs arrivals, e.g. simulate(fn, ConstantRate(10, duration=60))")
        workloads = [Workload(function, arrivals, **workload)]
    service = current_service()
    if concurrency_limit is None:
        concurrency_limit = service.concurrency_limit
    if idle_timeout is None:
        idle_timeout = service.idle_timeout
    return _Simulation(workloads, duration=duration, concurrency_limit=concurrency_limit, idle_timeout=idle_timeout,
                       keep_requests=keep_requests, interval=interval, measure_cold=measure_cold,
                       measure_warm=measure_warm, progress=progress).run()
