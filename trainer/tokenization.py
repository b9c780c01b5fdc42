"""Sentences and words with character offsets, and the windows that keep long sentences whole.

razdel gives sentences and tokens; tokens are further split at hyphens and dashes because some
RuREBus entities end at one ("социально-экономическое" holds two entities). Training and inference
use exactly this segmentation, so a model never sees a tokenisation it was not trained on.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import razdel

from converters.document import Document

DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_DASH_SPLIT = re.compile(f"([{DASHES}])")


@dataclass(frozen=True)
class Word:
    """``text[start:end]`` of the document (absolute offsets, end exclusive)."""

    start: int
    end: int


@dataclass
class Sentence:
    """A run of words; ``start``/``end`` span the first word's start to the last word's end."""

    words: list[Word]

    @property
    def start(self) -> int:
        return self.words[0].start

    @property
    def end(self) -> int:
        return self.words[-1].end


def split_words(text: str, start: int = 0, end: int | None = None) -> list[Word]:
    """razdel tokens of ``text[start:end]``, each further split at every hyphen or dash."""
    end = len(text) if end is None else end
    words: list[Word] = []
    for token in razdel.tokenize(text[start:end]):
        offset = start + token.start
        for piece in _DASH_SPLIT.split(token.text):
            if piece:
                words.append(Word(offset, offset + len(piece)))
            offset += len(piece)
    return words


def split_sentences(text: str) -> list[Sentence]:
    """razdel sentences of ``text`` as word lists; sentences without words are dropped."""
    sentences = []
    for sentence in razdel.sentenize(text):
        words = split_words(text, sentence.start, sentence.stop)
        if words:
            sentences.append(Sentence(words))
    return sentences


def annotation_extents(document: Document) -> list[tuple[int, int]]:
    """Character extents that must stay inside one sentence: each entity and each relation."""
    entities = document.entity_by_id()
    extents = [(entity.start, entity.end) for entity in document.entities]
    for relation in document.relations:
        arg1, arg2 = entities.get(relation.arg1), entities.get(relation.arg2)
        if arg1 is not None and arg2 is not None:
            extents.append((min(arg1.start, arg2.start), max(arg1.end, arg2.end)))
    return extents


def merge_crossing(sentences: Sequence[Sentence], extents: Iterable[tuple[int, int]]
                   ) -> list[Sentence]:
    """Join consecutive sentences that one extent (an entity or a relation) spans."""
    joins = [False] * len(sentences)  # joins[i]: sentence i continues sentence i - 1
    starts = [sentence.start for sentence in sentences]
    for begin, finish in extents:
        for index in range(bisect_right(starts, begin), bisect_left(starts, finish)):
            joins[index] = True
    merged: list[Sentence] = []
    for index, sentence in enumerate(sentences):
        if joins[index] and merged:
            merged[-1] = Sentence(merged[-1].words + sentence.words)
        else:
            merged.append(Sentence(list(sentence.words)))
    return merged


def training_sentences(document: Document) -> list[Sentence]:
    """The document's sentences, merged wherever an annotation would cross a boundary."""
    return merge_crossing(split_sentences(document.text), annotation_extents(document))


def word_range(sentence: Sentence, start: int, end: int) -> tuple[int, int] | None:
    """Indexes ``(first, last)`` of the words exactly covering ``[start, end)``, else ``None``."""
    first = next((i for i, word in enumerate(sentence.words) if word.start == start), None)
    if first is None:
        return None
    for last in range(first, len(sentence.words)):
        if sentence.words[last].end == end:
            return first, last
        if sentence.words[last].end > end:
            return None
    return None


def windows(lengths: Sequence[int], budget: int, stride: int) -> list[tuple[int, int]]:
    """Word ranges ``[a, b)`` whose sub-token counts fit ``budget``; neighbours share up to
    ``stride`` sub-tokens (at least one word).

    A sentence that fits is one window; a longer one is covered by windows that share up to
    ``stride`` sub-tokens with their neighbour, so no word ever loses its context to truncation.
    """
    spans: list[tuple[int, int]] = []
    first = 0
    while first < len(lengths):
        last, used = first, 0
        while last < len(lengths) and (used + lengths[last] <= budget or last == first):
            used += lengths[last]
            last += 1
        spans.append((first, last))
        if last == len(lengths):
            break
        next_first, shared = last, 0
        while next_first - 1 > first and shared + lengths[next_first - 1] <= stride:
            next_first -= 1
            shared += lengths[next_first]
        if next_first == last and last - 1 > first:  # share at least one word for context
            next_first -= 1
        first = next_first
    return spans


def most_central(spans: Sequence[tuple[int, int]], index: int) -> int:
    """Which window predicts word ``index``: the one where it is farthest from both edges."""
    best, best_margin = -1, -1
    for number, (first, last) in enumerate(spans):
        if first <= index < last:
            margin = min(index - first, last - 1 - index)
            if margin > best_margin:
                best, best_margin = number, margin
    return best


def centered_window(lengths: Sequence[int], first: int, last: int, budget: int
                    ) -> tuple[int, int] | None:
    """The word range around words ``first..last`` (inclusive) that fits ``budget`` sub-tokens.

    Context is added alternately on the left and the right so that the marked entity sits in
    the middle. ``None`` when the entity alone does not fit (it then gets no relation example).
    """
    start, stop = first, last + 1
    used = sum(lengths[start:stop])
    if used > budget:
        return None
    grew = True
    while grew:
        grew = False
        if start > 0 and used + lengths[start - 1] <= budget:
            start -= 1
            used += lengths[start]
            grew = True
        if stop < len(lengths) and used + lengths[stop] <= budget:
            used += lengths[stop]
            stop += 1
            grew = True
    return start, stop
