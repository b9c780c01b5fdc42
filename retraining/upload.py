"""After a promotion: predict the project's unlabeled tasks with the new version and store the
predictions in Label Studio through label-studio-sdk.

Label Studio's "Retrieve Predictions" sends every task in one ``/predict`` call with a 100 s
timeout, which a large project on a CPU does not meet; uploading from the worker instead means
annotators open tasks that are already pre-annotated by the new model. The predictions carry the
version's name as ``model_version`` (what ``/setup`` reports), so Label Studio does not ask again,
and the labels ``/predict`` shows: the model's types through the config's ``predicted_values``
(``LabelConfig.entity_label``), the inverse of how the annotations were read for training.
"""

from __future__ import annotations

from collections.abc import Callable

from label_studio_sdk import LabelStudio

from converters.labelstudio import LabelConfig, document_to_prediction
from retraining.label_studio import label_studio_errors
from trainer.predict import Predictor

PREDICT_BATCH = 16


def unlabeled_tasks(client: LabelStudio, url: str, project: str, text_key: str) -> list[tuple[int, str]]:
    """(task id, text) of every task without a completed annotation and with a non-empty text.

    Label Studio leaves cancelled (skipped) annotations out of ``total_annotations``, so a skipped
    task is pre-annotated too, for whoever picks it up next."""
    with label_studio_errors(url, project, "the task list"):
        tasks = list(client.tasks.list(project=int(project), fields="task_only"))
    unlabeled = []
    for task in tasks:
        if task.is_labeled or (task.total_annotations or 0) > 0:
            continue
        text = (task.data or {}).get(text_key)
        if isinstance(text, str) and text.strip():
            unlabeled.append((task.id, text))
    return unlabeled


def upload_predictions(
    client: LabelStudio,
    url: str,
    project: str,
    predictor: Predictor,
    config: LabelConfig,
    model_version: str,
    on_batch: Callable[[int, int], None] | None = None,
) -> int:
    """Predict and store one prediction per unlabeled task; returns how many were stored."""
    tasks = unlabeled_tasks(client, url, project, config.text_key)
    for start in range(0, len(tasks), PREDICT_BATCH):
        batch = tasks[start:start + PREDICT_BATCH]
        documents = predictor.predict([text for _, text in batch], names=[str(task_id) for task_id, _ in batch])
        for (task_id, _), document in zip(batch, documents, strict=True):
            # the same prediction /predict answers (converters/ls_write.py document_to_prediction)
            with label_studio_errors(url, project, f"the upload of a prediction for task {task_id}"):
                client.predictions.create(task=task_id, **document_to_prediction(document, config, model_version))
        if on_batch is not None:
            on_batch(start + len(batch), len(tasks))
    return len(tasks)

