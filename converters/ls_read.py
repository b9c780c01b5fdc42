"""Label Studio results → ``Document``: regions, fragment chains and relations, validated.

The representation is the one ``converters.ls_write`` produces (see its docstring); regions and
relations made by hand in Label Studio read the same way. A region's text is taken from the task
text at its offsets, never from ``value.text``: Label Studio 1.23 writes line breaks inside
``value.text`` as ``\\n`` (docs/label-studio-offsets.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from converters.brat_ann import span_text
from converters.document import Document, Entity, Relation, Span
from converters.errors import BAD_RESULT, OFFSETS_OUTSIDE_TEXT, UNKNOWN_ID, ConversionError
from converters.label_config import FRAGMENT_RELATION
from converters.names import TYPE_HINT, short, type_problem
from converters.offsets import from_label_studio

ENTITY_ID = re.compile(r"T([0-9]{1,9})")
"""Region ids kept as brat entity ids; others (and longer numbers) get fresh ``T`` ids."""
LINE_BREAKS = ("\n", "\r")


@dataclass
class _Region:
    id: str
    labels: list[str]
    span: Span
    score: float | None


@dataclass
class _ResultReader:
    """One pass over a result list; ``errors`` is None in strict mode (raise at the first)."""

    text: str
    where: str
    errors: list[ConversionError] | None
    regions: dict[str, _Region] = field(default_factory=dict)
    links: list[tuple[int, dict]] = field(default_factory=list)

    def fail(self, error: ConversionError) -> None:
        if self.errors is None:
            raise error
        self.errors.append(error)

    def error(self, code: str, index: int, item: dict, message: str, hint: str) -> ConversionError:
        region_id = item.get("id", "-")
        shown = region_id if isinstance(region_id, str) and len(region_id) <= 80 else short(region_id)
        return ConversionError(code, f"result #{index} (id {shown}): {message}",
                               self.where, hint=hint)

    def read(self, result_list: list) -> None:
        for index, item in enumerate(result_list):
            try:
                if not isinstance(item, dict):
                    raise self.error(BAD_RESULT, index, {}, "is not a JSON object",
                                     "export the project as JSON")
                kind = item.get("type")
                if kind == "labels":
                    self.read_region(index, item)
                elif kind == "relation":
                    self.read_link(index, item)
                else:
                    raise self.error(BAD_RESULT, index, item, f"result type {short(kind)} is not "
                                     "converted (only labels and relation)",
                                     "remove that control from the labeling config")
            except ConversionError as error:
                self.fail(error)

    def read_region(self, index: int, item: dict) -> None:
        value = item.get("value")
        region_id = item.get("id")
        if (not isinstance(value, dict) or not isinstance(region_id, str)
                or not all(type(value.get(key)) is int for key in ("start", "end"))):
            found = (f"start {short(value.get('start'))}, end {short(value.get('end'))}"
                     if isinstance(value, dict) else f"value {short(value)}")
            raise self.error(BAD_RESULT, index, item, "a labels region needs a string id and "
                             f"integer value.start and value.end (found id {short(region_id)}, "
                             f"{found})", "export the project as JSON")
        labels = value.get("labels")
        if not isinstance(labels, list) or not labels:
            raise self.error(BAD_RESULT, index, item, f"value.labels must be a non-empty list of "
                             f"label names, not {short(labels)}",
                             "give every region a label in Label Studio")
        for label in labels:
            if problem := type_problem(label):
                raise self.error(BAD_RESULT, index, item, f"label {short(label)} {problem}",
                                 TYPE_HINT)
        if region_id in self.regions:
            raise self.error(BAD_RESULT, index, item, "region id is used twice",
                             "region ids must be unique within an annotation")
        start, end = from_label_studio(self.text, value["start"], value["end"])
        if not 0 <= start < end <= len(self.text):
            raise self.error(OFFSETS_OUTSIDE_TEXT, index, item, f"offsets {start}-{end} are empty "
                             f"or outside the text of {len(self.text)} characters",
                             "the task text changed after annotation")
        if all(character in LINE_BREAKS for character in self.text[start:end]):
            raise self.error(BAD_RESULT, index, item, f"region {start}-{end} covers only line "
                             "breaks, which brat cannot store", "delete the region")
        score = item.get("score")
        self.regions[region_id] = _Region(region_id, list(labels), Span(start, end),
                                          score if type(score) in (int, float) else None)

    def read_link(self, index: int, item: dict) -> None:
        ends = (item.get("from_id"), item.get("to_id"))
        if not all(isinstance(end, str) for end in ends):
            raise self.error(BAD_RESULT, index, item, f"a relation needs string from_id and to_id "
                             f"(found {short(ends[0])} → {short(ends[1])})",
                             "export the project as JSON")
        self.links.append((index, item))


def result_to_document(
    name: str, text: str, result_list: list, errors: list[ConversionError] | None = None,
    where: str | None = None,
) -> Document:
    """One Label Studio ``result`` list (an annotation, prediction or webhook payload) → Document.

    Strict by default (raise the first ``ConversionError``); pass a list as ``errors`` to skip
    bad results and collect their errors there instead. ``where`` names the source in errors.
    Region ids of the form ``T<n>`` are kept as entity ids; other regions get fresh ``T`` ids.
    """
    reader = _ResultReader(text, where or name, errors)
    reader.read(result_list)
    groups, relation_items = _fragment_groups(reader)
    entities, entity_of_region = _entities(reader, groups)
    relations = _relations(reader, relation_items, entity_of_region)
    return Document(name=name, text=text, entities=entities, relations=relations)


def _relation_labels(item: dict) -> list[str]:
    """A relation's labels; anything but a list of strings counts as no label."""
    labels = item.get("labels")
    if isinstance(labels, list) and all(isinstance(label, str) for label in labels):
        return labels
    return []


