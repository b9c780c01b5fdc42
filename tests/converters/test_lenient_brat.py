"""Issue 18 item 9: ``brat2ls --lenient`` skips only what is unreadable and says what it skipped;
a type that a Label Studio config cannot hold is reported at its file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from converters import errors
from converters.__main__ import main
from converters.brat import read_collection
from tests.fixtures.converters import WriteBrat

TEXT = "Министерство экономики утвердило программу.\n"
LINES = ["T1\tORG 0 12\tМинистерство", "T2\tECO 13 22\tэкономики", "T3\tACT 23 32\tутвердило",
         "R1\tTSK Arg1:T1 Arg2:T3"]


def ann(*lines: str | bytes) -> bytes:
    return b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines)


def run(capsys: pytest.CaptureFixture, *args: object) -> tuple[int, str, str]:
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_one_bad_byte_skips_its_line_not_the_document(
    capsys: pytest.CaptureFixture, tmp_path: Path, write_brat: WriteBrat,
) -> None:
    bad = "#1\tAnnotatorNotes T1\tплохо".encode("cp1251")
    write_brat(tmp_path / "src", "doc", TEXT, ann(*LINES[:2], bad, *LINES[2:]))
    collection = read_collection(tmp_path / "src", strict=False)
    (doc,) = collection.documents
    assert [e.id for e in doc.entities] == ["T1", "T2", "T3"] and len(doc.relations) == 1
    (error,) = collection.skipped
    assert (error.code, error.path, error.line) == (
        errors.NON_UTF8, str(tmp_path / "src" / "doc.ann"), 3)
    status, stdout, stderr = run(capsys, "brat2ls", tmp_path / "src", "-o", tmp_path / "t.json",
                                 "--lenient")
    assert status == 0 and f"{tmp_path / 'src' / 'doc.ann'}:3: [C001]" in stderr
    assert "1 document, 3 entities, 1 relation, 1 skipped line →" in stdout


def test_a_reference_to_an_undecodable_line_is_skipped_too(tmp_path: Path,
                                                           write_brat: WriteBrat) -> None:
    bad = "T2\tECO 13 22\tэкономики".encode("cp1251")
    write_brat(tmp_path, "doc", TEXT, ann(LINES[0], bad, "R1\tTSK Arg1:T1 Arg2:T2"))
    collection = read_collection(tmp_path, strict=False)
    assert [(e.code, e.line) for e in collection.skipped] == [
        (errors.NON_UTF8, 2), (errors.UNKNOWN_ID, 3)]
    assert [e.id for e in collection.documents[0].entities] == ["T1"]


def test_a_document_left_out_whole_is_reported_with_its_annotations(
    capsys: pytest.CaptureFixture, tmp_path: Path, write_brat: WriteBrat,
) -> None:
    write_brat(tmp_path / "src", "bad", TEXT.encode("cp1251"), ann(*LINES))
    write_brat(tmp_path / "src", "good", TEXT, ann(*LINES))
    status, stdout, stderr = run(capsys, "brat2ls", tmp_path / "src", "-o", tmp_path / "t.json",
                                 "--lenient")
    assert status == 0
    assert "document 'bad' skipped with its 4 annotation lines" in stderr
    assert stdout.startswith("brat2ls: 1 document, 3 entities, 1 relation, 0 skipped lines, "
                             "1 skipped document (4 annotation lines) →")


@pytest.mark.parametrize("entity_type", ["ME\x00T", "ME\x0bT", "ME\u00a0T", "ME\ufffeT", "!MET"])
def test_a_type_no_config_can_hold_names_its_file_and_line(
    capsys: pytest.CaptureFixture, tmp_path: Path, write_brat: WriteBrat, entity_type: str,
) -> None:
    write_brat(tmp_path / "src", "doc", TEXT, ann(*LINES[:2], f"T3\t{entity_type} 23 32\tутвердило"))
    tasks = tmp_path / "t.json"
    status, stdout, stderr = run(capsys, "brat2ls", tmp_path / "src", "-o", tasks)
    assert status == 1 and stderr.startswith(f"{tmp_path / 'src' / 'doc.ann'}:3: [C002] type ")
    status, stdout, stderr = run(capsys, "brat2ls", tmp_path / "src", "-o", tasks, "--lenient")
    assert status == 0 and "2 entities, 0 relations, 1 skipped line" in stdout
    (task,) = json.loads(tasks.read_text(encoding="utf-8"))
    assert [region["id"] for region in task["annotations"][0]["result"]] == ["T1", "T2"]


def test_a_relation_type_no_config_can_hold_names_its_line(tmp_path: Path,
                                                           write_brat: WriteBrat) -> None:
    write_brat(tmp_path, "doc", TEXT, ann(*LINES[:3], "R1\tTS\x00K Arg1:T1 Arg2:T3"))
    collection = read_collection(tmp_path, strict=False)
    assert [(e.code, e.line) for e in collection.skipped] == [(errors.MALFORMED_LINE, 4)]


def test_an_annotation_conf_type_no_config_can_hold_names_its_line(
    capsys: pytest.CaptureFixture, tmp_path: Path, write_brat: WriteBrat,
) -> None:
    write_brat(tmp_path, "doc", TEXT, ann(*LINES))
    (tmp_path / "annotation.conf").write_text("[entities]\nORG\nE\x00CO\n", encoding="utf-8")
    status, _, stderr = run(capsys, "brat2ls", tmp_path, "-o", tmp_path / "t.json", "--lenient")
    assert status == 1 and stderr.startswith(f"{tmp_path / 'annotation.conf'}:3: [C010] type ")


def test_offsets_with_thousands_of_digits_are_a_coded_error(tmp_path: Path,
                                                            write_brat: WriteBrat) -> None:
    write_brat(tmp_path, "doc", TEXT, ann(LINES[0], f"T2\tECO 1{'0' * 5000} 2\tx"))
    collection = read_collection(tmp_path, strict=False)
    assert [(e.code, e.line) for e in collection.skipped] == [(errors.MALFORMED_LINE, 2)]
