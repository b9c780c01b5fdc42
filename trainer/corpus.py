"""``python -m trainer fetch-corpus``: get the RuREBus training corpus as flat ``stem.txt`` + ``stem.ann``.

The corpus is not redistributed with this project (its repository states no licence), so users
fetch it themselves: either the three training archives from the RuREBus repository on GitHub, or
a local copy — a folder of documents (nested or flat), a folder of those archives, or one archive.
The output is written atomically: a failure leaves no half-filled folder behind.
"""

from __future__ import annotations

import argparse
import io
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from converters.console import plural
from converters.files import atomic_directory
from trainer.errors import (
    CORPUS_OUTPUT_EXISTS, DOWNLOAD_FAILED, DUPLICATE_CORPUS_FILE, NOT_A_ZIP, NO_CORPUS_DOCUMENTS,
    NO_CORPUS_SOURCE, NO_ROUTE, ORPHAN_ANN_FILES, TrainerError,
)

REPOSITORY = "dialogue-evaluation/RuREBus"
GITHUB_RAW = f"https://raw.githubusercontent.com/{REPOSITORY}"
PINNED_COMMIT = "1ad743675b559f86322347d050cc5f8733df4877"
"""The commit ``../shared/data/rurebus`` was taken from (2021-01-18); pinned so figures stay comparable."""
ARCHIVES = tuple(f"train_data/train_part_{part}.zip" for part in (1, 2, 3))
DOCUMENT_SUFFIXES = (".txt", ".ann")
IGNORED_FOLDERS = ("__MACOSX",)
DOWNLOAD_TIMEOUT_S = 30
TEAM_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "rurebus"
"""Where the team's machines keep the corpus (``train/`` and the fixed dev split ``splits.json``):
``../shared`` beside the repository. The default of ``trainer train --data`` and the benchmarks."""


def archive_url(archive: str, ref: str = PINNED_COMMIT, base_url: str = GITHUB_RAW) -> str:
    return f"{base_url.rstrip('/')}/{ref}/{archive}"


def download(url: str, timeout: float = DOWNLOAD_TIMEOUT_S) -> bytes:
    """The bytes at ``url``, with a progress bar; a clear error when the network is unreachable."""
    from tqdm import tqdm

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            buffer = io.BytesIO()
            with tqdm(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1]) as bar:
                while chunk := response.read(1 << 16):
                    buffer.write(chunk)
                    bar.update(len(chunk))
            return buffer.getvalue()
    except urllib.error.HTTPError as error:
        raise TrainerError(
            DOWNLOAD_FAILED, f"downloading {url} failed: HTTP {error.code} {error.reason}",
            hint="check --ref, or copy a local corpus with --from PATH") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise TrainerError(NO_ROUTE, f"cannot reach {url}: {reason}",
                           hint="this machine has no route to GitHub; download the archives elsewhere "
                                "and run: python -m trainer fetch-corpus --to DIR --from FOLDER_OR_ZIP") from None


