"""Sentences longer than one window (``Engine.entity_probabilities``), a word the tokenizer
gives no piece (``Engine.prepare``) and an entity just past a relation window
(``partners_in_view``).

With ``max_length`` 7 and one piece per word, an NER window holds 5 words (7 less CLS and SEP)
and neighbours share 2 (the stride): a 12-word sentence is read in windows 0-4, 3-7, 6-10 and
9-11, and each word's row comes from the window where it is most central, read at its place in
that window (issue 22 item 8: these mutants survived, no fast test having a sentence longer than
one window, a dropped word or a partner one word past the window).
"""

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer

from tests.trainer.test_inference_relation_examples import LABELS, engine, state
from trainer.inference import Engine, InferenceSettings, SentenceState, partners_in_view
from trainer.tagging import WordSpan
from trainer.tokenization import split_sentences

MAX_LENGTH = 7
STRIDE = 2
# windows of the 12-word sentence, and for each word the window where it is most central
SPANS = [(0, 5), (3, 8), (6, 11), (9, 12)]
CENTRAL = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3]  # word 3: margin 1 in 0-4, 0 in 3-7


def window_engine() -> Engine:
    ner_engine = engine()
    ner_engine.settings = InferenceSettings(max_length=MAX_LENGTH, stride=STRIDE,
                                            relation_max_length=9, batch_size=4)
    return ner_engine


def test_a_long_sentence_is_read_in_overlapping_windows_of_at_most_the_max_length():
    ner_engine = window_engine()
    seen = []

    def run(examples, head, batch_size=None):
        """Per word of a window: (sentence, window, the word's index in the sentence)."""
        seen.extend(examples)
        return [np.array([[*example.key, example.input_ids[position] - 10]
                          for position in example.word_positions]) for example in examples]

    ner_engine.run = run
    long, short = state(12), state(3)
    matrices = ner_engine.entity_probabilities([long, short])

    assert [example.key for example in seen] == [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0)]
    assert [len(example.input_ids) for example in seen] == [7, 7, 7, 5, 5]
    # word positions (after CLS) of each window's words, read back as word indexes by `run`
    assert [[example.input_ids[p] - 10 for p in example.word_positions] for example in seen[:4]
            ] == [list(range(start, stop)) for start, stop in SPANS]
    assert matrices[0].tolist() == [[0, window, word] for word, window in enumerate(CENTRAL)]
    assert matrices[1].tolist() == [[1, 0, word] for word in range(3)]


def test_the_window_settings_reach_the_model():
    """The real ``run`` with the recording stand-in: four passes, none wider than 7 ids."""
    from tests.trainer.test_inference_batches import Recorder

    model = Recorder()
    ner_engine = window_engine()
    ner_engine.model = model
    matrices = ner_engine.entity_probabilities([state(12)], batch_size=1)
    assert [batch["shape"] for batch in model.batches] == [(1, 5), (1, 7), (1, 7), (1, 7)]
    assert matrices[0].shape == (12, 5)


@pytest.fixture(scope="module")
def tokenizer(tiny_encoder_dir):
    return AutoTokenizer.from_pretrained(tiny_encoder_dir)


def test_a_word_the_tokenizer_drops_gets_the_unknown_piece(tokenizer):
    """The tiny tokenizer's BERT normaliser deletes a soft hyphen (a format character), which
    razdel keeps as a word of its own: the word gets the tokenizer's UNK id, not no piece."""
    text = "Рост \u00ad доходов."
    sentences = split_sentences(text)
    assert [text[word.start:word.end] for word in sentences[0].words] == [
        "Рост", "\u00ad", "доходов", "."]
    assert tokenizer(["\u00ad"], is_split_into_words=True, add_special_tokens=False
                     )["input_ids"] == []

    prepared = Engine(None, tokenizer, LABELS, torch.device("cpu"),
                      window_engine().settings).prepare(text, sentences)
    assert len(prepared) == 1 and prepared[0].sentence is sentences[0]
    pieces = prepared[0].pieces
    assert pieces[1] == [tokenizer.unk_token_id]
    assert all(piece and tokenizer.unk_token_id not in piece
               for index, piece in enumerate(pieces) if index != 1)


def test_an_entity_starting_just_past_the_window_is_not_in_view():
    entities = [WordSpan(0, 0, "ECO", 1.0), WordSpan(5, 5, "ECO", 1.0), WordSpan(4, 5, "ECO", 1.0)]
    assert partners_in_view(entities, 0, 0, 5) == []
    assert partners_in_view(entities, 0, 0, 6) == [1, 2]
    assert partners_in_view(entities, 1, 1, 6) == [2]


def test_no_relation_example_for_entities_one_word_apart_from_each_others_window():
    """With 5-word relation windows, word 0's window is words 0-4 and word 5's is 3-7: neither
    sees the other, so neither gets an example."""
    sentences: list[SentenceState] = [state(10, (0, 0), (5, 5))]
    assert engine().relation_examples(sentences) == []
