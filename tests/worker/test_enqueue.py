"""enqueue_training against a real Redis: one job per project, coalescing, fast failure."""

import threading
import time

import pytest
from rq import Queue
from rq.job import Job, JobStatus

from retraining.queue import retrain_project
from retraining.queue import (
    JOB_FUNCTION,
    QUEUE_NAME,
    enqueue_training,
    last_job_key,
    record_annotation_event,
)

FAST_ENOUGH_S = 1.0


def enqueue(redis_url: str, project: str = "3", reason: str = "test"):
    started = time.monotonic()
    result = enqueue_training(redis_url, project, "http://127.0.0.1:9", "token", reason)
    return result, time.monotonic() - started


def test_first_request_queues_one_job_with_its_reason(redis_url, redis_connection):
    result, seconds = enqueue(redis_url, reason="START_TRAINING")

    assert result.error is None and not result.coalesced
    assert seconds < FAST_ENOUGH_S
    job = Job.fetch(result.job_id, connection=redis_connection)
    assert job.get_status() == JobStatus.QUEUED
    # The job is named by the function itself, and a worker can import that name.
    assert job.func_name == JOB_FUNCTION == "retraining.queue.retrain_project"
    assert job.func is retrain_project
    assert job.kwargs["project"] == "3" and job.kwargs["reason"] == "START_TRAINING"
    assert job.meta["stage"] == "queued"
    assert redis_connection.get(last_job_key("3")).decode() == result.job_id


def test_second_request_while_queued_is_coalesced(redis_url, redis_connection):
    first, _ = enqueue(redis_url)
    second, seconds = enqueue(redis_url)

    assert second.coalesced and second.error is None
    assert second.job_id == first.job_id
    assert seconds < FAST_ENOUGH_S
    assert Queue(QUEUE_NAME, connection=redis_connection).count == 1


def test_projects_do_not_coalesce_with_each_other(redis_url, redis_connection):
    three, _ = enqueue(redis_url, project="3")
    four, _ = enqueue(redis_url, project="4")

    assert not four.coalesced and four.job_id != three.job_id
    assert Queue(QUEUE_NAME, connection=redis_connection).count == 2


def test_concurrent_requests_make_exactly_one_job(redis_url, redis_connection):
    results = []
    barrier = threading.Barrier(6)

    def press_start_training():
        barrier.wait()
        results.append(enqueue(redis_url)[0])

    threads = [threading.Thread(target=press_start_training) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [result.error for result in results] == [None] * 6
    assert sum(not result.coalesced for result in results) == 1
    assert len({result.job_id for result in results}) == 1
    assert Queue(QUEUE_NAME, connection=redis_connection).count == 1


@pytest.mark.parametrize("status", [JobStatus.FAILED, JobStatus.FINISHED, JobStatus.CANCELED])
def test_a_job_that_ended_no_longer_blocks_the_project(redis_url, redis_connection, status):
    first, _ = enqueue(redis_url)
    Job.fetch(first.job_id, connection=redis_connection).set_status(status)

    second, _ = enqueue(redis_url)

    assert not second.coalesced and second.job_id != first.job_id


def test_a_job_whose_record_expired_no_longer_blocks_the_project(redis_url, redis_connection):
    first, _ = enqueue(redis_url)
    Job.fetch(first.job_id, connection=redis_connection).delete()

    second, _ = enqueue(redis_url)

    assert not second.coalesced and second.job_id != first.job_id


@pytest.mark.parametrize("url", [
    "redis://127.0.0.1:1/0",          # nothing listens: refused at once
    "redis://10.255.255.1:6379/0",    # unroutable: only the connect timeout ends it
])
def test_unreachable_redis_is_an_error_answered_quickly(url):
    result, seconds = enqueue(url)

    assert result.job_id is None and not result.coalesced
    assert result.error.code == "T003"
    assert str(result.error).startswith("[T003] training queue unreachable")
    assert result.error.hint == "check that Redis is running and REDIS_URL points at it"
    assert result.to_json()["error"] == {"code": "T003", "message": result.error.message,
                                         "hint": result.error.hint}
    assert seconds < FAST_ENOUGH_S


def test_missing_redis_url_is_an_error_not_an_exception():
    result = enqueue_training(None, "3", None, None, "START_TRAINING")

    assert result.job_id is None and result.error.code == "T001"
    assert str(result.error) == ("[T001] training queue not configured: REDIS_URL is empty (set "
                                 "REDIS_URL, or start everything with `make run`, which embeds a Redis)")


def test_every_nth_annotation_event_enqueues(redis_url, redis_connection):
    outcomes = [record_annotation_event(redis_url, "3", 3, None, None) for _ in range(6)]

    assert outcomes[0] is None and outcomes[1] is None
    assert outcomes[2] is not None and not outcomes[2].coalesced
    assert outcomes[3] is None and outcomes[4] is None
    assert outcomes[5].coalesced and outcomes[5].job_id == outcomes[2].job_id
    assert Queue(QUEUE_NAME, connection=redis_connection).count == 1


def test_annotation_counting_is_off_when_n_is_zero(redis_url, redis_connection):
    assert record_annotation_event(redis_url, "3", 0, None, None) is None
    assert Queue(QUEUE_NAME, connection=redis_connection).count == 0
