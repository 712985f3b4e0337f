"""DynamoDB Streams and Kinesis event source mappings: in-order pollers with checkpoints.

A poller reads records after its checkpoint in batches of ``BatchSize`` and invokes the function synchronously.
Success moves the checkpoint past the batch. A failure blocks the shard: the batch is retried (on the virtual clock,
backing off from 1 s to 60 s) until it succeeds, ``MaximumRetryAttempts`` is used up or the records are older than
``MaximumRecordAgeInSeconds`` (by default until they expire: 24 h here for both services). With
``BisectBatchOnFunctionError`` a failed batch is split in two and the halves retried; with
``ReportBatchItemFailures`` the checkpoint moves to the lowest failed sequence number. Records given up on are
reported to the mapping's on-failure destination.
"""

from __future__ import annotations

import base64
import functools
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .. import events, policy, quotas
from ..aws import state
from ..runtime.errors import ServiceError
from .filters import dynamodb_view, kinesis_view
from .mappings import esm_filters, mappings_reading
from .host import TriggerHost

__all__ = ["StreamPollers"]



@dataclass
class _Cursor:
    position: int = 0  # index of the next record to process
    attempts: int = 0
    pending_split: list = field(default_factory=list)  # batches waiting after a bisect
    timer: object = None


class StreamPollers:
    def __init__(self, sandbox: TriggerHost):
        self.sandbox = sandbox
        self._cursors: dict[str, _Cursor] = {}
        self.deferred = False  # inside PutRecords: poll once after the whole batch has landed

    # --- sources -----------------------------------------------------------------------------------------------------
    def dynamodb_changed(self, shard) -> None:
        table = shard.table
        stream_arn = f"{table.table_arn}/stream/{table.latest_stream_label}"
        for esm in mappings_reading(stream_arn, table.account_id, table.region_name):
            source = _DynamoDB(shard, self.sandbox)
            self.sandbox.run_or_defer(functools.partial(self._poll, esm, source))

    def kinesis_changed(self, stream) -> None:
        if self.deferred:
            return
        # every mapping reads the stream on its own, with its own checkpoint (moto keeps only one on the stream)
        for esm in mappings_reading(stream.arn, stream.account_id, stream.region):
            source = _Kinesis(stream, self.sandbox)
            self.sandbox.run_or_defer(functools.partial(self._poll, esm, source))

    def mapping_created(self, esm) -> None:
        """Place the checkpoint where StartingPosition says (LATEST: after what is there now) and poll."""
        source = self._source_for(esm)
        if source is None:
            return
        self._cursors[esm.uuid] = _Cursor(position=source.start(esm))
        if esm.enabled:
            self._poll(esm, source)

    def _source_for(self, esm):
        arn = esm.event_source_arn or ""
        parts = arn.split(":")
        if len(parts) < 6:
            return None
        region, account = parts[3], parts[4]
        if parts[2] == "kinesis":
            stream = state.kinesis_stream_or_none(account, region, parts[5].split("/", 1)[1])
            return _Kinesis(stream, self.sandbox) if stream is not None else None
        if parts[2] == "dynamodb" and "/stream/" in arn:
            table = state.dynamodb_table_or_none(account, region, parts[5].split("/")[1])
            shard = getattr(table, "stream_shard", None)
            return _DynamoDB(shard, self.sandbox) if shard is not None else None
        return None

    # --- polling -----------------------------------------------------------------------------------------------------
    def _poll(self, esm, source) -> None:
        backend = state.lambda_backend(esm.account_id, esm.region)
        cursor = self._cursors.setdefault(esm.uuid, _Cursor(position=source.start(esm)))
        if cursor.timer is not None:
            return  # a retry is already scheduled; the shard is blocked until it runs
        records = source.records()
        now = self.sandbox.clock.time()
        while state.mapping_is_active(esm):
            batch = cursor.pending_split[0] if cursor.pending_split else records[
                cursor.position:cursor.position + int(esm.batch_size or 100)]
            if not batch:
                return
            max_age = esm.max_record_age if esm.max_record_age not in (None, -1) else quotas.STREAM_RECORD_LIFETIME_S
            fresh = [r for r in batch if not policy.event_too_old(source.arrival(r), now, max_age)]
            if len(fresh) < len(batch):
                self._give_up(esm, source, [r for r in batch if r not in fresh], "RecordAgeExceeded")
                self._advance(cursor, len(batch) - len(fresh), split=False)
                continue
            failed_from = self._invoke(backend, esm, source, batch)
            if failed_from is None:
                self._advance(cursor, len(batch))
                continue
            done = failed_from
            if done:
                self._advance(cursor, done)
                batch = batch[done:]
            cursor.attempts += 1
            retries = esm.max_retry_attempts if esm.max_retry_attempts not in (None, -1) else None
            if retries is not None and cursor.attempts > retries:
                self._give_up(esm, source, batch, "RetryAttemptsExhausted")
                self._advance(cursor, len(batch))
                continue
            if esm.bisect_on_error and len(batch) > 1:
                half = len(batch) // 2
                rest = cursor.pending_split[1:] if cursor.pending_split else []
                cursor.pending_split = [batch[:half], batch[half:]] + rest
            delay = policy.stream_retry_delay(cursor.attempts)
            cursor.timer = self.sandbox.clock.call_later(delay, lambda: self._retry(esm, source, cursor))
            return

    def _retry(self, esm, source, cursor) -> None:
        cursor.timer = None
        self._poll(esm, source)

    @staticmethod
    def _advance(cursor, count: int, split: bool = True) -> None:
        if cursor.pending_split:
            first = cursor.pending_split[0]
            if count >= len(first):
                cursor.pending_split.pop(0)
            else:
                cursor.pending_split[0] = first[count:]
        cursor.position += count
        cursor.attempts = 0

    def _invoke(self, backend, esm, source, batch) -> int | None:
        """None when the batch succeeded, else how many leading records did (partial batch response)."""
        event = source.event(batch, esm)
        kept = [i for i, record in enumerate(event["Records"]) if esm_filters(esm).matches(source.view(record))]
        if not kept:
            return None  # nothing matches a filter: the checkpoint moves past these records, as on AWS
        event["Records"] = [event["Records"][i] for i in kept]
        payload = json.dumps(event).encode("utf-8")
        fn = backend.get_function(esm.function_arn)
        try:
            result = self.sandbox.invoke(fn, payload)
        except ServiceError:
            return 0
        if result.error_type is not None:
            return 0
        if "ReportBatchItemFailures" in (esm.function_response_types or []):
            failures = (result.payload or {}).get("batchItemFailures") if isinstance(result.payload, dict) else None
            if failures:
                ids = [source.sequence(r) for r in batch]
                sent = {ids[i] for i in kept}
                failed = [f.get("itemIdentifier") for f in failures if isinstance(f, dict)]
                if any(f not in sent for f in failed):
                    return 0
                return min(ids.index(f) for f in failed)
        return None

    def _give_up(self, esm, source, batch, condition: str) -> None:
        target = ((esm.destination_config or {}).get("OnFailure") or {}).get("Destination")
        if not target or not batch:
            return
        details = {"requestContext": {"condition": condition, "functionArn": esm.function_arn},
                   "version": "1.0", "timestamp": source.iso(self.sandbox.clock.time()),
                   source.details_key: {"shardId": source.shard_id, "startSequenceNumber": source.sequence(batch[0]),
                                        "endSequenceNumber": source.sequence(batch[-1]), "batchSize": len(batch),
                                        "streamArn": esm.event_source_arn}}
        self.sandbox.send_to_destination(target, json.dumps(details))


