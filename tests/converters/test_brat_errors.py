"""One test per malformed brat input: the error's code, file and line; strict vs lenient."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from converters import errors
from converters.brat import read_collection, write_collection
from converters.document import Document
from converters.errors import ConversionError
from tests.fixtures.converters import WriteBrat

TEXT = "Министерство экономики утвердило программу.\n"
GOOD = "T1\tORG 0 12\tМинистерство\nT2\tACT 23 32\tутвердило\n"


def first_error(root: Path) -> ConversionError:
    with pytest.raises(ConversionError) as caught:
        read_collection(root)
    return caught.value


@pytest.mark.parametrize(("bad_line", "code"), [
    ("X1\tORG 0 12\tМинистерство", errors.MALFORMED_LINE),
    ("T3\tORG zero 12\tМинистерство", errors.MALFORMED_LINE),
    ("R1\tTSK T1 T2", errors.MALFORMED_LINE),
    ("A1\tNeg T1 value extra", errors.MALFORMED_LINE),
    ("R1\tTSK Arg1:T1 Arg2:T2\tcomment", errors.MALFORMED_LINE),
    ("T3", errors.TRUNCATED_LINE),
    ("T3\tORG 0 12", errors.TRUNCATED_LINE),
    ("T3\tORG", errors.TRUNCATED_LINE),
    ("T3\tORG 0 12\tМинис", errors.TRUNCATED_LINE),
    ("R1\tTSK Arg1:T1", errors.TRUNCATED_LINE),
    ("N1\tReference T1 Wiki:1", errors.TRUNCATED_LINE),
    ("#1\tAnnotatorNotes T1", errors.TRUNCATED_LINE),
    ("*\tEquiv T1", errors.TRUNCATED_LINE),
    ("T1\tORG 0 12\tМинистерство", errors.DUPLICATE_ID),
    ("R1\tTSK Arg1:T1 Arg2:T9", errors.UNKNOWN_ID),
    ("A1\tNegation E4", errors.UNKNOWN_ID),
    ("E1\tApprove:R1", errors.UNKNOWN_ID),
    ("T3\tORG 40 99\tпрограмму.", errors.OFFSETS_OUTSIDE_TEXT),
    ("T3\tORG 12 12\t", errors.OFFSETS_OUTSIDE_TEXT),
    ("T3\tORG 13 22\tэкономика", errors.SPAN_TEXT_MISMATCH),
])
def test_malformed_line_is_reported_with_code_file_and_line(
    tmp_path: Path, write_brat: WriteBrat, bad_line: str, code: str,
) -> None:
    write_brat(tmp_path, "doc", TEXT, GOOD + bad_line + "\n")
    error = first_error(tmp_path)
    assert (error.code, error.line) == (code, 3)
    assert error.path == str(tmp_path / "doc.ann")
    assert str(error).startswith(f"{tmp_path / 'doc.ann'}:3: [{code}] ")
    assert error.hint and str(error).endswith(f"({error.hint})")


def test_non_utf8_text_names_the_line(tmp_path: Path, write_brat: WriteBrat) -> None:
    write_brat(tmp_path, "doc", "строка\nвторая ".encode() + "ошибка".encode("cp1251"), "")
    error = first_error(tmp_path)
    assert (error.code, error.path, error.line) == (errors.NON_UTF8, str(tmp_path / "doc.txt"), 2)


def test_non_utf8_ann_names_the_line(tmp_path: Path, write_brat: WriteBrat) -> None:
    write_brat(tmp_path, "doc", TEXT, GOOD.encode() + "#1\tNote T1\tплохо\n".encode("cp1251"))
    error = first_error(tmp_path)
    assert (error.code, error.path, error.line) == (errors.NON_UTF8, str(tmp_path / "doc.ann"), 3)


def test_ann_without_txt_is_reported(tmp_path: Path) -> None:
    (tmp_path / "orphan.ann").write_text(GOOD, encoding="utf-8")
    error = first_error(tmp_path)
    assert (error.code, error.path) == (errors.MISSING_FILE, str(tmp_path / "orphan.ann"))


def test_missing_source_is_reported(tmp_path: Path) -> None:
    assert first_error(tmp_path / "absent").code == errors.MISSING_FILE


def test_bad_annotation_conf_names_its_line(tmp_path: Path, write_brat: WriteBrat) -> None:
    write_brat(tmp_path, "doc", TEXT, GOOD)
    (tmp_path / "annotation.conf").write_text("[entities]\nORG\n[colours]\nred\n", encoding="utf-8")
    error = first_error(tmp_path)
    assert (error.code, error.path, error.line) == (
        errors.BAD_ANNOTATION_CONF, str(tmp_path / "annotation.conf"), 3)


@pytest.mark.parametrize("member", ["/etc/doc.txt", "../outside/doc.txt", "a/../../doc.ann",
                                    "C:\\docs\\doc.txt"])
def test_zip_refuses_absolute_and_parent_members(tmp_path: Path, member: str) -> None:
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("ok/doc.txt", TEXT)
        zipped.writestr(member, TEXT)
    error = first_error(archive)
    assert (error.code, error.path) == (errors.UNSAFE_ARCHIVE_MEMBER, archive)
    lenient = read_collection(archive, strict=False)
    assert [doc.name for doc in lenient.documents] == ["ok/doc"]
    assert [e.code for e in lenient.skipped] == [errors.UNSAFE_ARCHIVE_MEMBER]


def test_lenient_mode_skips_each_bad_line_and_what_depends_on_it(
    tmp_path: Path, write_brat: WriteBrat,
) -> None:
    ann = (GOOD + "T3\tECO 13 22\tэкономика\n"    # line 3: text differs
           + "R1\tTSK Arg1:T1 Arg2:T3\n"          # line 4: refers to the skipped T3
           + "#1\tAnnotatorNotes R1\tnote\n"      # line 5: refers to the skipped R1
           + "R2\tTSK Arg1:T1 Arg2:T2\n"          # line 6: fine
           + "garbage\n")                          # line 7: no TAB
    write_brat(tmp_path, "doc", TEXT, ann)
    write_brat(tmp_path, "latin1", "caf\xe9".encode("latin-1"), "")
    write_brat(tmp_path, "fine", TEXT, GOOD)
    assert first_error(tmp_path).line == 3
    collection = read_collection(tmp_path, strict=False)
    assert [doc.name for doc in collection.documents] == ["doc", "fine"]
    doc = collection.documents[0]
    assert [e.id for e in doc.entities] == ["T1", "T2"]
    assert [r.id for r in doc.relations] == ["R2"] and doc.notes == []
    found = sorted((e.path, e.line, e.code) for e in collection.skipped)
    ann_path, txt_path = str(tmp_path / "doc.ann"), str(tmp_path / "latin1.txt")
    assert found == sorted([
        (ann_path, 3, errors.SPAN_TEXT_MISMATCH), (ann_path, 7, errors.TRUNCATED_LINE),
        (ann_path, 4, errors.UNKNOWN_ID), (ann_path, 5, errors.UNKNOWN_ID),
        (txt_path, 1, errors.NON_UTF8),
    ])


def test_failed_write_leaves_no_output_directory(tmp_path: Path) -> None:
    docs = [Document("good", "текст"), Document("../escape", "текст")]
    out = tmp_path / "out"
    with pytest.raises(ConversionError) as caught:
        write_collection(docs, out)
    assert caught.value.code == errors.UNSAFE_ARCHIVE_MEMBER
    assert list(tmp_path.iterdir()) == []


def test_duplicate_document_names_fail_atomically(tmp_path: Path) -> None:
    with pytest.raises(ConversionError) as caught:
        write_collection([Document("a", "x"), Document("a", "y")], tmp_path / "out")
    assert caught.value.code == errors.DUPLICATE_DOCUMENT
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_kept_unless_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_collection([Document("a", "первый")], out)
    with pytest.raises(ConversionError) as caught:
        write_collection([Document("b", "второй")], out)
    assert caught.value.code == errors.OUTPUT_EXISTS
    assert (out / "a.txt").read_text(encoding="utf-8") == "первый"
    write_collection([Document("b", "второй")], out, overwrite=True)
    assert sorted(path.name for path in out.iterdir()) == ["b.ann", "b.txt"]
    assert [path.name for path in tmp_path.iterdir()] == ["out"]


def test_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    not_zip = tmp_path / "corpus.zip"
    not_zip.write_text(TEXT, encoding="utf-8")
    error = first_error(not_zip)
    assert (error.code, error.path) == (errors.BAD_ARCHIVE, not_zip)


def test_a_span_may_end_at_the_texts_end_but_not_one_past_it() -> None:
    from converters.brat_ann import parse_ann

    text = "Рост доходов."  # 13 characters; slicing past the end would still give "доходов."
    document, _ = parse_ann(text, "T1\tECO 5 13\tдоходов.\n", "d")
    assert [(e.start, e.end, e.text) for e in document.entities] == [(5, 13, "доходов.")]
    with pytest.raises(ConversionError) as caught:
        parse_ann(text, "T1\tECO 5 14\tдоходов.\n", "d")
    assert caught.value.code == errors.OFFSETS_OUTSIDE_TEXT
    assert "outside the text of 13 characters" in str(caught.value)
