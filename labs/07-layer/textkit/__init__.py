"""textkit: the team's small text helpers, shared by several functions through a Lambda layer."""

import re

__all__ = ["slugify", "word_count"]


def slugify(title: str) -> str:
    """A URL-friendly version of a title: 'Layers Are Neat!' -> 'layers-are-neat'."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def word_count(text: str) -> int:
    """How many words ``text`` has: 'Share code once.' -> 3."""
    return len(text.split())
