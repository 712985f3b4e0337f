"""SQS event source mappings: Lambda's pollers.

A poller takes up to ``BatchSize`` visible messages (receiving them makes them invisible for the queue's visibility
timeout and counts a receive), invokes the function synchronously with them, and on success deletes them. On a
function error the whole batch stays in the queue and reappears after the visibility timeout (on the virtual clock);
with ``FunctionResponseTypes=["ReportBatchItemFailures"]`` only the messages the function lists stay. The queue's
redrive policy moves a message to its DLQ once it has been received ``maxReceiveCount`` times.

Several pollers read a queue at once, as on AWS: a backlog is read by 5 concurrent batches, and while messages
remain Lambda adds up to 300 pollers a minute, up to 1,000 (``ScalingConfig.MaximumConcurrency`` caps them). A
failed batch never stops the others: the rest of the backlog is processed meanwhile. An invocation takes no
virtual time here, so the batches of one round are received together and counted as concurrent; those beyond the
function's reserved concurrency are throttled and their messages come back after the visibility timeout (each
such receive counts toward ``maxReceiveCount``, which is why AWS advises MaximumConcurrency instead).

A consumer never makes ``SendMessage`` fail: if the mapped function is missing or refuses the invocation, the
message stays in the queue.

With no batching window a poller runs as soon as a message arrives; with ``MaximumBatchingWindowInSeconds`` it waits
for a full batch or the end of the window.
"""

from __future__ import annotations

import functools
import json

from .. import events
from ..aws import state
from ..runtime.errors import ServiceError
from .filters import sqs_view
from .mappings import esm_filters
from .host import TriggerHost

__all__ = ["SqsPollers"]

INITIAL_POLLERS = 5  # AWS: "Lambda starts processing five batches at a time"
# "increases the number of processes that are reading batches by up to 300 ... per minute"
POLLERS_ADDED_PER_MINUTE = 300
MAX_POLLERS = 1000  # "The maximum number of batches that an event source mapping can process simultaneously is 1,000"
_MAX_ROUNDS_PER_POLL = 10_000  # a safety stop: a poll that keeps finding messages ends eventually


