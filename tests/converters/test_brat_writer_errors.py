"""The brat writer (``format_ann``) refuses, with a coded error that names the entity and its
offsets, what brat cannot store: a span outside the text (C006, was an uncoded ``IndexError`` one
past the end) or an entity of nothing but line breaks (C015, was written as an unreadable line).
What the reader accepts, including a span that ends at the text's end, writes and reads back
(issue 22 item 6)."""

from __future__ import annotations

import pytest

from converters import errors
from converters.brat_ann import format_ann, parse_ann
from converters.document import Document, Entity, Span
from converters.errors import ConversionError

TEXT = "Рост доходов."  # 13 characters
SPAN_HINT = ("offsets count characters of the document text, end exclusive; fix or drop the "
             "entity")


def document_with(*spans: tuple[int, int], text: str = TEXT) -> Document:
    entity_spans = tuple(Span(start, end) for start, end in spans)
    surface = " ".join(text[span.start:span.end] for span in entity_spans)
    return Document("d", text, entities=[
        Entity("T1", "ECO", (Span(0, 4),), "Рост"),
        Entity("T7", "ECO", entity_spans, surface)])


def test_a_span_ending_at_the_texts_end_is_written_and_reads_back():
    document = document_with((5, 13))
    ann = format_ann(document)
    assert ann.splitlines()[1] == "T7\tECO 5 13\tдоходов."
    again, problems = parse_ann(TEXT, ann, "d")
    assert problems == [] and again.entities == document.entities


@pytest.mark.parametrize(("spans", "shown"), [
    (((5, 14),), "5-14"),            # one past the end: was an IndexError
    (((0, 4), (9, 20)), "9-20"),      # the second fragment of a discontinuous entity
    (((14, 16),), "14-16"),           # wholly past the end
    (((5, 5),), "5-5"),               # empty
    (((8, 5),), "8-5"),               # reversed
    (((-2, 3),), "-2-3"),             # before the start: text[-2] would be read silently
])
def test_a_span_outside_the_text_is_a_coded_error_naming_the_entity_and_offsets(spans, shown):
    with pytest.raises(ConversionError) as caught:
        format_ann(document_with(*spans))
    assert caught.value.code == errors.OFFSETS_OUTSIDE_TEXT
    assert caught.value.message == (f"entity T7: span {shown} is empty, reversed or outside the "
                                    "text of 13 characters")
    assert caught.value.hint == SPAN_HINT


def test_an_entity_of_only_line_breaks_that_the_reader_accepts_is_a_coded_error():
    # a carriage return inside a line is text to the reader, so this span reads back
    text = "ab\r\rcd"
    document, problems = parse_ann(text, "T1\tX 0 2\tab\nT2\tX 2 3;3 4\t\r \r\r\n", "d")
    assert problems == [] and [entity.id for entity in document.entities] == ["T1", "T2"]
    with pytest.raises(ConversionError) as caught:
        format_ann(document)
    assert caught.value.code == errors.ONLY_LINE_BREAKS
    assert caught.value.message == "entity T2 at 2-3;3-4 covers only line breaks"
    assert caught.value.hint == ("brat cannot store a line break in a span; drop the entity or "
                                 "widen it to a word")


def test_line_breaks_at_a_spans_edges_are_cut_off_and_the_rest_is_written():
    text = "ab\r\rcd"
    document, _ = parse_ann(text, "T1\tX 1 3;3 5\tb\r \rc\n", "d")
    assert format_ann(document) == "T1\tX 1 2;4 5\tb c\n"
