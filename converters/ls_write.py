"""``Document`` → Label Studio results and import tasks.

Representation (see README "Converters"):

* each entity fragment is a ``labels`` region whose id is the brat id (``T3``; further fragments
  of a discontinuous entity are ``T3-2``, ``T3-3``, chained by ``fragment`` relations);
* each relation with the default roles between two entities is a ``relation`` result,
  ``from_id`` = Arg1, ``to_id`` = Arg2, ``direction: right``;
* everything Label Studio cannot show (events, attributes, normalisations, notes, equivalences,
  and relations with other roles, with an event argument, or with an attribute or note on
  them) stays as brat lines in the task's ``data["brat"]``; ``data["document"]`` keeps the
  document name and ``data["brat_relation_ids"]`` the ids of the shown relations.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from statistics import fmean

from converters.brat_ann import format_ann
from converters.document import Document, Entity, Relation
from converters.errors import BAD_RESULT, ConversionError
from converters.label_config import FRAGMENT_RELATION, LabelConfig
from converters.offsets import to_label_studio

BRAT_DATA_KEY = "brat"
"""Task ``data`` key holding the brat lines Label Studio has no region or relation for."""
NAME_DATA_KEY = "document"
"""Task ``data`` key holding the document name (its brat path stem)."""
RELATION_IDS_DATA_KEY = "brat_relation_ids"
"""Task ``data`` key mapping ``"TYPE ARG1 ARG2"`` to the brat ids of the relations shown as
``relation`` results, which Label Studio stores without an id."""
DEFAULT_ROLES = ("Arg1", "Arg2")


def _shown_relations(doc: Document) -> list[Relation]:
    """Relations Label Studio can show: default roles, two entity arguments, and no attribute or
    note pointing at them (Label Studio drops relation ids, which those lines need)."""
    entity_ids = {entity.id for entity in doc.entities}
    targets = {a.target for a in doc.attributes} | {note.target for note in doc.notes}
    return [relation for relation in doc.relations
            if (relation.arg1_role, relation.arg2_role) == DEFAULT_ROLES
            and relation.arg1 in entity_ids and relation.arg2 in entity_ids
            and relation.id not in targets]


def relation_key(relation: Relation) -> str:
    """How a shown relation is recognised when it comes back: its type and argument ids."""
    return f"{relation.type} {relation.arg1} {relation.arg2}"


def relation_ids(doc: Document) -> dict[str, list[str]]:
    """``relation_key`` → brat ids (a list: the same relation may be annotated twice)."""
    ids: dict[str, list[str]] = {}
    for relation in _shown_relations(doc):
        ids.setdefault(relation_key(relation), []).append(relation.id)
    return ids


def brat_extras(doc: Document) -> str:
    """The brat lines of everything ``document_to_result`` does not turn into results."""
    shown = {id(relation) for relation in _shown_relations(doc)}
    hidden = Document(
        doc.name, doc.text,
        relations=[r for r in doc.relations if id(r) not in shown],
        events=doc.events, attributes=doc.attributes, normalizations=doc.normalizations,
        notes=doc.notes, equivalences=doc.equivalences)
    return format_ann(hidden)


def document_to_result(doc: Document, config: LabelConfig, drop_unknown: bool = False) -> list[dict]:
    """Label Studio ``result`` items for a document's entities and relations.

    Entities carry ``score`` when they have one. A label missing from the config raises C022,
    or, with ``drop_unknown``, drops the entity or relation (and the relations that use it).
    """
    results: list[dict] = []
    shown: set[str] = set()
    for entity in doc.entities:
        if entity.type not in config.entity_labels:
            if drop_unknown:
                continue
            raise _unknown_label(doc, "entity", entity.id, entity.type, config.entity_labels)
        if len(entity.spans) > 1 and not config.has_fragments:
            raise ConversionError(
                BAD_RESULT, f"entity {entity.id} is discontinuous but the labeling config has no "
                f"'{FRAGMENT_RELATION}' relation", doc.name,
                hint="build the config with build_label_config(..., fragments=True)")
        results.extend(_entity_regions(doc.text, entity, config))
        shown.add(entity.id)
    for relation in _shown_relations(doc):
        if relation.type not in config.relation_labels or not {relation.arg1, relation.arg2} <= shown:
            if drop_unknown:
                continue
            raise _unknown_label(doc, "relation", relation.id, relation.type,
                                 config.relation_labels)
        results.append(_relation_result(relation.arg1, relation.arg2, relation.type))
    return results


NOTHING_FOUND_SCORE = 0.0
"""Score of a prediction where the model found nothing: an annotator should look first."""


def restrict_to_config(doc: Document, config: LabelConfig) -> Document:
    """The document without entity and relation types the label config lacks, and without the
    relations left without an end: the one rule for labels a model knows and a project does not
    (Label Studio stores predictions without checking them; an unknown label breaks only in the UI).
    Types are renamed as the config's ``predicted_values`` say (``LabelConfig.entity_label``)."""
    entities = [replace(entity, type=label) for entity in doc.entities
                if (label := config.entity_label(entity.type)) is not None]
    kept = {entity.id for entity in entities}
    relations = [replace(relation, type=label) for relation in doc.relations
                 if (label := config.relation_label(relation.type)) is not None
                 and relation.arg1 in kept and relation.arg2 in kept]
    return Document(name=doc.name, text=doc.text, entities=entities, relations=relations)


