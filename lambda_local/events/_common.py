"""What every event builder shares: ids, times, ARNs, argument checks and message attributes.

Nothing here knows about a particular event shape; the service modules do.
"""

from __future__ import annotations

import base64
import json
import math
import random
import re
import string
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Union

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
DEFAULT_PARTITION = "aws"

#: A moment: a ``datetime`` (naive means UTC), epoch seconds, an ISO-8601 string, or None for now.
TimeLike = Union[datetime, int, float, str, None]

# Ids must be unguessable when nobody asked for reproducibility, hence the system source.
_SYSTEM_RANDOM = random.SystemRandom()

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_LOWER_ALNUM = string.ascii_lowercase + string.digits
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# DNS suffixes as botocore's partitions.json lists them; "eusc" is the European Sovereign Cloud.
_DNS_SUFFIXES = {
    "aws": "amazonaws.com",
    "aws-cn": "amazonaws.com.cn",
    "aws-us-gov": "amazonaws.com",
    "aws-iso": "c2s.ic.gov",
    "aws-iso-b": "sc2s.sgov.gov",
    "aws-iso-e": "cloud.adc-e.uk",
    "aws-iso-f": "csp.hci.ic.gov",
    "aws-eusc": "amazonaws.eu",
}
_REGION_RE = re.compile(r"[a-z]{2,4}(-[a-z]+)+-\d{1,2}")
_ACCOUNT_RE = re.compile(r"\d{12}")


# --- ids -------------------------------------------------------------------------------------

def _source(rng: random.Random | None) -> random.Random:
    return _SYSTEM_RANDOM if rng is None else rng


def new_uuid(rng: random.Random | None = None) -> str:
    """A version-4 UUID string, reproducible when ``rng`` is given.

    >>> new_uuid(random.Random(1))
    'cd613e30-d8f1-4adf-91b7-584a2265b1f5'
    """
    if rng is None:
        return str(uuid.uuid4())
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def given(value: Any, fallback: Any) -> Any:
    """``value`` unless it is None.

    Fallbacks are drawn even when unused so that, with a seeded ``rng``, overriding one id
    leaves every other id of the event unchanged.
    """
    return fallback if value is None else value


def random_hex(length: int, rng: random.Random | None = None, *, upper: bool = False) -> str:
    """``length`` hex digits, e.g. ``random_hex(16, upper=True)`` for an S3 request id."""
    text = format(_source(rng).getrandbits(4 * length), f"0{length}x")
    return text.upper() if upper else text


def random_chars(length: int, rng: random.Random | None = None, alphabet: str = _LOWER_ALNUM) -> str:
    """``length`` characters drawn from ``alphabet`` (lower-case letters and digits by default)."""
    source = _source(rng)
    return "".join(source.choice(alphabet) for _ in range(length))


def random_digits(length: int, rng: random.Random | None = None) -> str:
    """``length`` decimal digits, e.g. for log event ids."""
    return random_chars(length, rng, string.digits)


def random_base64(nbytes: int, rng: random.Random | None = None) -> str:
    """Base64 of ``nbytes`` random bytes, the look of receipt handles and signatures."""
    return base64.b64encode(_source(rng).randbytes(nbytes)).decode("ascii")


def time_sequence(when: datetime, length: int, rng: random.Random | None = None) -> str:
    """A decimal sequence number of ``length`` digits that grows with ``when``.

    Streams and queues promise increasing sequence numbers, so the time leads and random
    digits only break ties.

    >>> len(time_sequence(to_datetime(0), 21, random.Random(1)))
    21
    """
    micros = str(max(0, epoch_micros(when))).zfill(16)
    return (micros + random_digits(max(0, length - len(micros)), rng))[:length]


# --- time ------------------------------------------------------------------------------------

def to_datetime(when: TimeLike = None) -> datetime:
    """An aware UTC ``datetime`` from any :data:`TimeLike`; None means now.

    >>> to_datetime(0).isoformat()
    '1970-01-01T00:00:00+00:00'
    >>> to_datetime("2020-03-12T19:03:58Z").year
    2020
    """
    if when is None:
        return datetime.now(timezone.utc)
    if isinstance(when, datetime):
        return _as_utc(when)
    if isinstance(when, bool) or not isinstance(when, (int, float, str)):
        raise TypeError(f"time must be a datetime, epoch seconds or an ISO-8601 string, not {type(when).__name__}")
    if isinstance(when, str):
        return _parse_time_text(when)
    return _from_epoch(when)


