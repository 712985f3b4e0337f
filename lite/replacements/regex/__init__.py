"""The ``regex`` module's API over the standard :mod:`re`, for the browser (``regex`` is a C extension with no browser
build on PyPI or npm).

cfn-lint imports ``regex`` for its resource schemas' patterns, which use what ``re`` has not: Unicode property
classes (``\\p{L}``, ``\\p{Zs}``, ``\\P{C}``, ``\\p{Graph}``), each written out here as the code point ranges of
its general categories (:mod:`unicodedata`: this Python's Unicode version, which may be older than regex's own
tables), and a few things ``regex`` accepts and ``re`` refuses (``_translate``). The rest is ``re``'s, which
``regex``'s default behaviour (``VERSION0``) is compatible with. Not carried over: ``\\b`` next to a combining mark
(regex counts marks as word characters), and regex's own extensions (fuzzy matching, ``VERSION1`` sets, timeouts).
"""

import functools as _functools
import re as _re
import unicodedata as _unicodedata
import warnings as _warnings
from re import *  # noqa: F403 - flags, error, Pattern, Match, escape, purge: the same names as regex's
from re import error

__version__ = "2026.11.19+lite"

_MAX = 0x110000
_PROPERTY = _re.compile(r"\\([pP])(?:\{\^?([A-Za-z_&]+)\}|([A-Za-z]))")
_GLOBAL_FLAGS = _re.compile(r"\(\?([aiLmsux]+)\)")


@_functools.cache
def _categories() -> dict:
    """Every general category (``Lu``, ``Zs``, ``Cn``...) as its sorted list of ``(first, last)`` code points."""
    ranges: dict = {}
    start, current = 0, _unicodedata.category("\x00")
    for code in range(1, _MAX + 1):
        category = _unicodedata.category(chr(code)) if code < _MAX else None
        if category != current:
            ranges.setdefault(current, []).append((start, code - 1))
            start, current = code, category
    return ranges


def _merge(ranges):
    merged = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _complement(ranges):
    result, start = [], 0
    for first, last in ranges:
        if first > start:
            result.append((start, first - 1))
        start = last + 1
    if start < _MAX:
        result.append((start, _MAX - 1))
    return result


def _general(names) -> list:
    categories = _categories()
    return _merge(r for name, found in categories.items() if name in names for r in found)


@_functools.cache
def _property(name: str) -> tuple:
    """The code point ranges of property ``name``, as regex names them: a general category (``L``, ``Lu``), ASCII,
    Any, or the POSIX classes Graph and Print (regex's definitions)."""
    categories = _categories()
    key = name.replace("_", "").lower()
    if key == "ascii":
        return ((0, 0x7F),)
    if key == "any":
        return ((0, _MAX - 1),)
    if key in ("graph", "print"):
        # Graph: not whitespace, control, surrogate or unassigned. Print: Graph and the blanks, less controls.
        invisible = {"Cc", "Cs", "Cn", "Zl", "Zp"} | ({"Zs"} if key == "graph" else set())
        return tuple(_general(set(categories) - invisible))
    matching = {c for c in categories if c == name or (len(name) == 1 and c[0] == name)}
    if not matching:
        raise error(f"unknown property at position 0: {name!r}")
    return tuple(_general(matching))


def _class_text(ranges) -> str:
    return "".join(f"\\U{first:08x}" if first == last else f"\\U{first:08x}-\\U{last:08x}" for first, last in ranges)


def _literal_dash(pattern: str, index: int, out: list) -> int:
    """regex reads a "-" after a class (``[\\s-_]``, ``[\\p{L}-_]``) as a literal one, re as a bad range."""
    if pattern.startswith("-", index) and not pattern.startswith("-]", index):
        out.append("\\-")
        return index + 1
    return index


@_functools.lru_cache(maxsize=1024)
def _translate(pattern: str) -> str:
    r"""``pattern`` as ``re`` reads what ``regex`` reads in it: ``\p{X}``/``\P{X}`` written out as code point
    ranges, ``\w`` with Unicode's marks, a "-" after a class escape inside a class escaped, inline global flags
    moved to the start, a repeated ``$`` once."""
    if not any(part in pattern for part in ("\\", "${", "(?")):
        return pattern
    out, index, in_class, class_start, flags = [], 0, False, -1, ""
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            found = _PROPERTY.match(pattern, index)
            if found:
                name = found.group(2) or found.group(3)
                negated = (found.group(1) == "P") != pattern.startswith("{^", index + 2)
                ranges = _property(name)
                text = _class_text(_complement(ranges) if negated else ranges)
                out.append(text if in_class else f"[{text}]")
                index = found.end()
                if in_class:
                    index = _literal_dash(pattern, index, out)
                continue
            if pattern.startswith("w", index + 1):
                # regex's \w is Unicode's word characters: re's, and the marks and connector punctuation.
                text = "\\w" + _class_text(_property("M") + _property("Pc") + ((0x200C, 0x200D),))
                out.append(text if in_class else f"[{text}]")
            else:
                out.append(pattern[index:index + 2])
            index += 2
            if in_class and pattern[index - 1] in "sSdDwW":
                index = _literal_dash(pattern, index, out)
            continue
        if not in_class and char == "[":
            # A "]" right after "[" or "[^" is a literal one, not the end of the class.
            in_class, class_start = True, index + 1 if pattern.startswith("[^", index) else index
        elif in_class and char == "]" and index > class_start + 1:
            in_class = False
        elif not in_class and char == "(" and index and _GLOBAL_FLAGS.match(pattern, index):
            # regex (VERSION0) applies "(?i)" anywhere to the whole pattern; re only takes it at the start.
            found = _GLOBAL_FLAGS.match(pattern, index)
            flags += found.group(1)
            index = found.end()
            continue
        elif not in_class and char == "$" and pattern.startswith("{", index + 1):
            char = "(?:$)"  # regex repeats an anchor ("$ {1,128}"), re cannot: the same match, once
        out.append(char)
        index += 1
    return (f"(?{flags})" if flags else "") + "".join(out)


def _pattern(pattern):
    return _translate(pattern) if isinstance(pattern, str) else pattern  # bytes, or a compiled pattern


def compile(pattern, flags=0):
    """``re.compile``, Unicode property classes included."""
    with _warnings.catch_warnings():
        # "Possible set union/nested set": re's warnings about what regex's VERSION1 would read differently.
        _warnings.simplefilter("ignore", FutureWarning)
        return _re.compile(_pattern(pattern), flags)


def match(pattern, string, flags=0):
    return compile(pattern, flags).match(string)


def fullmatch(pattern, string, flags=0):
    return compile(pattern, flags).fullmatch(string)


def search(pattern, string, flags=0):
    return compile(pattern, flags).search(string)


def findall(pattern, string, flags=0):
    return compile(pattern, flags).findall(string)


def finditer(pattern, string, flags=0):
    return compile(pattern, flags).finditer(string)


def sub(pattern, repl, string, count=0, flags=0):
    return compile(pattern, flags).sub(repl, string, count=count)


def subn(pattern, repl, string, count=0, flags=0):
    return compile(pattern, flags).subn(repl, string, count=count)


def split(pattern, string, maxsplit=0, flags=0):
    return compile(pattern, flags).split(string, maxsplit=maxsplit)