def least_confident(doc: Document) -> float:
    """The score of the document's least confident entity or relation, so that sorting tasks
    ascending puts doubtful ones first; ``NOTHING_FOUND_SCORE`` when it has none."""
    scores = [item.score for item in (*doc.entities, *doc.relations) if item.score is not None]
    return min(scores) if scores else NOTHING_FOUND_SCORE


def document_to_prediction(doc: Document, config: LabelConfig, model_version: str) -> dict:
    """A Label Studio prediction (``model_version``, ``score``, ``result``) of a model's document:
    types the config lacks left out (``restrict_to_config``), scored by what is sent
    (``least_confident``). What ``/predict`` answers and what a retraining uploads."""
    shown = restrict_to_config(doc, config)
    return {"model_version": model_version, "score": least_confident(shown),
            "result": document_to_result(shown, config)}


def _unknown_label(doc: Document, kind: str, annotation_id: str, label: str,
                   known: list[str]) -> ConversionError:
    return ConversionError(
        BAD_RESULT, f"{kind} {annotation_id} has label '{label}', which the labeling config lacks "
        f"(it has: {', '.join(known) or 'none'})", doc.name,
        hint="regenerate the config from these documents (brat2ls --config-out) or add the label")


def _entity_regions(text: str, entity: Entity, config: LabelConfig) -> list[dict]:
    region_ids = [entity.id] + [f"{entity.id}-{number}"
                                for number in range(2, len(entity.spans) + 1)]
    regions = []
    for region_id, span in zip(region_ids, entity.spans):
        start, end = to_label_studio(text, span.start, span.end)
        region = {
            "id": region_id, "from_name": config.from_name, "to_name": config.to_name,
            "type": "labels",
            "value": {"start": start, "end": end, "text": text[span.start:span.end],
                      "labels": [entity.type]},
        }
        if entity.score is not None:
            region["score"] = entity.score
        regions.append(region)
    links = [_relation_result(first, second, FRAGMENT_RELATION)
             for first, second in pairwise(region_ids)]
    return regions + links


def _relation_result(from_id: str, to_id: str, label: str) -> dict:
    return {"type": "relation", "from_id": from_id, "to_id": to_id, "direction": "right",
            "labels": [label]}


def document_to_task(
    doc: Document, config: LabelConfig, as_: str = "annotations", model_version: str = "brat",
) -> dict:
    """An import task: ``data`` (text, name, hidden brat lines) plus one annotation or prediction."""
    result = document_to_result(doc, config)
    data = {config.text_key: doc.text, NAME_DATA_KEY: doc.name, BRAT_DATA_KEY: brat_extras(doc),
            RELATION_IDS_DATA_KEY: relation_ids(doc)}
    if as_ == "annotations":
        return {"data": data, "annotations": [{"result": result}]}
    if as_ == "predictions":
        prediction: dict = {"model_version": model_version, "result": result}
        scores = [entity.score for entity in doc.entities if entity.score is not None]
        if scores:
            prediction["score"] = fmean(scores)
        return {"data": data, "predictions": [prediction]}
    raise ValueError(f"as_ must be 'annotations' or 'predictions', not {as_!r}")
