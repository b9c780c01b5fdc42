"""From decoded sentences to a Document (``trainer.inference.to_document``), the odds towards
"nothing" (``towards_nothing``) and the batch size reaching the NER pass (``tag_entities``):
ids ``T1…``/``R1…`` in text order across sentences, entity texts cut from the document, scores
rounded to 4 places, relations naming their entities' ids (issue 22 item 8: these survived the
mutation run, whose other tests of them only ran the tiny model end to end)."""

import math

import numpy as np
import pytest

from converters.document import Entity, Span
from tests.trainer.test_inference_batches import recording_engine
from trainer.inference import SentenceState, to_document, towards_nothing
from trainer.tagging import WordSpan
from trainer.tokenization import split_sentences

TEXT = "Рост доходов населения. Бюджет края вырос."


def decoded_states() -> list[SentenceState]:
    first, second = split_sentences(TEXT)
    return [
        SentenceState(first, [], entities=[WordSpan(0, 1, "ECO", 0.123456),
                                           WordSpan(2, 2, "MET", 0.5)],
                      relations=[("GOL", 1, 0, 0.987654)]),
        SentenceState(second, [], entities=[WordSpan(0, 0, "ECO", 1 / 3),
                                            WordSpan(1, 1, "MET", 0.25)],
                      relations=[("TSK", 0, 1, 0.654321)]),
    ]


def test_entities_and_relations_are_numbered_in_text_order_with_rounded_scores():
    document = to_document("news", TEXT, decoded_states())

    assert (document.name, document.text) == ("news", TEXT)
    assert [(e.id, e.type, e.spans, e.text, e.score) for e in document.entities] == [
        ("T1", "ECO", (Span(0, 12),), "Рост доходов", 0.1235),
        ("T2", "MET", (Span(13, 22),), "населения", 0.5),
        ("T3", "ECO", (Span(24, 30),), "Бюджет", 0.3333),
        ("T4", "MET", (Span(31, 35),), "края", 0.25),
    ]
    assert [(r.id, r.type, r.arg1, r.arg2, r.score) for r in document.relations] == [
        ("R1", "GOL", "T2", "T1", 0.9877), ("R2", "TSK", "T3", "T4", 0.6543)]


def test_given_entities_are_kept_and_relations_name_their_ids():
    states = decoded_states()
    to_document("news", TEXT, states)  # gives each state its entity ids
    gold = [Entity("T7", "ECO", (Span(0, 4),), "Рост")]
    document = to_document("news", TEXT, states, keep_entities=gold)

    assert document.entities == gold and document.entities is not gold
    assert [(r.id, r.arg1, r.arg2) for r in document.relations] == [("R1", "T2", "T1"),
                                                                      ("R2", "T3", "T4")]


def test_towards_nothing_multiplies_the_odds_of_nothing_by_e_to_the_bias():
    probabilities = np.array([[0.2, 0.5, 0.3]], dtype=np.float32)
    assert towards_nothing(probabilities, 0.0) is probabilities
    weighted = towards_nothing(probabilities, 1.0)
    assert weighted[0, 0] == pytest.approx(0.2 * math.e)
    assert weighted[0, 1:].tolist() == pytest.approx([0.5, 0.3])
    assert towards_nothing(probabilities, 100.0)[0, 0] == pytest.approx(0.2 * math.exp(100))


def test_the_batch_size_given_to_tag_entities_reaches_the_model():
    engine, model = recording_engine()
    first, second = split_sentences(TEXT)
    states = [SentenceState(sentence, [[10 + word] for word in range(len(sentence.words))])
              for sentence in (first, second, first)]
    engine.tag_entities(states, batch_size=1)
    assert [batch["shape"][0] for batch in model.batches] == [1, 1, 1]
