"""``GET /jobs/<project or job id>``: a retraining job's status and progress, over HTTP.

The queue itself (keys, the job, enqueueing, describing) is retraining/queue.py; this blueprint
only answers, with the app's coded error shape (backend/errors.py). A failed job is shown by its
coded error line (``error``); its traceback stays in the worker's log, never in an answer.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from backend.errors import BackendError
from backend.state import backend_state
from retraining.errors import BAD_JOB_KEY, NO_JOB, RetrainError
from retraining.queue import job_description

JOB_ERROR_STATUS = {BAD_JOB_KEY: 400, NO_JOB: 404}
"""HTTP status of the queue's errors; any other (no Redis configured or reachable) is 503."""

jobs_blueprint = Blueprint("jobs", __name__)


@jobs_blueprint.get("/jobs/<key>")
@jobs_blueprint.get("/training/<key>")
def job_progress(key: str) -> tuple[Response, int]:
    """The job's status and progress (stage, epoch, step, loss, ETA) as the worker last saved
    them, from the app's REDIS_URL."""
    try:
        description = job_description(backend_state().settings.redis_url, key)
        description.pop("traceback", None)
        return jsonify(description), 200
    except RetrainError as error:
        answer = BackendError(JOB_ERROR_STATUS.get(error.code, 503), error.code, error.message, error.hint)
        return jsonify(answer.to_json()), answer.status

