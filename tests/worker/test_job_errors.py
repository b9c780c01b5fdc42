"""Issue 22 item 7: the retraining job's error codes no test triggered, each through a real job
(enqueued in a real Redis, run by an RQ worker) against the fake Label Studio: what ``/jobs``
shows is the coded line, naming what and where, with its hint. And R205's decision: a task whose
annotation does not convert is skipped and listed in the job result; the job fails only when too
few usable tasks are left.
"""

import json

import pytest
import redis
from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus

from retraining.queue import QUEUE_NAME, describe_job, enqueue_training
from retraining.registry import ModelRegistry
from scripts.project_export import FIRST_TASK_ID, SHORT_DOCUMENTS
from tests.fixtures.redis import flushed_redis
from tests.worker.conftest import TOKEN

JOB_ERRORS_DB = 13
"""Redis database of these tests (the worker tests use 5, the backend 7, e2e 11)."""
BEYOND_TEXT = {"id": "bad", "from_name": "label", "to_name": "text", "type": "labels",
               "value": {"start": 0, "end": 10**6, "labels": ["MET"]}}
"""A region ending far past any task's text: result_to_document refuses it."""


@pytest.fixture
def job_redis():
    with flushed_redis(JOB_ERRORS_DB) as url:
        connection = redis.Redis.from_url(url)
        yield url, connection
        connection.close()


def run_job(job_redis, url):
    redis_url, connection = job_redis
    queued = enqueue_training(redis_url, "3", url, TOKEN, "START_TRAINING")
    assert queued.error is None, queued.error
    SimpleWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection).work(burst=True)
    return Job.fetch(queued.job_id, connection=connection)


def failure_shown(job_redis, job) -> str:
    """The line ``/jobs/3`` shows of a failed job: a coded RetrainError, not a crash."""
    assert job.get_status() == JobStatus.FAILED
    error = describe_job(job_redis[1], job.id)["error"]
    assert error.startswith("[R"), job.latest_result().exc_string
    return error


def test_r104_export_that_is_not_json(annotated_project, worker_env, job_redis):
    annotated_project.failures["export"] = (200, b"<html>Sign in to continue</html>")

    error = failure_shown(job_redis, run_job(job_redis, annotated_project.url))

    assert error.startswith(f"[R104] Label Studio export of project 3 from {annotated_project.url} "
                            "is not JSON")
    assert "b'<html>Sign in" in error
    assert error.endswith("(check that the URL points at Label Studio itself, not a proxy's login page)")
    assert ModelRegistry(worker_env).versions("3") == []


def test_r105_label_studio_server_error_on_the_export(annotated_project, worker_env, job_redis):
    annotated_project.failures["export"] = (500, {"detail": "database is locked"})

    error = failure_shown(job_redis, run_job(job_redis, annotated_project.url))

    assert error.startswith(f"[R105] Label Studio at {annotated_project.url} answered HTTP 500 to the "
                            "export of project 3: database is locked")
    assert error.endswith("(see Label Studio's log for the cause; once it answers again, press "
                          "Start Training again)")


def test_r202_annotation_whose_result_is_not_a_list(annotated_project, worker_env, job_redis):
    task = annotated_project.projects[3][1]
    task["annotations"][0]["result"] = {"regions": []}

    error = failure_shown(job_redis, run_job(job_redis, annotated_project.url))

    assert error.startswith(f"[R202] task {task['id']}: annotation {task['annotations'][0]['id']} has "
                            "a result of type dict, expected a list of regions")
    assert error.endswith("(fix or delete that annotation in Label Studio, or re-import the task)")


def test_r206_labeling_config_without_labels(annotated_project, worker_env, job_redis):
    annotated_project.label_config = '<View><Text name="text" value="$text"/></View>'

    error = failure_shown(job_redis, run_job(job_redis, annotated_project.url))

    assert error.startswith("[R206] project 3's labeling config cannot be used:")
    assert "[C020] labeling config has no <Labels> tag" in error
    assert error.endswith("(give the project a config with <Labels> and <Text> tags)")


def test_r205_a_bad_annotation_skips_its_task_and_the_rest_train(annotated_project, worker_env,
                                                                 job_redis):
    bad = annotated_project.projects[3][2]
    bad["annotations"][0]["result"].append(BEYOND_TEXT)

    job = run_job(job_redis, annotated_project.url)

    assert job.get_status() == JobStatus.FINISHED, job.latest_result().exc_string
    outcome = job.return_value()
    [skipped] = outcome["skipped_tasks"]
    assert (skipped["task_id"], skipped["annotation_id"], skipped["code"]) == (
        bad["id"], bad["annotations"][0]["id"], "R205")
    assert f"task-{bad['id']}" in skipped["why"] and "[C0" in skipped["why"]
    trained_on = sorted(outcome["train_task_ids"] + outcome["holdout_task_ids"])
    everyone = range(FIRST_TASK_ID, FIRST_TASK_ID + len(SHORT_DOCUMENTS))
    assert trained_on == [task_id for task_id in everyone if task_id != bad["id"]]
    current = ModelRegistry(worker_env).current("3")
    assert current.name == outcome["version"]
    assert bad["id"] not in json.loads((current.path / "version.json").read_text())["task_ids"]


def test_r205_fails_the_job_when_the_skipped_tasks_leave_too_few(annotated_project, worker_env,
                                                                job_redis):
    tasks = annotated_project.projects[3]
    for task in tasks[1:len(SHORT_DOCUMENTS)]:
        task["annotations"][0]["result"].append(BEYOND_TEXT)

    error = failure_shown(job_redis, run_job(job_redis, annotated_project.url))

    bad = len(SHORT_DOCUMENTS) - 1
    assert error.startswith(f"[R205] project 3: {bad} of {len(SHORT_DOCUMENTS)} annotated task(s) do "
                            "not convert, leaving 1; retraining needs at least 2")
    for task in tasks[1:len(SHORT_DOCUMENTS)]:  # five: all quoted (SHOWN_SKIPPED)
        assert f"task {task['id']}, annotation {task['annotations'][0]['id']}: " in error
    assert error.endswith("(fix or delete those annotations in Label Studio)")
    assert ModelRegistry(worker_env).versions("3") == []


def test_failed_prediction_upload_keeps_the_promoted_version_and_says_why(
        annotated_project, worker_env, job_redis, monkeypatch):
    monkeypatch.setenv("RETRAIN_PREDICT_UNLABELED", "1")
    annotated_project.unlabeled[3] = [
        {"id": 501, "data": {"text": "Министерство экономики утвердило новую методику."}}]
    annotated_project.failures["predictions"] = (500, {"detail": "disk full"})

    job = run_job(job_redis, annotated_project.url)

    assert job.get_status() == JobStatus.FINISHED, job.latest_result().exc_string
    outcome = job.return_value()
    assert outcome["promoted"] and outcome["predictions"]["uploaded"] == 0
    assert outcome["predictions"]["error"] == (
        f"[R105] Label Studio at {annotated_project.url} answered HTTP 500 to the upload of a "
        "prediction for task 501 of project 3: disk full (see Label Studio's log for the cause; "
        "once it answers again, press Start Training again)")
    assert ModelRegistry(worker_env).current("3").name == outcome["version"]
    assert annotated_project.predictions == []
