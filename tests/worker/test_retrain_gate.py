"""The retraining gate end to end: a real job (fake Label Studio export, real Redis, in-process RQ
worker) whose new model scores worse on the held-out tasks is published but not promoted, and one
whose new model scores better is promoted.

The project holds each tiny document twice (six tasks), so every held-out task has a twin among
the training tasks: the held-out score then measures what the training labels taught about those
texts. The worse job starts from a model that fits the tiny documents (``relational_checkpoint``)
and fine-tunes on training tasks whose entity and relation types were scrambled with a fixed seed
(the held-out tasks keep their true labels). The better job starts from that scrambled model and
fine-tunes on the true labels.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest

from converters.document import Document
from scripts.project_export import FIRST_TASK_ID, export_tasks, label_config_for
from tests.backend.conftest import make_client
from tests.fixtures.checkpoint import tiny_documents
from tests.worker.conftest import TOKEN
from tests.worker.test_retrain_job import run_one_job
from trainer.config import DecisionBiases
from trainer.tracks import selection_score
from retraining.promotion import holdout_scores, split_holdout
from retraining.registry import ModelRegistry

SCRAMBLE_SEED = 7
HOLDOUT_SEED = 13  # RETRAIN_SEED's default, set explicitly below
PROJECT_ID = "3"


def project_documents() -> list[Document]:
    return [replace(document, name=f"{document.name}-{copy}")
            for copy in ("a", "b") for document in tiny_documents()]


def scrambled(document: Document, rng: random.Random, entity_types: list[str],
              relation_types: list[str]) -> Document:
    """Every entity and relation given another type of the project, drawn by ``rng``."""
    entities = [replace(e, type=rng.choice([t for t in entity_types if t != e.type]))
                for e in document.entities]
    relations = [replace(r, type=rng.choice([t for t in relation_types if t != r.type]))
                 for r in document.relations]
    return replace(document, entities=entities, relations=relations)


def held_out_ids(count: int) -> list[int]:
    task_ids = list(range(FIRST_TASK_ID, FIRST_TASK_ID + count))
    return split_holdout(task_ids, 0.2, HOLDOUT_SEED)[1]


def serve_project(server, scramble_training: bool) -> list[int]:
    """Put the project on the fake Label Studio; with ``scramble_training`` the tasks the job
    will train on carry scrambled types. Returns the held-out task ids."""
    documents = project_documents()
    holdout = held_out_ids(len(documents))
    if scramble_training:
        rng = random.Random(SCRAMBLE_SEED)
        entity_types = sorted({e.type for d in documents for e in d.entities})
        relation_types = sorted({r.type for d in documents for r in d.relations})
        documents = [document if FIRST_TASK_ID + number in holdout
                     else scrambled(document, rng, entity_types, relation_types)
                     for number, document in enumerate(documents)]
    server.label_config = label_config_for(project_documents())
    server.projects[int(PROJECT_ID)] = export_tasks(documents, server.label_config)
    return holdout


@pytest.fixture
def gate_env(monkeypatch, tmp_path, tiny_encoder_dir):
    """The worker's environment with a fine-tuning long enough to move a tiny model (~10 s)."""
    config = tmp_path / "retrain.json"
    config.write_text(json.dumps({
        "encoder": str(tiny_encoder_dir), "epochs": 15, "batch_size": 8, "learning_rate": 3e-3,
        "warmup_ratio": 0.0, "max_length": 64, "stride": 16, "relation_max_length": 48,
        "device": "cpu", "precision": "fp32", "threads": 1, "seed": 1, "patience": 0,
    }))
    for name in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", "RETRAIN_FORCE_PROMOTE",
                 "RETRAIN_PREDICT_UNLABELED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DEFAULT_MODEL", "none")
    monkeypatch.setenv("MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("RETRAIN_CONFIG", str(config))
    monkeypatch.setenv("RETRAIN_SEED", str(HOLDOUT_SEED))
    monkeypatch.setenv("RETRAIN_HOLDOUT_SHARE", "0.2")
    return tmp_path / "models"


def served_version(tmp_path) -> str:
    """The version a backend on the worker's MODEL_DIR (``tmp_path / "models"``) names in /setup
    for the project: what its /predict serves."""
    client = make_client(tmp_path, None)
    return client.post("/setup", json={"project": PROJECT_ID}).get_json()["model_version"]


def test_a_worse_model_is_published_but_not_promoted_and_the_result_says_why(
        export_server, gate_env, redis_url, redis_connection, relational_checkpoint, tmp_path):
    holdout = serve_project(export_server, scramble_training=True)
    registry = ModelRegistry(gate_env)
    good = registry.publish(PROJECT_ID, relational_checkpoint, {}, [], promote=True,
                            reason="fits the tiny documents")

    job = run_one_job(redis_url, redis_connection, export_server.url, TOKEN)

    outcome = job.return_value()
    assert outcome is not None, job.latest_result().exc_string
    assert outcome["holdout_task_ids"] == holdout
    assert outcome["previous_version"] == good.name and outcome["started_from"] == good.name
    new, previous = outcome["headline"]["new"], outcome["headline"]["previous"]
    # both numbers are the models' scores on the held-out tasks' true labels, decoded as served
    gold = [project_documents()[task_id - FIRST_TASK_ID] for task_id in holdout]
    published = registry.versions(PROJECT_ID)[-1]
    assert (previous, new) == (selection_score(holdout_scores(good.path, gold, DecisionBiases())),
                               selection_score(holdout_scores(published.path, gold, DecisionBiases())))
    assert previous >= 0.5, "the model to beat fits the held-out texts"
    assert new < previous - 0.2, f"scrambled training labels: {new} vs {previous}"
    assert outcome["promoted"] is False
    assert outcome["why"].startswith("kept but not promoted: worse (held-out F1 ")
    assert f"of {good.name}" in outcome["why"] and "RETRAIN_FORCE_PROMOTE" in outcome["why"]
    assert outcome["predictions"]["skipped"] == "not promoted"
    assert job.get_meta()["stage"] == "done" and job.get_meta()["promoted"] is False
    # published for inspection, not served
    assert [v.name for v in registry.versions(PROJECT_ID)] == [good.name, outcome["version"]]
    assert registry.current(PROJECT_ID).name == good.name
    assert served_version(tmp_path) == good.name
    record = json.loads((registry.versions(PROJECT_ID)[1].path / "version.json").read_text())
    assert "kept but not promoted: worse" in record["reason"]


def test_a_better_model_is_promoted_and_served(
        export_server, gate_env, redis_url, redis_connection, relational_checkpoint, tmp_path):
    # the model to beat: the one fine-tuned on scrambled labels (the worse job above)
    serve_project(export_server, scramble_training=True)
    registry = ModelRegistry(gate_env)
    registry.publish(PROJECT_ID, relational_checkpoint, {}, [], promote=True, reason="start")
    bad = run_one_job(redis_url, redis_connection, export_server.url, TOKEN).return_value()
    registry.promote(PROJECT_ID, bad["version"])  # an operator rolls forward to the bad model
    assert served_version(tmp_path) == bad["version"]

    serve_project(export_server, scramble_training=False)  # the annotations are fixed
    job = run_one_job(redis_url, redis_connection, export_server.url, TOKEN)

    outcome = job.return_value()
    assert outcome is not None, job.latest_result().exc_string
    assert outcome["previous_version"] == bad["version"]
    assert outcome["headline"]["new"] > outcome["headline"]["previous"] + 0.2, outcome["headline"]
    assert outcome["promoted"] is True
    assert outcome["why"].startswith("promoted: not worse (held-out F1 ")
    assert registry.current(PROJECT_ID).name == outcome["version"]
    assert served_version(tmp_path) == outcome["version"]


def test_the_held_out_tasks_keep_their_true_labels_and_have_a_twin_in_training(export_server):
    holdout = serve_project(export_server, scramble_training=True)
    tasks = {task["id"]: task for task in export_server.projects[int(PROJECT_ID)]}
    true = {task["id"]: task for task in export_tasks(project_documents(),
                                                      export_server.label_config)}
    twins = len(tiny_documents())
    assert holdout
    for task_id in holdout:
        assert tasks[task_id]["annotations"] == true[task_id]["annotations"]
        twin = task_id + twins if task_id - FIRST_TASK_ID < twins else task_id - twins
        assert tasks[twin]["data"]["text"] == tasks[task_id]["data"]["text"]
        assert tasks[twin]["annotations"][0]["result"] != true[twin]["annotations"][0]["result"]
