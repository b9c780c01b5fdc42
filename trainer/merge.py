"""Add predictions to a document that already has annotations, never touching what is there.

A predicted entity is added only when it overlaps no existing entity; one identical to an
existing entity (type and offsets) is that entity. A predicted relation is added when both its
arguments are kept (added or identical) and the same relation is not there already.
"""

from __future__ import annotations

import re
from dataclasses import replace

from converters.document import Document, Entity, Relation


def _next_number(ids: list[str], prefix: str) -> int:
    numbers = [int(match.group(1)) for match in
               (re.fullmatch(rf"{prefix}(\d+)", identifier) for identifier in ids) if match]
    return max(numbers, default=0) + 1


def _overlaps(entity: Entity, others: list[Entity]) -> bool:
    return any(span.start < other_span.end and other_span.start < span.end
               for other in others for other_span in other.spans for span in entity.spans)


def add_predictions(existing: Document, predicted: Document) -> Document:
    """``existing`` plus the predictions that fit it (see module docstring)."""
    merged = replace(existing, entities=list(existing.entities),
                     relations=list(existing.relations))
    identical = {(entity.type, entity.spans): entity.id for entity in existing.entities}
    next_entity = _next_number([entity.id for entity in existing.entities], "T")
    new_ids: dict[str, str] = {}
    for entity in predicted.entities:
        same = identical.get((entity.type, entity.spans))
        if same is not None:
            new_ids[entity.id] = same
        elif not _overlaps(entity, existing.entities):
            new_ids[entity.id] = f"T{next_entity}"
            next_entity += 1
            merged.entities.append(replace(entity, id=new_ids[entity.id]))
    present = {(relation.type, frozenset((relation.arg1, relation.arg2)))
               for relation in existing.relations}
    next_relation = _next_number([relation.id for relation in existing.relations], "R")
    for relation in predicted.relations:
        arg1, arg2 = new_ids.get(relation.arg1), new_ids.get(relation.arg2)
        key = (relation.type, frozenset((arg1, arg2)))
        if arg1 is None or arg2 is None or key in present:
            continue
        present.add(key)
        merged.relations.append(Relation(f"R{next_relation}", relation.type, arg1, arg2,
                                         score=relation.score))
        next_relation += 1
    return merged
