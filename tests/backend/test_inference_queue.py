"""Issue 18, item 3: model work waits in a bounded queue; a full queue answers 503 with
Retry-After at once, and /health, /setup and /webhook answer while the model is busy."""

from __future__ import annotations

import threading

import pytest

from backend.errors import BUSY, BackendError
from backend.inference_queue import InferenceQueue
from backend.state import backend_state
from tests.backend.conftest import make_client

CONFIG = '<View><Labels name="label" toName="text"><Label value="ECO"/></Labels><Text name="text" value="$text"/></View>'


def occupy(queue: InferenceQueue, slots: int) -> threading.Event:
    """Fill ``slots`` slots with work that runs until the returned event is set."""
    release = threading.Event()
    for _ in range(slots):
        threading.Thread(target=queue.run, args=(release.wait,), kwargs={"timeout_s": None}, daemon=True).start()
    while queue.depth() < slots:
        threading.Event().wait(0.01)
    return release


def wait_until_empty(queue: InferenceQueue) -> None:
    while queue.depth():
        threading.Event().wait(0.01)


def test_a_full_queue_refuses_at_once_and_frees_its_slots_after():
    queue = InferenceQueue(capacity=2)
    release = occupy(queue, 2)
    with pytest.raises(BackendError) as refused:
        queue.run(lambda: 1, timeout_s=None)
    assert (refused.value.status, refused.value.code) == (503, BUSY)
    assert refused.value.headers["Retry-After"].isdigit()
    release.set()
    wait_until_empty(queue)
    assert queue.run(lambda: 42, timeout_s=None) == 42


def test_an_answer_later_than_the_timeout_is_a_503_and_the_slot_comes_back():
    queue = InferenceQueue(capacity=1)
    release = threading.Event()
    with pytest.raises(BackendError, match="within 0.05 s"):
        queue.run(release.wait, timeout_s=0.05)
    release.set()
    wait_until_empty(queue)
    assert queue.run(lambda: "free again", timeout_s=None) == "free again"


def test_work_errors_reach_the_caller():
    queue = InferenceQueue(capacity=1)
    with pytest.raises(ZeroDivisionError):
        queue.run(lambda: 1 / 0, timeout_s=None)
    assert queue.depth() == 0


def test_the_app_answers_503_retry_after_while_health_setup_and_webhook_answer(tmp_path):
    client = make_client(tmp_path, None, threads=4)
    queue = backend_state(client.application).inference
    assert queue.capacity == 2  # half of THREADS
    release = occupy(queue, 2)
    try:
        busy = client.post("/predict", json={"tasks": [{"data": {"text": "Доля населения."}}],
                                             "label_config": CONFIG})
        assert busy.status_code == 503 and busy.headers["Retry-After"].isdigit()
        assert busy.get_json()["error"]["code"] == BUSY
        assert client.post("/brat/tag", data="Доля населения.".encode()).status_code == 503
        assert client.get("/health").get_json()["inference_queue"] == {"depth": 2, "capacity": 2}
        assert client.post("/setup", json={"project": "1.2"}).status_code == 200
        assert client.post("/webhook", json={"action": "PROJECT_UPDATED"}).status_code == 200
    finally:
        release.set()
