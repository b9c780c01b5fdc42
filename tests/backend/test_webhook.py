"""/webhook: every action answered 200 JSON within Label Studio's 1 s; training goes to the queue."""

from __future__ import annotations

import time

import redis
from rq import Queue

from retraining.queue import QUEUE_NAME, annotation_counter_key, enqueue_training
from tests.backend.conftest import make_client
from retraining.registry import ModelRegistry

PROJECT = {"id": 3, "title": "RuREBus", "label_config": "<View/>", "min_annotations_to_start_training": 0}


def timed_post(client, body):
    started = time.perf_counter()
    response = client.post("/webhook", json=body)
    return response, time.perf_counter() - started


def test_start_training_is_queued_and_the_setup_connection_kept(tmp_path, eager_checkpoint, backend_redis_url):
    client = make_client(tmp_path, eager_checkpoint, redis_url=backend_redis_url)
    client.post("/setup", json={"project": "3.1795623812", "hostname": "http://ls:8080", "access_token": "tok-1"})
    response, elapsed = timed_post(client, {"action": "START_TRAINING", "project": PROJECT})
    assert response.status_code == 200 and elapsed < 1.0
    body = response.get_json()
    assert body["status"] == "queued" and body["job"] == body["job_id"]
    [job] = Queue(QUEUE_NAME, connection=redis.Redis.from_url(backend_redis_url)).get_jobs()
    assert job.id == body["job_id"]
    assert job.kwargs["project"] == "3"
    # the job reads the URL and token /setup recorded (and the env) itself; none travel in Redis
    assert (job.kwargs["label_studio_url"], job.kwargs["api_key"]) == (None, None)
    assert ModelRegistry(tmp_path / "models").label_studio_connection("3") == {
        "hostname": "http://ls:8080", "access_token": "tok-1"}
    again, _ = timed_post(client, {"action": "START_TRAINING", "project": PROJECT})
    assert again.get_json()["status"] == "coalesced"
    assert again.get_json()["job_id"] == body["job_id"]


def test_start_training_without_a_queue_says_so_in_a_200(client):
    response, elapsed = timed_post(client, {"action": "START_TRAINING", "project": PROJECT})
    assert response.status_code == 200 and elapsed < 1.0
    body = response.get_json()
    assert body["status"] == "error" and body["job_id"] is None
    assert body["error"] == {  # the one JSON error shape (CodedError.to_json)
        "code": "T001", "message": "training queue not configured: REDIS_URL is empty",
        "hint": "set REDIS_URL, or start everything with `make run`, which embeds a Redis"}


def test_start_training_with_redis_down_answers_fast(tmp_path, eager_checkpoint):
    client = make_client(tmp_path, eager_checkpoint, redis_url="redis://127.0.0.1:1/0")
    response, elapsed = timed_post(client, {"action": "START_TRAINING", "project": PROJECT})
    assert response.status_code == 200 and elapsed < 1.0
    assert response.get_json()["status"] == "error"
    assert response.get_json()["error"]["code"] == "T003"


def test_annotation_events_are_counted_per_project(tmp_path, eager_checkpoint, backend_redis_url):
    client = make_client(tmp_path, eager_checkpoint, redis_url=backend_redis_url)
    connection = redis.Redis.from_url(backend_redis_url)
    every_two = dict(PROJECT, min_annotations_to_start_training=2)
    first, elapsed = timed_post(client, {"action": "ANNOTATION_CREATED", "annotation": {"id": 1},
                                         "project": every_two})
    assert first.status_code == 200 and elapsed < 1.0
    assert first.get_json()["status"] == "received"
    assert int(connection.get(annotation_counter_key("3"))) == 1
    second, _ = timed_post(client, {"action": "ANNOTATION_UPDATED", "annotation": {"id": 1},
                                    "project": every_two})
    assert second.get_json()["status"] == "queued"
    assert len(Queue(QUEUE_NAME, connection=connection).get_jobs()) == 1


def test_unknown_actions_get_200(client):
    for action in ("ANNOTATION_DELETED", "PROJECT_UPDATED", "SOMETHING_NEW"):
        response, elapsed = timed_post(client, {"action": action, "project": PROJECT})
        assert response.status_code == 200 and elapsed < 1.0
        assert response.get_json() == {"action": action, "status": "ignored"}


def test_an_unreachable_redis_is_named_without_its_password(caplog):
    # Issue 18, item 6: the Redis password was in 42 log lines.
    outcome = enqueue_training("redis://:pw-never-logged@127.0.0.1:1/0", "3", None, None, "test")
    assert "redis://***@127.0.0.1:1/0" in outcome.error.message
    assert "pw-never-logged" not in str(outcome.error) + caplog.text
