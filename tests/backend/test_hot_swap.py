"""A version published while requests are in flight: each response is wholly old or wholly new,
and the new one is served afterwards without a restart; a model is loaded once, not per request."""

from __future__ import annotations

import shutil
import threading

from trainer.registry import ModelRegistry
from tests.backend.conftest import make_client
from tests.backend.test_predict import TEXTS, check_prediction, tasks_of

PROJECT = "4.1795623812"


def test_publication_during_requests_never_mixes_versions(tmp_path, eager_checkpoint, label_config):
    # four concurrent clients: room for all of them in the inference queue
    client = make_client(tmp_path, eager_checkpoint, threads=8, inference_queue_size=4)
    cache = client.application.extensions["model_cache"]
    registry = ModelRegistry(tmp_path / "models")
    old = registry.publish("4", eager_checkpoint, {"f1": 0.1}, [1], promote=True, reason="first")
    body = {"tasks": tasks_of(*TEXTS, *TEXTS), "label_config": label_config, "project": PROJECT}
    assert client.post("/predict", json=body).get_json()["model_version"] == old.name

    answers, errors = [], []
    start = threading.Barrier(5)

    def ask() -> None:
        start.wait()
        try:
            for _ in range(3):
                response = client.post("/predict", json=body)
                assert response.status_code == 200, response.get_data(as_text=True)
                answers.append(response.get_json())
        except Exception as error:  # reported below: an assertion in a thread would be lost
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    start.wait()
    new = registry.publish("4", eager_checkpoint, {"f1": 0.2}, [1, 2], promote=True, reason="second")
    for thread in threads:
        thread.join()

    assert not errors, errors
    assert len(answers) == 12
    for answer in answers:
        versions = {prediction["model_version"] for prediction in answer["results"]}
        assert versions == {answer["model_version"]}, "one response mixed versions"
        assert answer["model_version"] in (old.name, new.name)
        for prediction, text in zip(answer["results"], TEXTS + TEXTS):
            check_prediction(prediction, text, label_config, answer["model_version"])

    after = client.post("/predict", json=body).get_json()
    assert after["model_version"] == new.name
    assert client.post("/setup", json={"project": PROJECT}).get_json()["model_version"] == new.name
    assert cache.load_count == 2, f"expected one load per version, found {cache.load_count}"
    # another project still gets the default model, loaded once more and kept
    other = client.post("/predict", json=dict(body, project="5.1795623812")).get_json()
    assert other["model_version"].startswith("default-")
    client.post("/predict", json=dict(body, project="5.1795623812"))
    assert cache.load_count == 3


def test_a_damaged_new_version_leaves_the_old_one_serving(tmp_path, eager_checkpoint, label_config):
    client = make_client(tmp_path, None)
    registry = ModelRegistry(tmp_path / "models")
    body = {"tasks": tasks_of(TEXTS[0]), "label_config": label_config, "project": PROJECT}
    damaged = tmp_path / "damaged"
    shutil.copytree(eager_checkpoint, damaged)
    weights = damaged / "delta.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])

    registry.publish("4", damaged, {}, [1], promote=True, reason="damaged first")
    refused = client.post("/predict", json=body)
    assert refused.status_code == 503
    error = refused.get_json()["error"]
    assert error["code"] == "B011" and error["hint"]
    assert "cannot be loaded (E143 in delta.safetensors)" in error["message"]

    good = registry.publish("4", eager_checkpoint, {}, [1], promote=True, reason="good")
    assert client.post("/predict", json=body).get_json()["model_version"] == good.name
    registry.publish("4", damaged, {}, [1, 2], promote=True, reason="damaged again")
    kept = client.post("/predict", json=body)
    assert kept.status_code == 200
    assert kept.get_json()["model_version"] == good.name
    check_prediction(kept.get_json()["results"][0], TEXTS[0], label_config, good.name)
