"""Policy variables: ``${aws:username}``, ``${aws:PrincipalTag/team, 'none'}``, ``${*}`` in a policy's ``Resource``
and in the values of its String, Arn and Bool conditions, replaced by the request's context keys when IAM evaluates
them.

Rules (IAM User Guide, "IAM policy elements: Variables and tags"):

* only in a policy whose ``Version`` is ``2012-10-17``; under ``2008-10-17`` (or with no ``Version``) ``${...}`` is a
  literal string;
* a variable names a context key, case-insensitively; a key the request does not have, or one with several values
  (``aws:TagKeys``), leaves the variable unresolved, and then the element holding it matches nothing — unless the
  variable gives a default, ``${key, 'default'}`` (a quote inside the default is written twice);
* ``${*}``, ``${?}`` and ``${$}`` stand for the literal characters ``*``, ``?`` and ``$``;
* one pass: what a variable is replaced with is never read for variables again.

What is substituted is literal text: a ``*`` in a tag value is not a wildcard. So that the wildcard matcher can tell
the two apart, :func:`substitute` returns the value with literal ``*`` and ``?`` written as private-use characters
(:data:`LITERAL_STAR`, :data:`LITERAL_QUESTION`); :func:`plain` turns them back for the equality operators.

>>> substitute("home/${aws:username}/*", {"aws:username": "ana"}) == "home/ana/*"
True
>>> substitute("${aws:username}", {}) is None
True
>>> substitute("${aws:PrincipalTag/team, 'none'}", {})
'none'
>>> substitute("${aws:PrincipalTag/team, 'it''s'}", {"aws:principaltag/team": "blue"}), substitute("${x, 'it''s'}", {})
('blue', "it's")
>>> plain(substitute("a${*}b${$}", {}))
'a*b$'
"""

from __future__ import annotations

import re
from typing import Any, Mapping

__all__ = ["LITERAL_QUESTION", "LITERAL_STAR", "VARIABLES_VERSION", "names", "plain", "substitute", "uses_variables"]

VARIABLES_VERSION = "2012-10-17"  # the policy language version that introduced variables
LITERAL_STAR, LITERAL_QUESTION = "\ue000", "\ue001"
_LITERALS = {"*": LITERAL_STAR, "?": LITERAL_QUESTION, "$": "$"}

# ${name} or ${name, 'default'}; the default's quotes are doubled inside it. Spaces around the parts are ignored.
_VARIABLE = re.compile(r"\$\{\s*([^{},'\s]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?\}")


def uses_variables(version: Any) -> bool:
    """Whether a policy with this ``Version`` element has variables (rather than literal ``${...}`` text)."""
    return version == VARIABLES_VERSION


def _literal(text: str) -> str:
    return text.replace("*", LITERAL_STAR).replace("?", LITERAL_QUESTION)


def substitute(value: str, context: Mapping[str, Any]) -> str | None:
    """``value`` with its variables replaced from ``context`` (key names lower-cased); None when one of them cannot
    be resolved and has no default. Substituted text has its ``*`` and ``?`` as literal characters."""
    if "${" not in value:
        return value
    unresolved = False

    def replace(match: re.Match) -> str:
        nonlocal unresolved
        name, default = match.group(1), match.group(2)
        if name in _LITERALS:
            return _LITERALS[name]
        found = context.get(name.lower())
        if isinstance(found, (list, tuple)):
            found = None  # a multivalued key cannot be a variable
        if found is None:
            if default is None:
                unresolved = True
                return ""
            return _literal(default.replace("''", "'"))
        if isinstance(found, bool):
            found = "true" if found else "false"
        return _literal(str(found))

    result = _VARIABLE.sub(replace, value)
    return None if unresolved else result


def names(value: str) -> list[str]:
    """The context keys (lower-cased) the variables of ``value`` read."""
    return [m.group(1).lower() for m in _VARIABLE.finditer(value) if m.group(1) not in _LITERALS]


def plain(value: str) -> str:
    """A substituted value as the text it stands for (literal ``*`` and ``?`` back as themselves)."""
    return value.replace(LITERAL_STAR, "*").replace(LITERAL_QUESTION, "?")
