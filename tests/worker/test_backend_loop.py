"""The loop through the real backend app: /setup → START_TRAINING webhook → RQ job → /setup and
/predict serve the new version, with no restart."""

import time

from rq import Queue, SimpleWorker

from backend.app import NO_MODEL_VERSION, create_app
from backend.settings import Settings
from retraining.queue import QUEUE_NAME
from tests.worker.conftest import TOKEN

LS_PROJECT = "3.1795623812"  # what /setup sends: "<id>.<created_at>"


def test_start_training_leads_to_a_new_served_version_without_restart(
        annotated_project, worker_env, redis_url, redis_connection, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_ALLOWED_HOSTS", annotated_project.url)  # the worker's setting
    client = create_app(Settings(model_dir=worker_env, redis_url=redis_url)).test_client()
    label_config = annotated_project.label_config
    setup = {"project": LS_PROJECT, "schema": label_config, "hostname": annotated_project.url,
             "access_token": TOKEN}
    assert client.post("/setup", json=setup).json["model_version"] == NO_MODEL_VERSION

    started = time.monotonic()
    queued = client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 3}})
    answered_in = time.monotonic() - started
    again = client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 3}})

    assert queued.status_code == 200 and queued.json["status"] == "queued"
    assert answered_in < 1.0
    assert again.json["status"] == "coalesced" and again.json["job_id"] == queued.json["job_id"]
    SimpleWorker([Queue(QUEUE_NAME, connection=redis_connection)],
                 connection=redis_connection).work(burst=True)

    job = client.get("/jobs/3").json
    assert job["status"] == "finished", job.get("error")
    new_version = job["result"]["version"]
    assert client.post("/setup", json=setup).json["model_version"] == new_version
    predicted = client.post("/predict", json={
        "project": LS_PROJECT, "label_config": label_config,
        "tasks": [{"id": 1, "data": {"text": "Министерство экономики утвердило методику."}}],
    })
    assert predicted.status_code == 200, predicted.json
    assert predicted.json["model_version"] == new_version
    assert len(predicted.json["results"]) == 1


def test_webhook_reports_an_unreachable_queue_quickly(worker_env):
    client = create_app(Settings(model_dir=worker_env, redis_url="redis://127.0.0.1:1/0")).test_client()

    started = time.monotonic()
    answer = client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 3}})

    assert time.monotonic() - started < 1.0
    assert answer.status_code == 200 and answer.json["status"] == "error"
    error = answer.json["error"]  # the one JSON error shape: {code, message, hint}
    assert error["code"] == "T003" and error["message"].startswith("training queue unreachable")
    assert error["hint"] == "check that Redis is running and REDIS_URL points at it"
