"""``Predictor``: a checkpoint loaded once, answering batched, thread-safe predictions; and the
``python -m trainer predict`` command that pre-annotates a brat collection."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from converters.document import Document
from trainer.checkpoint import Loaded, load_checkpoint
from trainer.inference import Engine, InferenceSettings, to_document
from trainer.tokenization import annotation_extents, merge_crossing, split_sentences


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class Predictor:
    """Entities and relations for raw texts, or relations for documents with gold entities."""

    def __init__(self, loaded: Loaded, device: torch.device, batch_size: int = 64,
                 bf16: bool = False):
        self.loaded = loaded
        self.device = device
        config = loaded.config
        settings = InferenceSettings(config.max_length, config.stride, config.relation_max_length,
                                     batch_size, bf16)
        self.engine = Engine(loaded.model.to(device), loaded.tokenizer, loaded.labels, device,
                             settings)

    @classmethod
    def load(cls, path: Path | str, device: str = "auto", batch_size: int = 64,
             bf16: bool = False) -> Predictor:
        chosen = resolve_device(device)
        return cls(load_checkpoint(Path(path), chosen), chosen, batch_size, bf16)

    @property
    def version(self) -> str:
        return self.loaded.version

    @property
    def entity_types(self) -> list[str]:
        return list(self.loaded.labels.entity_types)

    @property
    def relation_types(self) -> list[str]:
        return list(self.loaded.labels.relation_types)

    def predict(self, texts: Sequence[str], names: Sequence[str] | None = None,
                batch_size: int | None = None) -> list[Document]:
        """Entities and relations, each with a ``score``; one batched pass for all texts."""
        names = list(names) if names is not None else [f"doc{i}" for i in range(len(texts))]
        per_text = [self.engine.prepare(text, split_sentences(text)) for text in texts]
        states = [state for group in per_text for state in group]
        self.engine.tag_entities(states, batch_size)
        self.engine.link_relations(states, batch_size)
        return [to_document(name, text, group)
                for name, text, group in zip(names, texts, per_text)]

    def predict_relations(self, documents: Sequence[Document],
                          batch_size: int | None = None) -> list[Document]:
        """Relations over the documents' own (gold) entities; entities not on word boundaries
        take part in no relation."""
        from trainer.examples import align

        per_document = []
        for document in documents:
            gold_only = Document(document.name, document.text, entities=document.entities)
            sentences = merge_crossing(split_sentences(document.text),
                                       annotation_extents(gold_only))
            states = self.engine.prepare(document.text, sentences)
            for state, aligned in zip(states, align(gold_only, sentences).sentences):
                state.entity_ids = list(aligned.entities)
                state.entities = list(aligned.entities.values())
            per_document.append(states)
        self.engine.link_relations([s for group in per_document for s in group], batch_size)
        return [to_document(document.name, document.text, states, keep_entities=document.entities)
                for document, states in zip(documents, per_document)]
