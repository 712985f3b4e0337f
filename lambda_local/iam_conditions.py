"""A policy statement's ``Condition`` block, evaluated against a request's context keys as IAM evaluates it.

Rules (IAM User Guide, "Condition element", "Condition operators" and "Single-valued vs. multivalued context keys"):
every operator in the block must match (AND), every key under one operator must match (AND), any one of a key's values
may match (OR) — for a negated operator none may (NOR). Key names are case-insensitive, values are not (except the
``IgnoreCase`` operators). A key absent from the request matches only a negated operator, ``...IfExists``,
``Null: true`` and ``ForAllValues:`` (an empty set: every member matches); ``ForAnyValue:`` over an absent key is
false. Supported: the String, Numeric, Date, Bool, Binary, Arn, Null and IpAddress operators, with ``IfExists``,
``ForAnyValue:`` and ``ForAllValues:``. In a policy of ``Version`` 2012-10-17 the values of the String, Arn and Bool
operators may hold policy variables (``iam_variables``); a value whose variable cannot be resolved matches nothing,
and makes a negated operator fail (the statement cannot be evaluated, so it does not apply).
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import re
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from .iam_variables import LITERAL_QUESTION, LITERAL_STAR, plain, substitute

__all__ = ["conditions_match", "glob_matches"]

Context = Mapping[str, Any]  # lower-cased key name -> a value or a list of values


_GLOB_PARTS = {"*": ".*", "?": ".", LITERAL_STAR: re.escape("*"), LITERAL_QUESTION: re.escape("?")}


@functools.lru_cache(maxsize=2048)
def _glob(pattern: str, ignore_case: bool = False) -> re.Pattern:
    # IAM's wildcards are * and ? only; fnmatch would also read [...] as a character class. A * or ? a policy
    # variable put in (``${*}``, a tag value) is a literal character (iam_variables).
    regex = "".join(_GLOB_PARTS.get(c) or re.escape(c) for c in pattern)
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


def _binary(actual, expected) -> bool:
    # BinaryEquals compares the key's bytes with the policy's base64 text.
    try:
        return base64.b64decode(str(expected), validate=True) == (
            actual if isinstance(actual, bytes) else base64.b64decode(str(actual), validate=True))
    except ValueError:
        return False


def _ip(actual, expected) -> bool:
    try:
        return ipaddress.ip_address(str(actual)) in ipaddress.ip_network(str(expected), strict=False)
    except ValueError:
        return False


# operator -> (value test, negated)
_OPERATORS: dict[str, tuple[Callable[[Any, Any], bool], bool]] = {
    "stringequals": (lambda a, e: str(a) == plain(str(e)), False),
    "stringnotequals": (lambda a, e: str(a) == plain(str(e)), True),
    "stringequalsignorecase": (lambda a, e: str(a).lower() == plain(str(e)).lower(), False),
    "stringnotequalsignorecase": (lambda a, e: str(a).lower() == plain(str(e)).lower(), True),
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
    "binaryequals": (_binary, False),
    "arnequals": (_arn_like, False),  # IAM documents ArnEquals and ArnLike as the same test
    "arnlike": (_arn_like, False),
    "arnnotequals": (_arn_like, True),
    "arnnotlike": (_arn_like, True),
    "ipaddress": (_ip, False),
    "notipaddress": (_ip, True),
}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


# The operators whose values may hold policy variables: String and Arn ("IAM policy elements: Variables and tags"),
# and Bool ("Condition operators" says so in its Boolean section, though the variables page leaves it out).
_VARIABLE_OPERATORS = ("string", "arn", "bool")


def _key_matches(operator: str, actual, expected: list, variables: Context | None) -> bool:
    """One key under one operator: ``actual`` is the request's value(s) or None when the key is absent;
    ``variables`` is the request context to resolve policy variables from (None: the policy has none)."""
    set_operator, _, name = operator.rpartition(":")
    set_operator, name = set_operator.lower(), name.lower()
    if_exists = name.endswith("ifexists")
    name = name.removesuffix("ifexists")
    if name == "null":
        absent = actual is None or actual == []
        return any(_bool(absent, e) for e in expected)
    test, negated = _OPERATORS.get(name, (None, False))
    if test is None:
        return False  # an operator IAM does not know never matches (IAM rejects such a policy when it is saved)
    if actual is None:
        # An absent key: ForAllValues holds over the empty set, ForAnyValue does not; otherwise negated operators
        # and IfExists match.
        if set_operator == "forallvalues":
            return True
        return if_exists or (negated and set_operator != "foranyvalue")
    if variables is not None and name.startswith(_VARIABLE_OPERATORS):
        resolved = [substitute(e, variables) if isinstance(e, str) else e for e in expected]
        if None in resolved and negated:
            return False  # an unresolved variable: the condition cannot be evaluated
        expected = [e for e in resolved if e is not None]
    values = _as_list(actual)
    if set_operator == "forallvalues":
        return all(any(test(v, e) for e in expected) != negated for v in values)
    if set_operator == "foranyvalue":
        return any(any(test(v, e) for e in expected) != negated for v in values)
    hit = any(test(v, e) for v in values for e in expected)
    return not hit if negated else hit


def conditions_match(condition: Mapping[str, Mapping[str, Any]] | None, context: Context,
                     variables: bool = False) -> bool:
    """Whether a statement's ``Condition`` block holds for a request with these context keys (lower-cased);
    ``variables``: the policy's version has policy variables (``iam_variables.uses_variables``)."""
    if not condition:
        return True
    for operator, keys in condition.items():
        if not isinstance(keys, Mapping):
            return False
        for key, expected in keys.items():
            if not _key_matches(operator, context.get(key.lower()), _as_list(expected),
                                context if variables else None):
                return False
    return True
