"""Label maps, BIO tags for entities and direction-aware labels for relations.

Relation labels say how a word's entity relates to the *main* (marked) entity of an example:
``GOL`` means main entity = Arg1 and this entity = Arg2; ``GOL<`` means this entity = Arg1 and
main entity = Arg2; ``0`` means no relation. The official scorer ignores argument order, but
the product writes Arg1/Arg2 the way annotators would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

OUTSIDE = "O"
NO_RELATION = "0"
REVERSED = "<"


@dataclass(frozen=True)
class LabelMaps:
    """The entity and relation types a model knows, and the label lists of its two heads."""

    entity_types: tuple[str, ...]
    relation_types: tuple[str, ...]
    ner_labels: tuple[str, ...] = field(init=False)
    relation_labels: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        ner = [OUTSIDE] + [f"{prefix}-{kind}" for kind in self.entity_types for prefix in "BI"]
        relation = [NO_RELATION] + list(self.relation_types) + [
            kind + REVERSED for kind in self.relation_types]
        object.__setattr__(self, "ner_labels", tuple(ner))
        object.__setattr__(self, "relation_labels", tuple(relation))

    def ner_id(self, label: str) -> int:
        return self.ner_labels.index(label)

    def to_dict(self) -> dict[str, list[str]]:
        return {"entity_types": list(self.entity_types),
                "relation_types": list(self.relation_types)}

    @classmethod
    def from_dict(cls, values: dict) -> LabelMaps:
        return cls(tuple(values["entity_types"]), tuple(values["relation_types"]))


@dataclass(frozen=True)
class WordSpan:
    """An entity as word indexes ``first..last`` (inclusive) of one sentence."""

    first: int
    last: int
    type: str
    score: float = 1.0


def encode_bio(word_count: int, spans: Sequence[WordSpan]) -> list[str]:
    tags = [OUTSIDE] * word_count
    for span in spans:
        tags[span.first] = f"B-{span.type}"
        for index in range(span.first + 1, span.last + 1):
            tags[index] = f"I-{span.type}"
    return tags


def decode_bio(tags: Sequence[str], probabilities: Sequence[float]) -> list[WordSpan]:
    """Entities from BIO tags: ``B-`` always starts one (so two adjacent entities of one type
    stay two); an ``I-`` after ``O`` or after another type starts one too. An entity's score is
    the mean probability of its words' tags."""
    spans: list[WordSpan] = []
    current: tuple[int, str] | None = None

    def close(last: int) -> None:
        first, kind = current
        score = sum(probabilities[first:last + 1]) / (last + 1 - first)
        spans.append(WordSpan(first, last, kind, score))

    for index, tag in enumerate(tags):
        prefix, _, kind = tag.partition("-")
        continues = prefix == "I" and current is not None and current[1] == kind
        if continues:
            continue
        if current is not None:
            close(index - 1)
            current = None
        if prefix in ("B", "I"):
            current = (index, kind)
    if current is not None:
        close(len(tags) - 1)
    return spans


class BioConstraint:
    """The most probable tag sequence of a sentence in which every ``I-X`` follows ``B-X`` or
    ``I-X`` (Viterbi over the per-word log probabilities). Plain argmax leaves stray ``I-`` tags
    and type switches inside a span, each an entity with wrong boundaries."""

    def __init__(self, ner_labels: Sequence[str]):
        count = len(ner_labels)
        self.start_allowed = np.ones(count, dtype=bool)
        self.transition_penalty = np.zeros((count, count))
        for current, label in enumerate(ner_labels):
            prefix, _, kind = label.partition("-")
            if prefix != "I":
                continue
            self.start_allowed[current] = False
            for previous, before in enumerate(ner_labels):
                if before not in (f"B-{kind}", f"I-{kind}"):
                    self.transition_penalty[previous, current] = -np.inf

    def best_tags(self, probabilities: np.ndarray) -> np.ndarray:
        """Label index per word for ``probabilities`` of shape ``(words, labels)``."""
        log_probabilities = np.log(np.clip(probabilities, 1e-12, None))
        score = np.where(self.start_allowed, log_probabilities[0], -np.inf)
        backpointers = np.zeros(log_probabilities.shape, dtype=np.int64)
        for index in range(1, len(log_probabilities)):
            candidates = score[:, None] + self.transition_penalty
            backpointers[index] = candidates.argmax(0)
            score = candidates.max(0) + log_probabilities[index]
        best = [int(score.argmax())]
        for index in range(len(log_probabilities) - 1, 0, -1):
            best.append(int(backpointers[index, best[-1]]))
        return np.array(best[::-1])


def relation_label(kind: str, main_is_arg1: bool) -> str:
    return kind if main_is_arg1 else kind + REVERSED


def parse_relation_label(label: str) -> tuple[str, bool] | None:
    """``(type, main_is_arg1)`` for a relation label, ``None`` for ``0``."""
    if label == NO_RELATION:
        return None
    if label.endswith(REVERSED):
        return label[:-len(REVERSED)], False
    return label, True
