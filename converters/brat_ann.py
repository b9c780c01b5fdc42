"""One brat ``.ann`` file ⇄ ``Document``: every line kind, with validation by line.

Lines are TAB-separated with no escaping. A ``T`` line's text field is everything after its
second TAB (span texts may contain TABs); the other kinds tolerate one trailing empty field,
which the RuREBus files have on a few ``R`` lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from converters.document import (
    Attribute, Document, Entity, Equivalence, Event, Normalization, Note, Relation, Span,
)
from converters.errors import (
    DUPLICATE_ID, MALFORMED_LINE, ONLY_LINE_BREAKS, OFFSETS_OUTSIDE_TEXT, SPAN_TEXT_MISMATCH,
    TRUNCATED_LINE, UNKNOWN_ID, ConversionError,
)
from converters.names import TYPE_HINT, short, type_problem

OFFSETS = re.compile(r"[0-9]{1,15} [0-9]{1,15}(?:;[0-9]{1,15} [0-9]{1,15})*")
ID_PATTERN = re.compile(r"[TREAMN#]\S+")
LINE_BREAKS = ("\n", "\r")


@dataclass
class _Parsed:
    """What the line pass found, with each annotation's line number for later reference checks."""

    doc: Document
    errors: list[ConversionError] = field(default_factory=list)
    line_of: dict[int, int] = field(default_factory=dict)
    seen_ids: set[str] = field(default_factory=set)


def span_problem(text: str, span: Span) -> str | None:
    """Why ``span`` cannot stand in ``text`` (empty, reversed or outside it), or None; what the
    reader and the writer both refuse."""
    if 0 <= span.start < span.end <= len(text):
        return None
    return (f"span {span.start}-{span.end} is empty, reversed or outside the text of "
            f"{len(text)} characters")


def span_text(text: str, spans: tuple[Span, ...]) -> str:
    """The text brat stores for a (possibly discontinuous) span: fragments joined by spaces."""
    return " ".join(text[span.start:span.end] for span in spans)


