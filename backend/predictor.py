"""``ServedPredictor``: what the backend uses of ``trainer.predict.Predictor``.

A protocol rather than the class itself, so that backend/ is typed without importing torch (only
``models.load_predictor`` imports the trainer, on the first model load) and tests may serve any
object with these members.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from converters.document import Document


class ServedPredictor(Protocol):
    """A loaded model: documents predicted for texts, or relations for given entities."""

    @property
    def entity_types(self) -> list[str]:
        """The model's entity types (interactive.py maps a drawn region's label to one)."""
        ...

    def predict(self, texts: Sequence[str], names: Sequence[str] | None = None) -> list[Document]:
        """Entities and relations, each with a ``score``, one document per text, one batch."""
        ...

    def predict_relations(self, documents: Sequence[Document]) -> list[Document]:
        """The documents with relations among their own (given) entities."""
        ...
