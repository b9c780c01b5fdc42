"""Backend fixtures: a checkpoint that always predicts, app clients on a temporary MODEL_DIR, and
a Redis database of the backend's own.

``eager_checkpoint`` is the shared ``tiny_checkpoint`` with its two heads' biases raised for one
entity type and one relation type, so every word becomes an entity and every pair in a sentence
a relation; ``other_eager_checkpoint`` does the same with other types (a second, distinguishable
version). The checkpoint, its loading and the whole inference path stay real; only the weights
are chosen so that output checks always have regions and relations to check.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from safetensors.torch import load_file, save_file

from backend.app import create_app
from backend.settings import Settings
from converters.labelstudio import build_label_config
from tests.fixtures.redis import flushed_redis

BACKEND_TESTS_DB = 7
"""Redis database of the backend tests (the worker tests use 5)."""
FORCED_BIAS = 50.0


def forced_checkpoint(source: Path, directory: Path, entity_type: int, relation_type: int) -> Path:
    """A copy of the delta checkpoint ``source`` whose heads' biases are raised for the entity type
    and the relation type of those indexes: every word becomes an entity of that type, every pair
    of a sentence a relation of that type."""
    shutil.copytree(source, directory)
    labels = json.loads((directory / "labels.json").read_text())
    entity, relation = labels["entity_types"][entity_type], labels["relation_types"][relation_type]
    # a delta checkpoint stores the heads whole, as model:<name> (see trainer/delta.py)
    state = load_file(str(directory / "delta.safetensors"))
    ner_labels = ["O"] + [f"{p}-{kind}" for kind in labels["entity_types"] for p in "BI"]
    state["model:ner_head.bias"][ner_labels.index(f"B-{entity}")] += FORCED_BIAS
    # relation labels: no-relation first, then the types in order (see trainer.tagging.LabelMaps)
    state["model:relation_head.bias"][1 + labels["relation_types"].index(relation)] += FORCED_BIAS
    save_file(state, str(directory / "delta.safetensors"), metadata={"format": "pt"})
    return directory


@pytest.fixture(scope="session")
def eager_checkpoint(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every word an entity of the first type, every pair a relation of the first type."""
    return forced_checkpoint(tiny_checkpoint, tmp_path_factory.mktemp("eager") / "checkpoint", 0, 0)


@pytest.fixture(scope="session")
def other_eager_checkpoint(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory
                           ) -> Path:
    """Like ``eager_checkpoint`` with the last entity and relation types: a version whose every
    region tells it apart from ``eager_checkpoint``'s."""
    return forced_checkpoint(tiny_checkpoint, tmp_path_factory.mktemp("eager-other") / "checkpoint",
                             -1, -1)


@pytest.fixture(scope="session")
def checkpoint_labels(eager_checkpoint: Path) -> dict:
    return json.loads((eager_checkpoint / "labels.json").read_text())


@pytest.fixture(scope="session")
def label_config(checkpoint_labels: dict) -> str:
    """The labeling config a RuREBus project would use: every model type present."""
    return build_label_config(checkpoint_labels["entity_types"], checkpoint_labels["relation_types"])


@pytest.fixture
def backend_redis_url() -> Iterator[str]:
    with flushed_redis(BACKEND_TESTS_DB) as url:
        yield url


def make_client(tmp_path: Path, default_model: Path | None, **overrides) -> FlaskClient:
    settings = Settings(model_dir=tmp_path / "models", default_model=default_model, **overrides)
    app = create_app(settings)
    app.testing = True
    return app.test_client()


@pytest.fixture
def client(tmp_path: Path, eager_checkpoint: Path) -> FlaskClient:
    return make_client(tmp_path, eager_checkpoint)
