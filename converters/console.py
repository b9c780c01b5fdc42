"""What the commands print: counts with the right plural, and help text from reST docstrings."""

from __future__ import annotations

import re

IRREGULAR = {"entity": "entities", "match": "matches", "mismatch": "mismatches"}
"""Plurals that are not the singular plus ``s``."""


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``1 document``, ``2 documents``, ``0 entities``; ``singular`` may be several words
    (``annotation line``), of which the last is put in the plural."""
    if count == 1:
        return f"{count} {singular}"
    if many is None:
        head, _, last = singular.rpartition(" ")
        many = (head + " " if head else "") + IRREGULAR.get(last, last + "s")
    return f"{count} {many}"


def plain(docstring: str) -> str:
    """A docstring as terminal text: ``code`` and :role:`target` lose their reST markup."""
    text = re.sub(r":[a-z:]+:`~?([^`]+)`", r"\1", docstring)
    return re.sub(r"``(.+?)``", r"\1", text, flags=re.DOTALL)
