"""orjson's ``loads`` and ``dumps`` over the standard :mod:`json` module, for the browser (no wasm build on PyPI).

Only what the course's libraries call: ``dumps`` returns UTF-8 bytes as orjson's does; ``OPT_INDENT_2`` and
``OPT_SORT_KEYS`` are honoured, other options are accepted and ignored.
"""

import json as _json

__version__ = "3.11.0+lite"

OPT_INDENT_2 = 1
OPT_SORT_KEYS = 1 << 5
OPT_APPEND_NEWLINE = 1 << 10
OPT_NON_STR_KEYS = 1 << 2
OPT_SERIALIZE_NUMPY = 1 << 4
OPT_NAIVE_UTC = 1 << 1
OPT_OMIT_MICROSECONDS = 1 << 3
OPT_UTC_Z = 1 << 9
OPT_STRICT_INTEGER = 1 << 8
OPT_PASSTHROUGH_DATACLASS = 1 << 11
OPT_PASSTHROUGH_DATETIME = 1 << 12
OPT_PASSTHROUGH_SUBCLASS = 1 << 13
OPT_SERIALIZE_DATACLASS = 0
OPT_SERIALIZE_UUID = 0


class JSONDecodeError(_json.JSONDecodeError):
    """Raised by :func:`loads` on invalid JSON (a ``ValueError``, as orjson's is)."""


JSONEncodeError = TypeError


def loads(data):
    """Parse JSON from ``bytes``, ``bytearray``, ``memoryview`` or ``str``."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data).decode("utf-8")
    try:
        return _json.loads(data)
    except _json.JSONDecodeError as error:
        raise JSONDecodeError(error.msg, error.doc, error.pos) from None


def dumps(obj, default=None, option=None):
    """Serialize ``obj`` to compact JSON as UTF-8 bytes."""
    option = option or 0
    text = _json.dumps(obj, default=default, ensure_ascii=False, sort_keys=bool(option & OPT_SORT_KEYS),
                       indent=2 if option & OPT_INDENT_2 else None,
                       separators=None if option & OPT_INDENT_2 else (",", ":"))
    if option & OPT_APPEND_NEWLINE:
        text += "\n"
    return text.encode("utf-8")
