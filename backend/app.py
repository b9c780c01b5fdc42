"""The Label Studio ML backend and brat tagger: a Flask app answering Label Studio's calls.

Protocol (../shared/docs/label-studio-protocol.md): /health and /setup are cheap and load no
model; /predict loads the project's current model once and keeps it; /webhook only counts and
enqueues, so it answers within Label Studio's 1 s. Bad input is answered 4xx with a coded message.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from retraining import queue as training
from backend.auth import install_basic_auth
from backend.brat_tagger import decode_body, document_to_tagger_json
from backend import limits
from backend.errors import INTERNAL_ERROR, MISSING_FIELD, NO_MODEL, BackendError, shown
from backend.inference_queue import InferenceQueue
from backend.interactive import interactive_prediction, is_interactive
from backend.jobs_api import jobs_blueprint
from backend.models import ModelCache, ServedModel
from backend.prediction import predict_tasks, task_text
from backend.prediction_cache import PredictionCache
from backend.request_fields import json_object, label_config, request_project, where
from backend.settings import Settings
from converters.document import Document
from converters.errors import SHOWN_CHARS
from retraining.registry import DEFAULT_PROJECT, ModelRegistry, RegistryError

log = logging.getLogger(__name__)

MAX_BODY_BYTES = limits.SERVER_BODY_BYTES
"""What the server lets through (``python -m backend`` gives it to waitress); the app itself reads
at most ``limits.MAX_BODY_BYTES`` and answers a larger body 413 B012 (backend/limits.py)."""
NO_MODEL_VERSION = "no-model"
"""``model_version`` reported by /setup while neither a version nor DEFAULT_MODEL exists."""
ANNOTATION_ACTIONS = frozenset({"ANNOTATION_CREATED", "ANNOTATION_UPDATED"})


def webhook_project(payload: dict) -> str:
    project = payload.get("project")
    raw = project.get("id") if isinstance(project, dict) else None
    if raw is None:
        raise BackendError(400, MISSING_FIELD, f"{payload['action']}: expected project.id, found none",
                           "Label Studio's project webhooks send the project object")
    return request_project(raw)


def create_app(settings: Settings | None = None) -> Flask:
    """The WSGI app; ``settings`` default to the environment (see backend/settings.py)."""
    settings = settings or Settings.from_env()
    registry = ModelRegistry(settings.model_dir, settings.default_model)
    models = ModelCache(registry, device=settings.device, capacity=settings.max_loaded_models,
                        precision=settings.precision, biases=settings.biases)
    predictions = PredictionCache(capacity=settings.prediction_cache_size)
    inference = InferenceQueue(settings.inference_slots)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = limits.MAX_BODY_BYTES
    app.config["REDIS_URL"] = settings.redis_url
    app.extensions["model_cache"] = models
    app.extensions["prediction_cache"] = predictions
    app.extensions["inference_queue"] = inference
    install_basic_auth(app, settings)
    app.register_blueprint(jobs_blueprint)

    def served_model(project: str) -> ServedModel:
        served = models.get(project)
        if served is None:
            raise BackendError(503, NO_MODEL, f"project {project}: expected a published model or "
                               "DEFAULT_MODEL, found neither",
                               "set DEFAULT_MODEL to a checkpoint from `python -m trainer train`")
        return served

    @app.get("/")
    @app.get("/health")
    def health():
        return jsonify(status="UP", model_class="JointModel", loaded_versions=models.loaded_versions(),
                       inference_queue={"depth": inference.depth(), "capacity": inference.capacity})

    @app.post("/setup")
    def setup():
        payload = json_object(required=("project",))
        project = request_project(payload["project"])
        if payload.get("schema"):
            label_config(payload["schema"])
        hostname, token = payload.get("hostname"), payload.get("access_token")
        if isinstance(hostname, str) and isinstance(token, str) and hostname and token:
            registry.save_label_studio_connection(project, hostname, token)
        version = models.current_version(project)
        return jsonify(model_version=models.served_name(version) if version else NO_MODEL_VERSION)

    @app.post("/predict")
    def predict():
        payload = json_object(required=("tasks", "label_config"))
        tasks = payload["tasks"]
        if not isinstance(tasks, list):
            raise BackendError(400, MISSING_FIELD, f"/predict: expected tasks as a list, found "
                               f"{type(tasks).__name__}")
        config = label_config(payload["label_config"])
        limits.check_task_texts(where(), tasks, config.text_key)
        project = request_project(payload.get("project") or DEFAULT_PROJECT)

        params = payload.get("params")

        def work() -> tuple[list[dict], str]:
            # One reference for the whole answer: a version published meanwhile cannot mix in.
            served = served_model(project)
            started = time.perf_counter()
            if is_interactive(params):  # Auto-Annotation: answer the annotator's regions only
                answer = [interactive_prediction(item.text, str(item.task_id), params["context"], config,
                                                 served, predictions)
                          if item.text is not None else {"model_version": served.name, "result": []}
                          for item in (task_text(task, config.text_key) for task in tasks)]
            else:
                answer = predict_tasks(tasks, config, served, predictions)
            log.info("project %s: %d task(s) predicted with %s in %.2f s", project, len(tasks),
                     served.name, time.perf_counter() - started)
            return answer, served.name

        results, version = inference.run(work, timeout_s=settings.request_timeout_s)
        return jsonify(results=results, model_version=version)

    @app.post("/webhook")
    def webhook():
        payload = json_object(required=("action",))
        action = payload["action"]
        if not isinstance(action, str) or not action:
            raise BackendError(400, MISSING_FIELD, f"/webhook: expected action as a non-empty string, "
                               f"found {shown(action)}", "Label Studio sends e.g. ANNOTATION_CREATED")
        if action == "START_TRAINING":
            # No URL or token passed: the job resolves them from LABEL_STUDIO_URL/_API_KEY and
            # what /setup recorded (label_studio.json), in one place (retraining/job.py).
            outcome = training.enqueue_training(
                settings.redis_url, webhook_project(payload), None, None, reason="START_TRAINING")
            return jsonify(action=action, **_enqueue_status(outcome))
        if action in ANNOTATION_ACTIONS:
            project = webhook_project(payload)
            every_n = payload["project"].get("min_annotations_to_start_training")
            outcome = training.record_annotation_event(
                settings.redis_url, project, every_n if isinstance(every_n, int) else 0, None, None)
            return jsonify(action=action, **(_enqueue_status(outcome) if outcome else {"status": "received"}))
        return jsonify(action=action, status="ignored")

    @app.get("/versions")
    def versions():
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

    # brat's server drops the query string of a tagger URL, so the project can be a path segment
    @app.post("/brat/tag")
    @app.post("/brat/tag/<project>")
    def brat_tag(project: str | None = None):
        text = decode_body(request.get_data(), request.mimetype_params.get("charset"))
        limits.check_text(where(), text)
        project = request_project(project or request.args.get("project") or DEFAULT_PROJECT)
        if not text.strip():
            return jsonify({})

        def work() -> Document:
            [doc] = predictions.predict(served_model(project), [text], ["brat"])
            return doc

        return jsonify(document_to_tagger_json(inference.run(work, timeout_s=settings.request_timeout_s)))

    @app.errorhandler(BackendError)
    def backend_error(error: BackendError):
        log.info("%s %s -> %d %s", request.method, where(), error.status, error)
        headers = {"WWW-Authenticate": 'Basic realm="rurebus-backend"'} if error.status == 401 else {}
        return jsonify(error.to_json()), error.status, {**headers, **error.headers}

    @app.errorhandler(RegistryError)
    def registry_error(error: RegistryError):
        # The request was fine; MODEL_DIR is damaged (e.g. `current` names a removed version).
        log.error("%s %s: model registry: %s", request.method, where(), error)
        answer = error.to_json()
        answer["error"]["message"] = f"model registry: {error.message}"
        return jsonify(answer), 500

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 413:  # the body is over MAX_CONTENT_LENGTH (werkzeug's check)
            return backend_error(limits.too_large(
                where(), "a request body", request.content_length or 0, limits.MAX_BODY_BYTES,
                "bytes", "send fewer tasks per request (select fewer tasks before Retrieve "
                "Predictions)"))
        return jsonify(error={"code": f"HTTP{error.code}", "message": error.description}), error.code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("%s %s failed", request.method, where())
        return jsonify(error={"code": INTERNAL_ERROR, "message": f"internal error: {type(error).__name__}: "
                              f"{str(error)[:SHOWN_CHARS]}",
                              "hint": "see the backend log"}), 500

    return app


def _enqueue_status(outcome: training.EnqueueResult) -> dict:
    if outcome.error:
        return {"status": "error", **outcome.error.to_json(), "job_id": None}
    # Label Studio records the "job" key of a START_TRAINING answer as the backend's train job.
    return {"status": "coalesced" if outcome.coalesced else "queued", "job_id": outcome.job_id,
            "job": outcome.job_id}
