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
from converters.labelstudio import LabelConfig, document_to_prediction

log = logging.getLogger(__name__)

EMPTY_TEXT_SCORE = 1.0
"""Score of a task with no text: nothing to annotate, so it sorts after every uncertain task."""


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


def log_absent_types(doc: Document, config: LabelConfig) -> None:
    """Log, once per type, the model's types that the label config lacks (they are not sent)."""
    for kind, types, label, tag in (("entity", {e.type for e in doc.entities}, config.entity_label, "<Labels>"),
                                    ("relation", {r.type for r in doc.relations}, config.relation_label,
                                     "<Relations>")):
        for absent in sorted(name for name in types if label(name) is None):
            if _absent_types.first_time(kind, absent):
                log.info("%s type %s is not in the label config's %s; not sent", kind, absent, tag)


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
        doc = by_index.get(index)
        if doc is None:
            predictions.append({"model_version": served.name, "score": EMPTY_TEXT_SCORE, "result": []})
            continue
        log_absent_types(doc, config)
        predictions.append(document_to_prediction(doc, config, served.name))
    return predictions
