"""Where a retraining job reports how far it is: the RQ job's meta and the worker's log.

``/jobs/<project>`` reads the meta, so an annotator can watch stage, epoch, step, loss and ETA.
Training calls back on every step; the meta is written at most once a second so that a fast tiny
model does not flood Redis, while stage changes are always written at once.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timezone
from typing import Any

from rq import get_current_job
from rq.job import Job

log = logging.getLogger("retraining.job")

SAVE_INTERVAL_S = 1.0


class JobProgress:
    """Records progress of one job; works outside RQ too (then it only logs)."""

    def __init__(self, project: str, job: Job | None = None):
        self.project = project
        self.job = job if job is not None else get_current_job()
        self._last_step_save = float("-inf")
        self._started = time.monotonic()
        if self.job is not None:
            self.job.meta["pid"] = os.getpid()

    def stage(self, name: str, **info: Any) -> None:
        """A new stage (fetch, convert, evaluate-current, train, evaluate-new, publish, done)."""
        details = " ".join(f"{key}={value}" for key, value in info.items())
        log.info("project %s: stage %s %s", self.project, name, details)
        self._update({"stage": name, **info}, force=True)

    def training(self, stage: str, info: dict[str, Any]) -> None:
        """The ``progress`` callback of ``trainer.train.train``."""
        update = {"stage": "train", "train_stage": stage, **_json_safe(info)}
        if self._update(update, force=False):
            details = " ".join(f"{key}={_short(value)}" for key, value in update.items())
            log.info("project %s: %s", self.project, details)

    def _update(self, values: dict[str, Any], force: bool) -> bool:
        now = time.monotonic()
        if not force:
            # Only step updates are throttled, among themselves: a stage change never hides the
            # first step that follows it.
            if now - self._last_step_save < SAVE_INTERVAL_S:
                return False
            self._last_step_save = now
        if self.job is not None:
            self.job.meta.update(values)
            self.job.meta["elapsed_s"] = round(now - self._started, 1)
            self.job.meta["updated_at"] = datetime.now(timezone.utc).isoformat()
            self.job.save_meta()
        return True


def _json_safe(info: dict[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = {}
    for key, value in info.items():
        if isinstance(value, (str, int, float, bool)) or value is None:
            safe[key] = value
        elif hasattr(value, "item"):  # a 0-d tensor or numpy scalar
            safe[key] = value.item()
        else:
            safe[key] = str(value)
    return safe


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
