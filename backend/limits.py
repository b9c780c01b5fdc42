"""Size limits of what a client may send, each answered 413 B012 with what was too large.

Measured before them (issue 18, item 5): a 1 MB text kept /predict busy 70 s, answered 32 MB and
left the worker 1.2 GB larger; a 256 MB body was accepted. The limits sit far above what Label
Studio and brat send for RuREBus (documents of 2,000-20,000 characters, configs of about 1 KB).
"""

from __future__ import annotations

from backend.errors import TOO_LARGE, BackendError, shown

MAX_TEXT_CHARS = 100_000
"""Longest text of one /predict task or one brat tagger document, in characters (about 40
pages; a RuREBus document has at most about 20,000). Predicting it takes seconds, not minutes."""
MAX_BODY_BYTES = 64 * 1024 * 1024
"""Largest request body the app reads. A "Retrieve Predictions" batch carries every selected
task's text, and Label Studio sends Cyrillic as ``\\uXXXX`` escapes (6 bytes a character), so this
holds about 10 million characters: select fewer tasks per batch beyond that."""
SERVER_BODY_BYTES = MAX_BODY_BYTES + 1024 * 1024
"""The server's own limit (waitress, ``python -m backend``), just above ``MAX_BODY_BYTES`` so that
a body over the app's limit still gets the coded JSON answer; past it waitress answers a plain 413
without reading the body."""
MAX_LABEL_CONFIG_CHARS = 256 * 1024
"""Longest labeling config (``/setup`` ``schema``, ``/predict`` ``label_config``), in characters;
a config with every RuREBus type is about 1,000. Configs are parsed without a DTD, so entities
cannot expand past it (converters/label_config.py)."""


def too_large(where: str, what: str, size: int, limit: int, unit: str, hint: str) -> BackendError:
    """413 B012: ``what`` at ``where`` has ``size`` ``unit``, more than ``limit``."""
    return BackendError(413, TOO_LARGE, f"{where}: expected {what} of at most {limit:,} {unit}, "
                        f"found {size:,}", hint)


def check_text(where: str, text: str, task_id: object = None) -> None:
    """413 B012 for a text over ``MAX_TEXT_CHARS`` (``task_id`` names the /predict task)."""
    if len(text) > MAX_TEXT_CHARS:
        what = "a text" if task_id is None else f"task {shown(task_id)}'s text"
        raise too_large(where, what, len(text), MAX_TEXT_CHARS, "characters",
                        "split the document into several shorter tasks")


def check_task_texts(where: str, tasks: list, text_key: str) -> None:
    """413 B012 for the first /predict task whose ``data[text_key]`` is over ``MAX_TEXT_CHARS``."""
    for task in tasks:
        data = task.get("data") if isinstance(task, dict) else None
        text = data.get(text_key) if isinstance(data, dict) else None
        if isinstance(text, str):
            check_text(where, text, task.get("id"))


def check_label_config(where: str, xml: str) -> None:
    """413 B012 for a labeling config over ``MAX_LABEL_CONFIG_CHARS``."""
    if len(xml) > MAX_LABEL_CONFIG_CHARS:
        raise too_large(where, "a labeling config", len(xml), MAX_LABEL_CONFIG_CHARS,
                        "characters", "a Label Studio config needs only <Text>, <Labels> and "
                        "<Relations>; remove the rest")
