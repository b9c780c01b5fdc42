"""The RQ retraining job: Label Studio annotations in, a new evaluated model version out.

``retrain_project`` runs in an RQ work horse (a forked child of the worker), so a crash or a
``kill -9`` of it never touches what the backend serves: training writes only under
``<MODEL_DIR>/.staging/``, and the registry copies a finished checkpoint in atomically. Steps:

1. fetch the project's export through label-studio-sdk; keep the latest human annotation per task;
   a task whose annotation does not convert is skipped and listed in the result (``skipped_tasks``:
   task id, annotation id and why), and the job trains on the rest; it fails (R205) only when the
   skipped tasks leave fewer than RETRAIN_MIN_TASKS;
2. hold out a seeded share of the tasks, score the current model (the project's promoted version,
   else ``DEFAULT_MODEL``) on them with the official RuREBus scorer;
3. fine-tune from that model (from the encoder when there is none) on the rest;
4. score the new model on the same held-out tasks; publish it with both scores and the task ids;
   promote it only when it is not worse (``RETRAIN_FORCE_PROMOTE=1`` promotes anyway);
5. with ``RETRAIN_PREDICT_UNLABELED=1``, after a promotion, predict the unlabeled tasks and upload
   the predictions to Label Studio.

Settings come from the worker's environment (the same variables the backend reads).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from label_studio_sdk import LabelStudio

from converters.document import Document
from converters.errors import ConversionError
from converters.labelstudio import LabelConfig, result_to_document
from trainer.checkpoint import checkpoint_training_config
from trainer.config import DecisionBiases, TrainingConfig, default_model_setting
from trainer.errors import UNKNOWN_TYPES_FOR_INIT, TrainerError
from retraining.progress import JobProgress
from retraining.label_studio_access import LabelStudioAccess
from retraining.label_studio import (
    fetch_export,
    label_studio_client,
    latest_human_annotations,
    project_label_config,
)
from retraining.upload import upload_predictions
from trainer.predict import Predictor
from trainer.runtime import resolve_device
from retraining.promotion import holdout_scores, promotion_decision, split_holdout
from retraining.registry import DEFAULT_KEEP_VERSIONS, ModelRegistry, ModelVersion, project_key
from retraining.errors import BAD_ANNOTATION, BAD_SETTING, TOO_FEW_TASKS, RetrainError
from trainer.train import TrainResult, train
from trainer.tracks import selection_score

log = logging.getLogger("retraining.job")

STAGING_DIR = ".staging"
"""Under MODEL_DIR; not a valid project key, so the registry never lists it as a project."""
CPU_RETRAIN_STEPS = 400
"""Default step budget of a retraining on a CPU: about 6 min of fine-tuning on 2 cores."""
SHOWN_SKIPPED = 5
"""Skipped tasks an R205 message quotes (the job result lists them all)."""


@dataclass(frozen=True)
class RetrainSettings:
    """The job's knobs, read from the worker's environment."""

    model_dir: Path = Path("models")
    """MODEL_DIR: registry root, shared with the backend."""
    default_model: Path | None = None
    """DEFAULT_MODEL: the starting point of projects that have no version yet."""
    label_studio: LabelStudioAccess = LabelStudioAccess()
    """LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY, LABEL_STUDIO_ALLOWED_HOSTS: where the worker reaches
    Label Studio and with which token (the rule is in retraining/label_studio_access.py)."""
    holdout_share: float = 0.2
    """RETRAIN_HOLDOUT_SHARE: share of annotated tasks kept out of training to compare models."""
    seed: int = 13
    """RETRAIN_SEED: seeds the held-out split (training has its own seed in the config)."""
    force_promote: bool = False
    """RETRAIN_FORCE_PROMOTE: promote the new version even when it scores worse."""
    training_config: Path | None = None
    """RETRAIN_CONFIG: JSON of TrainingConfig options (epochs, batch size, …) over the served
    model's own. Unset: the served model's options, capped at ``max_steps``."""
    max_steps: int | None = None
    """RETRAIN_MAX_STEPS: step budget when RETRAIN_CONFIG is unset (0: whole epochs). Unset:
    CPU_RETRAIN_STEPS on a CPU, whole epochs on a GPU."""
    min_tasks: int = 2
    """RETRAIN_MIN_TASKS: fewest annotated tasks worth a retraining (one is held out)."""
    predict_unlabeled: bool = False
    """RETRAIN_PREDICT_UNLABELED: after a promotion, predict the unlabeled tasks and upload the
    predictions to Label Studio, so nobody waits on "Retrieve Predictions"."""
    biases: DecisionBiases = DecisionBiases()
    """OUTSIDE_BIAS, NO_RELATION_BIAS: decoding of held-out and uploaded predictions, as the
    backend serves them."""
    keep_versions: int = DEFAULT_KEEP_VERSIONS
    """KEEP_VERSIONS: published versions a project keeps; older ones are removed (never the
    current one)."""

    def __post_init__(self) -> None:
        if not 0 < self.holdout_share < 1:
            raise RetrainError(BAD_SETTING, f"RETRAIN_HOLDOUT_SHARE must be in (0, 1); found {self.holdout_share}")
        if self.keep_versions < 1:
            raise RetrainError(BAD_SETTING, f"KEEP_VERSIONS must be at least 1; found {self.keep_versions}")
        if self.min_tasks < 2:
            raise RetrainError(BAD_SETTING, f"RETRAIN_MIN_TASKS must be at least 2; found {self.min_tasks}")
        if self.max_steps is not None and self.max_steps < 0:
            raise RetrainError(BAD_SETTING, f"RETRAIN_MAX_STEPS must be 0 or more; found {self.max_steps}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RetrainSettings:
        env = {key: value for key, value in (os.environ if environ is None else environ).items() if value}
        try:
            biases = DecisionBiases.from_env(env)
        except TrainerError as error:
            raise RetrainError(BAD_SETTING, error.message, error.hint) from None
        try:
            return cls(
                model_dir=Path(env.get("MODEL_DIR", "models")),
                default_model=default_model_setting(env.get("DEFAULT_MODEL")),
                label_studio=LabelStudioAccess.from_env(env),
                holdout_share=float(env.get("RETRAIN_HOLDOUT_SHARE", 0.2)),
                seed=int(env.get("RETRAIN_SEED", 13)),
                force_promote=_flag(env, "RETRAIN_FORCE_PROMOTE"),
                predict_unlabeled=_flag(env, "RETRAIN_PREDICT_UNLABELED"),
                training_config=Path(env["RETRAIN_CONFIG"]) if "RETRAIN_CONFIG" in env else None,
                min_tasks=int(env.get("RETRAIN_MIN_TASKS", 2)),
                max_steps=int(env["RETRAIN_MAX_STEPS"]) if "RETRAIN_MAX_STEPS" in env else None,
                keep_versions=int(env.get("KEEP_VERSIONS", DEFAULT_KEEP_VERSIONS)),
                biases=biases,
            )
        except ValueError as error:
            raise RetrainError(BAD_SETTING, f"a RETRAIN_* variable is not a number: {error}") from error


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "0").lower() in ("1", "true", "yes")


def retrain_project(
    project: str,
    label_studio_url: str | None = None,
    api_key: str | None = None,
    reason: str = "",
) -> dict[str, Any]:
    """The RQ job (enqueued by ``retraining.queue.enqueue_training``); returns what happened."""
    started = time.monotonic()
    settings = RetrainSettings.from_env()
    project = project_key(project)
    progress = JobProgress(project)
    registry = ModelRegistry(settings.model_dir, default_model=settings.default_model,
                             keep_versions=settings.keep_versions)

    progress.stage("fetch")
    url, token = settings.label_studio.resolve(project, (label_studio_url, api_key),
                                               registry.label_studio_connection(project) or {})
    client = label_studio_client(url, token)
    label_config = project_label_config(client, url, project)
    documents, skipped = _annotated_documents(client, url, project, label_config, settings.min_tasks,
                                              progress)
    train_ids, holdout_ids = split_holdout(sorted(documents), settings.holdout_share, settings.seed)
    holdout = [documents[task_id] for task_id in holdout_ids]

    current = registry.current(project)
    progress.stage("evaluate-current", version=current.name if current else None)
    old_scores = holdout_scores(current.path, holdout, settings.biases) if current else None

    config = _training_config(settings, current)
    staging = _fresh_staging_dir(settings.model_dir, project)
    try:
        trained, started_from = _train_from_current_or_encoder(
            config, [documents[i] for i in train_ids], current, staging, progress)
        progress.stage("evaluate-new", device=trained.device)
        new_scores = holdout_scores(trained.checkpoint_dir, holdout, settings.biases)
        promote, why = promotion_decision(old_scores, new_scores, current, settings.force_promote)
        progress.stage("publish", promote=promote)
        version = registry.publish(
            project, trained.checkpoint_dir,
            metrics={
                "holdout": new_scores,
                "holdout_headline": selection_score(new_scores),
                "previous_version": current.name if current else None,
                "previous_holdout": old_scores,
                "training": trained.metrics,
                "started_from": started_from,
                "device": trained.device,
            },
            task_ids=sorted(documents), promote=promote, reason=f"{reason}; {why}".strip("; "),
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if promote and settings.predict_unlabeled:
        predictions = _predict_unlabeled(client, url, project, version, label_config,
                                         settings.biases, progress)
    else:
        predictions = {"uploaded": 0, "skipped": "not promoted" if not promote else "RETRAIN_PREDICT_UNLABELED is off"}
    outcome = {
        "project": project,
        "version": version.name,
        "promoted": promote,
        "why": why,
        "device": trained.device,
        "headline": {"new": selection_score(new_scores),
                     "previous": selection_score(old_scores) if old_scores else None},
        "previous_version": current.name if current else None,
        "started_from": started_from,
        "train_task_ids": train_ids,
        "holdout_task_ids": holdout_ids,
        "skipped_tasks": skipped,
        "predictions": predictions,
        "seconds": round(time.monotonic() - started, 1),
    }
    progress.stage("done", version=version.name, promoted=promote, why=why)
    log.info("project %s: published %s (%s)", project, version.name, why)
    return outcome


def _annotated_documents(client: LabelStudio, url: str, project: str, label_config: LabelConfig,
                         min_tasks: int, progress: JobProgress
                         ) -> tuple[dict[int, Document], list[dict[str, Any]]]:
    """The latest human annotation of each task as a Document, by task id, and the tasks skipped
    because their annotation does not convert (task id, annotation id, why).

    One bad annotation costs its task, not the retraining: the annotator sees it listed in the
    job result and fixes it for the next run. Only when the skipped tasks leave too few to train
    on does the job fail, with R205 naming them."""
    tasks = fetch_export(client, url, project)
    annotated = latest_human_annotations(tasks, config=label_config)
    documents: dict[int, Document] = {}
    skipped: list[dict[str, Any]] = []
    for item in annotated:
        try:
            documents[item.task_id] = result_to_document(f"task-{item.task_id}", item.text, item.result)
        except ConversionError as error:
            log.warning("project %s: task %s skipped: %s", project, item.task_id, error)
            skipped.append({"task_id": item.task_id, "annotation_id": item.annotation_id,
                            "code": BAD_ANNOTATION, "why": str(error)})
    progress.stage("convert", exported_tasks=len(tasks), annotated_tasks=len(annotated),
                   skipped_tasks=len(skipped))
    if len(documents) >= min_tasks:
        return documents, skipped
    if skipped:
        shown = "; ".join(f"task {s['task_id']}, annotation {s['annotation_id']}: {s['why']}"
                          for s in skipped[:SHOWN_SKIPPED])
        more = f"; and {len(skipped) - SHOWN_SKIPPED} more" if len(skipped) > SHOWN_SKIPPED else ""
        raise RetrainError(
            BAD_ANNOTATION, f"project {project}: {len(skipped)} of {len(annotated)} annotated task(s) "
            f"do not convert, leaving {len(documents)}; retraining needs at least {min_tasks} "
            f"({shown}{more})",
            "fix or delete those annotations in Label Studio",
        )
    raise RetrainError(
        TOO_FEW_TASKS, f"project {project} has {len(annotated)} annotated task(s) in Label Studio; "
        f"retraining needs at least {min_tasks}",
        "submit more annotations, then press Start Training again",
    )


def _predict_unlabeled(client: LabelStudio, url: str, project: str, version: ModelVersion,
                       label_config: LabelConfig, biases: DecisionBiases, progress: JobProgress
                       ) -> dict[str, Any]:
    """Upload predictions of the new version; a failure here leaves the published version served
    and is reported in the job result rather than failing the job."""
    progress.stage("predict-unlabeled", version=version.name)
    try:
        uploaded = upload_predictions(
            client, url, project, Predictor.load(version.path, device="auto", biases=biases), label_config,
            version.name + biases.version_suffix(), on_batch=lambda done, total: progress.stage("predict-unlabeled", done=done, total=total),
        )
    except RetrainError as error:
        log.warning("project %s: predictions of %s not uploaded: %s", project, version.name, error)
        return {"uploaded": 0, "error": str(error)}
    return {"uploaded": uploaded}


def _training_config(settings: RetrainSettings, current: ModelVersion | None) -> TrainingConfig:
    """The served model's own options (a checkpoint keeps no device, precision or threads: those
    are this machine's defaults), without dev checks; then RETRAIN_CONFIG's options over them when
    set, else a step budget.

    The served model's options are what worked for it: a RETRAIN_CONFIG that sets only epochs and
    batch size keeps, say, its fixed word embeddings (which keep a new version at 22 MB, not
    119 MB). Without a budget a CPU would retrain for hours."""
    served = checkpoint_training_config(current.path) if current is not None else TrainingConfig()
    base = served.with_options(eval_every_steps=0, eval_max_docs=0)
    if settings.training_config is not None:
        return TrainingConfig.from_json(settings.training_config, defaults=base)
    max_steps = settings.max_steps
    if max_steps is None:
        max_steps = 0 if resolve_device("auto").type == "cuda" else CPU_RETRAIN_STEPS
    return base.with_options(max_steps=max_steps)


def _fresh_staging_dir(model_dir: Path, project: str) -> Path:
    """A new scratch directory for this project's run, after removing what a killed run left.

    Only one job per project runs at a time, so anything already there is debris."""
    root = Path(model_dir) / STAGING_DIR
    root.mkdir(parents=True, exist_ok=True)
    for leftover in root.glob(f"p{project}-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    return Path(tempfile.mkdtemp(dir=root, prefix=f"p{project}-"))


def _train_from_current_or_encoder(
    config: TrainingConfig,
    train_docs: list[Document],
    current: ModelVersion | None,
    staging: Path,
    progress: JobProgress,
) -> tuple[TrainResult, str]:
    """Fine-tune the served model; when the annotations use types it does not know (a project
    whose labels differ from DEFAULT_MODEL's), train a new model from the encoder instead."""
    if current is not None:
        progress.stage("train", train_tasks=len(train_docs), init_from=current.name)
        try:
            return _train(config, train_docs, current.path, staging, progress), current.name
        except TrainerError as error:
            if error.code != UNKNOWN_TYPES_FOR_INIT:
                raise
            log.warning("%s: training a new model from %s instead", error.message,
                        config.model.encoder)
    progress.stage("train", train_tasks=len(train_docs), init_from=config.model.encoder)
    return _train(config, train_docs, None, staging, progress), config.model.encoder


def _train(config: TrainingConfig, train_docs: list[Document], init_from: Path | None,
           staging: Path, progress: JobProgress) -> TrainResult:
    # No dev documents: choosing the checkpoint (or stopping early) on the held-out tasks would
    # flatter the new model in the very comparison that decides its promotion.
    return train(config, train_docs, [], init_from=init_from,
                 output_dir=staging / "checkpoint", progress=progress.training)
