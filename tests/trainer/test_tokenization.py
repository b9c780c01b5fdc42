"""Sentences, words (split at dashes), sentence merging and windows."""

from converters.document import Document, Entity, Relation, Span
from trainer.tokenization import (Sentence, Word, centered_window, merge_crossing, most_central,
                                  split_sentences, split_words, training_sentences, windows,
                                  word_range)


def texts(text: str, words: list[Word]) -> list[str]:
    return [text[word.start:word.end] for word in words]


def test_words_split_at_hyphens_and_dashes_with_offsets():
    text = "  социально-экономическое развитие пашни–36 (т.е. 1,5 %)"
    words = split_words(text)
    assert texts(text, words) == ["социально", "-", "экономическое", "развитие", "пашни", "–",
                                  "36", "(", "т", ".", "е", ".", "1,5", "%", ")"]
    assert words[0] == Word(2, 11)


def test_sentences_keep_absolute_offsets_and_drop_empty_ones():
    text = "Первое предложение.   Второе — короткое.\n\n"
    sentences = split_sentences(text)
    assert len(sentences) == 2
    assert text[sentences[1].start:sentences[1].end] == "Второе — короткое."
    assert split_sentences("   \n") == []


def test_sentences_crossed_by_an_entity_or_a_relation_are_merged():
    text = "Один. Два. Три. Четыре."
    sentences = split_sentences(text)
    assert len(sentences) == 4
    merged = merge_crossing(sentences, [(0, 9)])
    assert [text[s.start:s.end] for s in merged] == ["Один. Два.", "Три.", "Четыре."]
    document = Document("d", text, entities=[
        Entity("T1", "MET", (Span(11, 14),), "Три"), Entity("T2", "BIN", (Span(16, 22),), "Четыре")],
        relations=[Relation("R1", "GOL", "T1", "T2")])
    assert [text[s.start:s.end] for s in training_sentences(document)] == [
        "Один.", "Два.", "Три. Четыре."]


def test_word_range_requires_exact_word_boundaries():
    text = "социально-экономическое развитие"
    sentence = Sentence(split_words(text))
    assert word_range(sentence, 0, 9) == (0, 0)
    assert word_range(sentence, 10, 32) == (2, 3)
    assert word_range(sentence, 0, 5) is None
    assert word_range(sentence, 1, 9) is None


def test_windows_cover_every_word_within_budget_and_overlap_by_stride():
    lengths = [3, 1, 2, 4, 1, 1, 5, 2, 2, 1]
    spans = windows(lengths, budget=8, stride=3)
    assert spans[0][0] == 0 and spans[-1][1] == len(lengths)
    for (first, last), (next_first, _) in zip(spans, spans[1:]):
        assert next_first < last, "consecutive windows overlap"
        assert sum(lengths[next_first:last]) <= 3 or next_first == last - 1
    assert all(sum(lengths[a:b]) <= 8 for a, b in spans)
    assert windows([2, 2], budget=8, stride=3) == [(0, 2)]
    assert windows([20, 1], budget=8, stride=3) == [(0, 1), (1, 2)], "an oversized word alone"


def test_each_word_is_predicted_by_the_window_where_it_is_most_central():
    spans = [(0, 6), (4, 10)]
    assert most_central(spans, 1) == 0
    assert most_central(spans, 4) == 0  # margin 1 in the first, 0 in the second
    assert most_central(spans, 5) == 1  # margin 0 in the first, 1 in the second
    assert most_central(spans, 9) == 1


def test_centered_window_keeps_the_entity_in_the_middle():
    lengths = [1] * 20
    assert centered_window(lengths, 10, 11, budget=6) == (8, 14)
    assert centered_window(lengths, 0, 0, budget=4) == (0, 4)
    assert centered_window(lengths, 3, 12, budget=4) is None
