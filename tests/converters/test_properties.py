"""Property-based round trips on random documents (hypothesis)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from converters.brat import format_ann, parse_ann, read_collection, write_collection
from converters.brat_ann import LINE_BREAKS, span_text
from converters.document import Attribute, Document, Entity, Note, Relation, Span
from converters.labelstudio import build_label_config, document_to_task, parse_label_config, read_export
from tests.fixtures.converters import canonical

PIECES = ["а", "Б", "ё", "x", " ", "  ", "\t", "\u00a0", "\r\n", "\n", "\r", "😀", "🇷🇺", ".", ",",
          "\u200b", "\ufeff", "e\u0301"]
TYPES = ["MET", "ECO", "BIN", "ACT"]
RELATION_TYPES = ["GOL", "TSK", "NNG"]


@st.composite
def documents(draw: st.DrawFn) -> Document:
    """A random text and non-empty spans that cross no line break; some discontinuous."""
    text = "".join(draw(st.lists(st.sampled_from(PIECES), max_size=40)))
    cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=12))))
    pieces = [Span(start, end) for start, end in zip(cuts, cuts[1:])
              if not any(ch in LINE_BREAKS for ch in text[start:end])]
    entities: list[Entity] = []
    index = 0
    while index < len(pieces):
        size = draw(st.integers(1, 2))
        spans = tuple(pieces[index:index + size])
        index += size
        entity_type = draw(st.sampled_from(TYPES))
        entities.append(Entity(f"T{len(entities) + 1}", entity_type, spans, span_text(text, spans)))
    ids = [entity.id for entity in entities]
    relations = []
    if ids:
        pairs = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=5))
        numbers = draw(st.lists(st.integers(1, 99), min_size=len(pairs), max_size=len(pairs),
                                unique=True))
        relations = [Relation(f"R{number}", draw(st.sampled_from(RELATION_TYPES)), first, second)
                     for number, (first, second) in zip(numbers, pairs)]
    attributes = [Attribute("A1", "Negation", ids[0])] if ids and draw(st.booleans()) else []
    notes = [Note("#1", "AnnotatorNotes", ids[-1], "note\twith tab")] if ids and draw(st.booleans()) else []
    return Document("doc", text, entities, relations, attributes=attributes, notes=notes)


@given(documents())
def test_format_then_parse_is_the_identity(doc: Document) -> None:
    again, errors = parse_ann(doc.text, format_ann(doc), doc.name)
    assert errors == [] and again == doc


@given(documents())
def test_brat_to_label_studio_to_brat_is_the_identity(doc: Document) -> None:
    config = parse_label_config(build_label_config(TYPES, RELATION_TYPES, fragments=True))
    task = json.loads(json.dumps(document_to_task(doc, config), ensure_ascii=False))
    (back,) = read_export([task])
    assert canonical(back) == canonical(doc)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=documents())
def test_collection_files_keep_every_byte(doc: Document, tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_collection([doc], out, overwrite=True)
    assert (out / "doc.txt").read_bytes() == doc.text.encode("utf-8")
    assert read_collection(out).documents == [doc]
