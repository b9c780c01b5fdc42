"""Which new version gets served: not worse than the current one on the held-out tasks, or forced."""

from pathlib import Path

import pytest

from tests.fixtures.checkpoint import tiny_documents
from trainer.config import DecisionBiases
from retraining.job import RetrainSettings
from retraining.promotion import holdout_scores, promotion_decision, split_holdout
from retraining.registry import ModelVersion
from retraining.errors import RetrainError

CURRENT = ModelVersion("3", "p3-v0001-20261125T180000", Path("/nowhere"), {}, True, "")


def scores(ner_f1: float, relation_f1: float) -> dict:
    return {"ner": {"f1": ner_f1}, "relations_gold_entities": {"f1": relation_f1}}


def test_first_model_is_promoted():
    promote, why = promotion_decision(None, scores(0.1, 0.0), None, force=False)

    assert promote and why.startswith("first model of the project")


def test_equal_or_better_is_promoted():
    assert promotion_decision(scores(0.5, 0.3), scores(0.5, 0.3), CURRENT, force=False)[0]
    assert promotion_decision(scores(0.5, 0.3), scores(0.6, 0.3), CURRENT, force=False)[0]


def test_worse_is_kept_but_not_promoted_and_the_reason_says_so():
    promote, why = promotion_decision(scores(0.5, 0.3), scores(0.6, 0.1), CURRENT, force=False)

    assert not promote
    assert why.startswith("kept but not promoted: worse (held-out F1 0.3500 vs 0.4000 of p3-v0001")


def test_force_promotes_a_worse_model_and_says_so():
    promote, why = promotion_decision(scores(0.5, 0.3), scores(0.1, 0.1), CURRENT, force=True)

    assert promote and "RETRAIN_FORCE_PROMOTE" in why


def test_holdout_split_is_seeded_disjoint_and_never_empty():
    ids = list(range(100, 110))

    train, held = split_holdout(ids, 0.2, seed=13)

    assert split_holdout(list(reversed(ids)), 0.2, seed=13) == (train, held)
    assert sorted(train + held) == ids and len(held) == 2
    assert split_holdout([1, 2], 0.2, seed=13)[1] != [] and split_holdout([1, 2], 0.9, seed=13)[0] != []


def test_held_out_predictions_decode_with_the_worker_biases(tiny_checkpoint):
    def predicted_entities(biases: DecisionBiases) -> int:
        rows = holdout_scores(tiny_checkpoint, tiny_documents(), biases)["ner"]["per_type"].values()
        return sum(row["tp"] + row["fp"] for row in rows)

    assert predicted_entities(DecisionBiases(outside=100.0)) == 0
    assert predicted_entities(DecisionBiases(outside=-100.0)) > 0


def test_worker_biases_come_from_the_environment_and_are_checked():
    assert RetrainSettings.from_env({"NO_RELATION_BIAS": "2"}).biases == DecisionBiases(no_relation=2.0)
    with pytest.raises(RetrainError, match=r"R301.*OUTSIDE_BIAS: expected a number from -100 to 100, found 'x'"):
        RetrainSettings.from_env({"OUTSIDE_BIAS": "x"})