def _as_utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        return when.replace(tzinfo=timezone.utc)
    try:
        return when.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it
        raise ValueError(f"time {when.isoformat()} falls outside the years 1 to 9999 in UTC") from None


def _parse_time_text(text: str) -> datetime:
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return _from_epoch(seconds)
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"time {text!r} is neither epoch seconds nor an ISO-8601 date-time") from None
    return _as_utc(parsed)


def _from_epoch(seconds: float) -> datetime:
    if not math.isfinite(seconds):
        raise ValueError(f"time {seconds!r} is not a finite number of seconds")
    try:
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"time {seconds!r} is out of range for a date") from None


def iso_millis(when: datetime) -> str:
    """``2020-03-12T19:03:58.000Z``: S3, SNS and SQS write times like this."""
    return when.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def iso_seconds(when: datetime) -> str:
    """``2020-03-12T19:03:58Z``: EventBridge writes times like this."""
    return when.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def clf_time(when: datetime) -> str:
    """``12/Mar/2020:19:03:58 +0000``, API Gateway's request time.

    Spelled out instead of ``strftime("%b")``, which follows the process locale.
    """
    return (f"{when.day:02d}/{_MONTHS[when.month - 1]}/{when.year:04d}:"
            f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} +0000")


def epoch_millis(when: datetime) -> int:
    """Whole milliseconds since 1970, as SQS attributes and API Gateway carry them."""
    return (when - _EPOCH) // timedelta(milliseconds=1)  # exact, unlike timestamp() * 1000


def epoch_micros(when: datetime) -> int:
    """Whole microseconds since 1970, the leading part of sequence numbers."""
    return (when - _EPOCH) // timedelta(microseconds=1)


def epoch_seconds(when: datetime) -> float:
    """Seconds since 1970 with millisecond precision, as Kinesis carries them."""
    return round(when.timestamp(), 3)


# --- where: account, region, partition, ARNs -------------------------------------------------

def check_location(region: str, account_id: str = DEFAULT_ACCOUNT_ID, partition: str = DEFAULT_PARTITION) -> None:
    """Reject a region, account id or partition AWS could not have produced.

    A typo here would otherwise surface much later as an ARN nothing matches.
    """
    if not isinstance(region, str) or not _REGION_RE.fullmatch(region):
        raise ValueError(f"region {region!r} does not look like an AWS Region such as 'us-east-1'")
    if not isinstance(account_id, str) or not _ACCOUNT_RE.fullmatch(account_id):
        raise ValueError(f"account id {account_id!r} must be 12 digits")
    if partition not in _DNS_SUFFIXES:
        raise ValueError(f"partition {partition!r} is not one of {', '.join(sorted(_DNS_SUFFIXES))}")


def dns_suffix(partition: str = DEFAULT_PARTITION) -> str:
    """The domain AWS endpoints live under in ``partition``, e.g. ``amazonaws.com``."""
    return _DNS_SUFFIXES[partition]


def arn(service: str, resource: str, *, region: str = "", account_id: str = "",
        partition: str = DEFAULT_PARTITION) -> str:
    """An ARN; global services (S3, IAM) leave region and account empty.

    >>> arn("sqs", "MyQueue", region="us-east-1", account_id="123456789012")
    'arn:aws:sqs:us-east-1:123456789012:MyQueue'
    """
    return f"arn:{partition}:{service}:{region}:{account_id}:{resource}"


# --- argument checks ---------------------------------------------------------------------------

def check_choice(value: Any, allowed: Sequence[str], name: str) -> str:
    """``value`` if it is one of ``allowed``, else a ValueError naming the choices."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def check_int(value: Any, name: str, *, minimum: int = 0) -> int:
    """``value`` if it is an int of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value}")
    return value


def str_map(value: Mapping[str, str] | None, name: str) -> dict[str, str]:
    """A copy of a string-to-string mapping; None is empty."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping of strings to strings, not {type(value).__name__}")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise TypeError(f"{name} must map strings to strings; {key!r}: {item!r} does not")
    return dict(value)


def str_list(value: Sequence[str] | None, name: str) -> list[str]:
    """A copy of a list of strings; None is empty, and a lone string is not a list."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a list of strings, not {type(value).__name__}")
    if not all(isinstance(item, str) for item in value):
        raise TypeError(f"{name} must contain only strings")
    return list(value)


