"""BIO and relation labels, and the decoding rules."""

import itertools

import numpy as np
import pytest

from trainer.tagging import (BioConstraint, LabelMaps, WordSpan, decode_bio, encode_bio,
                             parse_relation_label, relation_label)

NER_LABELS = ("O", "B-A", "I-A", "B-B", "I-B")


def test_two_adjacent_entities_of_one_type_stay_two():
    tags = ["B-MET", "I-MET", "B-MET", "O"]
    spans = decode_bio(tags, [0.9, 0.7, 0.6, 1.0])
    assert [(s.first, s.last, s.type) for s in spans] == [(0, 1, "MET"), (2, 2, "MET")]
    assert spans[0].score == pytest.approx(0.8)


def test_stray_inside_tags_start_new_entities():
    tags = ["O", "I-ECO", "I-ECO", "I-BIN", "B-ECO", "I-ECO"]
    spans = decode_bio(tags, [1.0] * 6)
    assert [(s.first, s.last, s.type) for s in spans] == [
        (1, 2, "ECO"), (3, 3, "BIN"), (4, 5, "ECO")]


def test_encode_then_decode_gives_the_spans_back():
    spans = [WordSpan(0, 2, "MET"), WordSpan(3, 3, "MET"), WordSpan(5, 6, "ACT")]
    tags = encode_bio(8, spans)
    assert tags == ["B-MET", "I-MET", "I-MET", "B-MET", "O", "B-ACT", "I-ACT", "O"]
    assert decode_bio(tags, [1.0] * 8) == spans


def test_relation_labels_carry_the_direction():
    labels = LabelMaps(("BIN", "MET"), ("GOL", "TSK"))
    assert labels.relation_labels == ("0", "GOL", "TSK", "GOL<", "TSK<")
    assert labels.ner_labels == ("O", "B-BIN", "I-BIN", "B-MET", "I-MET")
    assert relation_label("GOL", main_is_arg1=True) == "GOL"
    assert relation_label("GOL", main_is_arg1=False) == "GOL<"
    assert parse_relation_label("TSK<") == ("TSK", False)
    assert parse_relation_label("0") is None
    assert LabelMaps.from_dict(labels.to_dict()) == labels


def _valid(tags: list[str]) -> bool:
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return False
        previous = tag
    return True


def test_constrained_decoding_turns_a_stray_inside_tag_into_a_beginning():
    probabilities = np.array([[0.9, 0.05, 0.03, 0.01, 0.01],
                              [0.1, 0.3, 0.6, 0.0, 0.0],
                              [0.05, 0.0, 0.9, 0.0, 0.05]])
    assert [NER_LABELS[i] for i in probabilities.argmax(-1)] == ["O", "I-A", "I-A"]
    best = BioConstraint(NER_LABELS).best_tags(probabilities)
    assert [NER_LABELS[i] for i in best] == ["O", "B-A", "I-A"]


def test_constrained_decoding_keeps_a_valid_argmax():
    probabilities = np.eye(5)[[1, 2, 3, 0, 3, 4]] * 0.8 + 0.04
    best = BioConstraint(NER_LABELS).best_tags(probabilities)
    assert best.tolist() == [1, 2, 3, 0, 3, 4]


@pytest.mark.parametrize("seed", range(20))
def test_constrained_decoding_finds_the_most_probable_valid_sequence(seed):
    rng = np.random.default_rng(seed)
    probabilities = rng.dirichlet(np.full(5, 0.3), size=4)
    best = BioConstraint(NER_LABELS).best_tags(probabilities)
    log_p = np.log(np.clip(probabilities, 1e-12, None))
    valid = [sequence for sequence in itertools.product(range(5), repeat=4)
             if _valid([NER_LABELS[i] for i in sequence])]
    brute = max(valid, key=lambda sequence: sum(log_p[i, tag] for i, tag in enumerate(sequence)))
    assert _valid([NER_LABELS[i] for i in best])
    assert sum(log_p[i, tag] for i, tag in enumerate(best)) == pytest.approx(
        sum(log_p[i, tag] for i, tag in enumerate(brute)))


def test_constrained_decoding_of_a_single_word():
    best = BioConstraint(NER_LABELS).best_tags(np.array([[0.1, 0.2, 0.7, 0.0, 0.0]]))
    assert best.tolist() == [1]
