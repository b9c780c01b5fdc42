"""A brat collection (a directory tree or a .zip of ``.txt``/``.ann`` pairs) ⇄ ``Document`` list.

A document's name is its path relative to the collection root without the suffix, so
``sub/doc1.txt`` is ``sub/doc1``; writing puts it back in the same place. Texts are decoded from
bytes without newline translation, so ``\\r\\n`` and every other byte survive a round trip.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from converters.annotation_conf import AnnotationConf, parse_annotation_conf
from converters.brat_ann import format_ann, parse_ann
from converters.document import Document
from converters.errors import (
    BAD_ARCHIVE, DUPLICATE_DOCUMENT, MISSING_FILE, NON_UTF8, ConversionError,
)
from converters.files import atomic_directory, decode_utf8, safe_relative_name

__all__ = ["Collection", "format_ann", "parse_ann", "read_collection", "write_collection"]

CONF_NAME = "annotation.conf"
IGNORED_ARCHIVE_FOLDERS = ("__MACOSX",)
"""Folders of archive metadata (macOS resource forks) that are never documents."""


@dataclass
class Collection:
    """Documents sorted by name, the collection's ``annotation.conf`` (if any), skipped lines."""

    documents: list[Document]
    conf: AnnotationConf | None = None
    skipped: list[ConversionError] = field(default_factory=list)


Progress = Callable[[Iterable], Iterable]
"""Wraps the documents as they are parsed, e.g. ``lambda items: tqdm(items, unit="doc")``."""


def read_collection(src: str | Path, strict: bool = True, progress: Progress | None = None,
                    ) -> Collection:
    """Read a directory (recursively) or a .zip. Strict: raise at the first error.

    Lenient: skip each bad line (an undecodable one included) and list it in
    ``Collection.skipped``; a document whose .txt cannot be decoded is left out whole, and its
    error says so and counts the annotation lines that went with it (``dropped_annotations``).
    """
    src = Path(src)
    if not src.exists():
        raise ConversionError(MISSING_FILE, f"collection {src} does not exist", src,
                              hint="give a directory of .txt/.ann files or a .zip of them")
    skipped: list[ConversionError] = []
    files = _zip_files(src, strict, skipped) if src.is_file() else _directory_files(src)
    conf = _read_conf(files, src)
    documents = []
    pairs = sorted(_pairs(files, src, strict, skipped).items())
    for name, (txt_location, ann_location) in (progress or list)(pairs):
        ann_bytes = b"" if ann_location is None else files[ann_location]
        try:
            text = decode_utf8(files[txt_location], _shown(src, txt_location))
        except ConversionError as error:
            if strict:
                raise
            lines = sum(1 for line in ann_bytes.split(b"\n") if line.strip())
            skipped.append(ConversionError(
                error.code, f"{error.message}; document '{name}' skipped with its {lines} "
                "annotation lines", error.path, error.line, error.hint, dropped_annotations=lines))
            continue
        ann = _decode_ann(ann_bytes, _shown(src, ann_location), strict, skipped)
        document, errors = parse_ann(text, ann, name, _shown(src, ann_location), strict)
        documents.append(document)
        skipped.extend(errors)
    return Collection(documents, conf, skipped)


def _decode_ann(data: bytes, shown: str, strict: bool, skipped: list[ConversionError]) -> str:
    """The .ann text; lenient: each line that is not UTF-8 becomes empty and is listed (C001).

    Splitting at ``\\n`` bytes is safe: no UTF-8 sequence contains one.
    """
    if strict:
        return decode_utf8(data, shown)
    lines = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError as error:
            skipped.append(ConversionError(
                NON_UTF8, f"byte 0x{line[error.start]:02x} at column {error.start + 1} is not "
                "UTF-8; line skipped", shown, number,
                "re-encode the file as UTF-8 (e.g. iconv -f cp1251 -t utf-8)"))
            lines.append("")
    return "\n".join(lines)


def write_collection(
    docs: list[Document], out_dir: str | Path, conf_text: str | None = None, overwrite: bool = False,
    progress: Progress | None = None,
) -> None:
    """Write ``name.txt`` + ``name.ann`` for each document (and ``annotation.conf`` if given).

    Atomic: everything is written to a temporary sibling directory that is renamed into place
    only when all documents were written, so a failure leaves no output directory behind.
    """
    out_dir = Path(out_dir)
    with atomic_directory(out_dir, overwrite) as staging:
        if conf_text is not None:
            (staging / CONF_NAME).write_bytes(conf_text.encode("utf-8"))
        for doc in (progress or list)(docs):
            relative = safe_relative_name(doc.name, out_dir)
            ann = format_ann(doc)
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            txt_path = target.with_name(target.name + ".txt")
            if txt_path.exists():
                raise ConversionError(DUPLICATE_DOCUMENT, f"two documents are both named '{doc.name}'",
                                      out_dir, hint="document names must be unique")
            txt_path.write_bytes(doc.text.encode("utf-8"))
            target.with_name(target.name + ".ann").write_bytes(ann.encode("utf-8"))


def _directory_files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and (path.suffix in (".txt", ".ann") or path.name == CONF_NAME)
    }


def _zip_files(archive: Path, strict: bool, skipped: list[ConversionError]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    if not zipfile.is_zipfile(archive):
        raise ConversionError(BAD_ARCHIVE, "file is not a .zip archive", archive,
                              hint="give a directory of .txt/.ann files or a .zip of them")
    with zipfile.ZipFile(archive) as opened:
        for member in opened.infolist():
            name = member.filename
            if member.is_dir():
                continue
            try:
                relative = safe_relative_name(name, archive)
            except ConversionError as error:
                if strict:
                    raise
                skipped.append(error)
                continue
            if relative.parts[0] in IGNORED_ARCHIVE_FOLDERS:
                continue
            if relative.suffix in (".txt", ".ann") or relative.name == CONF_NAME:
                files[relative.as_posix()] = opened.read(member)
    return files


def _pairs(files: dict[str, bytes], src: Path, strict: bool,
           skipped: list[ConversionError]) -> dict[str, tuple[str, str | None]]:
    """Document name → (.txt location, .ann location or None for a text without annotations)."""
    texts = {location[:-4]: location for location in files if location.endswith(".txt")}
    pairs: dict[str, tuple[str, str | None]] = {name: (location, None)
                                                 for name, location in texts.items()}
    for location in files:
        if not location.endswith(".ann"):
            continue
        name = location[:-4]
        if name not in texts:
            error = ConversionError(MISSING_FILE, f"{location} has no {name}.txt beside it",
                                    _shown(src, location), hint="add the text or remove the .ann")
            if strict:
                raise error
            skipped.append(error)
            continue
        pairs[name] = (texts[name], location)
    return pairs


def _read_conf(files: dict[str, bytes], src: Path) -> AnnotationConf | None:
    """The ``annotation.conf`` closest to the collection root, as brat would use for its top."""
    candidates = sorted((len(PurePosixPath(location).parts), location) for location in files
                        if PurePosixPath(location).name == CONF_NAME)
    if not candidates:
        return None
    location = candidates[0][1]
    shown = _shown(src, location)
    return parse_annotation_conf(decode_utf8(files[location], shown), shown)


def _shown(src: Path, location: str | None) -> str:
    """How a member is named in messages: a path for a directory, ``archive.zip!member`` for a zip."""
    if location is None:
        return str(src)
    return f"{src}!{location}" if src.is_file() else str(src / location)
