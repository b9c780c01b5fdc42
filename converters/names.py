"""What a brat type name and a document name may be, so that every written file reads back.

brat separates an ``.ann`` line's fields with TABs and spaces and never escapes them, the type
names also become ``annotation.conf`` lines and Label Studio ``<Label value="…">`` XML, and a
document name becomes a path under the output folder. Each check returns what is wrong (a
phrase for an error message) or ``None``.
"""

from __future__ import annotations

import reprlib
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

CONF_MARKS = ("!", "<", "#", "[")
"""First characters that ``annotation.conf`` reads as abstract type, macro, comment, section."""
NAME_PART_BYTES = 200
"""Longest document name component in UTF-8 bytes (file systems allow 255, with ``.txt``)."""
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict = 2, 80, 80, 4, 4


def short(value: object) -> str:
    """A bounded ``repr`` for messages: long strings and deep or wide structures are cut."""
    return _SHORT.repr(value)


def _bad_character(name: str) -> str | None:
    for position, character in enumerate(name):
        category = unicodedata.category(character)
        if character.isspace() or category in ("Cc", "Cs") or character in "\ufffe\uffff":
            what = "whitespace" if character.isspace() else "a control character"
            if category == "Cs":
                what = "a lone surrogate"
            return f"{what} (U+{ord(character):04X}) at character {position}"
    return None


def type_problem(name: object) -> str | None:
    """Why ``name`` cannot be a brat entity, relation or event type (``None`` if it can)."""
    if not isinstance(name, str):
        return f"is a JSON {type(name).__name__}, not a string"
    if not name:
        return "is empty"
    bad = _bad_character(name)
    if bad:
        return f"has {bad}"
    if name.startswith(CONF_MARKS):
        return f"starts with '{name[0]}', which annotation.conf reads as markup"
    return None


TYPE_HINT = ("brat types are one word without spaces, TABs, line breaks or control characters, "
             "e.g. MET or GOL_2; rename the label")


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be written as UTF-8 (a lone surrogate), or ``None``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return f"has a lone surrogate (U+{ord(text[error.start]):04X}) at character {error.start}"
    return None


def document_name_problem(name: object) -> str | None:
    """Why ``name`` cannot be a document's relative path stem under an output folder."""
    if not isinstance(name, str):
        return f"is a JSON {type(name).__name__}, not a string"
    parts = name.replace("\\", "/").split("/")
    if PurePosixPath(name).is_absolute() or any(part in ("", ".", "..") for part in parts):
        return "is absolute, has an empty, '.' or '..' part, or leaves the output folder"
    for part in parts:
        if any(unicodedata.category(c) in ("Cc", "Cs") for c in part):
            return "has a control character or a lone surrogate"
        if len(part.encode("utf-8")) > NAME_PART_BYTES:
            return f"has a part longer than {NAME_PART_BYTES} bytes"
    if PureWindowsPath(name).drive:
        return "starts with a drive letter"
    return None


class OutputPaths:
    """The files and folders a collection's documents will take, to refuse a name that would
    overwrite another document or need a folder where a file is (or the reverse)."""

    def __init__(self, reserved_files: tuple[str, ...] = ("annotation.conf",)) -> None:
        self.files: set[str] = set(reserved_files)
        self.folders: set[str] = set()

    def claim(self, name: str) -> str | None:
        """Reserve ``name.txt``/``name.ann`` and its folders; what clashes, or ``None``."""
        parts = name.replace("\\", "/").split("/")
        folders = {"/".join(parts[:end]) for end in range(1, len(parts))}
        files = {f"{'/'.join(parts)}.txt", f"{'/'.join(parts)}.ann"}
        if files & self.files:
            return "is the name of an earlier document"
        if files & self.folders or folders & self.files:
            return "would need a folder where an earlier document has a file (or the reverse)"
        self.files |= files
        self.folders |= folders
        return None
