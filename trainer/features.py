"""From words to model inputs: sub-token pieces, windows with entity markers, padded batches.

Both training and inference build inputs here, so the two can never drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from trainer.tokenization import Sentence

MARKER_TOKENS = ("<ent>", "</ent>")
"""Wrapped around the main entity of a relation example; added to the tokenizer."""

MAX_PIECES_PER_WORD = 16
"""Only a word's first piece is classified; capping keeps a pathological token (a long URL or
number) from filling a window on its own."""

IGNORE = -100


@dataclass(frozen=True)
class SpecialIds:
    """Token ids a window is built from (the encoder's own CLS/SEP/PAD and our markers)."""

    cls: int
    sep: int
    pad: int
    unk: int
    marker_start: int
    marker_end: int

    @classmethod
    def from_tokenizer(cls, tokenizer) -> SpecialIds:
        start, end = tokenizer.convert_tokens_to_ids(list(MARKER_TOKENS))
        cls_id = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
        sep_id = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
        return cls(cls_id, sep_id, tokenizer.pad_token_id, tokenizer.unk_token_id, start, end)


def add_marker_tokens(tokenizer) -> None:
    """Register the entity markers as special tokens (idempotent)."""
    # token_to_id, not get_vocab(): building the 250K-entry vocabulary dict took 0.4 s per load
    missing = [token for token in MARKER_TOKENS if tokenizer._tokenizer.token_to_id(token) is None]
    if missing:
        tokenizer.add_tokens(missing, special_tokens=True)


def sentence_pieces(tokenizer, text: str, sentences: Sequence[Sentence], unk_id: int
                    ) -> list[list[list[int]]]:
    """For each sentence, each word's sub-token ids (a word the tokenizer drops gets UNK)."""
    if not sentences:
        return []
    batch = [[text[word.start:word.end] for word in sentence.words] for sentence in sentences]
    encoded = tokenizer(batch, is_split_into_words=True, add_special_tokens=False, verbose=False)
    result = []
    for index, sentence in enumerate(sentences):
        pieces: list[list[int]] = [[] for _ in sentence.words]
        for token_id, word_id in zip(encoded["input_ids"][index], encoded.word_ids(index)):
            if word_id is not None and len(pieces[word_id]) < MAX_PIECES_PER_WORD:
                pieces[word_id].append(token_id)
        result.append([word or [unk_id] for word in pieces])
    return result


@dataclass
class Example:
    """One model input: a window of words, optionally with a marked main entity.

    ``ner_labels``/``relation_labels`` are label ids per word of the window (``IGNORE`` where a
    head is not trained on this example). ``key`` lets the predictor route outputs back.
    """

    input_ids: list[int]
    word_positions: list[int]
    ner_labels: list[int] | None = None
    relation_labels: list[int] | None = None
    key: tuple = ()


def encode_window(pieces: Sequence[Sequence[int]], start: int, stop: int, special: SpecialIds,
                  marked: tuple[int, int] | None = None) -> tuple[list[int], list[int]]:
    """``[CLS] pieces of words start..stop-1 [SEP]``, markers around words ``marked`` (inclusive).

    Returns the ids and, per word, the position of its first piece.
    """
    ids = [special.cls]
    positions = []
    for index in range(start, stop):
        if marked is not None and index == marked[0]:
            ids.append(special.marker_start)
        positions.append(len(ids))
        ids.extend(pieces[index])
        if marked is not None and index == marked[1]:
            ids.append(special.marker_end)
    ids.append(special.sep)
    return ids, positions


def collate(examples: Sequence[Example], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a list of examples into tensors (labels only when every example has them)."""
    length = max(len(example.input_ids) for example in examples)
    words = max(len(example.word_positions) for example in examples)
    size = len(examples)
    input_ids = torch.full((size, length), pad_id, dtype=torch.long)
    attention = torch.zeros((size, length), dtype=torch.long)
    positions = torch.zeros((size, words), dtype=torch.long)
    batch = {"input_ids": input_ids, "attention_mask": attention, "word_positions": positions}
    for row, example in enumerate(examples):
        input_ids[row, :len(example.input_ids)] = torch.tensor(example.input_ids)
        attention[row, :len(example.input_ids)] = 1
        positions[row, :len(example.word_positions)] = torch.tensor(example.word_positions)
    for name in ("ner_labels", "relation_labels"):
        if all(getattr(example, name) is not None for example in examples):
            labels = torch.full((size, words), IGNORE, dtype=torch.long)
            for row, example in enumerate(examples):
                values = getattr(example, name)
                labels[row, :len(values)] = torch.tensor(values)
            batch[name] = labels
    return batch
