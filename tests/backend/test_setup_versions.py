"""/health, /setup and /versions: cheap answers with the real current version; tokens kept private."""

from __future__ import annotations

import logging
import time

from backend.state import backend_state
from retraining.registry import ModelRegistry

SETUP = {"project": "6.1795623812", "schema": None, "hostname": "http://127.0.0.1:18080",
         "access_token": "token-that-must-not-leak", "extra_params": None}


def test_health_answers_up(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.get_json()["status"] == "UP"


def test_setup_is_cheap_and_reports_the_current_version(client, tmp_path, eager_checkpoint, label_config, caplog):
    caplog.set_level(logging.DEBUG)
    started = time.perf_counter()
    response = client.post("/setup", json=dict(SETUP, schema=label_config))
    assert time.perf_counter() - started < 0.5
    assert backend_state(client.application).models.load_count == 0, "/setup must not load a model"
    default_name = response.get_json()["model_version"]
    assert default_name.startswith("default-")
    registry = ModelRegistry(tmp_path / "models")
    assert registry.label_studio_connection("6") == {"hostname": SETUP["hostname"],
                                                       "access_token": SETUP["access_token"]}
    published = registry.publish("6", eager_checkpoint, {"f1": 0.3}, [], promote=True, reason="test")
    assert client.post("/setup", json=SETUP).get_json()["model_version"] == published.name
    assert SETUP["access_token"] not in caplog.text


def test_versions_lists_published_and_default(client, tmp_path, eager_checkpoint):
    registry = ModelRegistry(tmp_path / "models")
    kept = registry.publish("6", eager_checkpoint, {"f1": 0.3}, [], promote=True, reason="a")
    held_back = registry.publish("6", eager_checkpoint, {"f1": 0.1}, [], promote=False, reason="b")
    everything = client.get("/versions").get_json()
    assert everything["versions"][:2] == [kept.name, held_back.name]
    assert everything["versions"][2].startswith("default-")
    project = client.get("/versions", query_string={"project": "6.1795623812"}).get_json()
    assert project["current"] == kept.name
    assert [d["promoted"] for d in project["details"]] == [True, False, True]
    assert project["details"][1]["metrics"] == {"f1": 0.1}


def test_a_damaged_registry_is_reported_with_its_code(client, tmp_path, eager_checkpoint):
    registry = ModelRegistry(tmp_path / "models")
    registry.publish("6", eager_checkpoint, {}, [], promote=True, reason="a")
    (tmp_path / "models" / "6" / "current").write_text("p6-v0009-20260101T000000\n")
    response = client.post("/setup", json={"project": "6.1795623812"})
    assert response.status_code == 500
    error = response.get_json()["error"]
    assert error["code"] == "V006" and "p6-v0009" in error["message"] and error["hint"]
