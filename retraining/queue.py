"""The training queue: one RQ retraining job per project at a time, and its progress over HTTP.

``/webhook`` must answer Label Studio within 1 s, so it only enqueues here; the work runs in an RQ
worker (``retraining.job.retrain_project``). A second request while a project's job is queued or
running is coalesced into that job rather than duplicated, and the answer says so. Every Redis
call uses short socket timeouts and no retries, so an unreachable Redis costs the webhook well
under a second and comes back as ``EnqueueResult.error`` (a ``RetrainError``, answered in the one
JSON error shape) instead of an exception.

Redis keys (besides RQ's own):
* ``retrain:last-job:<project>`` — id of the project's latest job; it is "active" while that
  job is queued, scheduled, deferred or started.
* ``retrain:enqueue-lock:<project>`` — a 2 s mutex around check-then-enqueue, so two webhooks
  arriving together cannot both enqueue.
* ``retrain:annotations:<project>`` — annotation events counted since the last enqueue.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.results import Result

from converters.errors import SHOWN_CHARS
from retraining.errors import (
    BAD_JOB_KEY, NO_JOB, NO_PROJECT, QUEUE_NOT_CONFIGURED, QUEUE_UNREACHABLE, RetrainError,
)

log = logging.getLogger(__name__)

QUEUE_NAME = "retrain"
REDIS_TIMEOUT_S = 0.3
JOB_TIMEOUT_S = 6 * 3600
"""Longest a retraining may run before RQ kills it; a real retrain on a CPU takes minutes."""
RESULT_TTL_S = 30 * 24 * 3600
"""How long a finished job's result stays readable at ``/jobs/<project>``."""
ENQUEUE_LOCK_MS = 2000
ENQUEUE_LOCK_WAIT_S = 0.5
EXCEPTION_PREFIX = re.compile(r"^[\w.]+(?:Error|Exception): ")
MAX_JOB_KEY_CHARS = 100
JOB_KEY = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_JOB_KEY_CHARS}}}")
"""Project ids and job ids (``_new_job_id``); RQ refuses other characters with a ValueError."""
ACTIVE_STATUSES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def retrain_project(
    project: str,
    label_studio_url: str | None = None,
    api_key: str | None = None,
    reason: str = "",
) -> dict[str, Any]:
    """The RQ job, enqueued by reference (RQ stores its module path, ``JOB_FUNCTION``).

    It runs in the worker's work horse; the work is ``retraining.job.retrain_project``, imported
    here so that the backend, which enqueues, never pays torch's or label-studio-sdk's import."""
    from retraining.job import retrain_project as retrain

    return retrain(project, label_studio_url=label_studio_url, api_key=api_key, reason=reason)


JOB_FUNCTION = f"{retrain_project.__module__}.{retrain_project.__qualname__}"
"""The name under which RQ stores the job, derived from the function (workers import it)."""


@dataclass(frozen=True)
class EnqueueResult:
    """What happened to one training request.

    ``coalesced`` is true when the request joined a job already queued or running for the project
    (``job_id`` is that job); ``error`` says why nothing could be queued (``job_id`` is then None),
    and answers as ``{code, message, hint}`` (``CodedError.to_json``).
    """

    job_id: str | None
    coalesced: bool
    error: RetrainError | None

    def to_json(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "coalesced": self.coalesced,
                "error": self.error.to_json()["error"] if self.error else None}


def last_job_key(project: str) -> str:
    return f"retrain:last-job:{project}"


def enqueue_lock_key(project: str) -> str:
    return f"retrain:enqueue-lock:{project}"


def annotation_counter_key(project: str) -> str:
    return f"retrain:annotations:{project}"


@lru_cache(maxsize=8)
def redis_connection(redis_url: str) -> redis.Redis:
    """One client (and connection pool) per URL, with timeouts short enough for a webhook."""
    return redis.Redis.from_url(
        redis_url,
        socket_timeout=REDIS_TIMEOUT_S,
        socket_connect_timeout=REDIS_TIMEOUT_S,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )


