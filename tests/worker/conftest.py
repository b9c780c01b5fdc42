"""Fixtures of the retraining tests."""

import json
from collections.abc import Iterator

import pytest

from converters.labelstudio import build_label_config
from scripts.fake_label_studio import ExportServer
from scripts.project_export import export_tasks, label_config_for, read_documents

TOKEN = "0123456789abcdef0123456789abcdef01234567"
LABEL_CONFIG = build_label_config(["MET", "ECO", "ACT"], ["NNG"])


@pytest.fixture
def export_server() -> Iterator[ExportServer]:
    server = ExportServer(token=TOKEN, label_config=LABEL_CONFIG)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def annotated_project(rurebus_dir, export_server):
    """Project 3 on the fake Label Studio: six short RuREBus documents, one annotated task each."""
    documents = read_documents(rurebus_dir)
    export_server.label_config = label_config_for(documents)
    export_server.projects[3] = export_tasks(documents, export_server.label_config)
    return export_server


@pytest.fixture
def worker_env(monkeypatch, tmp_path, tiny_encoder_dir):
    """The worker's environment: a fresh registry and a tiny, quick training configuration."""
    config = tmp_path / "retrain.json"
    config.write_text(json.dumps({
        "encoder": str(tiny_encoder_dir), "epochs": 1, "batch_size": 8, "max_length": 64,
        "stride": 16, "relation_max_length": 64, "device": "cpu", "precision": "fp32", "threads": 1,
    }))
    for name in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", "RETRAIN_FORCE_PROMOTE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DEFAULT_MODEL", "none")  # unset would fine-tune the shipped e5 model
    monkeypatch.setenv("MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("RETRAIN_CONFIG", str(config))
    return tmp_path / "models"
