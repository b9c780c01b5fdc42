"""``fetch-corpus``: local folders, archives built here, and a real HTTP download from a local server."""

import functools
import http.server
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from trainer.corpus import ARCHIVES, fetch_corpus
from trainer.errors import TrainerError

REPO_ROOT = Path(__file__).resolve().parents[2]


def make_archive(path: Path, members: dict[str, str]) -> Path:
    """A zip laid out like the RuREBus ones: a folder per archive, plus metadata to ignore."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        archive.writestr("__MACOSX/part/._a.txt", "resource fork")
        archive.writestr("part/.stats_cache", "pickle")
    return path


def three_archives(folder: Path) -> Path:
    for index, archive in enumerate(ARCHIVES, start=1):
        make_archive(folder / archive, {f"train_part_{index}/doc{index}.txt": f"Текст {index}.",
                                        f"train_part_{index}/doc{index}.ann": "T1\tBIN 0 5\tТекст\n"})
    return folder


def test_local_corpus_folder_is_copied_byte_for_byte(rurebus_dir, tmp_path):
    counts = fetch_corpus(tmp_path / "corpus", rurebus_dir / "train")
    assert counts == {"documents": 188, "annotated": 188}
    copied = sorted(path.name for path in (tmp_path / "corpus").iterdir())
    assert copied == sorted(path.name for path in (rurebus_dir / "train").iterdir())
    name = copied[0]
    assert (tmp_path / "corpus" / name).read_bytes() == (rurebus_dir / "train" / name).read_bytes()


def test_folder_of_archives_is_unpacked_flat(tmp_path):
    source = three_archives(tmp_path / "downloads") / "train_data"
    assert fetch_corpus(tmp_path / "corpus", source) == {"documents": 3, "annotated": 3}
    assert sorted(path.name for path in (tmp_path / "corpus").iterdir()) == [
        "doc1.ann", "doc1.txt", "doc2.ann", "doc2.txt", "doc3.ann", "doc3.txt"]
    assert (tmp_path / "corpus" / "doc2.txt").read_text(encoding="utf-8") == "Текст 2."


def test_one_archive_can_be_the_source(tmp_path):
    archive = make_archive(tmp_path / "one.zip", {"a/x.txt": "x", "a/x.ann": "", "b/y.txt": "y"})
    assert fetch_corpus(tmp_path / "corpus", archive) == {"documents": 2, "annotated": 1}


def test_same_name_with_other_content_is_an_error_and_leaves_nothing(tmp_path):
    make_archive(tmp_path / "src" / "1.zip", {"p1/x.txt": "one", "p1/x.ann": ""})
    make_archive(tmp_path / "src" / "2.zip", {"p2/x.txt": "two", "p2/x.ann": ""})
    with pytest.raises(TrainerError) as error:
        fetch_corpus(tmp_path / "corpus", tmp_path / "src")
    assert error.value.code == "E305" and "1.zip!p1/x.txt" in str(error.value)
    assert not (tmp_path / "corpus").exists()


@pytest.mark.parametrize("setup, code", [
    (lambda tmp: tmp / "missing", "E304"),
    (lambda tmp: make_archive(tmp / "empty.zip", {}), "E306"),
    (lambda tmp: make_archive(tmp / "orphan.zip", {"x.txt": "x", "x.ann": "", "y.ann": ""}), "E307"),
])
def test_bad_sources_are_clear_errors(tmp_path, setup, code):
    with pytest.raises(TrainerError) as error:
        fetch_corpus(tmp_path / "corpus", setup(tmp_path))
    assert error.value.code == code


def test_not_a_zip_is_a_clear_error(tmp_path):
    (tmp_path / "page.zip").write_text("<html>rate limited</html>")
    with pytest.raises(TrainerError) as error:
        fetch_corpus(tmp_path / "corpus", tmp_path / "page.zip")
    assert error.value.code == "E303"


def test_existing_output_needs_force(tmp_path):
    (tmp_path / "corpus").mkdir()
    source = make_archive(tmp_path / "one.zip", {"x.txt": "x", "x.ann": ""})
    with pytest.raises(TrainerError) as error:
        fetch_corpus(tmp_path / "corpus", source)
    assert error.value.code == "E308"
    assert fetch_corpus(tmp_path / "corpus", source, overwrite=True)["documents"] == 1


def test_download_from_a_real_http_server(tmp_path):
    served = three_archives(tmp_path / "mirror" / "v1")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base_url = f"http://127.0.0.1:{server.server_address[1]}"
        counts = fetch_corpus(tmp_path / "corpus", ref="v1", base_url=base_url)
        with pytest.raises(TrainerError) as error:
            fetch_corpus(tmp_path / "other", ref="no-such-ref", base_url=base_url)
    finally:
        server.shutdown()
    assert counts == {"documents": 3, "annotated": 3}
    assert error.value.code == "E301" and "404" in str(error.value)


def test_unreachable_network_is_one_clear_line(tmp_path):
    # Port 9 on localhost refuses connections: the same path as a machine without internet.
    result = subprocess.run([sys.executable, "-m", "trainer", "fetch-corpus", "--to", str(tmp_path / "c"),
                             "--base-url", "http://127.0.0.1:9"], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "[E302]" in result.stderr and "--from" in result.stderr
    assert not (tmp_path / "c").exists()
