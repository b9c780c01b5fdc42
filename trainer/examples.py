"""Gold documents → sentences with word-level entities and relations → training examples."""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from converters.console import plural
from converters.document import Document, Entity, Relation
from trainer.config import TrainingConfig
from trainer.features import IGNORE, Example, SpecialIds, encode_window, sentence_pieces
from trainer.tagging import (NO_RELATION, LabelMaps, WordSpan, encode_bio, relation_label)
from trainer.tokenization import (Sentence, centered_window, training_sentences, windows,
                                  word_range)

MARKER_COUNT = 2
SPECIAL_COUNT = 2


@dataclass
class AlignedSentence:
    """A sentence with the entities (by id) and relations that lie wholly inside it."""

    sentence: Sentence
    entities: dict[str, WordSpan] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)


@dataclass
class Alignment:
    sentences: list[AlignedSentence]
    lost_entities: list[Entity]
    lost_relations: list[Relation]


def align(document: Document, sentences: Sequence[Sentence]) -> Alignment:
    """Place each entity on the words of its sentence; what does not fit is reported as lost."""
    aligned = [AlignedSentence(sentence) for sentence in sentences]
    starts = [sentence.start for sentence in sentences]
    home: dict[str, int] = {}
    lost_entities = []
    for entity in document.entities:
        index = bisect_right(starts, entity.start) - 1
        words = None
        if index >= 0 and len(entity.spans) == 1:
            words = word_range(sentences[index], entity.start, entity.end)
        if words is None:
            lost_entities.append(entity)
            continue
        aligned[index].entities[entity.id] = WordSpan(words[0], words[1], entity.type)
        home[entity.id] = index
    lost_relations = []
    for relation in document.relations:
        index = home.get(relation.arg1)
        if index is None or home.get(relation.arg2) != index:
            lost_relations.append(relation)
        else:
            aligned[index].relations.append(relation)
    return Alignment(aligned, lost_entities, lost_relations)


def representability(documents: Sequence[Document]) -> dict[str, int]:
    """How many gold entities and relations the training segmentation cannot represent."""
    counts = dict.fromkeys(("entities", "entities_lost", "relations", "relations_lost"), 0)
    for document in documents:
        alignment = align(document, training_sentences(document))
        counts["entities"] += len(document.entities)
        counts["entities_lost"] += len(alignment.lost_entities)
        counts["relations"] += len(document.relations)
        counts["relations_lost"] += len(alignment.lost_relations)
    return counts


def format_representability(counts: dict[str, int]) -> str:
    return (f"unrepresentable: {counts['entities_lost']} of {plural(counts['entities'], 'entity')}, "
            f"{counts['relations_lost']} of {plural(counts['relations'], 'relation')}")


def relation_word_labels(aligned: AlignedSentence, main_id: str, labels: LabelMaps) -> list[int]:
    """Per word: the label linking its entity to the main entity (``0`` when none)."""
    word_labels = [NO_RELATION] * len(aligned.sentence.words)
    for relation in aligned.relations:
        if main_id not in (relation.arg1, relation.arg2) or relation.arg1 == relation.arg2:
            continue
        main_is_arg1 = relation.arg1 == main_id
        other = aligned.entities[relation.arg2 if main_is_arg1 else relation.arg1]
        label = relation_label(relation.type, main_is_arg1)
        for index in range(other.first, other.last + 1):
            if word_labels[index] == NO_RELATION:
                word_labels[index] = label
    return [labels.relation_labels.index(label) for label in word_labels]


def sentence_examples(aligned: AlignedSentence, pieces: Sequence[Sequence[int]],
                      special: SpecialIds, labels: LabelMaps, config: TrainingConfig,
                      rng: random.Random) -> list[Example]:
    """One entity example per window and one relation example per kept main entity."""
    word_count = len(aligned.sentence.words)
    ner = [labels.ner_id(tag) for tag in encode_bio(word_count, list(aligned.entities.values()))]
    lengths = [len(word) for word in pieces]
    examples = []
    for start, stop in windows(lengths, config.model.max_length - SPECIAL_COUNT,
                               config.model.stride):
        ids, positions = encode_window(pieces, start, stop, special)
        examples.append(Example(ids, positions, ner[start:stop], [IGNORE] * (stop - start)))
    related = {arg for relation in aligned.relations for arg in (relation.arg1, relation.arg2)}
    for main_id, main in aligned.entities.items():
        if main_id not in related and rng.random() >= config.optimiser.negative_relation_rate:
            continue
        window = centered_window(lengths, main.first, main.last,
                                 config.model.relation_max_length - SPECIAL_COUNT - MARKER_COUNT)
        if window is None:
            continue
        start, stop = window
        relation_labels = relation_word_labels(aligned, main_id, labels)
        ids, positions = encode_window(pieces, start, stop, special, (main.first, main.last))
        entity_labels = (ner[start:stop] if config.optimiser.marked_ner_loss
                         else [IGNORE] * (stop - start))
        examples.append(Example(ids, positions, entity_labels, relation_labels[start:stop]))
    return examples


def training_examples(documents: Sequence[Document], tokenizer, labels: LabelMaps,
                      config: TrainingConfig, rng: random.Random) -> list[Example]:
    special = SpecialIds.from_tokenizer(tokenizer)
    examples: list[Example] = []
    for document in documents:
        sentences = training_sentences(document)
        alignment = align(document, sentences)
        all_pieces = sentence_pieces(tokenizer, document.text, sentences, special.unk)
        for aligned, pieces in zip(alignment.sentences, all_pieces):
            examples.extend(sentence_examples(aligned, pieces, special, labels, config, rng))
    return examples


def label_maps_for(documents: Sequence[Document]) -> LabelMaps:
    """Sorted entity and relation types occurring in ``documents``."""
    entity_types = sorted({entity.type for document in documents for entity in document.entities})
    relation_types = sorted({relation.type for document in documents
                             for relation in document.relations})
    return LabelMaps(tuple(entity_types), tuple(relation_types))
