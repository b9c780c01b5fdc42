"""How a retrained model is judged before it is served: held-out tasks, the official scorer, one
headline number, and the rule that a new version is promoted only when it is not worse.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from converters.document import Document
from trainer.config import DecisionBiases
from trainer.predict import Predictor
from retraining.registry import ModelVersion
from trainer.scoring import score_documents


def split_holdout(task_ids: list[int], share: float, seed: int) -> tuple[list[int], list[int]]:
    """(train, held-out) task ids: a seeded shuffle, at least one task on each side."""
    shuffled = sorted(task_ids)
    random.Random(seed).shuffle(shuffled)
    held = min(len(shuffled) - 1, max(1, round(share * len(shuffled))))
    return sorted(shuffled[held:]), sorted(shuffled[:held])


def holdout_scores(checkpoint_dir: Path, gold: list[Document],
             biases: DecisionBiases = DecisionBiases()) -> dict[str, Any]:
    """Official RuREBus scores of the checkpoint's predictions on ``gold``, decoded as served."""
    predictor = Predictor.load(checkpoint_dir, device="auto", biases=biases)
    predicted = predictor.predict([doc.text for doc in gold], names=[doc.name for doc in gold])
    return score_documents({doc.name: doc for doc in gold}, {doc.name: doc for doc in predicted})


def headline(scores: Mapping[str, Any]) -> float:
    """The one number two models are compared by: the mean of the entity and relation micro F1
    (the product pre-annotates both, so neither may get worse unnoticed)."""
    return (scores["ner"]["f1"] + scores["relations"]["f1"]) / 2


def promotion_decision(
    old_scores: dict[str, Any] | None,
    new_scores: dict[str, Any],
    current: ModelVersion | None,
    force: bool,
) -> tuple[bool, str]:
    """(promote?, why) — the why goes into the version's record and the job result as is."""
    new = headline(new_scores)
    if current is None or old_scores is None:
        return True, f"first model of the project (held-out F1 {new:.4f})"
    old = headline(old_scores)
    comparison = f"held-out F1 {new:.4f} vs {old:.4f} of {current.name}"
    if new >= old:
        return True, f"promoted: not worse ({comparison})"
    if force:
        return True, f"promoted although worse, RETRAIN_FORCE_PROMOTE is set ({comparison})"
    return False, f"kept but not promoted: worse ({comparison}); set RETRAIN_FORCE_PROMOTE=1 to promote anyway"
