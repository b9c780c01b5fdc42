"""Relation examples of long sentences (``Engine.relation_examples``) and their votes
(``Engine.pair_distributions``) when a window does not start at the sentence's first word.

With ``relation_max_length`` 9, a window holds 5 words (9 less CLS, SEP and the two markers):
an entity longer than that gets no example, one with no other entity in view gets none either,
and neither stops the entities after it; a partner's words are read at their place in the
window, not in the sentence (issue 22 item 8: these mutants survived, the other relation tests
using windows that start at word 0).
"""

import numpy as np
import torch

from tests.trainer.test_inference_batches import Recorder, Tokenizer
from trainer.inference import Engine, InferenceSettings, SentenceState
from trainer.tagging import LabelMaps, WordSpan
from trainer.tokenization import Sentence, Word

LABELS = LabelMaps(("ECO", "MET"), ("GOL", "TSK"))  # relation labels: 0, GOL, TSK, GOL<, TSK<
MARKER_START, MARKER_END = 4, 5  # the stand-in tokenizer's marker ids
MAX_LENGTH = 9


def engine(model=None) -> Engine:
    return Engine(model, Tokenizer(), LABELS, torch.device("cpu"),
                  InferenceSettings(max_length=64, stride=16, relation_max_length=MAX_LENGTH,
                                    batch_size=4))


def state(word_count: int, *entities: tuple[int, int]) -> SentenceState:
    sentence = Sentence([Word(2 * index, 2 * index + 1) for index in range(word_count)])
    return SentenceState(sentence, [[10 + index] for index in range(word_count)],
                         entities=[WordSpan(first, last, "ECO", 1.0) for first, last in entities])


def states() -> list[SentenceState]:
    # sentence 0: A B, then a 7-word entity (no example), then C and D at the far end;
    # sentence 1: X alone in its window, then Y and Z
    return [state(12, (0, 0), (1, 1), (2, 8), (9, 9), (11, 11)),
            state(10, (0, 0), (8, 8), (9, 9))]


def test_every_entity_with_a_partner_in_view_gets_one_example_of_at_most_the_max_length():
    examples = engine().relation_examples(states())
    assert [example.key for example in examples] == [
        (0, 0, 0, [1]), (0, 1, 0, [0]), (0, 3, 7, [4]), (0, 4, 7, [3]),
        (1, 1, 5, [2]), (1, 2, 5, [1])]
    for example in examples:
        assert len(example.input_ids) <= MAX_LENGTH
        assert example.input_ids.count(MARKER_START) == example.input_ids.count(MARKER_END) == 1


def test_a_partner_is_read_at_its_place_in_the_window():
    sentences = states()
    relation_engine = engine()

    def run(examples, head, batch_size=None):
        """GOL on the partner's word in the example of the pair's first entity, TSK on the main
        entity's own word (never to be read), none elsewhere."""
        outputs = []
        for example in examples:
            number, main, start, partners = example.key
            rows = np.zeros((len(example.word_positions), 5))
            rows[:, 0] = 1.0
            rows[sentences[number].entities[main].first - start] = [0, 0, 1, 0, 0]
            for other in partners:
                if main < other:
                    rows[sentences[number].entities[other].first - start] = [0, 1, 0, 0, 0]
            outputs.append(rows)
        return outputs

    relation_engine.run = run
    distributions = relation_engine.pair_distributions(sentences)
    assert sorted(distributions) == [(0, 0, 1), (0, 3, 4), (1, 1, 2)]
    for distribution in distributions.values():
        np.testing.assert_allclose(distribution, [0.5, 0.5, 0.0, 0.0, 0.0])


def test_the_batch_size_given_to_link_relations_reaches_the_model():
    model = Recorder()
    engine(model).link_relations(states(), batch_size=1)
    assert [batch["shape"][0] for batch in model.batches] == [1] * 6
