"""The Predictor's public surface: batching, thread safety, gold-entity relations."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.fixtures.checkpoint import tiny_documents
from trainer.config import DecisionBiases
from trainer.errors import TrainerError
from trainer.inference import entities_from
from trainer.predict import Predictor
from trainer.tagging import WordSpan
from trainer.tokenization import split_sentences


def summary(documents):
    return [([(e.type, e.start, e.end, e.score) for e in d.entities],
             [(r.type, r.arg1, r.arg2, r.score) for r in d.relations]) for d in documents]


def test_concurrent_predict_calls_give_the_sequential_answers(relational_checkpoint):
    predictor = Predictor.load(relational_checkpoint, device="cpu")
    texts = [d.text for d in tiny_documents()]
    expected = summary(predictor.predict(texts))
    assert any(relations for _, relations in expected), "the answers compared hold relations"
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: summary(predictor.predict(texts)), range(8)))
    assert all(answer == expected for answer in answers)


def test_batch_size_does_not_change_the_output(relational_checkpoint):
    predictor = Predictor.load(relational_checkpoint, device="cpu")
    texts = [d.text for d in tiny_documents()]
    batched = predictor.predict(texts, batch_size=64)
    one_by_one = predictor.predict(texts, batch_size=1)
    key = lambda docs: [([(e.type, e.start, e.end) for e in d.entities],
                         [(r.type, r.arg1, r.arg2) for r in d.relations]) for d in docs]
    assert sum(len(d.relations) for d in batched) >= 3, "relations are compared, not empty lists"
    assert key(batched) == key(one_by_one)


def test_predict_relations_keeps_the_gold_entities(relational_checkpoint):
    predictor = Predictor.load(relational_checkpoint, device="cpu")
    gold = tiny_documents()
    predicted = predictor.predict_relations(gold)
    for before, after in zip(gold, predicted):
        assert after.entities == before.entities
        assert after.relations, f"{after.name}: the model links gold entities of every document"
        ids = {e.id for e in before.entities}
        assert all(r.arg1 in ids and r.arg2 in ids and r.score is not None
                   for r in after.relations)
    assert predictor.version and predictor.relation_types == [
        "FNG", "GOL", "NNG", "NPS", "PNG", "PNT", "PPS", "TSK"]
    assert predictor.predict([""])[0].entities == []


def test_an_explicit_precision_reaches_the_engine(tiny_checkpoint):
    predictor = Predictor.load(tiny_checkpoint, device="cpu", precision="fp32")
    assert (predictor.precision, predictor.engine.settings.precision) == ("fp32", "fp32")


def test_an_entity_with_no_other_entity_in_view_gets_no_relation_example(tiny_checkpoint):
    engine = Predictor.load(tiny_checkpoint, device="cpu").engine
    text = "Развитие туризма в крае. Рост доходов населения и бюджета."
    lonely, pair = engine.prepare(text, split_sentences(text))
    lonely.entities = [WordSpan(0, 1, "ECO")]
    pair.entities = [WordSpan(0, 1, "ECO"), WordSpan(2, 2, "SOC"), WordSpan(4, 4, "ECO")]
    keys = [example.key[:2] for example in engine.relation_examples([lonely, pair])]
    assert keys == [(1, 0), (1, 1), (1, 2)]


def test_the_engine_decodes_entities_under_the_bio_constraint(tiny_checkpoint):
    engine = Predictor.load(tiny_checkpoint, device="cpu", biases=DecisionBiases(outside=0)).engine
    states = engine.prepare(tiny_documents()[0].text, split_sentences(tiny_documents()[0].text))
    engine.tag_entities(states)
    matrices = engine.entity_probabilities(states)
    for state, matrix in zip(states, matrices):
        assert state.entities == entities_from(matrix, engine.bio.best_tags(matrix), engine.labels)
    # the untrained tiny model's argmax has stray I- tags, so the two decodings really differ
    assert any(entities_from(matrix, matrix.argmax(-1), engine.labels) != state.entities
               for state, matrix in zip(states, matrices))


def test_the_biases_lean_towards_nothing_and_spare_given_entities(tiny_checkpoint):
    documents = tiny_documents()
    texts = [d.text for d in documents]
    plain = Predictor.load(tiny_checkpoint, device="cpu", biases=DecisionBiases(0, -50))
    linked = plain.predict(texts)
    assert all(d.relations for d in linked)  # -50: every pair in view is linked
    no_entities = Predictor.load(tiny_checkpoint, device="cpu", biases=DecisionBiases(outside=50))
    assert not any(d.entities for d in no_entities.predict(texts))
    no_relations = Predictor.load(tiny_checkpoint, device="cpu", biases=DecisionBiases(0, 50))
    unlinked = no_relations.predict(texts)
    assert [d.entities for d in unlinked] == [d.entities for d in linked]
    assert not any(d.relations for d in unlinked)
    # over given entities no bias applies: both predictors give the same relations
    assert ([d.relations for d in no_relations.predict_relations(documents)]
            == [d.relations for d in plain.predict_relations(documents)])


@pytest.mark.parametrize("bias", [100.0, -100.0])
def test_the_largest_biases_still_decide(tiny_checkpoint, bias):
    texts = [d.text for d in tiny_documents()]
    biases = DecisionBiases(outside=bias)
    predicted = Predictor.load(tiny_checkpoint, device="cpu", biases=biases).predict(texts)
    assert any(d.entities for d in predicted) == (bias < 0)


@pytest.mark.parametrize("bias", [100.5, float("nan")])
def test_an_unusable_bias_is_refused_with_its_name(bias):
    with pytest.raises(TrainerError, match="E154.*no-relation bias: expected a number from -100 to 100"):
        DecisionBiases(no_relation=bias)