def training_queue(connection: redis.Redis) -> Queue:
    return Queue(QUEUE_NAME, connection=connection)


def enqueue_training(
    redis_url: str | None,
    project: str,
    label_studio_url: str | None,
    api_key: str | None,
    reason: str,
) -> EnqueueResult:
    """Queue a retraining of ``project`` unless one is already queued or running. Never raises.

    ``label_studio_url``/``api_key`` are trusted like configuration (the app passes None); when
    None the job resolves them by the rule of ``retraining/label_studio_access.py``.
    """
    if not redis_url:
        return EnqueueResult(None, False, RetrainError(
            QUEUE_NOT_CONFIGURED, "training queue not configured: REDIS_URL is empty",
            "set REDIS_URL, or start everything with `make run`, which embeds a Redis"))
    if not project:
        return EnqueueResult(None, False, RetrainError(NO_PROJECT, "no project id in the training request"))
    try:
        return _enqueue_unless_active(
            redis_connection(redis_url), project, label_studio_url, api_key, reason
        )
    except (redis.RedisError, OSError) as error:
        log.warning("training for project %s not queued: Redis at %s: %s", project, masked_url(redis_url), error)
        return EnqueueResult(None, False, RetrainError(
            QUEUE_UNREACHABLE, f"training queue unreachable: Redis at {masked_url(redis_url)} "
            f"did not answer within {REDIS_TIMEOUT_S} s ({type(error).__name__}: {error})",
            "check that Redis is running and REDIS_URL points at it"))


def _enqueue_unless_active(
    connection: redis.Redis,
    project: str,
    label_studio_url: str | None,
    api_key: str | None,
    reason: str,
) -> EnqueueResult:
    queue = training_queue(connection)
    lock_token = secrets.token_hex(8)
    if not _acquire_enqueue_lock(connection, project, lock_token):
        # A request holding the lock longer than we may wait has certainly enqueued by now.
        return EnqueueResult(_decode(connection.get(last_job_key(project))), True, None)
    try:
        # Move jobs of workers that died (kill -9, lost machine) to the failed registry, as an
        # RQ worker's own maintenance would, so a dead job does not block the project forever.
        StartedJobRegistry(queue=queue).cleanup()
        active = _active_job_id(connection, project)
        if active is not None:
            log.info("training for project %s coalesced into job %s (%s)", project, active, reason)
            return EnqueueResult(active, True, None)
        job = queue.enqueue_call(
            retrain_project,
            kwargs={
                "project": project,
                "label_studio_url": label_studio_url,
                "api_key": api_key,
                "reason": reason,
            },
            job_id=_new_job_id(project),
            description=f"retrain project {project}: {reason}",
            timeout=JOB_TIMEOUT_S,
            result_ttl=RESULT_TTL_S,
            meta={"project": project, "reason": reason, "stage": "queued"},
        )
        connection.set(last_job_key(project), job.id)
        connection.delete(annotation_counter_key(project))
        log.info("training for project %s queued as job %s (%s)", project, job.id, reason)
        return EnqueueResult(job.id, False, None)
    finally:
        if _decode(connection.get(enqueue_lock_key(project))) == lock_token:
            connection.delete(enqueue_lock_key(project))


def _acquire_enqueue_lock(connection: redis.Redis, project: str, token: str) -> bool:
    """Take the project's enqueue mutex, waiting briefly while a concurrent request holds it, so
    that request's job is visible (and joined) once we get in."""
    deadline = time.monotonic() + ENQUEUE_LOCK_WAIT_S
    while not connection.set(enqueue_lock_key(project), token, nx=True, px=ENQUEUE_LOCK_MS):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def record_annotation_event(
    redis_url: str | None,
    project: str,
    every_n: int,
    label_studio_url: str | None,
    api_key: str | None,
) -> EnqueueResult | None:
    """Count an ANNOTATION_CREATED/UPDATED event; every ``every_n``-th one enqueues a retraining.

    Returns None when the event was only counted (or ``every_n`` < 1 turns the feature off).
    """
    if every_n < 1 or not redis_url or not project:
        return None
    try:
        count = redis_connection(redis_url).incr(annotation_counter_key(project))
    except (redis.RedisError, OSError) as error:
        return EnqueueResult(None, False, RetrainError(
            QUEUE_UNREACHABLE, f"annotation not counted: Redis unreachable ({error})"))
    if count < every_n:
        return None
    return enqueue_training(
        redis_url, project, label_studio_url, api_key, f"{count} new annotations"
    )


