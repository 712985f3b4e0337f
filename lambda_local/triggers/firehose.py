"""Amazon Data Firehose delivery streams with a Lambda transformation (``ProcessingConfiguration`` with a ``Lambda``
processor) and an S3 destination, on the virtual clock, as the Firehose developer guide describes ("Transform source
data", "Handle failure in data transformation"):

* records put to the stream are buffered for the processor (its ``BufferSizeInMBs``, 1 MB by default, or
  ``BufferIntervalInSeconds``, 60 s, whichever comes first); the function is invoked with the batch
  (``events.firehose_event``: invocationId, deliveryStreamArn, region, records[recordId, approximateArrivalTimestamp,
  data]);
* it answers ``{"records": [{recordId, result, data}]}``: ``Ok`` records (their new data) go to the destination's
  buffer (``BufferingHints``: 5 MB or 300 s by default) and on to S3 as one object under ``Prefix`` +
  ``YYYY/MM/DD/HH/``, named ``STREAM-VERSION-YYYY-MM-DD-HH-MM-SS-ID``; ``Dropped`` ones are dropped;
  ``ProcessingFailed`` ones (and every record of a batch whose invocation failed ``NumberOfRetries`` + 1 times, 3
  retries by default, or whose answer lacks a record's id or has a result outside those three) are written to
  ``ErrorOutputPrefix`` (``processing-failed/`` by default) + ``YYYY/MM/DD/HH/``, one JSON line each (attemptsMade,
  arrivalTimestamp, errorCode, errorMessage, attemptEndingTimestamp, rawData, lambdaArn).

Timestamps and object names follow the virtual clock. Not modelled: destinations other than S3, other processors
(record de-aggregation, AppendDelimiterToRecord), dynamic partitioning, source record backup, compression and format
conversion, the delivery role's permissions.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .. import events
from ..aws import state
from ..events._common import new_uuid
from ..runtime.errors import ServiceError
from .host import TriggerHost

__all__ = ["FirehoseStreams"]

_MB = 1024 * 1024


@dataclass
class _Record:
    record_id: str
    data: bytes
    arrived_at: float


@dataclass
class _Buffer:
    """Records waiting for their size or time to come."""

    records: list[_Record] = field(default_factory=list)
    size: int = 0
    timer: Any = None


class FirehoseStreams:
    """The delivery streams of one sandbox that transform with a Lambda function."""

    def __init__(self, sandbox: TriggerHost):
        self.sandbox = sandbox
        self._buffers: dict[tuple[str, str], _Buffer] = {}  # (stream ARN, "processor" | "destination") -> buffer

    @staticmethod
    def transforms(stream) -> bool:
        """Whether the stream has an S3 destination with a Lambda processor enabled."""
        return _processor(stream) is not None

    def put(self, stream, records: list[dict]) -> list[dict[str, str]]:
        """Accept ``records`` (PutRecord / PutRecordBatch): their record ids, as Firehose answers."""
        now = self.sandbox.clock.time()
        accepted = []
        for record in records:
            data = record["Data"] if isinstance(record["Data"], bytes) else str(record["Data"]).encode("utf-8")
            accepted.append(_Record(events.firehose_record(time=now, rng=self.sandbox.rng)["recordId"], data, now))
        parameters = _parameters(_processor(stream))
        self._add(stream, "processor", accepted, int(parameters.get("BufferSizeInMBs", 1)) * _MB,
                  int(parameters.get("BufferIntervalInSeconds", 60)), self._transform)
        return [{"RecordId": record.record_id} for record in accepted]

    # --- buffering ---------------------------------------------------------------------------------------------------
    def _add(self, stream, stage: str, records: list[_Record], size_limit: int, interval_s: int, flush) -> None:
        if not records:
            return
        key = (stream.delivery_stream_arn, stage)
        buffer = self._buffers.setdefault(key, _Buffer())
        buffer.records += records
        buffer.size += sum(len(record.data) for record in records)
        if buffer.size >= size_limit:
            self._flush(stream, key, flush)
        elif buffer.timer is None:
            buffer.timer = self.sandbox.clock.call_later(interval_s, lambda: self._flush(stream, key, flush))

    def _flush(self, stream, key, flush) -> None:
        buffer = self._buffers.pop(key, None)
        if buffer is None or not buffer.records:
            return
        if buffer.timer is not None:
            buffer.timer.cancel()
        flush(stream, buffer.records)

    # --- the transformation ------------------------------------------------------------------------------------------
    def _transform(self, stream, records: list[_Record]) -> None:
        processor = _processor(stream)
        if processor is None:  # the processor was removed meanwhile: the records go as they are
            self._deliver(stream, records)
            return
        parameters = _parameters(processor)
        lambda_arn = parameters.get("LambdaArn", "")
        attempts = 1 + int(parameters.get("NumberOfRetries", 3))
        region, account = stream.delivery_stream_arn.split(":")[3], stream.delivery_stream_arn.split(":")[4]
        event = events.firehose_event(
            *[{"recordId": r.record_id, "approximateArrivalTimestamp": int(r.arrived_at * 1000),
               "data": base64.b64encode(r.data).decode("ascii")} for r in records],
            delivery_stream=stream.delivery_stream_name, region=region, account_id=account, rng=self.sandbox.rng)
        failure = ("Lambda.FunctionError",
                   "The Lambda function was successfully invoked but it returned an error result.")
        answer, made = None, 0
        while answer is None and made < attempts:  # an invocation that fails is retried NumberOfRetries times
            made += 1
            answer, failure = self._invoke(lambda_arn, event, failure)
        if answer is None:
            self._failed(stream, [(r, failure) for r in records], made, lambda_arn)
            return
        delivered, failed = [], []
        for record in records:
            outcome = answer.get(record.record_id)
            if outcome is None:
                failed.append((record, ("Lambda.MissingRecordId", "One or more record Ids were not returned. "
                                        "Ensure that the Lambda function returns all received record Ids.")))
            elif outcome.get("result") == "Ok":
                try:
                    data = base64.b64decode(outcome.get("data") or "", validate=True)
                except (binascii.Error, ValueError):
                    failed.append((record, ("Lambda.InvalidReturnFormat", "The data of an Ok record is not base64.")))
                    continue
                delivered.append(_Record(record.record_id, data, record.arrived_at))
            elif outcome.get("result") == "ProcessingFailed":
                failed.append((record, ("Lambda.ProcessingFailedStatus", "ProcessingFailed status set for record")))
            elif outcome.get("result") != "Dropped":
                failed.append((record, ("Lambda.InvalidRecordResult",
                                        "The result of a record must be Ok, Dropped or ProcessingFailed.")))
        self._failed(stream, failed, made, lambda_arn)
        hints = _s3(stream).get("BufferingHints") or {}
        self._add(stream, "destination", delivered, int(hints.get("SizeInMBs", 5)) * _MB,
                  int(hints.get("IntervalInSeconds", 300)), self._deliver)

    def _invoke(self, lambda_arn: str, event: dict, failure: tuple[str, str]):
        """(records by id, failure): the function's answer, or None and why it did not answer usefully."""
        parts = lambda_arn.split(":")
        fn = state.get_function_or_none(state.lambda_backend(parts[4], parts[3]), ":".join(parts[:7]),
                                        parts[7] if len(parts) > 7 and parts[7] != "$LATEST" else None) \
            if len(parts) >= 7 else None
        if fn is None:
            return None, ("Lambda.FunctionNotFound", f"Function not found: {lambda_arn}")
        try:
            result = self.sandbox.invoke(fn, json.dumps(event).encode("utf-8"),
                                         qualifier=parts[7] if len(parts) > 7 else None)
        except ServiceError as error:
            return None, (f"Lambda.{error.code.removesuffix('Exception')}", error.message)
        if result.error_type:
            return None, failure
        payload = result.payload
        if not isinstance(payload, dict) or not isinstance(payload.get("records"), list):
            return None, ("Lambda.InvalidReturnFormat", "The Lambda function's response is not in the format "
                                                        "Firehose expects: a records list.")
        return {r.get("recordId"): r for r in payload["records"] if isinstance(r, dict)}, failure

    # --- S3 ----------------------------------------------------------------------------------------------------------
    def _deliver(self, stream, records: list[_Record]) -> None:
        destination = _s3(stream)
        account = stream.delivery_stream_arn.split(":")[4]
        key = _key(destination.get("Prefix") or "", stream, self.sandbox.clock.time(), self.sandbox.rng)
        state.put_s3_object(account, destination["BucketARN"].split(":")[-1], key, b"".join(r.data for r in records))

    def _failed(self, stream, failed: list[tuple[_Record, tuple[str, str]]], attempts: int, lambda_arn: str) -> None:
        if not failed:
            return
        now = self.sandbox.clock.time()
        lines = [json.dumps({"attemptsMade": attempts, "arrivalTimestamp": int(record.arrived_at * 1000),
                             "errorCode": code, "errorMessage": message,
                             "attemptEndingTimestamp": int(now * 1000),
                             "rawData": base64.b64encode(record.data).decode("ascii"), "lambdaArn": lambda_arn})
                 for record, (code, message) in failed]
        destination = _s3(stream)
        account = stream.delivery_stream_arn.split(":")[4]
        prefix = (destination.get("ErrorOutputPrefix") or "processing-failed/").replace(
            "!{firehose:error-output-type}", "processing-failed")
        key = _key(prefix, stream, now, self.sandbox.rng)
        state.put_s3_object(account, destination["BucketARN"].split(":")[-1], key, ("\n".join(lines) + "\n").encode())


