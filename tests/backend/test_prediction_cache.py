"""Predicted documents are kept per (version, text): a retry after Label Studio's 100 s timeout,
or a second request for the same texts, does not run the model again."""

from __future__ import annotations

import threading

from trainer.registry import ModelRegistry
from tests.backend.conftest import make_client
from tests.backend.test_predict import TEXTS, tasks_of


def cache_of(client):
    return client.application.extensions["prediction_cache"]


def test_a_repeated_batch_is_answered_from_the_cache(client, label_config):
    body = {"tasks": tasks_of(*TEXTS), "label_config": label_config}
    first = client.post("/predict", json=body).get_json()
    assert cache_of(client).predicted_texts == 2
    second = client.post("/predict", json=body).get_json()
    assert cache_of(client).predicted_texts == 2
    assert second == first


def test_duplicate_texts_in_one_batch_run_once(client, label_config):
    body = {"tasks": tasks_of(TEXTS[0], TEXTS[1], TEXTS[0]), "label_config": label_config}
    results = client.post("/predict", json=body).get_json()["results"]
    assert cache_of(client).predicted_texts == 2
    assert results[0]["result"] == results[2]["result"]


def test_a_new_version_predicts_again(client, tmp_path, eager_checkpoint, label_config):
    body = {"tasks": tasks_of(TEXTS[0]), "label_config": label_config, "project": "2.1795623812"}
    client.post("/predict", json=body)
    ModelRegistry(tmp_path / "models").publish("2", eager_checkpoint, {}, [], promote=True, reason="new")
    client.post("/predict", json=body)
    assert cache_of(client).predicted_texts == 2


def test_concurrent_identical_requests_run_the_model_once_per_text(tmp_path, eager_checkpoint, label_config):
    client = make_client(tmp_path, eager_checkpoint, threads=8, inference_queue_size=3)
    body = {"tasks": tasks_of(*TEXTS), "label_config": label_config}
    answers = []
    start = threading.Barrier(3)

    def ask() -> None:
        start.wait()
        answers.append(client.post("/predict", json=body).get_json())

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache_of(client).predicted_texts == 2
    assert answers[0] == answers[1] == answers[2]


def test_a_batch_larger_than_the_cache_is_still_predicted_once(tmp_path, eager_checkpoint, label_config):
    client = make_client(tmp_path, eager_checkpoint, prediction_cache_size=1)
    texts = [*TEXTS, "Объём производства продукции вырос."]
    results = client.post("/predict", json={"tasks": tasks_of(*texts), "label_config": label_config}).get_json()
    assert cache_of(client).predicted_texts == 3
    assert all(prediction["result"] for prediction in results["results"])


def test_a_zero_size_cache_keeps_nothing(tmp_path, eager_checkpoint, label_config):
    client = make_client(tmp_path, eager_checkpoint, prediction_cache_size=0)
    body = {"tasks": tasks_of(*TEXTS), "label_config": label_config}
    first = client.post("/predict", json=body).get_json()
    assert client.post("/predict", json=body).get_json() == first
    assert cache_of(client).predicted_texts == 4
