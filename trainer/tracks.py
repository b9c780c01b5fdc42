"""The three RuREBus tracks on a gold collection: NER, relations given gold entities, end-to-end."""

from __future__ import annotations

from collections.abc import Sequence

from converters.document import Document
from trainer.scoring import score_documents


def evaluate_tracks(predictor, gold: Sequence[Document], batch_size: int | None = None
                    ) -> dict:
    """``{"ner": …, "relations_gold_entities": …, "end_to_end": …}`` in the scorer's shape.

    ``predictor`` is a :class:`trainer.predict.Predictor`.
    """
    by_name = {document.name: document for document in gold}
    predicted = predictor.predict([d.text for d in gold], [d.name for d in gold], batch_size)
    given_entities = predictor.predict_relations(gold, batch_size)
    full = score_documents(by_name, {document.name: document for document in predicted})
    relations = score_documents(by_name, {document.name: document for document in given_entities})
    return {"ner": full["ner"], "relations_gold_entities": relations["relations"],
            "end_to_end": full["relations"]}


def selection_score(tracks: dict) -> float:
    """The one number models are compared by, by early stopping (which epoch to keep) and by the
    retraining gate (whether a new version is served): the mean of NER F1 and relation F1 with
    gold entities. End-to-end F1 is their product in spirit, and too noisy to steer by early in
    training or on a retraining's few held-out tasks."""
    return (tracks["ner"]["f1"] + tracks["relations_gold_entities"]["f1"]) / 2


def summary(tracks: dict) -> str:
    return " ".join(f"{name}={result['f1']:.4f}" for name, result in tracks.items())
