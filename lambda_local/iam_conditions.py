"""A policy statement's ``Condition`` block, evaluated against a request's context keys as IAM evaluates it.

Rules (IAM User Guide, "Condition element" and "Condition operators"): every operator in the block must match (AND),
every key under one operator must match (AND), any one of a key's values may match (OR) — for a negated operator
none may (NOR). Key names are case-insensitive, values are not (except the ``IgnoreCase`` operators). A key absent
from the request matches only a negated operator, ``...IfExists``, ``Null: true`` and ``ForAllValues:``.
Supported: the String, Numeric, Date, Bool, Arn, Null and IpAddress operators, with ``IfExists``,
``ForAnyValue:`` and ``ForAllValues:``. Policy variables in condition values are not substituted.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

__all__ = ["conditions_match", "glob_matches"]

Context = Mapping[str, Any]  # lower-cased key name -> a value or a list of values


@functools.lru_cache(maxsize=2048)
def _glob(pattern: str, ignore_case: bool = False) -> re.Pattern:
    # IAM's wildcards are * and ? only; fnmatch would also read [...] as a character class.
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex + r"\Z", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM's wildcard match (``*`` any run of characters, ``?`` one character), used for actions and resources."""
    return bool(_glob(pattern, ignore_case).match(value))


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _date(value) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    number = _number(value)
    if number is not None:
        return datetime.fromtimestamp(number, timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _compare(convert: Callable, test: Callable) -> Callable[[Any, str], bool]:
    def match(actual, expected) -> bool:
        a, e = convert(actual), convert(expected)
        return a is not None and e is not None and test(a, e)
    return match


def _arn_like(actual, pattern) -> bool:
    # ArnLike compares the six colon-separated parts one by one; a part of the pattern may hold wildcards.
    a_parts, p_parts = str(actual).split(":", 5), str(pattern).split(":", 5)
    return len(a_parts) == len(p_parts) == 6 and all(_glob(p).match(a) for a, p in zip(a_parts, p_parts))


def _bool(actual, expected) -> bool:
    return str(actual).lower() == str(expected).lower()


def _ip(actual, expected) -> bool:
    try:
        return ipaddress.ip_address(str(actual)) in ipaddress.ip_network(str(expected), strict=False)
    except ValueError:
        return False


# operator -> (value test, negated)
_OPERATORS: dict[str, tuple[Callable[[Any, Any], bool], bool]] = {
    "stringequals": (lambda a, e: str(a) == str(e), False),
    "stringnotequals": (lambda a, e: str(a) == str(e), True),
    "stringequalsignorecase": (lambda a, e: str(a).lower() == str(e).lower(), False),
    "stringnotequalsignorecase": (lambda a, e: str(a).lower() == str(e).lower(), True),
    "stringlike": (lambda a, e: bool(_glob(str(e)).match(str(a))), False),
    "stringnotlike": (lambda a, e: bool(_glob(str(e)).match(str(a))), True),
    "numericequals": (_compare(_number, lambda a, e: a == e), False),
    "numericnotequals": (_compare(_number, lambda a, e: a == e), True),
    "numericlessthan": (_compare(_number, lambda a, e: a < e), False),
    "numericlessthanequals": (_compare(_number, lambda a, e: a <= e), False),
    "numericgreaterthan": (_compare(_number, lambda a, e: a > e), False),
    "numericgreaterthanequals": (_compare(_number, lambda a, e: a >= e), False),
    "dateequals": (_compare(_date, lambda a, e: a == e), False),
    "datenotequals": (_compare(_date, lambda a, e: a == e), True),
    "datelessthan": (_compare(_date, lambda a, e: a < e), False),
    "datelessthanequals": (_compare(_date, lambda a, e: a <= e), False),
    "dategreaterthan": (_compare(_date, lambda a, e: a > e), False),
    "dategreaterthanequals": (_compare(_date, lambda a, e: a >= e), False),
    "bool": (_bool, False),
    "arnequals": (_arn_like, False),  # IAM documents ArnEquals and ArnLike as the same test
    "arnlike": (_arn_like, False),
    "arnnotequals": (_arn_like, True),
    "arnnotlike": (_arn_like, True),
    "ipaddress": (_ip, False),
    "notipaddress": (_ip, True),
}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _key_matches(operator: str, actual, expected: list) -> bool:
    """One key under one operator: ``actual`` is the request's value(s) or None when the key is absent."""
    set_operator, _, name = operator.rpartition(":")
    name = name.lower()
    if_exists = name.endswith("ifexists")
    name = name.removesuffix("ifexists")
    if name == "null":
        absent = actual is None or actual == []
        return any(_bool(absent, e) for e in expected)
    test, negated = _OPERATORS.get(name, (None, False))
    if test is None:
        return False  # an operator IAM does not know never matches (IAM rejects such a policy when it is saved)
    if actual is None:
        # An absent key: negated operators and IfExists match; ForAllValues over an empty set is true.
        return negated or if_exists or set_operator.lower() == "forallvalues"
    values = _as_list(actual)
    if set_operator.lower() == "forallvalues":
        return all(any(test(v, e) for e in expected) != negated for v in values)
    if set_operator.lower() == "foranyvalue":
        return any(any(test(v, e) for e in expected) != negated for v in values)
    hit = any(test(v, e) for v in values for e in expected)
    return not hit if negated else hit


def conditions_match(condition: Mapping[str, Mapping[str, Any]] | None, context: Context) -> bool:
    """Whether a statement's ``Condition`` block holds for a request with these context keys (lower-cased)."""
    if not condition:
        return True
    for operator, keys in condition.items():
        if not isinstance(keys, Mapping):
            return False
        for key, expected in keys.items():
            if not _key_matches(operator, context.get(key.lower()), _as_list(expected)):
                return False
    return True

