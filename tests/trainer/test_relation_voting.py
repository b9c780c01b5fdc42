"""Relation voting and linking (trainer/inference.py) fed controlled probabilities.

The relation head is replaced by a table: for each relation example (one marked main entity),
the label distribution of every word of its window. What is checked is the rule of the module's
docstring: a pair's vote from one example is the mean over the partner's words; the pair's
distribution is the mean of its two examples' votes, turned into directed labels; the most
probable outcome wins, after the odds of "no relation" are multiplied by ``e^bias`` over
predicted (not given) entities; the score is the unbiased probability.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from trainer.config import DecisionBiases
from trainer.inference import Engine, InferenceSettings
from trainer.predict import Predictor
from trainer.tagging import LabelMaps, WordSpan
from trainer.tokenization import split_sentences

TEXT = "Рост доходов населения и бюджета края."
LABELS = LabelMaps(("ECO", "MET"), ("GOL", "TSK"))
# relation labels per word: 0, GOL, TSK (main entity is Arg1), GOL<, TSK< (main entity is Arg2)
NONE, GOL, TSK, GOL_BACK, TSK_BACK = range(5)
# the pair's directed distribution, low entity index first: none, GOL low→high, TSK low→high,
# GOL high→low, TSK high→low
PAIR_NONE, PAIR_GOL_FORWARD, PAIR_TSK_FORWARD, PAIR_GOL_BACKWARD, PAIR_TSK_BACKWARD = range(5)


def distribution(**probabilities: float) -> np.ndarray:
    """A label distribution over the 5 relation labels, e.g. ``distribution(none=.2, GOL=.8)``;
    whatever is not named is 0."""
    names = {"none": NONE, "GOL": GOL, "TSK": TSK, "GOL_BACK": GOL_BACK, "TSK_BACK": TSK_BACK}
    row = np.zeros(5, dtype=np.float32)
    for name, value in probabilities.items():
        row[names[name]] = value
    assert math.isclose(float(row.sum()), 1.0, abs_tol=1e-6)
    return row


@pytest.fixture(scope="module")
def tokenizer(tiny_checkpoint):
    return Predictor.load(tiny_checkpoint, device="cpu").engine.tokenizer


def engine_with(tokenizer, table: dict[int, dict[int, np.ndarray]], no_relation: float = 0.0
                ) -> Engine:
    """An engine whose relation head answers from ``table``: main entity → word → distribution
    (words not listed get "no relation" with certainty)."""
    engine = Engine(None, tokenizer, LABELS, torch.device("cpu"),
                    InferenceSettings(max_length=64, stride=16, relation_max_length=48,
                                      biases=DecisionBiases(outside=0.0,
                                                            no_relation=no_relation)))

    def run(examples, head, batch_size=None):
        assert head == "relation"
        outputs = []
        for example in examples:
            _, main, start, _ = example.key
            rows = np.tile(distribution(none=1.0), (len(example.word_positions), 1))
            for word, row in table.get(main, {}).items():
                rows[word - start] = row
            outputs.append(rows)
        return outputs

    engine.run = run
    return engine


def states_with(engine: Engine, *entities: WordSpan):
    (state,) = engine.prepare(TEXT, split_sentences(TEXT))
    assert len(state.sentence.words) == 7
    state.entities = list(entities)
    return [state]


# A: "Рост" (word 0); B: "населения и бюджета" (words 2..4)
A, B = WordSpan(0, 0, "ECO"), WordSpan(2, 4, "MET")


def test_a_vote_is_the_mean_over_all_of_the_partners_words(tokenizer):
    # A's example: only B's first word says GOL (A→B); its other two words say nothing.
    table = {0: {2: distribution(none=0.1, GOL=0.9), 3: distribution(none=0.7, GOL=0.3),
                 4: distribution(none=1.0)}}
    engine = engine_with(tokenizer, table)
    states = states_with(engine, A, B)
    combined = engine.pair_distributions(states)[(0, 0, 1)]
    # A's vote: none (0.1+0.7+1)/3 = 0.6, GOL 0.4; B's vote: none 1.0; the pair: their mean
    np.testing.assert_allclose(combined, [0.8, 0.2, 0, 0, 0], atol=1e-6)
    engine.link_relations(states)
    assert states[0].relations == [], "the first word alone (GOL 0.9) would have linked them"


def test_the_pairs_distribution_is_the_mean_of_both_examples(tokenizer):
    # A's example: GOL (A→B) on B's words with 0.9; B's example: TSK< (A→B) on A's word, 0.4.
    table = {0: {word: distribution(none=0.1, GOL=0.9) for word in (2, 3, 4)},
             1: {0: distribution(none=0.6, TSK_BACK=0.4)}}
    engine = engine_with(tokenizer, table)
    states = states_with(engine, A, B)
    combined = engine.pair_distributions(states)[(0, 0, 1)]
    np.testing.assert_allclose(combined, [0.35, 0.45, 0.2, 0, 0], atol=1e-6)
    engine.link_relations(states)
    assert [(kind, arg1, arg2) for kind, arg1, arg2, _ in states[0].relations] == [("GOL", 0, 1)]
    assert states[0].relations[0][3] == pytest.approx(0.45), "A's vote alone would score 0.9"


def test_each_example_votes_once_per_pair_even_with_three_entities(tokenizer):
    c = WordSpan(5, 5, "ECO")  # "края"
    table = {0: {5: distribution(none=0.5, TSK=0.5)}, 2: {0: distribution(none=0.9, TSK_BACK=0.1)}}
    engine = engine_with(tokenizer, table)
    states = states_with(engine, A, B, c)
    pairs = engine.pair_distributions(states)
    assert sorted(pairs) == [(0, 0, 1), (0, 0, 2), (0, 1, 2)]
    np.testing.assert_allclose(pairs[(0, 0, 2)], [0.7, 0, 0.3, 0, 0], atol=1e-6)
    np.testing.assert_allclose(pairs[(0, 0, 1)], [1, 0, 0, 0, 0], atol=1e-6)


@pytest.mark.parametrize(("table", "expected"), [
    # the high entity (B) marked: "GOL" = main is Arg1 → B→A
    ({1: {0: distribution(none=0.1, GOL=0.9)}}, ("GOL", 1, 0)),
    # the high entity marked: "GOL<" = main is Arg2 → A→B
    ({1: {0: distribution(none=0.1, GOL_BACK=0.9)}}, ("GOL", 0, 1)),
    # the low entity (A) marked: "TSK<" = A is Arg2 → B→A
    ({0: {word: distribution(none=0.1, TSK_BACK=0.9) for word in (2, 3, 4)}}, ("TSK", 1, 0)),
    # the low entity marked: "TSK" = A is Arg1 → A→B
    ({0: {word: distribution(none=0.1, TSK=0.9) for word in (2, 3, 4)}}, ("TSK", 0, 1)),
], ids=["high-marked-forward", "high-marked-reversed", "low-marked-reversed",
        "low-marked-forward"])
def test_the_direction_follows_the_marked_entity_and_the_reversed_label(tokenizer, table,
                                                                        expected):
    # one example out of two votes 0.9, the other "no relation" with certainty: 0.45 against
    # 0.55, so the odds of nothing are lowered (bias -1) for the pair to be linked at all
    engine = engine_with(tokenizer, table, no_relation=-1.0)
    states = states_with(engine, A, B)
    engine.link_relations(states)
    assert [relation[:3] for relation in states[0].relations] == [expected]
    assert states[0].relations[0][3] == pytest.approx(0.45)


def test_two_examples_that_agree_on_a_direction_add_up(tokenizer):
    # A marked: "GOL<" (B→A); B marked: "GOL" (B→A): one directed outcome, 0.5 + 0.5 over 2
    table = {0: {word: distribution(none=0.5, GOL_BACK=0.5) for word in (2, 3, 4)},
             1: {0: distribution(none=0.5, GOL=0.5)}}
    engine = engine_with(tokenizer, table)
    states = states_with(engine, A, B)
    np.testing.assert_allclose(engine.pair_distributions(states)[(0, 0, 1)],
                               [0.5, 0, 0, 0.5, 0], atol=1e-6)


# the pair's distribution: none 0.45, GOL A→B 0.55 (both examples say the same)
LEANING = {0: {word: distribution(none=0.45, GOL=0.55) for word in (2, 3, 4)},
           1: {0: distribution(none=0.45, GOL_BACK=0.55)}}


@pytest.mark.parametrize(("bias", "linked"), [
    (0.0, True),    # 0.55 > 0.45
    (0.1, True),    # 0.45 · e^0.1 = 0.497 < 0.55
    (0.5, False),   # 0.45 · e^0.5 = 0.742 > 0.55
    (-3.0, True),
])
def test_the_no_relation_bias_multiplies_the_odds_of_nothing(tokenizer, bias, linked):
    engine = engine_with(tokenizer, LEANING, no_relation=bias)
    states = states_with(engine, A, B)
    engine.link_relations(states)
    assert bool(states[0].relations) == linked
    if linked:
        kind, arg1, arg2, score = states[0].relations[0]
        assert (kind, arg1, arg2) == ("GOL", 0, 1)
        assert score == pytest.approx(0.55), "the score is the unbiased probability"


def test_a_negative_bias_links_a_pair_that_leans_to_nothing(tokenizer):
    table = {0: {word: distribution(none=0.7, TSK=0.3) for word in (2, 3, 4)},
             1: {0: distribution(none=0.7, TSK_BACK=0.3)}}
    for bias, linked in ((0.0, False), (-0.5, False), (-1.0, True)):  # e^-1 · 0.7 = 0.258 < 0.3
        engine = engine_with(tokenizer, table, no_relation=bias)
        states = states_with(engine, A, B)
        engine.link_relations(states)
        assert [r[:3] for r in states[0].relations] == ([("TSK", 0, 1)] if linked else []), bias
        if linked:
            assert states[0].relations[0][3] == pytest.approx(0.3)


def test_given_entities_are_linked_without_the_bias(tokenizer):
    engine = engine_with(tokenizer, LEANING, no_relation=5.0)
    states = states_with(engine, A, B)
    engine.link_relations(states)
    assert states[0].relations == []
    states = states_with(engine, A, B)
    engine.link_relations(states, entities_given=True)
    assert [r[:3] for r in states[0].relations] == [("GOL", 0, 1)]
