"""Interactive pre-annotation: ``/predict`` with ``params.context`` (Label Studio's Auto-Annotation).

With "Interactive preannotations" on, Label Studio sends the regions the annotator has drawn as
``params.context.result`` (the same region format as an annotation's ``result``; label-studio-ml-
backend's examples read ``context["result"]``). The answer is about those regions only, never a
whole-document prediction, so nothing the annotator did not ask for appears:

* a region without a label gets its entity type: the type of the entity the model finds there
  (the one overlapping it most), shown through the config's labels (``LabelConfig.entity_label``);
* the relations among the regions come from the relation head over these regions as given
  (``Predictor.predict_relations``), labelled from ``<Relations>``.

Answered regions keep the ids the annotator's regions have, so each relation's ``from_id`` and
``to_id`` name regions of the same result, as Label Studio requires.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.models import ServedModel
from backend.predictor import ServedPredictor
from backend.prediction_cache import PredictionCache
from converters.document import Document, Entity, Relation, Span
from converters.labelstudio import LabelConfig, least_confident
from converters.offsets import from_label_studio, to_label_studio


@dataclass(frozen=True)
class DrawnRegion:
    """A span region of the annotator's, with its Label Studio label or ``None`` when unlabeled."""

    id: str
    start: int
    end: int
    label: str | None


def is_interactive(params: object) -> bool:
    """Whether ``/predict``'s ``params`` carry a Label Studio context with regions."""
    context = params.get("context") if isinstance(params, dict) else None
    return isinstance(context, dict) and isinstance(context.get("result"), list)


def drawn_regions(context: dict, config: LabelConfig, text: str) -> list[DrawnRegion]:
    """The context's span regions on the config's ``<Text>``; anything else (relations, regions
    of other tags, offsets outside the text) is ignored."""
    regions = []
    for item in context.get("result") or []:
        if not isinstance(item, dict) or item.get("to_name", config.to_name) != config.to_name:
            continue
        value = item.get("value")
        if item.get("type") == "relation" or not isinstance(value, dict):
            continue
        start, end = value.get("start"), value.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            continue
        labels = value.get("labels")
        label = labels[0] if isinstance(labels, list) and labels and isinstance(labels[0], str) else None
        start, end = from_label_studio(text, start, end)
        regions.append(DrawnRegion(str(item.get("id") or f"region{len(regions) + 1}"), start, end, label))
    return regions


def _overlap(entity: Entity, region: DrawnRegion) -> int:
    return max(0, min(entity.end, region.end) - max(entity.start, region.start))


def interactive_prediction(text: str, name: str, context: dict, config: LabelConfig,
                           served: ServedModel, cache: PredictionCache) -> dict:
    """One prediction answering the annotator's regions: types of unlabeled ones, relations
    among all of them."""
    regions = drawn_regions(context, config, text)
    predictor: ServedPredictor = served.predictor
    entities, scores = [], {}
    typed = {}
    for region in regions:
        if region.label is None:
            [found] = cache.predict(served, [text], [name])
            best = max(found.entities, key=lambda entity: _overlap(entity, region), default=None)
            if best is None or _overlap(best, region) == 0 or config.entity_label(best.type) is None:
                continue
            kind, scores[region.id] = best.type, best.score
        else:
            kind = config.entity_type(region.label, predictor.entity_types)
            if kind is None:
                continue
        typed[region.id] = region
        entities.append(Entity(region.id, kind, (Span(region.start, region.end),),
                               text[region.start:region.end]))
    relations: list[Relation] = []
    if len(entities) > 1:
        [linked] = predictor.predict_relations([Document(name, text, entities=entities)])
        relations = [relation for relation in linked.relations
                     if config.relation_label(relation.type) is not None]
    involved = {region_id for relation in relations for region_id in (relation.arg1, relation.arg2)}
    answered = [entity for entity in entities if typed[entity.id].label is None or entity.id in involved]
    result = []
    for entity in answered:
        start, end = to_label_studio(text, entity.start, entity.end)
        region = {"id": entity.id, "from_name": config.from_name, "to_name": config.to_name,
                  "type": "labels", "value": {"start": start, "end": end, "text": entity.text,
                                              "labels": [config.entity_label(entity.type)]}}
        if entity.id in scores and scores[entity.id] is not None:
            region["score"] = scores[entity.id]
        result.append(region)
    for relation in relations:
        item = {"type": "relation", "from_id": relation.arg1, "to_id": relation.arg2,
                "direction": "right", "labels": [config.relation_label(relation.type)]}
        if relation.score is not None:
            item["score"] = relation.score
        result.append(item)
    shown = Document(name, text, entities=answered, relations=relations)
    return {"model_version": served.name, "score": least_confident(shown), "result": result}
