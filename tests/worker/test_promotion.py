"""Which new version gets served: not worse than the current one on the held-out tasks, or forced."""

from pathlib import Path

from trainer.promotion import promotion_decision, split_holdout
from trainer.registry import ModelVersion

CURRENT = ModelVersion("3", "p3-v0001-20261125T180000", Path("/nowhere"), {}, True, "")


def scores(ner_f1: float, relation_f1: float) -> dict:
    return {"ner": {"f1": ner_f1}, "relations": {"f1": relation_f1}}


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
