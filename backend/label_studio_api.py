"""Label Studio's calls to an ML backend: ``/health`` (and ``/``), ``/setup``, ``/predict`` and
``/versions`` (../shared/docs/label-studio-protocol.md).

``/health`` and ``/setup`` are cheap and load no model; ``/predict`` runs on the inference queue
with the project's current model, loaded once and kept (backend/models.py).
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify, request

from backend import limits
from backend.errors import MISSING_FIELD, BackendError
from backend.interactive import interactive_prediction, is_interactive
from backend.prediction import predict_tasks, task_text
from backend.request_fields import json_object, label_config, request_project, where
from backend.state import APP_LOG, BackendState, backend_state
from converters.labelstudio import LabelConfig
from retraining.registry import DEFAULT_PROJECT

NO_MODEL_VERSION = "no-model"
"""``model_version`` reported by /setup while neither a version nor DEFAULT_MODEL exists."""

label_studio_blueprint = Blueprint("label_studio", __name__)


@label_studio_blueprint.get("/")
@label_studio_blueprint.get("/health")
def health() -> Response:
    state = backend_state()
    return jsonify(status="UP", model_class="JointModel", loaded_versions=state.models.loaded_versions(),
                   inference_queue={"depth": state.inference.depth(), "capacity": state.inference.capacity})


@label_studio_blueprint.post("/setup")
def setup() -> Response:
    state = backend_state()
    payload = json_object(required=("project",))
    project = request_project(payload["project"])
    if payload.get("schema"):
        label_config(payload["schema"])
    hostname, token = payload.get("hostname"), payload.get("access_token")
    if isinstance(hostname, str) and isinstance(token, str) and hostname and token:
        state.registry.save_label_studio_connection(project, hostname, token)
    version = state.models.current_version(project)
    return jsonify(model_version=state.models.served_name(version) if version else NO_MODEL_VERSION)


@label_studio_blueprint.post("/predict")
def predict() -> Response:
    state = backend_state()
    payload = json_object(required=("tasks", "label_config"))
    tasks = payload["tasks"]
    if not isinstance(tasks, list):
        raise BackendError(400, MISSING_FIELD, f"/predict: expected tasks as a list, found "
                           f"{type(tasks).__name__}")
    config = label_config(payload["label_config"])
    limits.check_task_texts(where(), tasks, config.text_key)
    project = request_project(payload.get("project") or DEFAULT_PROJECT)
    results, version = state.inference.run(predict_batch, state, project, tasks, config,
                                           payload.get("params"),
                                           timeout_s=state.settings.request_timeout_s)
    return jsonify(results=results, model_version=version)


def predict_batch(state: BackendState, project: str, tasks: list, config: LabelConfig,
                  params: object) -> tuple[list[dict], str]:
    """The ``/predict`` answer and the version that made it; runs on the inference thread."""
    # One reference for the whole answer: a version published meanwhile cannot mix in.
    served = state.served_model(project)
    started = time.perf_counter()
    if is_interactive(params):  # Auto-Annotation: answer the annotator's regions only
        answer = [interactive_prediction(item.text, str(item.task_id), params["context"], config,
                                         served, state.predictions)
                  if item.text is not None else {"model_version": served.name, "result": []}
                  for item in (task_text(task, config.text_key) for task in tasks)]
    else:
        answer = predict_tasks(tasks, config, served, state.predictions)
    APP_LOG.info("project %s: %d task(s) predicted with %s in %.2f s", project, len(tasks),
             served.name, time.perf_counter() - started)
    return answer, served.name


@label_studio_blueprint.get("/versions")
def versions() -> Response:
    state = backend_state()
    registry, models = state.registry, state.models
    raw = request.args.get("project")
    projects = [request_project(raw)] if raw else registry.projects()
    listed = [version for project in projects for version in registry.versions(project)]
    default = registry.default_version()
    if default is not None:
        listed.append(default)
    current = registry.current(projects[0]) if raw else default
    return jsonify(
        versions=[models.served_name(version) for version in listed],
        current=models.served_name(current) if current else None,
        details=[{"name": models.served_name(v), "project": v.project, "promoted": v.promoted,
                  "created_at": v.created_at, "metrics": v.metrics} for v in listed],
    )
