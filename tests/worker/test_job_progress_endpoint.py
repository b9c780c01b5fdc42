"""GET /jobs/<project>: the latest job's status and the progress the worker saved in its meta."""

import pytest
from rq.job import Job

from backend.app import create_app
from backend.settings import Settings
from retraining.queue import enqueue_training
from retraining.progress import JobProgress


@pytest.fixture
def client(redis_url, tmp_path):
    return create_app(Settings(model_dir=tmp_path, redis_url=redis_url)).test_client()


def test_queued_job_is_shown_by_project_and_by_job_id(client, redis_url):
    queued = enqueue_training(redis_url, "3", None, None, "START_TRAINING")

    by_project = client.get("/jobs/3")
    by_id = client.get(f"/jobs/{queued.job_id}")

    assert by_project.status_code == 200
    assert by_project.json["job_id"] == queued.job_id
    assert by_project.json["status"] == "queued"
    assert by_project.json["reason"] == "START_TRAINING"
    assert by_project.json["progress"]["stage"] == "queued"
    assert by_id.json["job_id"] == queued.job_id
    assert client.get("/training/3").json["job_id"] == queued.job_id


def test_training_progress_saved_by_the_job_is_served(client, redis_url, redis_connection):
    queued = enqueue_training(redis_url, "3", None, None, "START_TRAINING")
    progress = JobProgress("3", Job.fetch(queued.job_id, connection=redis_connection))

    progress.stage("train", train_tasks=8, holdout_tasks=2)
    progress.training("step", {"epoch": 1, "step": 4, "total_steps": 12, "loss": 0.75, "eta_s": 30.0})

    shown = client.get("/jobs/3").json["progress"]
    assert shown["stage"] == "train"
    assert shown["train_tasks"] == 8
    assert shown["epoch"] == 1 and shown["step"] == 4 and shown["loss"] == 0.75 and shown["eta_s"] == 30.0
    assert "updated_at" in shown and "elapsed_s" in shown


def test_unknown_project_is_a_404_that_says_what_was_expected(client):
    answer = client.get("/jobs/99")

    assert answer.status_code == 404
    assert answer.json["error"]["code"] == "T004"
    assert answer.json["error"]["message"].startswith("no training job for '99'")


def test_unreachable_redis_is_a_503_not_a_traceback(tmp_path):
    app = create_app(Settings(model_dir=tmp_path, redis_url="redis://127.0.0.1:1/0"))

    answer = app.test_client().get("/jobs/3")

    assert answer.status_code == 503 and answer.json["error"]["code"] == "T003"
