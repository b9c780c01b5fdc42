"""The one place where Python string offsets and Label Studio region offsets are converted.

Label Studio's ``value.start``/``value.end`` for a ``<Text>`` region count Unicode code points
of ``data.text`` (label-studio PR #1559 / label-studio-frontend PR #308 "store code points
instead of js length"), which is what Python ``str`` indexes count too, and ``\\r\\n`` stays two
characters in the stored task text. docs/label-studio-offsets.md records what a real Label
Studio 1.23 stores; if it disagrees, change only this pair.
"""

from __future__ import annotations


def to_label_studio(text: str, start: int, end: int) -> tuple[int, int]:
    """Label Studio ``(start, end)`` for the Python slice ``text[start:end]``."""
    return start, end


def from_label_studio(text: str, start: int, end: int) -> tuple[int, int]:
    """Python ``(start, end)`` for a Label Studio region's ``value.start``/``value.end``."""
    return start, end