def _fragment_groups(reader: _ResultReader) -> tuple[list[list[_Region]], list[tuple[int, dict]]]:
    """Regions grouped by ``fragment`` links (singletons for most), and the other relations."""
    parent = {region_id: region_id for region_id in reader.regions}

    def root(region_id: str) -> str:
        while parent[region_id] != region_id:
            region_id = parent[region_id]
        return region_id

    others = []
    for index, item in reader.links:
        if FRAGMENT_RELATION not in _relation_labels(item):
            others.append((index, item))
            continue
        ends = (item.get("from_id"), item.get("to_id"))
        if not all(end in reader.regions for end in ends):
            reader.fail(reader.error(UNKNOWN_ID, index, item, f"fragment link {short(ends)} names a "
                                     "region that is not in the result", "delete the link"))
            continue
        parent[root(ends[1])] = root(ends[0])
    grouped: dict[str, list[_Region]] = {}
    for region in reader.regions.values():
        grouped.setdefault(root(region.id), []).append(region)
    groups = []
    for members in grouped.values():
        if len({tuple(member.labels) for member in members}) > 1:
            reader.fail(ConversionError(
                BAD_RESULT, f"fragments {', '.join(m.id for m in members)} of one entity have "
                "different labels", reader.where, hint="give all fragments the same label"))
            continue
        groups.append(sorted(members, key=lambda member: member.span.start))
    return groups, others


def _entities(reader: _ResultReader,
              groups: list[list[_Region]]) -> tuple[list[Entity], dict[str, str]]:
    numbers = [int(match.group(1)) for region_id in reader.regions
               if (match := ENTITY_ID.fullmatch(region_id))]
    next_number = max(numbers, default=0) + 1
    entities, entity_of_region = [], {}
    for members in groups:
        spans = tuple(member.span for member in members)
        kept = [member.id for member in members if ENTITY_ID.fullmatch(member.id)]
        for label_index, label in enumerate(members[0].labels):
            if kept and label_index == 0:
                entity_id = kept[0]
            else:
                entity_id, next_number = f"T{next_number}", next_number + 1
            entities.append(Entity(entity_id, label, spans, span_text(reader.text, spans),
                                   members[0].score))
            for member in members:
                entity_of_region.setdefault(member.id, entity_id)
    return entities, entity_of_region


def _relations(reader: _ResultReader, items: list[tuple[int, dict]],
               entity_of_region: dict[str, str]) -> list[Relation]:
    relations = []
    for index, item in items:
        from_id, to_id = item.get("from_id"), item.get("to_id")
        labels = _relation_labels(item)
        direction = item.get("direction", "right")
        if from_id not in entity_of_region or to_id not in entity_of_region:
            reader.fail(reader.error(UNKNOWN_ID, index, item, f"relation {from_id} → {to_id} "
                                     "names a region that is not in the result",
                                     "delete the relation or restore its region"))
            continue
        if not labels or direction not in ("right", "left", "bi"):
            reader.fail(reader.error(BAD_RESULT, index, item, f"relation needs a label and a "
                                     f"direction right/left/bi (labels {short(item.get('labels'))}"
                                     f", direction {short(direction)})",
                                     "label the relation in Label Studio"))
            continue
        problems = [(label, problem) for label in labels if (problem := type_problem(label))]
        if problems:
            label, problem = problems[0]
            reader.fail(reader.error(BAD_RESULT, index, item, f"relation label {short(label)} "
                                     f"{problem}", TYPE_HINT))
            continue
        arg1, arg2 = entity_of_region[from_id], entity_of_region[to_id]
        if direction == "left":
            arg1, arg2 = arg2, arg1
        for label in labels:
            relations.append(Relation(f"R{len(relations) + 1}", label, arg1, arg2))
    return relations
