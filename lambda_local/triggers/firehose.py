"""Amazon Data Firehose delivery streams on the virtual clock: a Lambda transformation (``ProcessingConfiguration``
with a ``Lambda`` processor) and delivery to S3, to an HTTP endpoint and to Redshift's intermediate bucket, as the
Firehose developer guide describes them ("Transform source data", "Handle failure in data transformation",
"Handle data delivery failure", "HTTP endpoint delivery request and response specifications"):

* records put to a stream with a processor are buffered for it (its ``BufferSizeInMBs``, 1 MB by default, or
  ``BufferIntervalInSeconds``, 60 s, whichever comes first); the function is invoked with the batch
  (``events.firehose_event``: invocationId, deliveryStreamArn, region, records[recordId, approximateArrivalTimestamp,
  data]);
* it answers ``{"records": [{recordId, result, data}]}``: ``Ok`` records (their new data) go to the destination's
  buffer (``BufferingHints``: 5 MB or 300 s by default); ``Dropped`` ones are dropped; ``ProcessingFailed`` ones (and
  every record of a batch whose invocation failed ``NumberOfRetries`` + 1 times, 3 retries by default, or whose
  answer lacks a record's id or has a result outside those three) are written to the S3 bucket's
  ``ErrorOutputPrefix`` (``processing-failed/`` by default) + ``YYYY/MM/DD/HH/``, one JSON line each (attemptsMade,
  arrivalTimestamp, errorCode, errorMessage, attemptEndingTimestamp, rawData, lambdaArn);
* S3 (``ExtendedS3DestinationConfiguration``): one object per buffer under ``Prefix`` + ``YYYY/MM/DD/HH/``, named
  ``STREAM-VERSION-YYYY-MM-DD-HH-MM-SS-ID`` (a stream with neither a processor nor another destination is moto's,
  which writes each put at once);
* HTTP endpoint (``HttpEndpointDestinationConfiguration``): each buffer is POSTed in Firehose's request shape
  (``firehose_http``: loopback servers and this sandbox's Function URLs and API Gateway APIs only, as the sandbox
  has no network; other hosts are refused with a clear error). A failed attempt is retried with the same request id
  at growing intervals (1 s, doubling, at most 60 s: AWS does not publish its schedule) for
  ``RetryOptions.DurationInSeconds`` (300 s by default); then the records go to the backup bucket
  (``S3Configuration``) under its ``ErrorOutputPrefix`` (``http-endpoint-failed/`` by default), one JSON line each
  (attemptsMade, arrivalTimestamp, errorCode, errorMessage, attemptEndingTimestamp, rawData). ``S3BackupMode``
  ``AllData`` also writes every buffer to the backup bucket's ``Prefix``;
* Redshift: records are delivered to the intermediate bucket (``S3Configuration``), Firehose's first step; the
  ``COPY`` into the cluster is not run (moto has no Redshift data plane).

Stored only (the stream can be created, described and put to; records are accepted and then dropped):
Elasticsearch / OpenSearch Service, Splunk, Snowflake, Iceberg. moto refuses to create an
``AmazonopensearchserviceDestinationConfiguration`` stream ("Exactly one destination configuration is supported").

Timestamps and object names follow the virtual clock. Not modelled: other processors (record de-aggregation,
AppendDelimiterToRecord), dynamic partitioning, source record backup, compression and format conversion for S3, the
delivery role's permissions.
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
from .firehose_http import post, request_for
from .host import TriggerHost

__all__ = ["FirehoseStreams"]

_MB = 1024 * 1024
_S3_KINDS = ("ExtendedS3", "S3")
# Destinations moto stores and Firehose here accepts records for without delivering them anywhere.
_STORED_ONLY = ("Elasticsearch", "Splunk", "Snowflake", "Iceberg")
_KINDS = (*_S3_KINDS, "HttpEndpoint", "Redshift", *_STORED_ONLY)
_RETRY_FIRST_S, _RETRY_MAX_S = 1, 60  # HTTP endpoint retries: 1 s, doubling, at most a minute apart


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
    """The delivery streams of one sandbox that transform with a Lambda function or deliver elsewhere than S3."""

    def __init__(self, sandbox: TriggerHost):
        self.sandbox = sandbox
        self._buffers: dict[tuple[str, str], _Buffer] = {}  # (stream ARN, "processor" | "destination") -> buffer

    @staticmethod
    def delivers(stream) -> bool:
        """Whether this module delivers the stream's records: a Lambda processor, or a destination other than S3
        (a plain S3 stream is moto's)."""
        return _processor(stream) is not None or _destination(stream)[0] not in ("", *_S3_KINDS)

    def put(self, stream, records: list[dict]) -> list[dict[str, str]]:
        """Accept ``records`` (PutRecord / PutRecordBatch): their record ids, as Firehose answers."""
        now = self.sandbox.clock.time()
        accepted = []
        for record in records:
            data = record["Data"] if isinstance(record["Data"], bytes) else str(record["Data"]).encode("utf-8")
            accepted.append(_Record(events.firehose_record(time=now, rng=self.sandbox.rng)["recordId"], data, now))
        processor = _processor(stream)
        if processor is not None:
            parameters = _parameters(processor)
            self._add(stream, "processor", accepted, int(parameters.get("BufferSizeInMBs", 1)) * _MB,
                      int(parameters.get("BufferIntervalInSeconds", 60)), self._transform)
        else:
            self._to_destination(stream, accepted)
        return [{"RecordId": record.record_id} for record in accepted]

    def _to_destination(self, stream, records: list[_Record]) -> None:
        kind, config = _destination(stream)
        if kind in _STORED_ONLY:
            return  # stored only: accepted, delivered nowhere
        hints = (_backup(stream) if kind == "Redshift" else config).get("BufferingHints") or {}
        self._add(stream, "destination", records, int(hints.get("SizeInMBs", 5)) * _MB,
                  int(hints.get("IntervalInSeconds", 300)), self._deliver)

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
            self._failed(stream, [(r, failure) for r in records], made, "processing-failed", lambda_arn)
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
        self._failed(stream, failed, made, "processing-failed", lambda_arn)
        self._to_destination(stream, delivered)

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

    # --- destinations ----------------------------------------------------------------------------------------------
    def _deliver(self, stream, records: list[_Record]) -> None:
        kind, config = _destination(stream)
        if kind in _S3_KINDS:
            self._write(stream, config, config.get("Prefix") or "", records)
        elif kind == "Redshift":
            self._write(stream, _backup(stream), _backup(stream).get("Prefix") or "", records)  # COPY not run
        elif kind == "HttpEndpoint":
            if config.get("S3BackupMode") == "AllData":
                self._write(stream, _backup(stream), _backup(stream).get("Prefix") or "", records)
            self._post(stream, config, records, new_uuid(self.sandbox.rng), self.sandbox.clock.time(), 0)

    def _write(self, stream, bucket_config: dict, prefix: str, records: list[_Record]) -> None:
        self._store(stream, bucket_config, prefix, b"".join(r.data for r in records))

    def _store(self, stream, bucket_config: dict, prefix: str, body: bytes) -> None:
        """One object in the bucket, named as Firehose names it (no bucket configured: nowhere to write)."""
        if not bucket_config.get("BucketARN"):
            return
        account = stream.delivery_stream_arn.split(":")[4]
        key = _key(prefix, stream, self.sandbox.clock.time(), self.sandbox.rng)
        state.put_s3_object(account, bucket_config["BucketARN"].split(":")[-1], key, body)

    def _post(self, stream, config: dict, records: list[_Record], request_id: str, first: float, made: int) -> None:
        """One attempt of an HTTP endpoint request; on failure a retry within the retry duration, then the error
        output."""
        now = self.sandbox.clock.time()
        headers, body = request_for(config, stream.delivery_stream_arn, request_id, [r.data for r in records],
                                    int(now * 1000))
        outcome = post(self.sandbox, (config.get("EndpointConfiguration") or {}).get("Url", ""), headers, body,
                       request_id)
        made += 1
        if outcome.delivered:
            return
        duration = int((config.get("RetryOptions") or {}).get("DurationInSeconds", 300))
        wait = min(_RETRY_FIRST_S * 2 ** (made - 1), _RETRY_MAX_S)
        if now + wait - first <= duration:
            self.sandbox.clock.call_later(wait, lambda: self._post(stream, config, records, request_id, first, made))
            return
        self._failed(stream, [(r, (outcome.code, outcome.message)) for r in records], made, "http-endpoint-failed")

    def _failed(self, stream, failed: list[tuple[_Record, tuple[str, str]]], attempts: int, output_type: str,
                lambda_arn: str | None = None) -> None:
        """Records Firehose gave up on, written to the (backup) bucket's error output, one JSON line each."""
        if not failed:
            return
        now = self.sandbox.clock.time()
        lines = []
        for record, (code, message) in failed:
            line = {"attemptsMade": attempts, "arrivalTimestamp": int(record.arrived_at * 1000), "errorCode": code,
                    "errorMessage": message, "attemptEndingTimestamp": int(now * 1000),
                    "rawData": base64.b64encode(record.data).decode("ascii")}
            if lambda_arn is not None:
                line["lambdaArn"] = lambda_arn
            lines.append(json.dumps(line))
        bucket = _backup(stream)
        prefix = (bucket.get("ErrorOutputPrefix") or f"{output_type}/").replace(
            "!{firehose:error-output-type}", output_type)
        self._store(stream, bucket, prefix, ("\n".join(lines) + "\n").encode())


def _destination(stream) -> tuple[str, dict]:
    """The stream's destination: its kind as moto names it (``ExtendedS3``, ``HttpEndpoint``, ...) and its
    configuration; ("", {}) for none."""
    for destination in stream.destinations:
        for kind in _KINDS:
            if kind in destination:
                return kind, destination[kind]
    return "", {}


def _backup(stream) -> dict:
    """The bucket configuration error output and backups go to: the S3 destination itself, or the other
    destinations' ``S3Configuration`` (moto keeps it as ``S3DestinationDescription``)."""
    kind, config = _destination(stream)
    if kind in _S3_KINDS:
        return config
    return config.get("S3Configuration") or config.get("S3DestinationDescription") or {}


def _processor(stream) -> dict | None:
    configuration = _destination(stream)[1].get("ProcessingConfiguration") or {}
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
