"""Event filtering for event source mappings (``FilterCriteria``): which records reach the function.

Lambda's filter grammar is EventBridge's event pattern grammar (exact values, ``null``, ``""``, ``prefix``,
``suffix``, ``anything-but``, ``numeric`` ranges, ``exists`` on leaf nodes, ``equals-ignore-case``, ``$or``), so
patterns are matched with moto's EventBridge matcher; this module adds what is Lambda's own:

* up to 5 filters, OR-ed: a record is delivered if any filter matches it;
* the record a pattern sees: an SQS record with its ``body`` parsed when it is JSON; the ``kinesis`` part of a
  Kinesis record with ``data`` base64-decoded (and parsed when JSON); a DynamoDB Streams record as it is;
* the body rules: a JSON pattern for ``body``/``data`` and a plain-string message (or the reverse) do not match;
  a pattern that says nothing of ``body``/``data`` filters on the other properties only;
* invalid patterns are refused when the mapping is created or updated (``InvalidParameterValueException``,
  "Invalid filter pattern definition.").

Records that match no filter are dropped: SQS deletes them, streams move their checkpoint past them.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from ..aws import state

__all__ = ["FilterSet", "InvalidFilterCriteria", "MAX_FILTERS", "parse_filter_criteria"]

MAX_FILTERS = 5  # "By default, you can define up to five different filters for a single event source mapping"
INVALID_PATTERN = "Invalid filter pattern definition."
_OPERATORS = {"prefix", "suffix", "anything-but", "numeric", "exists", "equals-ignore-case"}
_NUMERIC_OPERATORS = {"<", "<=", "=", ">=", ">"}
_PAYLOAD_KEYS = ("body", "data")  # the message itself (SQS: body; Kinesis: data), as opposed to its metadata


class InvalidFilterCriteria(ValueError):
    """A FilterCriteria that Lambda refuses; ``str(error)`` is AWS's message."""


@dataclass(frozen=True)
class FilterSet:
    """The parsed filters of one mapping; :meth:`matches` says whether a record is delivered."""

    patterns: tuple[dict, ...]

    def matches(self, view: dict) -> bool:
        return not self.patterns or any(_matches(pattern, view) for pattern in self.patterns)


def parse_filter_criteria(criteria: dict | None) -> FilterSet:
    """Check ``FilterCriteria`` as CreateEventSourceMapping does and parse its patterns."""
    filters = (criteria or {}).get("Filters") or []
    if len(filters) > MAX_FILTERS:
        raise InvalidFilterCriteria(INVALID_PATTERN)
    patterns = []
    for item in filters:
        raw = item.get("Pattern") if isinstance(item, dict) else None
        try:
            pattern = json.loads(raw) if isinstance(raw, str) else None
        except ValueError:
            pattern = None
        if not isinstance(pattern, dict) or not pattern or not _valid_node(pattern):
            raise InvalidFilterCriteria(INVALID_PATTERN)
        patterns.append(pattern)
    return FilterSet(tuple(patterns))


def _valid_node(node: dict) -> bool:
    for key, value in node.items():
        if key == "$or":
            if not (isinstance(value, list) and len(value) >= 2
                    and all(isinstance(v, dict) and v and _valid_node(v) for v in value)):
                return False
        elif isinstance(value, dict):
            if not value or not _valid_node(value):
                return False
        elif isinstance(value, list):
            if not value or not all(_valid_rule(rule) for rule in value):
                return False
        else:
            return False  # every value is an object or an array of rules
    return True


def _valid_rule(rule) -> bool:
    if rule is None or isinstance(rule, (str, int, float, bool)):
        return True  # exact match (null and "" included)
    if not isinstance(rule, dict) or len(rule) != 1:
        return False
    (operator, value), = rule.items()
    if operator not in _OPERATORS:
        return False
    if operator == "exists":
        return isinstance(value, bool)
    if operator == "equals-ignore-case":
        return isinstance(value, str)
    if operator in ("prefix", "suffix"):
        return isinstance(value, str) or (isinstance(value, dict) and list(value) == ["equals-ignore-case"]
                                          and isinstance(value["equals-ignore-case"], str))
    if operator == "numeric":
        return (isinstance(value, list) and len(value) in (2, 4)
                and all(op in _NUMERIC_OPERATORS for op in value[::2])
                and all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in value[1::2]))
    # anything-but: a value, a list of values, or a prefix/suffix/equals-ignore-case rule
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value)
    if isinstance(value, dict):
        return len(value) == 1 and next(iter(value)) in ("prefix", "suffix", "equals-ignore-case") \
            and isinstance(next(iter(value.values())), str)
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


# --- matching ----------------------------------------------------------------------------------------------------
def _matches(pattern: dict, view: dict) -> bool:
    for key in _PAYLOAD_KEYS:
        if key in pattern and key in view:
            wants_json = isinstance(pattern[key], dict)
            is_json = isinstance(view[key], (dict, list))
            if wants_json != is_json:
                return False  # a JSON pattern against a plain-text message, or the reverse: dropped
    return state.event_pattern_matches(pattern, view)  # Lambda's grammar is EventBridge's


def _payload(text: str):
    """A message's payload as filters see it: parsed when it is a JSON object or array, else the text itself."""
    try:
        value = json.loads(text)
    except (ValueError, TypeError):
        return text
    return value if isinstance(value, (dict, list)) else text


def sqs_view(record: dict) -> dict:
    """What a pattern sees of an SQS record: the record, with a JSON body parsed."""
    return {**record, "body": _payload(record.get("body") or "")}


def kinesis_view(record: dict) -> dict:
    """What a pattern sees of a Kinesis record: its ``kinesis`` part, with ``data`` decoded from base64."""
    kinesis = dict(record.get("kinesis") or {})
    try:
        kinesis["data"] = _payload(base64.b64decode(kinesis.get("data") or "").decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        pass  # not UTF-8 text: left as it is, so a data pattern never matches it
    return kinesis


def dynamodb_view(record: dict) -> dict:
    """A DynamoDB Streams record is matched as it is (``eventName``, ``dynamodb.NewImage`` ...)."""
    return record
