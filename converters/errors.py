"""Coded errors: the one base every package's error derives from, and the converters' codes.

``CodedError`` carries a code, a message that says what was expected and what was found, and a
hint that says what to do; it prints as ``[code] message (hint)``, after a location when it has
one, and answers HTTP clients as ``{"error": {"code", "message", "hint"}}``. Each package lists
its own codes in its ``errors.py``, with a prefix of its own (as spaCy's ``errors.py`` does):

* ``C`` converters (this module), ``E`` trainer (trainer/errors.py);
* ``R`` the retraining job, ``T`` the training queue, ``V`` the version registry
  (retraining/errors.py);
* ``B`` the backend's HTTP answers (backend/errors.py).

A conversion error prints as ``path:line: [Cnnn] message (hint)`` so that editors and terminals
can jump to the offending line. The codes are stable: tests and users may rely on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

NON_UTF8 = "C001"
"""A .txt, .ann or .conf file is not valid UTF-8."""
MALFORMED_LINE = "C002"
"""A line's id prefix or field syntax is not one brat knows."""
TRUNCATED_LINE = "C003"
"""A line ends before all its fields (type, offsets, arguments, text)."""
DUPLICATE_ID = "C004"
"""Two annotations of one document share an id."""
UNKNOWN_ID = "C005"
"""An annotation refers to an id that does not exist in the document."""
OFFSETS_OUTSIDE_TEXT = "C006"
"""A span is empty, reversed or reaches past the end of the text."""
SPAN_TEXT_MISMATCH = "C007"
"""The text stored with a span differs from the document text at its offsets."""
MISSING_FILE = "C008"
"""A collection member is missing (an .ann without its .txt, a source that does not exist)."""
UNSAFE_ARCHIVE_MEMBER = "C009"
"""A .zip member has an absolute path or climbs out with ``..``."""
BAD_ANNOTATION_CONF = "C010"
"""``annotation.conf`` has a line outside a section or in an unknown section."""
OUTPUT_EXISTS = "C012"
"""The output path already exists and overwriting was not asked for."""
DUPLICATE_DOCUMENT = "C013"
"""Two documents of one output would have the same name (the same files)."""
BAD_ARCHIVE = "C014"
"""A collection given as a file is not a readable .zip archive."""
ONLY_LINE_BREAKS = "C015"
"""An entity to be written to brat covers nothing but line breaks, which a brat span cannot hold."""
BAD_LABEL_CONFIG = "C020"
"""A Label Studio labeling config is not XML or lacks ``<Labels>``/``<Text>``."""
BAD_EXPORT = "C021"
"""A Label Studio export or task is not the JSON shape Label Studio writes."""
BAD_RESULT = "C022"
"""One Label Studio result (region or relation) is inconsistent with its task."""
NO_ANNOTATION = "C023"
"""A task has no annotation of the kind asked for (e.g. no ground truth)."""


SHOWN_CHARS = 80
"""A value from a client or a file is quoted in a message or a log line only up to this many
characters."""


def shortened(text: str) -> str:
    """``text`` cut to ``SHOWN_CHARS`` characters, marked with its full length when cut."""
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}… ({len(text)} characters)"


class CodedError(Exception):
    """A failure a user can fix: ``code``, ``message`` (expected vs found), ``hint`` (what to do)."""

    code: str
    message: str
    hint: str | None = None

    def __init__(self, code: str, message: str, hint: str | None = None):
        self.code = code
        self.message = message
        self.hint = hint
        super().__init__(str(self))

    def location(self) -> str:
        """Where the problem is, as a prefix of ``str()`` (``"path: "``); empty when unknown."""
        return ""

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.location()}[{self.code}] {self.message}{hint}"

    def to_json(self) -> dict:
        """The one JSON error shape of every HTTP answer."""
        body = {"code": self.code, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        return {"error": body}


@dataclass(eq=False)
class ConversionError(CodedError):
    """A problem in the input, located by file and line (or by task id inside the message)."""

    code: str
    message: str
    path: str | Path | None = None
    line: int | None = None
    hint: str | None = None
    dropped_annotations: int | None = None
    """``None`` when one line or result was skipped; a count when a whole document (or task)
    was left out in lenient mode, with that many annotation lines (or results)."""

    def __post_init__(self) -> None:
        Exception.__init__(self, str(self))  # the dataclass set the fields CodedError.__init__ would

    def location(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}: " if self.line is None else f"{self.path}:{self.line}: "