def documents_in_zip(data: bytes, source: str) -> Iterator[tuple[str, bytes, str]]:
    """``(file name, bytes, where it came from)`` for each .txt/.ann in an archive, folders dropped."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise TrainerError(NOT_A_ZIP, "expected a .zip archive, found something else", path=source,
                           hint="download it again; a proxy may have returned an HTML page") from None
    with archive:
        for member in archive.infolist():
            path = PurePosixPath(member.filename.replace("\\", "/"))
            if member.is_dir() or path.suffix not in DOCUMENT_SUFFIXES or path.parts[0] in IGNORED_FOLDERS:
                continue
            yield path.name, archive.read(member), f"{source}!{member.filename}"


def documents_at(source: Path) -> Iterator[tuple[str, bytes, str]]:
    """The documents of a local copy: a folder of documents and/or archives, or one archive."""
    if source.is_file():
        yield from documents_in_zip(source.read_bytes(), str(source))
        return
    if not source.is_dir():
        raise TrainerError(
            NO_CORPUS_SOURCE, "expected a folder of .txt/.ann files or of train_part_*.zip, or a "
                              "zip; found nothing there", path=source,
            hint="e.g. --from ../shared/data/rurebus/train")
    for path in sorted(source.rglob("*")):
        if not path.is_file() or any(part in IGNORED_FOLDERS for part in path.relative_to(source).parts):
            continue
        if path.suffix == ".zip":
            yield from documents_in_zip(path.read_bytes(), str(path))
        elif path.suffix in DOCUMENT_SUFFIXES:
            yield path.name, path.read_bytes(), str(path)


def write_flat(documents: Iterator[tuple[str, bytes, str]], target: Path, overwrite: bool) -> dict[str, int]:
    """Write every file flat into ``target`` (atomically); the same name with other bytes is an error."""
    from tqdm import tqdm

    origins: dict[str, str] = {}
    with atomic_directory(target, overwrite) as staging:
        for name, data, origin in tqdm(documents, desc="unpacking", unit="file"):
            destination = staging / name
            if name in origins:
                if destination.read_bytes() != data:
                    raise TrainerError(
                        DUPLICATE_CORPUS_FILE, f"two different files are both named {name}: "
                                               f"{origins[name]} and {origin}", path=origin,
                        hint="the corpus is flattened; give one copy of each document")
                continue
            destination.write_bytes(data)
            origins[name] = origin
        counts = _check_pairs(origins)
    return counts


def _check_pairs(origins: dict[str, str]) -> dict[str, int]:
    stems = {suffix: {name[:-4] for name in origins if name.endswith(suffix)} for suffix in DOCUMENT_SUFFIXES}
    if not stems[".txt"]:
        raise TrainerError(
            NO_CORPUS_DOCUMENTS, "expected RuREBus documents (.txt with .ann), found no .txt files",
            hint="check --from; it should hold train_part_*.zip or the unpacked files")
    orphans = sorted(stems[".ann"] - stems[".txt"])
    if orphans:
        raise TrainerError(
            ORPHAN_ANN_FILES, f"{len(orphans)} .ann files have no .txt, e.g. {origins[orphans[0] + '.ann']}",
            hint="the copy is incomplete; fetch the archives again")
    return {"documents": len(stems[".txt"]), "annotated": len(stems[".ann"])}


def fetch_corpus(target: Path, source: Path | None = None, ref: str = PINNED_COMMIT,
                 overwrite: bool = False, base_url: str = GITHUB_RAW) -> dict[str, int]:
    """Fill ``target`` with the training corpus from ``source`` (local) or downloaded at ``ref``.

    ``base_url`` serves ``<ref>/train_data/train_part_N.zip`` (GitHub, or a mirror on a closed network).
    """
    if target.exists() and not overwrite:
        raise TrainerError(CORPUS_OUTPUT_EXISTS, "the output folder already exists", path=target,
                           hint="choose a new folder or pass --force to replace it")
    if source is not None:
        return write_flat(documents_at(source), target, overwrite)
    archives = [(archive, download(archive_url(archive, ref, base_url))) for archive in ARCHIVES]
    documents = (document for archive, data in archives for document in documents_in_zip(data, archive))
    return write_flat(documents, target, overwrite)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", required=True, type=Path, help="folder to create with stem.txt + stem.ann")
    parser.add_argument("--from", dest="source", type=Path,
                        help="local copy instead of downloading: a folder of documents or of "
                             "train_part_*.zip, or one zip")
    parser.add_argument("--ref", default=PINNED_COMMIT,
                        help=f"git ref of {REPOSITORY} to download (default: the pinned commit)")
    parser.add_argument("--base-url", default=GITHUB_RAW,
                        help="where <ref>/train_data/*.zip are served (default: GitHub; or a local mirror)")
    parser.add_argument("--force", action="store_true", help="replace the output folder if it exists")


def run_command(args: argparse.Namespace) -> int:
    counts = fetch_corpus(args.to, args.source, args.ref, args.force, args.base_url)
    print(f"{plural(counts['documents'], 'document')} ({counts['annotated']} with .ann) in {args.to}")
    return 0
