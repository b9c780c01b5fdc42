"""Request bodies as JSON objects, refused with a coded 400 when they are anything else.

Beyond invalid JSON this refuses what ``json.loads`` accepts but the backend cannot use: nesting
deeper than ``MAX_JSON_DEPTH`` (Label Studio's payloads are about ten levels deep; Python's parser
raises ``RecursionError`` near a thousand) and lone surrogates such as ``"\\ud800"``, which are
valid JSON escapes but no Unicode text, so they fail later in the tokenizer, the XML parser or a
file write.
"""

from __future__ import annotations

import json
import re

from backend.errors import BAD_STRING, MALFORMED_JSON, MISSING_FIELD, BackendError

MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects accepted in a request body."""
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_json_object(body: bytes, path: str, required: tuple[str, ...] = ()) -> dict:
    """``body`` as a JSON object holding the ``required`` fields, else a ``BackendError`` (400)."""
    if not body:
        raise _not_an_object(path, "an empty body")
    try:
        payload = json.loads(body)
    except RecursionError:
        raise _too_deep(path) from None
    except ValueError:  # also UnicodeDecodeError, and integers too long to convert
        raise _not_an_object(path, "invalid JSON") from None
    if not isinstance(payload, dict):
        raise _not_an_object(path, f"a JSON {type(payload).__name__}")
    check_json_tree(payload, path)
    missing = [name for name in required if payload.get(name) is None]
    if missing:
        raise BackendError(400, MISSING_FIELD, f"{path}: expected field(s) {', '.join(missing)}, "
                           "found none", "Label Studio sends them; check the caller")
    return payload


def check_json_tree(payload: object, path: str) -> None:
    """Refuse nesting deeper than ``MAX_JSON_DEPTH`` and strings (keys too) with lone surrogates."""
    pending: list[tuple[object, int]] = [(payload, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if LONE_SURROGATE.search(value):
                raise BackendError(400, BAD_STRING, f"{path}: expected Unicode text, found a lone "
                                   "surrogate (an unpaired \\ud800-\\udfff escape) in a string",
                                   "send text as UTF-8; escape characters outside the BMP as a pair")
        elif isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep(path)
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)


def _not_an_object(path: str, found: str) -> BackendError:
    return BackendError(400, MALFORMED_JSON, f"{path}: expected a JSON object, found {found}",
                        "send Content-Type: application/json with an object body")


def _too_deep(path: str) -> BackendError:
    return BackendError(400, MALFORMED_JSON, f"{path}: expected JSON nested at most {MAX_JSON_DEPTH} "
                        "levels deep, found deeper nesting", "Label Studio's payloads are shallow; check the caller")
