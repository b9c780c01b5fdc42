"""The one place where Python string offsets and Label Studio region offsets are converted.

Label Studio 1.23 stores ``value.start``/``value.end`` of a ``<Text>`` region as Unicode code
point indexes into ``data.text`` (an emoji counts 1, ``\r\n`` counts 2), exactly Python ``str``
indexes, both for regions drawn in its UI and for imported ones; UTF-16 offsets would be
highlighted wrongly. Measured in docs/label-studio-offsets.md, so the pair is the identity. If a
later Label Studio changes this, change only this pair.
"""

from __future__ import annotations


def to_label_studio(text: str, start: int, end: int) -> tuple[int, int]:
    """Label Studio ``(start, end)`` for the Python slice ``text[start:end]``."""
    return start, end


def from_label_studio(text: str, start: int, end: int) -> tuple[int, int]:
    """Python ``(start, end)`` for a Label Studio region's ``value.start``/``value.end``."""
    return start, end