def _s3(stream) -> dict:
    for destination in stream.destinations:
        for name in ("ExtendedS3", "S3"):
            if name in destination:
                return destination[name]
    return {}


def _processor(stream) -> dict | None:
    configuration = _s3(stream).get("ProcessingConfiguration") or {}
    if not configuration.get("Enabled"):
        return None
    for processor in configuration.get("Processors") or []:
        if processor.get("Type") == "Lambda":
            return processor
    return None


def _parameters(processor: dict | None) -> dict[str, str]:
    return {p.get("ParameterName"): p.get("ParameterValue") for p in (processor or {}).get("Parameters") or []}


def _key(prefix: str, stream, now: float, rng) -> str:
    """An S3 object name as Firehose writes it: the prefix, the UTC hour (Firehose appends
    ``!{timestamp:yyyy/MM/dd/HH/}`` to a prefix without timestamp expressions; expressions are not evaluated here),
    then STREAM-VERSION-YYYY-MM-DD-HH-MM-SS-ID."""
    when = datetime.fromtimestamp(now, timezone.utc)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    folder = when.strftime("%Y/%m/%d/%H/")
    name = f"{stream.delivery_stream_name}-{stream.version_id}-{when.strftime('%Y-%m-%d-%H-%M-%S')}-"
    return prefix + folder + name + new_uuid(rng)
