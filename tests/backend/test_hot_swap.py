"""A version published while requests are in flight: each response is wholly old or wholly new,
and names the version that answered it; the new one is served afterwards without a restart, for
new texts and for texts the old one answered; a model is loaded once, not per request.

The two versions are told apart by their output: ``eager_checkpoint`` makes every word an entity of
the first type and links pairs with the first relation type, ``other_eager_checkpoint`` uses the
last types. Every request sends texts no other request sent, so no answer comes from the
prediction cache by accident.
"""

from __future__ import annotations

import shutil
import threading
from itertools import count

import pytest

from backend import models as models_module
from backend.state import backend_state
from tests.backend.conftest import make_client
from tests.backend.test_predict import TEXTS, check_prediction, tasks_of
from retraining.registry import ModelRegistry

PROJECT = "4.1795623812"
WAIT_S = 120
_numbers = count(1)


def fresh_texts(size: int) -> list[str]:
    """``size`` texts never sent before in this session (the prediction cache has none of them)."""
    return [f"{TEXTS[number % 2]} Пункт {number}." for number in
            (next(_numbers) for _ in range(size))]


def body(texts: list[str], label_config: str) -> dict:
    return {"tasks": tasks_of(*texts), "label_config": label_config, "project": PROJECT}


def check_answer(answer: dict, texts: list[str], label_config: str, outputs: dict) -> str:
    """Every prediction names the answer's version, and its regions and relations carry that
    version's types (``outputs``: version name → (entity labels, relation labels))."""
    version = answer["model_version"]
    assert version in outputs, f"{version} is neither version"
    entity_labels, relation_labels = outputs[version]
    assert len(answer["results"]) == len(texts)
    for prediction, text in zip(answer["results"], texts):
        check_prediction(prediction, text, label_config, version)
        regions = [r for r in prediction["result"] if r["type"] == "labels"]
        relations = [r for r in prediction["result"] if r["type"] == "relation"]
        assert regions and relations, "both versions predict regions and relations everywhere"
        assert {label for r in regions for label in r["value"]["labels"]} == entity_labels, (
            f"regions of another version than the named {version}")
        assert {label for r in relations for label in r["labels"]} == relation_labels, (
            f"relations of another version than the named {version}")
    return version


@pytest.fixture
def outputs_of(checkpoint_labels):
    entity_types, relation_types = checkpoint_labels["entity_types"], checkpoint_labels["relation_types"]

    def outputs(old, new) -> dict:
        return {old.name: ({entity_types[0]}, {relation_types[0]}),
                new.name: ({entity_types[-1]}, {relation_types[-1]})}

    return outputs


class PausedPrediction:
    """Wraps every loaded predictor; when armed, the next model call signals ``entered`` and waits
    for ``resume`` before it runs, so a test can publish a version while a request holds the old
    one (an event, not a sleep)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.entered, self.resume = threading.Event(), threading.Event()
        self.armed = False
        load = models_module.load_predictor
        monkeypatch.setattr(models_module, "load_predictor",
                            lambda *args, **kwargs: _Gated(load(*args, **kwargs), self))


class _Gated:
    def __init__(self, predictor, gate: PausedPrediction):
        self._predictor, self._gate = predictor, gate

    def __getattr__(self, name):
        return getattr(self._predictor, name)

    def predict(self, texts, names=None, **options):
        if self._gate.armed:
            self._gate.armed = False
            self._gate.entered.set()
            assert self._gate.resume.wait(WAIT_S), "the test never resumed the paused request"
        return self._predictor.predict(texts, names=names, **options)


def test_a_version_published_mid_request_leaves_that_answer_wholly_old(
        tmp_path, monkeypatch, eager_checkpoint, other_eager_checkpoint, label_config, outputs_of):
    gate = PausedPrediction(monkeypatch)
    client = make_client(tmp_path, None)
    registry = ModelRegistry(tmp_path / "models")
    old = registry.publish("4", eager_checkpoint, {"f1": 0.1}, [1], promote=True, reason="first")
    outputs = outputs_of(old, registry.publish(
        "4", other_eager_checkpoint, {"f1": 0.2}, [1, 2], promote=False, reason="not yet"))
    new_name = next(name for name in outputs if name != old.name)

    texts = fresh_texts(4)
    answers, errors = [], []

    def ask() -> None:
        try:
            response = client.post("/predict", json=body(texts, label_config))
            assert response.status_code == 200, response.get_data(as_text=True)
            answers.append(response.get_json())
        except Exception as error:  # reported below: an assertion in a thread would be lost
            errors.append(error)

    gate.armed = True
    request = threading.Thread(target=ask)
    request.start()
    try:
        assert gate.entered.wait(WAIT_S), "the request never reached the model"
        # the request holds the old version inside its model call: the new one is promoted now
        registry.promote("4", new_name)
        assert client.post("/setup", json={"project": PROJECT}).get_json()[
            "model_version"] == new_name
    finally:
        gate.resume.set()
    request.join(WAIT_S)
    assert not errors, errors
    assert check_answer(answers[0], texts, label_config, outputs) == old.name

    # afterwards the new version answers new texts, and the texts the old one just answered
    # (the prediction cache is per version: it must not hand back the old version's documents)
    for again in (fresh_texts(3), texts):
        answer = client.post("/predict", json=body(again, label_config)).get_json()
        assert check_answer(answer, again, label_config, outputs) == new_name


def test_publication_during_requests_never_mixes_versions(
        tmp_path, eager_checkpoint, other_eager_checkpoint, label_config, outputs_of):
    # four concurrent clients: room for all of them in the inference queue
    client = make_client(tmp_path, eager_checkpoint, threads=8, inference_queue_size=4)
    cache = backend_state(client.application).models
    registry = ModelRegistry(tmp_path / "models")
    old = registry.publish("4", eager_checkpoint, {"f1": 0.1}, [1], promote=True, reason="first")
    warm_up = fresh_texts(2)
    assert client.post("/predict", json=body(warm_up, label_config)).get_json()[
        "model_version"] == old.name

    asked, errors = [], []
    start = threading.Barrier(5)

    def ask() -> None:
        start.wait()
        try:
            for _ in range(3):
                texts = fresh_texts(4)
                response = client.post("/predict", json=body(texts, label_config))
                assert response.status_code == 200, response.get_data(as_text=True)
                asked.append((texts, response.get_json()))
        except Exception as error:  # reported below: an assertion in a thread would be lost
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    start.wait()
    new = registry.publish("4", other_eager_checkpoint, {"f1": 0.2}, [1, 2], promote=True,
                           reason="second")
    for thread in threads:
        thread.join()

    assert not errors, errors
    assert len(asked) == 12
    outputs = outputs_of(old, new)
    for texts, answer in asked:
        check_answer(answer, texts, label_config, outputs)

    after = fresh_texts(2)
    answer = client.post("/predict", json=body(after, label_config)).get_json()
    assert check_answer(answer, after, label_config, outputs) == new.name
    assert client.post("/setup", json={"project": PROJECT}).get_json()["model_version"] == new.name
    assert cache.load_count == 2, f"expected one load per version, found {cache.load_count}"
    # another project still gets the default model, loaded once more and kept
    other = dict(body(after, label_config), project="5.1795623812")
    assert client.post("/predict", json=other).get_json()["model_version"].startswith("default-")
    client.post("/predict", json=other)
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
