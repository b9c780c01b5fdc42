"""BIO decoding and the BIO constraint of a type whose name holds a hyphen (issue 22 item 8: the
rpartition mutants of ``decode_bio`` and ``BioConstraint``)."""

import numpy as np

from trainer.tagging import BioConstraint, WordSpan, decode_bio


def test_a_hyphen_in_the_type_stays_in_the_type():
    spans = decode_bio(["B-GOL-2", "I-GOL-2", "O"], [1.0, 1.0, 1.0])
    assert [(s.first, s.last, s.type) for s in spans] == [(0, 1, "GOL-2")]
    assert all(isinstance(s, WordSpan) for s in spans)


def test_the_bio_constraint_reads_a_hyphenated_type_as_one_type():
    # I-GOL-2 is an inside tag of GOL-2: it may not start a sentence, nor follow I-GOL (a
    # constraint that split at the last hyphen would read "I-GOL" as its prefix and allow both)
    labels = ("O", "B-GOL", "I-GOL", "B-GOL-2", "I-GOL-2")
    constraint = BioConstraint(labels)
    first = [0.1, 0.0, 0.0, 0.3, 0.6]
    assert [labels[i] for i in constraint.best_tags(np.array([first, first]))] == [
        "B-GOL-2", "I-GOL-2"]
    after_gol = [[0.1, 0.9, 0.0, 0.0, 0.0], [0.0, 0.0, 0.4, 0.0, 0.6]]
    assert [labels[i] for i in constraint.best_tags(np.array(after_gol))] == ["B-GOL", "I-GOL"]
