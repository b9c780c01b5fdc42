"""Batched inference: texts → entities → relations, every output with a probability.

Entities: each sentence (or each window of a long one) is one example; a word's probabilities
come from the window where it is most central, and the sentence's tags are the most probable
sequence in which every ``I-X`` follows ``B-X`` or ``I-X``. Relations: one example per entity of
a sentence (the main entity wrapped in markers) that has another entity in view; all examples of
all sentences go through the model together, sorted by length, ``batch_size`` at a time.

Relation rule: for a pair (A, B) of one sentence, the example with A marked gives a label
distribution on B's words (averaged over them); the example with B marked gives one on A's
words. Labels are turned into directed ones (``T`` in A's example = A→B; ``T<`` = B→A) and the
two distributions are averaged. The most probable outcome wins: no relation, or one typed and
directed relation whose score is that averaged probability.

Leaning towards "nothing": before the BIO search the odds of the tag ``O`` are multiplied by
``e^outside_bias``, and before a pair's outcome is chosen over *predicted* entities the odds of
"no relation" by ``e^no_relation_bias``. A wrong entity makes every relation on it wrong, so
end-to-end precision gains more than recall loses (``benchmarks/decision_bias.py``); over given
(gold) entities no bias is applied, as it gained nothing there. Scores stay the unbiased
probabilities.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from converters.document import Document, Entity, Relation, Span
from trainer.config import DecisionBiases
from trainer.examples import MARKER_COUNT, SPECIAL_COUNT
from trainer.features import Example, SpecialIds, collate, encode_window, sentence_pieces
from trainer.model import JointModel
from trainer.runtime import autocast
from trainer.tagging import (BioConstraint, LabelMaps, WordSpan, decode_bio,
                             parse_relation_label)
from trainer.tokenization import Sentence, centered_window, most_central, windows


def towards_nothing(probabilities: np.ndarray, bias: float) -> np.ndarray:
    """``probabilities`` (last axis: outcomes; index 0 = nothing, the tag ``O`` or no relation)
    with the odds of nothing multiplied by ``e^bias``; not renormalised (only argmax/Viterbi
    read it)."""
    if bias == 0:
        return probabilities
    weighted = probabilities.astype(np.float64)  # float32 odds overflow from a bias of about 88
    weighted[..., 0] *= np.exp(bias)
    return weighted


@dataclass
class SentenceState:
    """One sentence on its way through the pipeline."""

    sentence: Sentence
    pieces: list[list[int]]
    entities: list[WordSpan] = field(default_factory=list)
    entity_ids: list[str] = field(default_factory=list)
    relations: list[tuple[str, int, int, float]] = field(default_factory=list)


@dataclass(frozen=True)
class InferenceSettings:
    max_length: int
    stride: int
    relation_max_length: int
    batch_size: int = 64
    precision: str = "fp32"
    """A resolved precision (see :func:`trainer.runtime.resolve_precision`)."""
    biases: DecisionBiases = DecisionBiases()


class Engine:
    """Runs a :class:`JointModel` over prepared sentences; safe to share between threads."""

    def __init__(self, model: JointModel, tokenizer, labels: LabelMaps, device: torch.device,
                 settings: InferenceSettings):
        self.model = model
        self.tokenizer = tokenizer
        self.labels = labels
        self.device = device
        self.settings = settings
        self.special = SpecialIds.from_tokenizer(tokenizer)
        self._lock = threading.Lock()
        self._slots = {low: self._directed_slots(low) for low in (True, False)}
        self.bio = BioConstraint(labels.ner_labels)

    def prepare(self, text: str, sentences: Sequence[Sentence]) -> list[SentenceState]:
        pieces = sentence_pieces(self.tokenizer, text, sentences, self.special.unk)
        return [SentenceState(sentence, piece) for sentence, piece in zip(sentences, pieces)]

    def run(self, examples: Sequence[Example], head: str,
            batch_size: int | None = None) -> list[np.ndarray]:
        """Per example, the probabilities ``(words, labels)`` of one head (``ner``/``relation``)."""
        size = batch_size or self.settings.batch_size
        order = sorted(range(len(examples)), key=lambda i: len(examples[i].input_ids))
        outputs: list[np.ndarray] = [None] * len(examples)  # type: ignore[list-item]
        with self._lock, torch.inference_mode(), autocast(self.device, self.settings.precision):
            was_training = self.model.training
            self.model.eval()
            try:
                for begin in range(0, len(order), size):
                    chunk = order[begin:begin + size]
                    batch = collate([examples[i] for i in chunk], self.special.pad)
                    ner, relation = self.model(batch["input_ids"].to(self.device),
                                               batch["attention_mask"].to(self.device),
                                               batch["word_positions"].to(self.device))
                    logits = ner if head == "ner" else relation
                    probabilities = logits.float().softmax(-1).cpu().numpy()
                    for row, index in enumerate(chunk):
                        outputs[index] = probabilities[row, :len(examples[index].word_positions)]
            finally:
                self.model.train(was_training)
        return outputs

    def entity_probabilities(self, states: Sequence[SentenceState],
                             batch_size: int | None = None) -> list[np.ndarray]:
        """Per sentence, the NER head's ``(words, labels)`` probabilities; each word's row comes
        from the window where it is most central."""
        examples, spans_of = [], []
        for number, state in enumerate(states):
            lengths = [len(piece) for piece in state.pieces]
            spans = windows(lengths, self.settings.max_length - SPECIAL_COUNT, self.settings.stride)
            spans_of.append(spans)
            for window, (start, stop) in enumerate(spans):
                ids, positions = encode_window(state.pieces, start, stop, self.special)
                examples.append(Example(ids, positions, key=(number, window)))
        probabilities = self.run(examples, "ner", batch_size)
        by_key = {example.key: result for example, result in zip(examples, probabilities)}
        matrices = []
        for number, state in enumerate(states):
            spans = spans_of[number]
            rows = []
            for index in range(len(state.sentence.words)):
                window = most_central(spans, index)
                rows.append(by_key[(number, window)][index - spans[window][0]])
            matrices.append(np.stack(rows))
        return matrices

    def tag_entities(self, states: Sequence[SentenceState], batch_size: int | None = None,
                     ) -> None:
        """Fill ``entities`` of every sentence from the NER head (BIO-constrained decoding)."""
        for state, matrix in zip(states, self.entity_probabilities(states, batch_size)):
            tags = self.bio.best_tags(towards_nothing(matrix, self.settings.biases.outside))
            state.entities = entities_from(matrix, tags, self.labels)

    def relation_examples(self, states: Sequence[SentenceState]) -> list[Example]:
        budget = self.settings.relation_max_length - SPECIAL_COUNT - MARKER_COUNT
        examples = []
        for number, state in enumerate(states):
            lengths = [len(piece) for piece in state.pieces]
            for main, entity in enumerate(state.entities):
                window = centered_window(lengths, entity.first, entity.last, budget)
                if window is None:
                    continue
                start, stop = window
                partners = partners_in_view(state.entities, main, start, stop)
                if not partners:
                    continue  # an example with no other entity in view could link nothing
                ids, positions = encode_window(state.pieces, start, stop, self.special,
                                               (entity.first, entity.last))
                examples.append(Example(ids, positions, key=(number, main, start, partners)))
        return examples

    def pair_distributions(self, states: Sequence[SentenceState],
                           batch_size: int | None = None) -> dict[tuple[int, int, int], np.ndarray]:
        """For every pair of entities seen together in a relation example, keyed by
        ``(sentence, low entity index, high entity index)``: the directed distribution (index 0
        = no relation, see :attr:`_directed_labels`) averaged over both examples of the pair."""
        examples = self.relation_examples(states)
        probabilities = self.run(examples, "relation", batch_size)
        votes: dict[tuple[int, int, int], list[np.ndarray]] = {}
        for example, matrix in zip(examples, probabilities):
            number, main, start, partners = example.key
            for other in partners:
                entity = states[number].entities[other]
                mean = matrix[entity.first - start:entity.last + 1 - start].mean(0)
                low, high = min(main, other), max(main, other)
                votes.setdefault((number, low, high), []).append(
                    self._directed(mean, main_is_low=main == low))
        return {key: np.mean(distributions, axis=0) for key, distributions in votes.items()}

    def link_relations(self, states: Sequence[SentenceState], batch_size: int | None = None,
                       entities_given: bool = False) -> None:
        """Fill ``relations`` of every sentence (as entity indexes) from the relation head;
        ``entities_given``: the entities are the annotators' (no bias towards no relation)."""
        bias = 0.0 if entities_given else self.settings.biases.no_relation
        for key, combined in self.pair_distributions(states, batch_size).items():
            self.add_relation(states, key, combined, bias)

    def add_relation(self, states: Sequence[SentenceState], key: tuple[int, int, int],
                     combined: np.ndarray, no_relation_bias: float) -> None:
        """The pair's most probable outcome, with the odds of no relation × ``e^bias``: nothing,
        or one typed and directed relation scored by its unbiased probability."""
        number, low, high = key
        best = int(towards_nothing(combined, no_relation_bias).argmax())
        if best == 0:
            return
        kind, low_is_arg1 = self._directed_labels[best]
        arg1, arg2 = (low, high) if low_is_arg1 else (high, low)
        states[number].relations.append((kind, arg1, arg2, float(combined[best])))

    @property
    def _directed_labels(self) -> list[tuple[str, bool] | None]:
        """Index → (type, low entity is Arg1) of the directed distribution; index 0 = none."""
        types = self.labels.relation_types
        return [None] + [(kind, True) for kind in types] + [(kind, False) for kind in types]

    def _directed(self, distribution: np.ndarray, main_is_low: bool) -> np.ndarray:
        """Relation-label probabilities of one example → the pair's directed distribution."""
        return np.bincount(self._slots[main_is_low], weights=distribution,
                           minlength=1 + 2 * len(self.labels.relation_types))

    def _directed_slots(self, main_is_low: bool) -> np.ndarray:
        """For each relation label, its index in the directed distribution of the pair."""
        count = len(self.labels.relation_types)
        slots = []
        for label in self.labels.relation_labels:
            parsed = parse_relation_label(label)
            if parsed is None:
                slots.append(0)
                continue
            kind, main_is_arg1 = parsed
            low_is_arg1 = main_is_arg1 == main_is_low
            slots.append(1 + self.labels.relation_types.index(kind) + (0 if low_is_arg1 else count))
        return np.array(slots)


