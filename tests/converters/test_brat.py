"""brat side: every line kind read and written back, collections as directories and .zip files."""

from __future__ import annotations

import zipfile
from pathlib import Path

from converters.brat import format_ann, parse_ann, read_collection, write_collection
from converters.brat_ann import split_at_line_breaks
from converters.document import (
    Attribute, Document, Entity, Equivalence, Event, Normalization, Note, Relation, Span,
)
from tests.fixtures.converters import EVERY_KIND_TEXT, every_kind_ann


def test_every_line_kind_is_read() -> None:
    doc, errors = parse_ann(EVERY_KIND_TEXT, every_kind_ann(), "every_kind")
    assert errors == []
    entities = doc.entity_by_id()
    assert entities["T1"].text == "Министерство\u00a0экономики"
    assert entities["T3"].spans == (Span(0, 12), Span(EVERY_KIND_TEXT.index("программу"),
                                                      EVERY_KIND_TEXT.index("программу") + 9))
    assert entities["T3"].text == "Министерство программу"
    assert entities["T6"].text == "утвердило\tпрограмму"
    assert EVERY_KIND_TEXT[entities["T7"].start:entities["T7"].end] == "🇷🇺 года"
    assert Relation("R2", "Own", "T1", "T3", "Owner", "Owned") in doc.relations
    assert Relation("R3", "GOL", "E1", "T5") in doc.relations
    assert doc.events == [Event("E1", "Approve", "T2", [("Agent", "T1"), ("Theme", "T3")]),
                          Event("E2", "Approve", "T6", [])]
    assert doc.attributes == [Attribute("A1", "Negation", "E1"),
                              Attribute("A2", "Confidence", "E1", "High"),
                              Attribute("M3", "Legacy", "T4")]
    assert doc.normalizations == [Normalization("N1", "Reference", "T1", "Wikidata:Q123",
                                                "Минэкономразвития")]
    assert doc.notes == [Note("#1", "AnnotatorNotes", "T1", "заметка с\tтабом"),
                         Note("#2", "AnnotatorNotes", "R1", "")]
    assert doc.equivalences == [Equivalence("Equiv", ("T1", "T3"))]


def test_format_then_parse_gives_the_same_document() -> None:
    doc, _ = parse_ann(EVERY_KIND_TEXT, every_kind_ann(), "every_kind")
    again, errors = parse_ann(EVERY_KIND_TEXT, format_ann(doc), "every_kind")
    assert errors == [] and again == doc


def test_bom_crlf_ann_file_and_trailing_tab_are_accepted() -> None:
    text = "Бюджет края"
    ann = "\ufeffT1\tMET 0 6\tБюджет\r\nT2\tSOC 7 11\tкрая\r\nR1\tGOL Arg1:T1 Arg2:T2\t\r\n"
    doc, errors = parse_ann(text, ann, "d")
    assert errors == [] and [e.text for e in doc.entities] == ["Бюджет", "края"]
    assert doc.relations == [Relation("R1", "GOL", "T1", "T2")]


def test_spans_over_line_breaks_are_written_as_fragments() -> None:
    text = "строка\r\nтретья"
    assert split_at_line_breaks(text, (Span(0, 14),)) == (Span(0, 6), Span(8, 14))
    assert split_at_line_breaks(text, (Span(1, 5),)) == (Span(1, 5),)
    doc = Document("d", text, entities=[Entity("T1", "MET", (Span(0, 14),), text)])
    assert format_ann(doc) == "T1\tMET 0 6;8 14\tстрока третья\n"


def test_directory_collection_reads_every_document_and_the_conf(crafted_collection: Path) -> None:
    collection = read_collection(crafted_collection)
    names = [doc.name for doc in collection.documents]
    assert names == ["empty", "every_kind", "nested/deeper/doc", "no_ann_file", "no_annotations"]
    assert collection.skipped == []
    assert collection.conf.entity_types == ["ORG", "ACT", "ECO", "MET", "QUA", "SOC", "Child"]
    assert collection.conf.relation_types == ["TSK", "GOL", "Own"]
    assert collection.conf.equivalence_types == ["Equiv"]
    assert collection.conf.event_types == ["Approve"]
    assert collection.conf.attribute_names == ["Negation", "Confidence", "Legacy"]
    by_name = {doc.name: doc for doc in collection.documents}
    assert by_name["no_ann_file"].entities == [] and by_name["empty"].text == ""


def test_write_collection_preserves_txt_bytes_exactly(crafted_collection: Path, tmp_path: Path) -> None:
    collection = read_collection(crafted_collection)
    out = tmp_path / "out"
    write_collection(collection.documents, out, conf_text="[entities]\nORG\n")
    for doc in collection.documents:
        original = (crafted_collection / f"{doc.name}.txt").read_bytes()
        assert (out / f"{doc.name}.txt").read_bytes() == original
    assert b"\r\n" in (out / "every_kind.txt").read_bytes()
    again = read_collection(out)
    assert again.documents == collection.documents
    assert again.conf.entity_types == ["ORG"]


def test_bom_in_the_text_is_a_character_brat_offsets_count(tmp_path: Path) -> None:
    (tmp_path / "bom.txt").write_bytes("\ufeffБюджет".encode())
    (tmp_path / "bom.ann").write_bytes("T1\tMET 1 7\tБюджет\n".encode())
    (doc,) = read_collection(tmp_path).documents
    assert doc.entities[0].text == "Бюджет"
    write_collection([doc], tmp_path / "out")
    assert (tmp_path / "out" / "bom.txt").read_bytes() == (tmp_path / "bom.txt").read_bytes()


def test_zip_collection_names_documents_by_member_path(crafted_collection: Path, tmp_path: Path) -> None:
    archive = tmp_path / "crafted.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(crafted_collection.rglob("*")):
            if path.is_file():
                zipped.write(path, "corpus/" + path.relative_to(crafted_collection).as_posix())
        zipped.writestr("__MACOSX/corpus/._every_kind.txt", b"\x00\x05\x16\x07\xff")
    from_zip = read_collection(archive)
    from_dir = read_collection(crafted_collection)
    assert [doc.name for doc in from_zip.documents] == [f"corpus/{doc.name}"
                                                        for doc in from_dir.documents]
    assert [doc.entities for doc in from_zip.documents] == [doc.entities for doc in from_dir.documents]
    assert from_zip.conf == from_dir.conf


def test_written_collection_is_not_private(tmp_path: Path) -> None:
    write_collection([Document("a", "текст")], tmp_path / "out")
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755
