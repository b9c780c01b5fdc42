"""Edges of the promotion rule that mutation testing found unpinned (issue 22 item 8)."""

from pathlib import Path

from retraining.promotion import promotion_decision, split_holdout
from retraining.registry import ModelVersion

CURRENT = ModelVersion("3", "p3-v0001-20261125T180000", Path("/nowhere"), {}, True, "")


def scores(ner_f1: float, relation_f1: float) -> dict:
    return {"ner": {"f1": ner_f1}, "relations_gold_entities": {"f1": relation_f1}}


def test_a_current_version_without_old_scores_is_replaced_as_a_first_model():
    """A served version whose held-out scores could not be computed is no reason to refuse."""
    promote, why = promotion_decision(None, scores(0.2, 0.1), CURRENT, force=False)

    assert promote and why == "first model of the project (held-out F1 0.1500)"


def test_a_small_share_holds_out_exactly_one_task():
    train, held = split_holdout(list(range(10)), share=0.05, seed=0)

    assert len(held) == 1 and len(train) == 9
    assert sorted(train + held) == list(range(10))


def test_the_seed_fixes_the_split():
    assert split_holdout(list(range(10)), share=0.3, seed=7) == ([0, 2, 4, 5, 6, 7, 9], [1, 3, 8])