def _active_job_id(connection: redis.Redis, project: str) -> str | None:
    job_id = _decode(connection.get(last_job_key(project)))
    if job_id is None:
        return None
    try:
        status = Job.fetch(job_id, connection=connection).get_status(refresh=False)
    except NoSuchJobError:
        return None
    return job_id if status in ACTIVE_STATUSES else None


def _new_job_id(project: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    return f"retrain-p{project}-{stamp}-{secrets.token_hex(3)}"


def _decode(value: bytes | None) -> str | None:
    return value.decode() if value is not None else None


def masked_url(url: str) -> str:
    """``url`` with its user and password replaced by ``***``, for logs and answers."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rpartition('@')[2]}"


def describe_job(connection: redis.Redis, project_or_job_id: str) -> dict[str, Any] | None:
    """The latest job of a project (or the job with that id): status, progress meta, outcome."""
    StartedJobRegistry(queue=training_queue(connection)).cleanup()
    job_id = _decode(connection.get(last_job_key(project_or_job_id))) or project_or_job_id
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return None
    description: dict[str, Any] = {
        "job_id": job.id,
        "project": job.meta.get("project"),
        "status": job.get_status().value,
        "reason": job.meta.get("reason"),
        "progress": {key: value for key, value in job.meta.items() if key not in ("project", "reason")},
        "enqueued_at": _iso(job.enqueued_at),
        "started_at": _iso(job.started_at),
        "ended_at": _iso(job.ended_at),
    }
    outcome = job.latest_result()
    if outcome is not None and outcome.type == Result.Type.SUCCESSFUL:
        description["result"] = outcome.return_value
    elif outcome is not None and outcome.exc_string:
        description["error"] = _last_line(outcome.exc_string)
        description["traceback"] = outcome.exc_string
    return description


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _last_line(text: str) -> str:
    """The traceback's last line without the exception's module path: the coded message."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else text
    return EXCEPTION_PREFIX.sub("", last)


def job_description(redis_url: str | None, key: str) -> dict[str, Any]:
    """``describe_job`` for a key a client sent, with every failure a coded ``RetrainError``
    (T001 no Redis configured, T003 Redis unreachable, T004 no such job, T005 a bad key)."""
    if not JOB_KEY.fullmatch(key):
        cut = f"… ({len(key)} characters)" if len(key) > SHOWN_CHARS else ""
        raise RetrainError(BAD_JOB_KEY, f"expected a project id or job id of letters, digits, '-' and '_' "
                           f"(at most {MAX_JOB_KEY_CHARS}), found {key[:SHOWN_CHARS]!r}{cut}",
                           "use the project id, e.g. /jobs/3")
    if not redis_url:
        raise RetrainError(QUEUE_NOT_CONFIGURED, "training queue not configured: REDIS_URL is empty",
                           "set REDIS_URL, or start everything with `make run`")
    try:
        description = describe_job(redis_connection(redis_url), key)
    except (redis.RedisError, OSError) as error:
        raise RetrainError(QUEUE_UNREACHABLE, f"training queue unreachable at {masked_url(redis_url)}: {error}",
                           "check that Redis is running and REDIS_URL points at it") from None
    if description is None:
        raise RetrainError(NO_JOB, f"no training job for {key!r}: expected a Label Studio project id with a "
                           "job queued since Redis started, or a job id", "press Start Training to queue one")
    return description