class _Source:
    details_key = ""
    shard_id = ""

    def __init__(self, sandbox):
        self.sandbox = sandbox

    @staticmethod
    def iso(epoch: float) -> str:
        return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class _DynamoDB(_Source):
    details_key = "DDBStreamBatchInfo"
    view = staticmethod(dynamodb_view)

    def __init__(self, shard, sandbox):
        super().__init__(sandbox)
        self.shard, self.shard_id = shard, shard.id

    def start(self, esm) -> int:
        return len(self.shard.items) if (esm.starting_position or "LATEST") == "LATEST" else 0

    def records(self) -> list:
        return self.shard.items

    def arrival(self, record) -> float:
        if not hasattr(record, "_lambda_local_arrival"):
            record._lambda_local_arrival = self.sandbox.clock.time()
        return record._lambda_local_arrival

    @staticmethod
    def sequence(record) -> str:
        return record.record["dynamodb"]["SequenceNumber"]

    def event(self, batch, esm) -> dict:
        table = self.shard.table
        return events.dynamodb_event(*[events.dynamodb_record(
            event_name=r.record["eventName"], keys=r.record["dynamodb"]["Keys"],
            new_image=r.record["dynamodb"].get("NewImage"), old_image=r.record["dynamodb"].get("OldImage"),
            typed=True, table=table.name, stream_label=table.latest_stream_label,
            stream_view_type=r.record["dynamodb"]["StreamViewType"], sequence_number=self.sequence(r),
            size_bytes=r.record["dynamodb"]["SizeBytes"], event_id=r.record["eventID"],
            time=datetime.fromtimestamp(self.arrival(r), timezone.utc), region=table.region_name,
            account_id=table.account_id, rng=self.sandbox.rng) for r in batch])


class _Kinesis(_Source):
    details_key = "KinesisBatchInfo"
    view = staticmethod(kinesis_view)

    def __init__(self, stream, sandbox):
        super().__init__(sandbox)
        self.stream = stream
        self.shard_id = "shardId-000000000000"

    def start(self, esm) -> int:
        return len(self.records()) if (esm.starting_position or "LATEST") == "LATEST" else 0

    def records(self) -> list:
        found = []
        for shard in self.stream.shards.values():
            found += [(shard.shard_id, record) for record in shard.records.values()]
        return found

    def arrival(self, item) -> float:
        record = item[1]
        if not hasattr(record, "_lambda_local_arrival"):
            record._lambda_local_arrival = self.sandbox.clock.time()
        return record._lambda_local_arrival

    @staticmethod
    def sequence(item) -> str:
        return str(item[1].sequence_number)

    def event(self, batch, esm) -> dict:
        role = None  # the mapping's function role would go here; the builder fills a placeholder
        return events.kinesis_event(*[events.kinesis_record(
            data=base64.b64decode(record.data) if isinstance(record.data, str) else record.data,
            partition_key=record.partition_key, sequence_number=str(record.sequence_number),
            stream=self.stream.stream_name, shard_id=shard_id,
            time=datetime.fromtimestamp(self.arrival((shard_id, record)), timezone.utc),
            invoke_identity_arn=role, region=self.stream.region, account_id=self.stream.account_id,
            rng=self.sandbox.rng) for shard_id, record in batch])
