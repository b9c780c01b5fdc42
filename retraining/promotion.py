"""How a retrained model is judged before it is served: held-out tasks, the three official tracks,
and the rule that a new version is promoted only when it is not worse.

Two models are compared by ``trainer.tracks.selection_score``, the number early stopping keeps the
best checkpoint by: one choice for "better", whether it picks an epoch or a version.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from converters.document import Document
from trainer.config import DecisionBiases
from trainer.predict import Predictor
from retraining.registry import ModelVersion
from trainer.tracks import evaluate_tracks, selection_score


def split_holdout(task_ids: list[int], share: float, seed: int) -> tuple[list[int], list[int]]:
    """(train, held-out) task ids: a seeded shuffle, at least one task on each side."""
    shuffled = sorted(task_ids)
    random.Random(seed).shuffle(shuffled)
    held = min(len(shuffled) - 1, max(1, round(share * len(shuffled))))
    return sorted(shuffled[held:]), sorted(shuffled[:held])


def holdout_scores(checkpoint_dir: Path, gold: list[Document],
                   biases: DecisionBiases = DecisionBiases()) -> dict[str, Any]:
    """The checkpoint's official RuREBus tracks on ``gold`` (NER, relations with gold entities,
    end to end; ``trainer.tracks.evaluate_tracks``), decoded as served."""
    return evaluate_tracks(Predictor.load(checkpoint_dir, device="auto", biases=biases), gold)


def promotion_decision(
    old_scores: dict[str, Any] | None,
    new_scores: dict[str, Any],
    current: ModelVersion | None,
    force: bool,
) -> tuple[bool, str]:
    """(promote?, why) — the why goes into the version's record and the job result as is."""
    new = selection_score(new_scores)
    if current is None or old_scores is None:
        return True, f"first model of the project (held-out F1 {new:.4f})"
    old = selection_score(old_scores)
    comparison = f"held-out F1 {new:.4f} vs {old:.4f} of {current.name}"
    if new >= old:
        return True, f"promoted: not worse ({comparison})"
    if force:
        return True, f"promoted although worse, RETRAIN_FORCE_PROMOTE is set ({comparison})"
    return False, f"kept but not promoted: worse ({comparison}); set RETRAIN_FORCE_PROMOTE=1 to promote anyway"
