"""BIO and relation labels, and the decoding rules."""

import pytest

from trainer.tagging import (LabelMaps, WordSpan, decode_bio, encode_bio, parse_relation_label,
                             relation_label)


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
