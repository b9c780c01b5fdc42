"""The ML backend against a real Label Studio 1.23: pre-annotations, webhooks and the retraining loop.

Real processes throughout: Label Studio (session fixture), `python -m backend` serving the shipped
model (DEFAULT_MODEL unset), and `python -m backend.run worker` (RQ) on the local Redis, which
fine-tunes the shipped model and publishes a compact version.
Label Studio reaches the backend through a recording proxy, which tells which webhooks arrived and
how fast the backend answered them. Every step is what a button of the UI calls.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
import requests

from converters.labelstudio import LabelConfig, document_to_result, parse_label_config
from tests.e2e.recording_proxy import RecordingProxy
from tests.fixtures.checkpoint import tiny_documents
from tests.fixtures.redis import flushed_redis
from tests.fixtures.label_studio import REPO_ROOT, LabelStudio, free_port, log_tail, stop

# The e2e suite's own Redis database on the shared server, flushed before and after.
E2E_REDIS_DB = 11
BACKEND_START_S = 60.0
WEBHOOK_ANSWER_LIMIT_S = 1.0  # Label Studio's WEBHOOK_TIMEOUT
NEW_VERSION_WITHIN_S = 300.0  # fetch + tiny fine-tune + two evaluations on this 2-core CPU
# A short RuREBus document with relations, so a real corpus text goes through /predict too.
RUREBUS_DOCUMENT = "31339091035619460645006_11_part_1"
ODD_TEXT = "Минэкономразвития 😀 утвердило программу.\r\nРост 🇷🇺 доли малого бизнеса\r\nсоставил 5 процентов."

T = TypeVar("T")


def wait_for(probe: Callable[[], T], timeout_s: float, what: str, context: Callable[[], str] = str) -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}\n{context()}")


@dataclass
class Service:
    process: subprocess.Popen
    log_path: Path


@dataclass
class Backend:
    url: str
    server: Service
    worker: Service


def start_service(command: list[str], env: dict[str, str], log_path: Path) -> Service:
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Service(process, log_path)


@pytest.fixture(scope="module")
def redis_db() -> Iterator[str]:
    with flushed_redis(E2E_REDIS_DB) as url:
        yield url


@pytest.fixture(scope="module")
def backend_env(tmp_path_factory: pytest.TempPathFactory, redis_db: str,
                label_studio: LabelStudio) -> dict[str, str]:
    """The environment both backend and worker get, as `make run` would give them."""
    root = tmp_path_factory.mktemp("backend")
    retrain_config = root / "retrain.json"
    retrain_config.write_text(json.dumps({
        "epochs": 2, "batch_size": 4, "max_length": 64, "stride": 16,
        "relation_max_length": 64, "device": "cpu", "threads": 1, "patience": 0,
    }))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("RETRAIN_", "BASIC_AUTH_")) and key != "DEFAULT_MODEL"}
    return {
        **env,
        "PYTHONPATH": str(REPO_ROOT),
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "MODEL_DIR": str(root / "models"),
        "REDIS_URL": redis_db,
        "LABEL_STUDIO_URL": label_studio.url,
        "LABEL_STUDIO_API_KEY": "",  # the token comes from Label Studio's /setup call
        "RETRAIN_CONFIG": str(retrain_config),
        # Two epochs on a few tasks decide nothing; promotion rules have their own tests.
        "RETRAIN_FORCE_PROMOTE": "1",
    }


@pytest.fixture(scope="module")
def backend(backend_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    logs = tmp_path_factory.mktemp("backend-logs")
    worker = start_service([sys.executable, "-m", "backend.run", "worker"], backend_env, logs / "worker.log")
    server = start_service([sys.executable, "-m", "backend"], backend_env, logs / "backend.log")
    url = f"http://127.0.0.1:{backend_env['PORT']}"
    try:
        def healthy() -> bool:
            if server.process.poll() is not None:
                pytest.fail(f"backend exited with {server.process.returncode}:\n{log_tail(server.log_path)}")
            try:
                return requests.get(url + "/health", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_for(healthy, BACKEND_START_S, f"backend /health at {url}", lambda: log_tail(server.log_path))
        yield Backend(url, server, worker)
    finally:
        stop(server.process)
        stop(worker.process)


@pytest.fixture(scope="module")
def proxy(backend: Backend) -> Iterator[RecordingProxy]:
    recording = RecordingProxy(backend.url).start()
    yield recording
    recording.stop()


@pytest.fixture(scope="module")
def rurebus_config_xml(tmp_path_factory: pytest.TempPathFactory, rurebus_dir: Path) -> str:
    """The labeling config `python -m converters brat2ls --config-out` makes from the whole corpus."""
    out = tmp_path_factory.mktemp("rurebus-config")
    completed = subprocess.run(
        [sys.executable, "-m", "converters", "brat2ls", str(rurebus_dir / "train"), "-o", str(out / "tasks.json"),
         "--config-out", str(out / "config.xml")],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    assert completed.returncode == 0, completed.stderr
    return (out / "config.xml").read_text(encoding="utf-8")


@dataclass
class Project:
    id: int
    backend_id: int
    config: LabelConfig
    texts: dict[int, str]


@pytest.fixture(scope="module")
def project(label_studio: LabelStudio, proxy: RecordingProxy, rurebus_config_xml: str, rurebus_dir: Path) -> Project:
    """A project with the RuREBus config, tasks imported, connected to the backend (Settings → Model)."""
    created = label_studio.create_project("e2e backend", rurebus_config_xml)
    texts = [doc.text for doc in tiny_documents()]
    texts += [(rurebus_dir / "train" / f"{RUREBUS_DOCUMENT}.txt").read_text(encoding="utf-8"), ODD_TEXT, ""]
    label_studio.import_tasks(created["id"], [{"data": {"text": text}} for text in texts])
    connected = label_studio.connect_ml_backend(created["id"], proxy.url)
    assert connected.get("state") == "CO", f"backend not Connected: {connected}"
    tasks = label_studio.tasks(created["id"])
    return Project(created["id"], connected["id"], parse_label_config(rurebus_config_xml),
                   {task["id"]: task["data"]["text"] for task in tasks})


def prediction_problems(prediction: dict, text: str, config: LabelConfig, version: str) -> list[str]:
    """Everything wrong with one stored prediction: empty when it is what the UI can show."""
    problems = []
    if prediction["model_version"] != version:
        problems.append(f"model_version {prediction['model_version']!r}, expected {version!r}")
    if not isinstance(prediction.get("score"), (int, float)) or not 0 <= prediction["score"] <= 1:
        problems.append(f"task score {prediction.get('score')!r} is not in [0, 1]")
    regions = [item for item in prediction["result"] if item.get("type") == "labels"]
    relations = [item for item in prediction["result"] if item.get("type") == "relation"]
    if len(regions) + len(relations) != len(prediction["result"]):
        problems.append("results other than labels and relation")
    ids = [region.get("id") for region in regions]
    if None in ids or len(set(ids)) != len(ids):
        problems.append(f"region ids missing or repeated: {ids}")
    for region in regions:
        value = region["value"]
        if (region["from_name"], region["to_name"]) != (config.from_name, config.to_name):
            problems.append(f"{region['id']}: from/to {region['from_name']}/{region['to_name']}")
        if not 0 <= value["start"] < value["end"] <= len(text):
            problems.append(f"{region['id']}: offsets {value['start']}..{value['end']} outside the text")
        elif value["text"] != text[value["start"]:value["end"]]:
            problems.append(f"{region['id']}: text {value['text']!r} != {text[value['start']:value['end']]!r}")
        if len(value["labels"]) != 1 or value["labels"][0] not in config.entity_labels:
            problems.append(f"{region['id']}: labels {value['labels']} not one of the config's")
        if not isinstance(region.get("score"), (int, float)) or not 0 <= region["score"] <= 1:
            problems.append(f"{region['id']}: score {region.get('score')!r}")
    for relation in relations:
        if relation["from_id"] not in ids or relation["to_id"] not in ids:
            problems.append(f"relation {relation['from_id']}→{relation['to_id']} names a region not in this prediction")
        if relation["direction"] not in ("right", "left", "bi"):
            problems.append(f"relation direction {relation['direction']!r}")
        if not relation["labels"] or not set(relation["labels"]) <= set(config.relation_labels):
            problems.append(f"relation labels {relation['labels']} not in the config")
    return problems


def retrieve_and_check(label_studio: LabelStudio, project: Project, version: str) -> list[dict]:
    """Press "Retrieve Predictions" and check what Label Studio stored for every task."""
    label_studio.retrieve_predictions(project.id)
    stored = []
    for task in label_studio.tasks(project.id):
        ours = [p for p in label_studio.predictions(task["id"]) if p["model_version"] == version]
        assert len(ours) == 1, f"task {task['id']}: {len(ours)} predictions of {version}"
        problems = prediction_problems(ours[0], project.texts[task["id"]], project.config, version)
        assert not problems, f"task {task['id']}: " + "; ".join(problems)
        stored.append(ours[0])
    return stored


def gold_annotation(text: str, config: LabelConfig) -> list[dict]:
    """What an annotator submits for one of the tiny documents: its gold entities and relations."""
    [document] = [doc for doc in tiny_documents() if doc.text == text]
    return document_to_result(document, config)


def test_setup_reports_the_default_model_to_label_studio(label_studio: LabelStudio, project: Project,
                                                         proxy: RecordingProxy, backend: Backend) -> None:
    served = requests.get(backend.url + "/versions", timeout=5).json()["current"]
    assert label_studio.ml_backend(project.backend_id)["model_version"] == served
    assert any(call.path == "/setup" and call.status == 200 for call in proxy.calls)


def test_retrieve_predictions_stores_entities_and_relations_for_every_task(
    label_studio: LabelStudio, project: Project
) -> None:
    version = label_studio.ml_backend(project.backend_id)["model_version"]

    stored = retrieve_and_check(label_studio, project, version)

    empty_task = [p for p, text in zip(stored, project.texts.values()) if not text]
    assert [p["result"] for p in empty_task] == [[]]
    assert sum(item["type"] == "labels" for p in stored for item in p["result"]) > 0, "no entity predicted"
    assert sum(item["type"] == "relation" for p in stored for item in p["result"]) > 0, "no relation predicted"


def test_annotation_created_webhook_is_answered_within_a_second(
    label_studio: LabelStudio, project: Project, proxy: RecordingProxy
) -> None:
    task_id, text = next(iter(project.texts.items()))
    annotation = label_studio.submit_annotation(task_id, gold_annotation(text, project.config))

    arrived = wait_for(
        lambda: [call for call in proxy.webhooks("ANNOTATION_CREATED")], 10, "ANNOTATION_CREATED at /webhook"
    )
    assert arrived[-1].status == 200, arrived[-1]
    assert arrived[-1].seconds < WEBHOOK_ANSWER_LIMIT_S, arrived[-1]
    assert annotation["task"] == task_id


def test_start_training_publishes_a_new_version_whose_predictions_label_studio_stores(
    label_studio: LabelStudio, project: Project, proxy: RecordingProxy, backend: Backend,
    backend_env: dict[str, str],
) -> None:
    old_version = label_studio.ml_backend(project.backend_id)["model_version"]
    tiny_texts = {doc.text for doc in tiny_documents()}
    for task in label_studio.tasks(project.id):
        if task["data"]["text"] in tiny_texts and not task["annotations"]:
            label_studio.submit_annotation(task["id"], gold_annotation(task["data"]["text"], project.config))

    label_studio.train(project.backend_id)

    [start] = wait_for(lambda: proxy.webhooks("START_TRAINING"), 10, "START_TRAINING at /webhook")
    assert start.status == 200 and start.answer["status"] == "queued", start
    job_url = f"{backend.url}/jobs/{start.answer['job_id']}"

    def job_state() -> str:
        job = requests.get(job_url, timeout=5).json()
        return json.dumps(job, indent=1)[:3000] + "\n--- worker log ---\n" + log_tail(backend.worker.log_path)

    def new_version() -> str | None:
        if requests.get(job_url, timeout=5).json().get("status") == "failed":
            pytest.fail(f"the retraining job failed:\n{job_state()}")
        version = label_studio.ml_backend(project.backend_id)["model_version"]
        return version if version != old_version else None

    version = wait_for(new_version, NEW_VERSION_WITHIN_S, f"a model_version other than {old_version}", job_state)

    assert requests.get(job_url, timeout=5).json()["result"]["version"] == version
    # the fine-tuned shipped model is published as a compact delta over the same base
    published = Path(backend_env["MODEL_DIR"]) / str(project.id) / "versions" / version
    assert json.loads((published / "config.json").read_text())["format"] == "delta"
    assert (published / "delta.safetensors").stat().st_size < 25_000_000
    assert not (published / "model.safetensors").exists()
    retrieve_and_check(label_studio, project, version)
