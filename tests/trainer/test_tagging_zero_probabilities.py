"""BIO-constrained decoding (``BioConstraint.best_tags``) when a softmax underflows to exactly 0.

A probability of 0 costs a path ``log 1e-12`` per word instead of forbidding it: when every valid
path goes through a 0, the one with the fewest zeros wins. Unclipped, ``log 0 = -inf`` would make
every path equally impossible and the search would fall back to label index 0 (``O``) everywhere,
dropping an entity the model was sure of (issue 22 item 8: the mutant without the lower clip).
"""

import numpy as np

from trainer.tagging import BioConstraint

NER_LABELS = ("O", "B-A", "I-A", "B-B", "I-B")


def tags(probabilities: list[list[float]]) -> list[str]:
    best = BioConstraint(NER_LABELS).best_tags(np.array(probabilities, dtype=np.float32))
    return [NER_LABELS[index] for index in best]


def test_a_sure_entity_whose_first_word_has_probability_zero_as_a_beginning_is_kept():
    # the model is certain of I-A on both words; I-A cannot start, and B-A got exactly 0
    sure_inside = [0.0, 0.0, 1.0, 0.0, 0.0]
    assert tags([sure_inside, sure_inside]) == ["B-A", "I-A"]


def test_the_valid_path_with_fewest_zero_probabilities_wins():
    # every valid path has a 0 somewhere; B-B I-B O has one, O O O has two
    assert tags([[0.0, 0.0, 0.0, 0.0, 1.0],
                 [0.0, 0.0, 0.0, 0.0, 1.0],
                 [1.0, 0.0, 0.0, 0.0, 0.0]]) == ["B-B", "I-B", "O"]