class SqsPollers:
    def __init__(self, sandbox: TriggerHost):
        self.sandbox = sandbox
        self._window_timers: dict[str, object] = {}
        self._wakeups: dict[str, float] = {}
        self._backlog_since: dict[str, float] = {}  # mapping UUID -> when its current backlog began
        self.deferred = 0  # inside SendMessageBatch: poll once the whole batch is in the queue

    # --- when to poll ------------------------------------------------------------------------------------------------
    def message_arrived(self, queue, message=None) -> None:
        if message is not None:
            message.lambda_local_chain = self.sandbox.chain  # a message sent by a function continues its chain
        if self.deferred:
            return
        self.sandbox.run_or_defer(lambda: self._arrived(queue))

    def _arrived(self, queue) -> None:
        for esm in self._mappings(queue):
            window = esm.max_batch_window or 0
            if window and len(queue.messages) < (esm.batch_size or 10):
                if esm.uuid not in self._window_timers:
                    self._window_timers[esm.uuid] = self.sandbox.clock.call_later(
                        window, functools.partial(self._window_closed, queue, esm))
                continue
            self.poll(queue, esm)

    def _window_closed(self, queue, esm) -> None:
        self._window_timers.pop(esm.uuid, None)
        self.poll(queue, esm)

    def mapping_changed(self, esm) -> None:
        """A mapping was created or updated: poll what is already waiting."""
        queue = self._queue_for(esm)
        if queue is not None and esm.enabled:
            self.poll(queue, esm)

    def _wake_when_visible(self, queue) -> None:
        pending = [m.visible_at for m in queue._messages if not m.visible]
        if not pending:
            return
        when = (min(pending) + 1) / 1000  # SQS: visible once the timeout has passed
        if self._wakeups.get(queue.queue_arn, float("inf")) <= when:
            return
        self._wakeups[queue.queue_arn] = when

        def wake():
            if self._wakeups.get(queue.queue_arn) == when:
                del self._wakeups[queue.queue_arn]
            for esm in self._mappings(queue):
                self.poll(queue, esm)

        self.sandbox.clock.call_at(when, wake)

    # --- one poll ----------------------------------------------------------------------------------------------------
    def poll(self, queue, esm) -> None:
        """Read the queue in rounds of concurrent batches until nothing is visible (or the mapping stops)."""
        lambda_backend = state.lambda_backend(esm.account_id, esm.region)
        for _ in range(_MAX_ROUNDS_PER_POLL):
            if not state.mapping_is_active(esm, lambda_backend):
                break
            fn = _function(lambda_backend, esm)
            if fn is None:
                break  # the function is gone: its messages stay in the queue, as on AWS
            batches = []
            for _ in range(self._pollers(esm)):
                messages = state.receive_for_mapping(queue, int(esm.batch_size or 10),
                                                     int(queue.visibility_timeout or 30))
                if not messages:
                    break
                batches.append(messages)
            if not batches:
                break
            allowed = self._concurrency_available(fn, len(batches))
            for index, messages in enumerate(batches):
                if index >= allowed:
                    self.sandbox.count_throttle(fn)  # the messages come back after the visibility timeout
                else:
                    self._invoke(lambda_backend, queue, esm, fn, messages)
        self._track_backlog(queue, esm)
        self._wake_when_visible(queue)

    # --- how many pollers --------------------------------------------------------------------------------------------
    def _pollers(self, esm) -> int:
        """Concurrent batches now: 5 for a new backlog, up to 300 more a minute while it lasts, at most 1,000."""
        since = self._backlog_since.setdefault(esm.uuid, self.sandbox.clock.time())
        minutes = (self.sandbox.clock.time() - since) / 60
        pollers = min(INITIAL_POLLERS + int(POLLERS_ADDED_PER_MINUTE * minutes), MAX_POLLERS)
        maximum = (esm.scaling_config or {}).get("MaximumConcurrency")
        return min(pollers, int(maximum)) if maximum else pollers

    def _track_backlog(self, queue, esm) -> None:
        if not queue._messages:
            self._backlog_since.pop(esm.uuid, None)  # drained: the next backlog starts with 5 pollers again

    def _concurrency_available(self, fn, wanted: int) -> int:
        """How many of ``wanted`` concurrent batches the function's reserved concurrency lets run."""
        reserved = fn.reserved_concurrency
        if reserved in (None, ""):
            return wanted
        return max(0, min(wanted, int(reserved)))  # pollers run when no invocation is (see run_or_defer)

    def _invoke(self, lambda_backend, queue, esm, fn, received: list[state.ReceivedMessage]) -> None:
        records = events.sqs_records_received([r.message for r in received], queue_name=queue.name,
                                              region=queue.region, account_id=queue.account_id, rng=self.sandbox.rng)
        message_ids = [r.message["MessageId"] for r in received]
        filters = esm_filters(esm)
        if filters.patterns:
            matched = [filters.matches(sqs_view(record)) for record in records]
            if not all(matched):
                # AWS deletes what matches no filter: it is never delivered, to this function or any other consumer
                state.delete_messages(queue, {i for i, keep in zip(message_ids, matched) if not keep})
                received = [r for r, keep in zip(received, matched) if keep]
                message_ids = [i for i, keep in zip(message_ids, matched) if keep]
                records = [r for r, keep in zip(records, matched) if keep]
                if not records:
                    return
        event = events.sqs_event(*records)
        payload = json.dumps(event).encode("utf-8")
        chain = next((r.chain for r in received if r.chain is not None), None)
        try:
            # The event goes along with its JSON: the runtime does not decode what was just encoded (the records are
            # fresh dicts, lists and strings, so the function gets what decoding would give it)
            result = self.sandbox.invoke(fn, payload, invocation_type="RequestResponse", chain=chain, event=event)
        except ServiceError as error:
            if error.code == "RecursiveInvocationException":
                state.delete_messages(queue, set(message_ids))  # Lambda stops the loop: not delivered again
            return  # throttled or refused: the messages become visible again after the visibility timeout
        if result.error_type is not None:
            return
        delivered = set(message_ids)
        if "ReportBatchItemFailures" in (esm.function_response_types or []):  # (only then is the response read)
            delivered -= _reported_failures(result.payload, delivered)
        state.delete_messages(queue, delivered)

    # --- helpers -----------------------------------------------------------------------------------------------------
    def _mappings(self, queue) -> list:
        return [esm for esm in state.event_source_mappings(queue.account_id, queue.region)
                if esm.event_source_arn == queue.queue_arn and esm.enabled]

    def _queue_for(self, esm):
        if ":sqs:" not in esm.event_source_arn:
            return None
        return state.queue_from_arn(esm.event_source_arn)


def _function(lambda_backend, esm):
    """The mapped function, or None when it no longer exists (a consumer's problem never reaches the producer)."""
    return state.get_function_or_none(lambda_backend, esm.function_arn)


def _reported_failures(response, message_ids: set[str]) -> set[str]:
    """Message ids the function reported as failed (a partial batch response, for a mapping that asks for one)."""
    if not isinstance(response, dict) or not response.get("batchItemFailures"):
        return set()
    failed = set()
    for item in response["batchItemFailures"]:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if identifier not in message_ids:
            return set(message_ids)  # an invalid response fails the whole batch, as on AWS
        failed.add(identifier)
    return failed
