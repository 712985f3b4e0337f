"""Why a check did not pass; its own module, so the grader's parts can all use it without importing each other."""

from __future__ import annotations

__all__ = ["Failure"]


class Failure(Exception):
    """Why a check did not pass: what was ``expected``, what was ``got``, and a ``hint`` towards the fix.

    Return it from a check function, or raise it from anywhere inside one.

    >>> print(Failure(expected="statusCode 200", got="statusCode 500", hint="catch the KeyError"))
    Expected: statusCode 200
    Got:      statusCode 500
    Hint:     catch the KeyError
    """

    def __init__(self, expected: str, got: str, hint: str = ""):
        super().__init__(expected, got, hint)
        self.expected, self.got, self.hint = expected, got, hint

    def __str__(self) -> str:
        lines = [f"Expected: {self.expected}", f"Got:      {self.got}"]
        if self.hint:
            lines.append(f"Hint:     {self.hint}")
        return "\n".join(lines)