def partners_in_view(entities: Sequence[WordSpan], main: int, start: int, stop: int
                     ) -> list[int]:
    """Indexes of the entities other than ``main`` lying wholly inside words ``start..stop-1``."""
    return [other for other, entity in enumerate(entities)
            if other != main and start <= entity.first and entity.last < stop]


def entities_from(probabilities: np.ndarray, tags: np.ndarray, labels: LabelMaps
                  ) -> list[WordSpan]:
    """Entities of one sentence from its chosen tag indexes, scored by those tags' probabilities."""
    confidence = probabilities[np.arange(len(tags)), tags].tolist()
    return decode_bio([labels.ner_labels[tag] for tag in tags], confidence)


def to_document(name: str, text: str, states: Sequence[SentenceState],
                keep_entities: Sequence[Entity] | None = None) -> Document:
    """Entities ``T1…`` in text order (or the given gold entities) and relations ``R1…``."""
    document = Document(name=name, text=text)
    if keep_entities is not None:
        document.entities = list(keep_entities)
    for state in states:
        if keep_entities is None:
            state.entity_ids = []
            for span in state.entities:
                start = state.sentence.words[span.first].start
                end = state.sentence.words[span.last].end
                entity_id = f"T{len(document.entities) + 1}"
                document.entities.append(Entity(entity_id, span.type, (Span(start, end),),
                                                text[start:end], round(span.score, 4)))
                state.entity_ids.append(entity_id)
        for kind, arg1, arg2, score in state.relations:
            document.relations.append(Relation(f"R{len(document.relations) + 1}", kind,
                                               state.entity_ids[arg1], state.entity_ids[arg2],
                                               score=round(score, 4)))
    return document

