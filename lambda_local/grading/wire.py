"""The grader's wire format between the grading process (which holds the checks) and the learner's process (which
runs the learner's code in a sandbox): one JSON object per line, in both directions.

Only JSON crosses the pipe, never pickle: what the learner's process sends is untrusted data, and unpickling it
would run code in the grading process. Values JSON has no type for travel as tagged objects:

>>> decode(json.loads(json.dumps(encode({"zip": b"PK", 128: (1.5, None)}))))
{'zip': b'PK', 128: (1.5, None)}
"""

from __future__ import annotations

import base64
import json
import math
from datetime import datetime
from decimal import Decimal
from typing import Any

__all__ = ["MAX_LINE", "Opaque", "decode", "dumps", "encode"]

MAX_LINE = 64 * 1024 * 1024  # a 6 MB payload in base64, with room; a longer line is a protocol error


class Opaque:
    """A value of the learner's that JSON cannot carry (an object of their own class): shown by its ``repr`` only.

    >>> Opaque("<Thing>") == Opaque("<Thing>"), repr(Opaque("<Thing>"))
    (True, '<Thing>')
    """

    def __init__(self, text: str):
        self.text = str(text)[:500]

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other) -> bool:
        return isinstance(other, Opaque) and other.text == self.text
    # Defining __eq__ leaves __hash__ None: an Opaque is compared by its text, never used as a key.


def encode(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON-ready data, with tags for bytes, tuples, non-string keys, Decimals, datetimes and
    non-finite floats; anything else becomes an :class:`Opaque` repr."""
    if depth > 50:
        return {"$opaque": "<nested too deeply>"}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: encode(v, depth + 1) for k, v in value.items()}
        return {"$dict": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, Opaque):
        return {"$opaque": value.text}
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a learner's __repr__ may raise anything
        text = f"<{type(value).__name__} object>"
    return {"$opaque": text[:500]}


def decode(data: Any) -> Any:
    """The inverse of :func:`encode`, for data that came through ``json.loads`` (so only JSON types reach it)."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if len(data) == 1:
        (tag, inner), = data.items()
        if tag == "$bytes" and isinstance(inner, str):
            return base64.b64decode(inner)
        if tag == "$tuple" and isinstance(inner, list):
            return tuple(decode(v) for v in inner)
        if tag == "$dict" and isinstance(inner, list):
            return {_hashable(decode(pair[0])): decode(pair[1]) for pair in inner
                    if isinstance(pair, list) and len(pair) == 2}
        if tag == "$decimal" and isinstance(inner, str):
            return Decimal(inner)
        if tag == "$float" and inner in ("inf", "-inf", "nan"):
            return float(inner)
        if tag == "$datetime" and isinstance(inner, str):
            return datetime.fromisoformat(inner)
        if tag == "$opaque":
            return Opaque(inner)
    return {k: decode(v) for k, v in data.items()}


def _hashable(key: Any) -> Any:
    return key if isinstance(key, (str, int, float, bool, tuple, bytes, Decimal, type(None))) else repr(key)


def dumps(message: dict) -> bytes:
    """One message as a line of the wire."""
    return json.dumps(encode(message), separators=(",", ":")).encode("utf-8") + b"\n"
