"""Request errors answered as JSON with a code, what was expected, what was found, and a hint.

Codes are stable so Label Studio users, brat users and tests can rely on them. Every HTTP error
has one shape, ``{"error": {"code", "message", "hint"}}`` (``converters.errors.CodedError``);
the app also answers the queue's T codes (retraining/errors.py), the registry's V codes, and
``HTTPnnn`` for what Flask refuses and ``B500`` for what fails unexpectedly.
"""

from __future__ import annotations

from converters.errors import CodedError, shortened

MALFORMED_JSON = "B001"
"""The body is not JSON, or not a JSON object."""
MISSING_FIELD = "B002"
"""A required field is absent or has the wrong type."""
BAD_LABEL_CONFIG = "B003"
"""The label config is not XML, or lacks ``<Labels>``/``<Text>``."""
BAD_TEXT = "B004"
"""A brat tagger body is not UTF-8 text."""
BAD_PROJECT = "B005"
"""A project id is not one Label Studio would send."""
NO_MODEL = "B006"
"""No model is published for the project and no ``DEFAULT_MODEL`` is configured."""
UNAUTHORIZED = "B007"
"""Basic auth is configured and the request lacks the right credentials."""
BAD_SETTINGS = "B008"
"""An environment variable has a value the backend cannot use."""
BAD_STRING = "B009"
"""A JSON string holds a lone surrogate (``"\\ud800"``): valid JSON, but no Unicode text."""
BUSY = "B010"
"""Every inference slot is taken; the answer carries ``Retry-After``."""
UNLOADABLE_MODEL = "B011"
"""The project's current version cannot be loaded (damaged file, other base encoder) and no
earlier version of it is in memory to keep serving."""
TOO_LARGE = "B012"
"""A body, a task's text or a labeling config is over its limit (backend/limits.py); 413."""
INTERNAL_ERROR = "B500"
"""Anything that fails unexpectedly (a bug); 500, with the exception's type and the log as hint."""

def shown(value: object) -> str:
    """``repr(value)`` cut to ``SHOWN_CHARS`` characters, marked when cut, for messages."""
    return shortened(repr(value) if not isinstance(value, (dict, list))
                     else f"a JSON {type(value).__name__}")


class BackendError(CodedError):
    """An error answered to the client with ``status`` in the one JSON error shape
    (``CodedError.to_json``); never a traceback."""

    def __init__(self, status: int, code: str, message: str, hint: str | None = None,
                 headers: dict[str, str] | None = None):
        self.status = status
        self.headers = headers or {}
        super().__init__(code, message, hint)
