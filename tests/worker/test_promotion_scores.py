"""``holdout_scores`` scores each held-out task's predictions against that same task: with a model
that fits the tiny documents (``relational_checkpoint``), entities and relations score well above
0, and exactly as the official scorer scores predictions matched by document name. Predictions
under other names (the predictor's ``doc0``, ``doc1``… when ``names`` is not passed) would match
no gold document and score 0 (issue 22 item 8: the surviving ``names=`` mutants)."""

from trainer.config import DecisionBiases
from trainer.predict import Predictor
from trainer.scoring import score_documents
from retraining.promotion import holdout_scores
from tests.fixtures.checkpoint import tiny_documents


def test_held_out_predictions_are_scored_against_their_own_tasks(relational_checkpoint):
    gold = tiny_documents()
    scores = holdout_scores(relational_checkpoint, gold, DecisionBiases())

    assert scores["ner"]["f1"] > 0.5 and scores["relations_gold_entities"]["f1"] > 0
    predictor = Predictor.load(relational_checkpoint, device="cpu")
    predicted = predictor.predict([doc.text for doc in gold], names=[doc.name for doc in gold])
    official = score_documents({doc.name: doc for doc in gold}, {doc.name: doc for doc in predicted})
    assert (scores["ner"], scores["end_to_end"]) == (official["ner"], official["relations"])
