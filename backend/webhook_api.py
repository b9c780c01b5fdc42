"""``POST /webhook``: Label Studio's project events, answered within its 1 s webhook timeout.

Nothing is trained here: START_TRAINING enqueues a retraining job, ANNOTATION_CREATED/UPDATED are
counted towards ``min_annotations_to_start_training`` (retraining/queue.py), any other action is
acknowledged and ignored. A queue that cannot be reached is answered 200 with status "error" and
the queue's coded error, because a non-2xx answer puts the backend in Label Studio's Error state.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from backend.errors import MISSING_FIELD, BackendError, shown
from backend.request_fields import json_object, request_project
from backend.state import backend_state
from retraining import queue as training

ANNOTATION_ACTIONS = frozenset({"ANNOTATION_CREATED", "ANNOTATION_UPDATED"})

webhook_blueprint = Blueprint("webhook", __name__)


@webhook_blueprint.post("/webhook")
def webhook() -> Response:
    redis_url = backend_state().settings.redis_url
    payload = json_object(required=("action",))
    action = payload["action"]
    if not isinstance(action, str) or not action:
        raise BackendError(400, MISSING_FIELD, f"/webhook: expected action as a non-empty string, "
                           f"found {shown(action)}", "Label Studio sends e.g. ANNOTATION_CREATED")
    if action == "START_TRAINING":
        # No URL or token passed: the job resolves them from LABEL_STUDIO_URL/_API_KEY and
        # what /setup recorded (label_studio.json), in one place (retraining/job.py).
        outcome = training.enqueue_training(
            redis_url, webhook_project(payload), None, None, reason="START_TRAINING")
        return jsonify(action=action, **_enqueue_status(outcome))
    if action in ANNOTATION_ACTIONS:
        project = webhook_project(payload)
        every_n = payload["project"].get("min_annotations_to_start_training")
        outcome = training.record_annotation_event(
            redis_url, project, every_n if isinstance(every_n, int) else 0, None, None)
        return jsonify(action=action, **(_enqueue_status(outcome) if outcome else {"status": "received"}))
    return jsonify(action=action, status="ignored")


def webhook_project(payload: dict) -> str:
    """The project key of a project event's ``project.id``; 400 when it has none."""
    project = payload.get("project")
    raw = project.get("id") if isinstance(project, dict) else None
    if raw is None:
        raise BackendError(400, MISSING_FIELD, f"{payload['action']}: expected project.id, found none",
                           "Label Studio's project webhooks send the project object")
    return request_project(raw)


def _enqueue_status(outcome: training.EnqueueResult) -> dict:
    if outcome.error:
        return {"status": "error", **outcome.error.to_json(), "job_id": None}
    # Label Studio records the "job" key of a START_TRAINING answer as the backend's train job.
    return {"status": "coalesced" if outcome.coalesced else "queued", "job_id": outcome.job_id,
            "job": outcome.job_id}
