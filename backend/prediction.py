"""Label Studio ``/predict``: one batch through the model, one prediction per task, in task order.

The label config of each request decides what is sent: ``from_name``/``to_name`` and the label
sets come from it, and model types it lacks are left out (logged once per type), because Label
Studio 1.23 stores predictions without checking them and an unknown label breaks only in the UI.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from backend.models import ServedModel
from backend.prediction_cache import PredictionCache
from converters.document import Document
from converters.labelstudio import LabelConfig, document_to_result

log = logging.getLogger(__name__)

EMPTY_TEXT_SCORE = 1.0
"""Score of a task with no text: nothing to annotate, so it sorts after every uncertain task."""
NOTHING_FOUND_SCORE = 0.0
"""Score of a text where the model found nothing: an annotator should look first."""


class _Once:
    """Remembers which messages were already logged, so a busy backend does not repeat them."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def first_time(self, kind: str, name: str) -> bool:
        with self._lock:
            if (kind, name) in self._seen:
                return False
            self._seen.add((kind, name))
            return True


_absent_types = _Once()


@dataclass(frozen=True)
class TaskText:
    """The text of one task, or ``None`` when the task has none to predict on."""

    task_id: object
    text: str | None


def task_text(task: object, text_key: str) -> TaskText:
    """Read ``task["data"][text_key]``; anything other than a non-empty string counts as no text."""
    if not isinstance(task, dict):
        return TaskText(None, None)
    data = task.get("data")
    text = data.get(text_key) if isinstance(data, dict) else None
    if not isinstance(text, str) or not text.strip():
        if text is not None and not isinstance(text, str):
            log.warning("task %s: data.%s is %s, not text; answered with an empty prediction",
                        task.get("id"), text_key, type(text).__name__)
        return TaskText(task.get("id"), None)
    return TaskText(task.get("id"), text)


def restrict_to_config(doc: Document, config: LabelConfig) -> Document:
    """Drop entity and relation types the label config lacks (and relations left without an end)."""
    entity_labels = set(config.entity_labels)
    relation_labels = set(config.relation_labels)
    entities = []
    for entity in doc.entities:
        if entity.type in entity_labels:
            entities.append(entity)
        elif _absent_types.first_time("entity", entity.type):
            log.info("entity type %s is not in the label config's <Labels>; not sent", entity.type)
    kept_ids = {entity.id for entity in entities}
    relations = []
    for relation in doc.relations:
        if relation.type not in relation_labels:
            if _absent_types.first_time("relation", relation.type):
                log.info("relation type %s is not in the label config's <Relations>; not sent", relation.type)
        elif relation.arg1 in kept_ids and relation.arg2 in kept_ids:
            relations.append(relation)
    return Document(name=doc.name, text=doc.text, entities=entities, relations=relations)


def uncertainty_score(doc: Document) -> float:
    """The least confident prediction of the task, so sorting ascending puts doubtful tasks first."""
    scores = [item.score for item in (*doc.entities, *doc.relations) if item.score is not None]
    return min(scores) if scores else NOTHING_FOUND_SCORE


def predict_tasks(tasks: list, config: LabelConfig, served: ServedModel,
                  cache: PredictionCache) -> list[dict]:
    """One Label Studio prediction per task, in order, from a single batched model call."""
    texts = [task_text(task, config.text_key) for task in tasks]
    to_predict = [index for index, item in enumerate(texts) if item.text is not None]
    documents = cache.predict(
        served,
        [texts[index].text for index in to_predict],
        [str(texts[index].task_id) for index in to_predict],
    ) if to_predict else []
    by_index = dict(zip(to_predict, documents, strict=True))
    predictions = []
    for index in range(len(tasks)):
        prediction = {"model_version": served.version.name, "score": EMPTY_TEXT_SCORE, "result": []}
        doc = by_index.get(index)
        if doc is not None:
            shown = restrict_to_config(doc, config)
            prediction["result"] = document_to_result(shown, config)
            prediction["score"] = uncertainty_score(shown)
        predictions.append(prediction)
    return predictions
