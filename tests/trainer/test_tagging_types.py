"""BIO decoding of a type whose name holds a hyphen (issue 22 item 8: the rpartition mutant)."""

from trainer.tagging import WordSpan, decode_bio


def test_a_hyphen_in_the_type_stays_in_the_type():
    spans = decode_bio(["B-GOL-2", "I-GOL-2", "O"], [1.0, 1.0, 1.0])
    assert [(s.first, s.last, s.type) for s in spans] == [(0, 1, "GOL-2")]
    assert all(isinstance(s, WordSpan) for s in spans)