def json_object(value: str | Mapping[str, Any] | None, name: str) -> dict[str, Any]:
    """A dict from a mapping or from JSON text holding an object (what PutEvents takes as Detail)."""
    if value is None:
        return {}
    if isinstance(value, str):
        value = parse_json(value, name)
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a JSON object, not {type(value).__name__}")
    return dict(value)


def parse_json(text: str, name: str) -> Any:
    """``json.loads`` whose error names the argument."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"{name} is not valid JSON: {error}") from None


def utf8(value: str | bytes, name: str) -> bytes:
    """The bytes AWS would carry for ``value``: str as UTF-8, bytes as they are."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str or bytes, not {type(value).__name__}")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{name} contains characters that are not valid Unicode (lone surrogates)") from None


def b64(data: bytes) -> str:
    """Base64 text of ``data``."""
    return base64.b64encode(data).decode("ascii")


def records_event(records: Sequence[Mapping[str, Any]], service: str) -> dict[str, list]:
    """``{"Records": [...]}``, the envelope of S3, SQS, SNS, DynamoDB and Kinesis batches."""
    if not records:
        raise ValueError(f"a {service} event holds at least one record; Lambda never sends an empty batch")
    for record in records:
        if not isinstance(record, Mapping):
            raise TypeError(f"{service} records must be dicts, not {type(record).__name__}")
    return {"Records": [dict(record) for record in records]}


# --- message attributes (SQS and SNS) ------------------------------------------------------------

def normalize_attributes(attributes: Mapping[str, Any] | None) -> list[tuple[str, str, str | bytes]]:
    """Normalise message attributes to ``(name, data type, value)`` triples sorted by name.

    Accepts plain values (str is ``String``, int and float are ``Number``, bytes is ``Binary``)
    or the boto3 ``SendMessage``/``Publish`` shape ``{"DataType": ..., "StringValue"|"BinaryValue": ...}``
    that moto stores (lower-case keys, as in Lambda's own SQS records, work too).

    >>> normalize_attributes({"n": 3, "s": {"DataType": "String", "StringValue": "x"}})
    [('n', 'Number', '3'), ('s', 'String', 'x')]
    """
    if attributes is None:
        return []
    if not isinstance(attributes, Mapping):
        raise TypeError(f"message attributes must be a mapping, not {type(attributes).__name__}")
    return [(_attribute_name(name), *_attribute_value(name, value)) for name, value in sorted(attributes.items())]


def _attribute_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise TypeError(f"message attribute names must be non-empty strings; got {name!r}")
    return name


def _attribute_value(name: str, value: Any) -> tuple[str, str | bytes]:
    if isinstance(value, bool):
        raise TypeError(f"message attribute {name!r}: booleans have no SQS/SNS type; send 'true' or 1")
    if isinstance(value, str):
        return "String", value
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"message attribute {name!r}: {value} is not a number SQS/SNS accept")
        return "Number", str(value)
    if isinstance(value, (bytes, bytearray)):
        return "Binary", bytes(value)
    if isinstance(value, Mapping):
        return _typed_attribute_value(name, {key[:1].lower() + key[1:]: item for key, item in value.items()})
    raise TypeError(f"message attribute {name!r} must be str, number, bytes or a DataType mapping")


def _typed_attribute_value(name: str, value: Mapping[str, Any]) -> tuple[str, str | bytes]:
    data_type = value.get("dataType")
    if not isinstance(data_type, str) or not data_type:
        raise ValueError(f"message attribute {name!r} needs a DataType")
    if data_type.startswith("Binary"):
        binary = value.get("binaryValue")
        if isinstance(binary, str):  # Lambda and JSON carry binary values as base64 text
            try:
                binary = base64.b64decode(binary, validate=True)
            except ValueError:
                raise ValueError(f"message attribute {name!r}: BinaryValue is not base64") from None
        if not isinstance(binary, (bytes, bytearray)):
            raise TypeError(f"message attribute {name!r}: a {data_type} attribute needs a BinaryValue")
        return data_type, bytes(binary)
    text = value.get("stringValue")
    if not isinstance(text, str):
        raise TypeError(f"message attribute {name!r}: a {data_type} attribute needs a string StringValue")
    return data_type, text
