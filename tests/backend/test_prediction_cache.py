"""Predicted documents are kept per (version, text): a retry after Label Studio's 100 s timeout,
or a second request for the same texts, does not run the model again."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from backend.models import ServedModel
from backend.prediction_cache import PredictionCache
from backend.state import backend_state
from converters.document import Document
from retraining.registry import ModelRegistry
from tests.backend.conftest import make_client
from tests.backend.test_predict import TEXTS, tasks_of


def cache_of(client):
    return backend_state(client.application).predictions


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


def test_three_clients_sending_the_same_batch_get_one_model_run_per_text(tmp_path, eager_checkpoint,
                                                                         label_config):
    # The backend runs model work on one inference thread, so these requests reach the cache one
    # after another; a text still being predicted is waited for in the test below.
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


class PausedPredictor:
    """Records each model call; the first one waits for ``resume`` after signalling ``entered``;
    any later one sets ``called_again``."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.entered, self.resume = threading.Event(), threading.Event()
        self.called_again = threading.Event()

    def predict(self, texts, names=None):
        self.calls.append(list(texts))
        if len(self.calls) > 1:
            self.called_again.set()
        if len(self.calls) == 1:
            self.entered.set()
            assert self.resume.wait(60), "the test never resumed the first call"
        return [Document(name, text) for name, text in zip(names, texts)]


def test_a_text_being_predicted_by_one_caller_is_waited_for_by_another():
    cache = PredictionCache()
    predictor = PausedPredictor()
    served = ServedModel(SimpleNamespace(name="v1"), predictor)
    answers: dict[str, list[Document]] = {}
    first = threading.Thread(target=lambda: answers.setdefault(
        "first", cache.predict(served, ["a", "b"], ["1", "2"])))
    second = threading.Thread(target=lambda: answers.setdefault(
        "second", cache.predict(served, ["b", "c"], ["3", "4"])))
    first.start()
    try:
        assert predictor.entered.wait(60)
        # the first call is inside the model with "a" and "b"; the second arrives now
        second.start()
        # its own text runs at once; then it must wait for "b", still inside the first call
        assert predictor.called_again.wait(60), predictor.calls
        second.join(0.5)
        assert second.is_alive(), "the second caller answered before the text it shares was ready"
    finally:
        predictor.resume.set()
    first.join(60)
    second.join(60)
    assert predictor.calls == [["a", "b"], ["c"]], "each text ran once"
    assert cache.predicted_texts == 3
    assert answers["second"][0] is answers["first"][1], "the second caller got the first's document"