def parse_ann(
    text: str, ann: str, name: str, path: str | Path | None = None, strict: bool = True,
) -> tuple[Document, list[ConversionError]]:
    """Parse an .ann against its text. Strict: raise at the first error. Lenient: skip bad lines.

    The returned errors (lenient mode) name each skipped line; annotations that refer to a skipped
    one are skipped too, each with its own error.
    """
    parsed = _Parsed(Document(name=name, text=text))
    # Windows editors may start an .ann with a byte-order mark; it is not part of the first id.
    for line_number, line in enumerate(ann.removeprefix("\ufeff").split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            _parse_line(parsed, line, line_number, path)
        except ConversionError as error:
            if strict:
                raise
            parsed.errors.append(error)
    _drop_dangling_references(parsed, path, strict)
    return parsed.doc, parsed.errors


def _parse_line(parsed: _Parsed, line: str, line_number: int, path: str | Path | None) -> None:
    def fail(code: str, message: str, hint: str) -> ConversionError:
        return ConversionError(code, message, path, line_number, hint)

    if "\t" not in line:
        raise fail(TRUNCATED_LINE, f"line '{line[:40]}' has no TAB after its id",
                   "brat lines are 'ID<TAB>TYPE ...'; the file may have been cut off")
    annotation_id, rest = line.split("\t", 1)
    if annotation_id != "*" and not ID_PATTERN.fullmatch(annotation_id):
        raise fail(MALFORMED_LINE, f"unknown annotation id '{annotation_id}'",
                   "ids start with T, R, E, A, M, N or # (or are '*' for equivalences)")
    if annotation_id in parsed.seen_ids:
        raise fail(DUPLICATE_ID, f"id {annotation_id} is used twice",
                       "give every annotation of a document its own id")
    parse = _LINE_PARSERS[annotation_id[0]]
    annotation = parse(parsed.doc.text, annotation_id, rest, fail)
    if annotation_id != "*":
        parsed.seen_ids.add(annotation_id)
    parsed.line_of[id(annotation)] = line_number
    _list_for(parsed.doc, annotation).append(annotation)


Fail = Callable[[str, str, str], ConversionError]


def _body(rest: str, fail: Fail, example: str) -> str:
    """The one TAB field after the id; an extra non-empty field is malformed (an empty one, as
    some RuREBus lines end with a TAB, is not)."""
    body, *extra = rest.split("\t")
    if any(extra):
        raise fail(MALFORMED_LINE, f"unexpected extra field '{next(filter(None, extra))[:40]}'",
                   f"write it as '{example}'")
    return body


def _words(field_text: str, minimum: int, maximum: int | None, fail: Fail, example: str) -> list[str]:
    words = field_text.split(" ")
    if len(words) < minimum or "" in words[:minimum]:
        raise fail(TRUNCATED_LINE, f"'{field_text}' has {len([w for w in words if w])} of "
                   f"{minimum} space-separated parts", f"write it as '{example}'")
    if (maximum is not None and len(words) > maximum) or "" in words:
        raise fail(MALFORMED_LINE, f"'{field_text}' is not of the form '{example}'",
                   "separate parts with single spaces")
    return words


def _reference(word: str, fail: Fail, example: str) -> tuple[str, str]:
    role, separator, target = word.partition(":")
    if not separator or not role or not target:
        raise fail(MALFORMED_LINE, f"argument '{word}' is not ROLE:ID", f"write it as '{example}'")
    return role, target


def _check_type(name: str, fail: Fail) -> None:
    """C002 for a type that brat, annotation.conf or a Label Studio config cannot hold."""
    if problem := type_problem(name):
        raise fail(MALFORMED_LINE, f"type {short(name)} {problem}", TYPE_HINT)


def _parse_text_bound(text: str, annotation_id: str, rest: str, fail: Fail) -> Entity:
    example = "T1<TAB>Type 0 5<TAB>text"
    parts = rest.split("\t", 1)
    type_and_offsets = parts[0]
    entity_type, _, offsets = type_and_offsets.partition(" ")
    if not entity_type or not offsets or len(parts) < 2:
        raise fail(TRUNCATED_LINE, f"text-bound line ends early ('{rest[:60]}')",
                   f"write it as '{example}'")
    _check_type(entity_type, fail)
    if not OFFSETS.fullmatch(offsets):
        raise fail(MALFORMED_LINE, f"offsets '{offsets}' are not 'start end[;start end...]'",
                   f"write it as '{example}'")
    spans = tuple(Span(int(start), int(end))
                  for start, end in (pair.split(" ") for pair in offsets.split(";")))
    for span in spans:
        problem = span_problem(text, span)
        if problem:
            raise fail(OFFSETS_OUTSIDE_TEXT, problem,
                       "offsets count characters (not bytes) of the .txt, end exclusive")
    expected = span_text(text, spans)
    written = parts[1]
    if written != expected:
        if expected.startswith(written):
            raise fail(TRUNCATED_LINE, f"span text '{written}' stops after {len(written)} of "
                       f"{len(expected)} characters of '{expected}'",
                       "the line was cut off, or the span contains a line break")
        raise fail(SPAN_TEXT_MISMATCH, f"span text '{written}' differs from the .txt at "
                   f"{offsets}: '{expected}'",
                   "the .ann belongs to another version of the .txt, or its offsets are shifted")
    return Entity(annotation_id, entity_type, spans, expected)


def _parse_relation(text: str, annotation_id: str, rest: str, fail: Fail) -> Relation:
    example = "R1<TAB>Type Arg1:T1 Arg2:T2"
    body = _body(rest, fail, example)
    relation_type, first, second = _words(body, 3, 3, fail, example)
    _check_type(relation_type, fail)
    arg1_role, arg1 = _reference(first, fail, example)
    arg2_role, arg2 = _reference(second, fail, example)
    return Relation(annotation_id, relation_type, arg1, arg2, arg1_role, arg2_role)


def _parse_event(text: str, annotation_id: str, rest: str, fail: Fail) -> Event:
    example = "E1<TAB>Type:T1 Role:T2"
    body = _body(rest, fail, example)
    words = _words(body, 1, None, fail, example)
    event_type, trigger = _reference(words[0], fail, example)
    _check_type(event_type, fail)
    arguments = [_reference(word, fail, example) for word in words[1:]]
    return Event(annotation_id, event_type, trigger, arguments)


def _parse_attribute(text: str, annotation_id: str, rest: str, fail: Fail) -> Attribute:
    example = "A1<TAB>Name E1 [Value]"
    body = _body(rest, fail, example)
    words = _words(body, 2, 3, fail, example)
    return Attribute(annotation_id, words[0], words[1], words[2] if len(words) == 3 else None)


def _parse_normalization(text: str, annotation_id: str, rest: str, fail: Fail) -> Normalization:
    example = "N1<TAB>Reference T1 Wikipedia:534366<TAB>text"
    if "\t" not in rest:
        raise fail(TRUNCATED_LINE, "normalisation has no TAB before its text",
                   f"write it as '{example}'")
    body, note_text = rest.split("\t", 1)
    normalization_type, target, reference = _words(body, 3, 3, fail, example)
    _reference(reference, fail, example)
    return Normalization(annotation_id, normalization_type, target, reference, note_text)


def _parse_note(text: str, annotation_id: str, rest: str, fail: Fail) -> Note:
    example = "#1<TAB>AnnotatorNotes T1<TAB>note text"
    if "\t" not in rest:
        raise fail(TRUNCATED_LINE, "note has no TAB before its text", f"write it as '{example}'")
    body, note_text = rest.split("\t", 1)
    note_type, target = _words(body, 2, 2, fail, example)
    return Note(annotation_id, note_type, target, note_text)


def _parse_equivalence(text: str, annotation_id: str, rest: str, fail: Fail) -> Equivalence:
    example = "*<TAB>Equiv T1 T2"
    body = _body(rest, fail, example)
    words = _words(body, 3, None, fail, example)
    return Equivalence(words[0], tuple(words[1:]))


_LINE_PARSERS = {
    "T": _parse_text_bound, "R": _parse_relation, "E": _parse_event, "A": _parse_attribute,
    "M": _parse_attribute, "N": _parse_normalization, "#": _parse_note, "*": _parse_equivalence,
}


def _list_for(doc: Document, annotation: object) -> list:
    lists = {
        Entity: doc.entities, Relation: doc.relations, Event: doc.events,
        Attribute: doc.attributes, Normalization: doc.normalizations, Note: doc.notes,
        Equivalence: doc.equivalences,
    }
    return lists[type(annotation)]


def _references(annotation: object) -> list[tuple[str, str]]:
    """(target id, allowed id prefixes) for each id an annotation points to."""
    if isinstance(annotation, Relation):
        return [(annotation.arg1, "TE"), (annotation.arg2, "TE")]
    if isinstance(annotation, Event):
        return [(annotation.trigger, "T")] + [(target, "TE") for _, target in annotation.arguments]
    if isinstance(annotation, Normalization):
        return [(annotation.target, "T")]
    if isinstance(annotation, Equivalence):
        return [(target, "T") for target in annotation.ids]
    if isinstance(annotation, (Attribute, Note)):
        return [(annotation.target, "TREN")]
    return []


def _drop_dangling_references(parsed: _Parsed, path: str | Path | None, strict: bool) -> None:
    """Check every reference; in lenient mode drop dangling ones until nothing else dangles."""
    doc = parsed.doc
    groups = [doc.events, doc.relations, doc.attributes, doc.normalizations, doc.notes,
              doc.equivalences]
    changed = True
    while changed:
        changed = False
        existing = {entity.id for entity in doc.entities}
        existing |= {a.id for group in groups for a in group if not isinstance(a, Equivalence)}
        for group in groups:
            for annotation in list(group):
                error = _dangling(annotation, existing, path, parsed.line_of[id(annotation)])
                if error is None:
                    continue
                if strict:
                    raise error
                parsed.errors.append(error)
                group.remove(annotation)
                changed = True


def _dangling(annotation: object, existing: set[str], path: str | Path | None,
              line_number: int) -> ConversionError | None:
    for target, prefixes in _references(annotation):
        if target not in existing or target[0] not in prefixes:
            kinds = " or ".join(prefixes)
            return ConversionError(
                UNKNOWN_ID, f"refers to {target}, which is not a {kinds} annotation of the document",
                path, line_number, "add the missing annotation or fix the id")
    return None


def format_ann(doc: Document) -> str:
    """The .ann text of a document: T, E, R, A, N, #, * lines, each kind in list order.

    brat cannot store a line break inside a span, so spans are cut at line breaks into fragments
    (what brat's own editor does with such a selection). An entity with a span that is empty,
    reversed or outside the text raises C006, one with nothing but line breaks C015.
    """
    lines = [_format_entity(doc, entity) for entity in doc.entities]
    lines += [f"{event.id}\t{event.type}:{event.trigger}"
              + "".join(f" {role}:{target}" for role, target in event.arguments)
              for event in doc.events]
    lines += [f"{relation.id}\t{relation.type} {relation.arg1_role}:{relation.arg1} "
              f"{relation.arg2_role}:{relation.arg2}" for relation in doc.relations]
    lines += [f"{attribute.id}\t{attribute.name} {attribute.target}"
              + ("" if attribute.value is None else f" {attribute.value}")
              for attribute in doc.attributes]
    lines += [f"{norm.id}\t{norm.type} {norm.target} {norm.reference}\t{norm.text}"
              for norm in doc.normalizations]
    lines += [f"{note.id}\t{note.type} {note.target}\t{note.text}" for note in doc.notes]
    lines += [f"*\t{equivalence.type} {' '.join(equivalence.ids)}"
              for equivalence in doc.equivalences]
    return "".join(line + "\n" for line in lines)


def _format_entity(doc: Document, entity: Entity) -> str:
    for span in entity.spans:
        problem = span_problem(doc.text, span)
        if problem:
            raise ConversionError(
                OFFSETS_OUTSIDE_TEXT, f"entity {entity.id}: {problem}",
                hint="offsets count characters of the document text, end exclusive; fix or "
                     "drop the entity")
    spans = split_at_line_breaks(doc.text, entity.spans)
    if not spans:
        where = ";".join(f"{span.start}-{span.end}" for span in entity.spans)
        raise ConversionError(
            ONLY_LINE_BREAKS, f"entity {entity.id} at {where} covers only line breaks",
            hint="brat cannot store a line break in a span; drop the entity or widen it to a word")
    offsets = ";".join(f"{span.start} {span.end}" for span in spans)
    return f"{entity.id}\t{entity.type} {offsets}\t{span_text(doc.text, spans)}"


def split_at_line_breaks(text: str, spans: tuple[Span, ...]) -> tuple[Span, ...]:
    """Cut fragments at line breaks, as brat's own editor does, so that brat can store them.

    The line-break characters leave the entity; spans without a line break are kept as they are.
    """
    result: list[Span] = []
    for span in spans:
        start = span.start
        for position in range(span.start, span.end + 1):
            if position == span.end or text[position] in LINE_BREAKS:
                if position > start:
                    result.append(Span(start, position))
                start = position + 1
    return tuple(result)
