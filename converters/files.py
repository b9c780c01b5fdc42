"""File-system helpers: atomic outputs, a file lock, UTF-8 decoding with a line number, safe
relative names. The one place a file or directory is written atomically or a lock is taken
(trainer/encoder.py and retraining/registry.py use these too)."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath, PureWindowsPath

from converters.errors import NON_UTF8, OUTPUT_EXISTS, UNSAFE_ARCHIVE_MEMBER, ConversionError


def decode_utf8(data: bytes, path: str | Path) -> str:
    """Decode bytes exactly (no newline translation); C001 names the line of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise ConversionError(
            NON_UTF8, f"byte 0x{data[error.start]:02x} at offset {error.start} is not UTF-8",
            path, line, "re-encode the file as UTF-8 (e.g. iconv -f cp1251 -t utf-8)") from None


def safe_relative_name(name: str, where: str | Path) -> PurePosixPath:
    """A relative path that stays inside its root; C009 for absolute paths and ``..`` parts."""
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or PureWindowsPath(name).drive or ".." in posix.parts:
        raise ConversionError(
            UNSAFE_ARCHIVE_MEMBER, f"member '{name}' is absolute or leaves the collection with '..'",
            where, hint="repack the archive with relative paths inside one folder")
    return posix


@contextmanager
def atomic_directory(target: Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield an empty temporary directory that replaces ``target`` only if the block succeeds."""
    target = Path(target)
    if target.exists() and not overwrite:
        raise ConversionError(OUTPUT_EXISTS, f"output directory {target} already exists", target,
                              hint="choose a new path or pass --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    # mkdtemp makes the directory private (0700); outputs get the usual 0755. (Reading the umask
    # would mean setting it, which is not thread-safe.)
    staging.chmod(0o755)
    try:
        yield staging
        make_readable(staging)
        if target.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            os.replace(target, retired / target.name)
            os.replace(staging, target)
            shutil.rmtree(retired)
        else:
            os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def make_readable(directory: Path) -> None:
    """Give everything under ``directory`` the usual modes, files 0644 and folders 0755: some
    writers (safetensors, tempfile) make files private (0600), which a backend and a worker
    running as different users cannot share."""
    Path(directory).chmod(0o755)
    for path in Path(directory).rglob("*"):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)


def atomic_write_text(target: Path, content: str, mode: int = 0o644) -> None:
    """Write UTF-8 text through a temporary file in the same directory, flushed to disk, then
    rename it in place: a reader sees the old content or the new, never a part. ``mode`` is the
    file's (0644; 0600 for a file holding a secret)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    # mkstemp makes the file private (0600); outputs get the usual 0644 unless asked otherwise.
    os.fchmod(descriptor, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


@contextmanager
def file_lock(lock_path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``lock_path`` (created if missing) for the block, so two
    processes never do the same work at once; released when the block ends or the process dies."""
    lock_path = Path(lock_path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
