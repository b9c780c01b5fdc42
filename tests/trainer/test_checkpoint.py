"""Checkpoints: save → load gives identical predictions; damaged ones give coded errors."""

import json
import shutil

import pytest

from converters.document import Document
from tests.fixtures.checkpoint import tiny_documents
from trainer.checkpoint import checkpoint_training_config, load_checkpoint, save_checkpoint
from trainer.config import RuntimeOptions
from trainer.errors import TrainerError
from trainer.predict import Predictor


def as_tuples(documents: list[Document]) -> list:
    return [([(e.id, e.type, e.spans, e.score) for e in d.entities],
             [(r.type, r.arg1, r.arg2, r.score) for r in d.relations]) for d in documents]


def test_a_checkpoint_directory_holds_every_part(tiny_checkpoint, tiny_full_checkpoint):
    assert {path.name for path in tiny_checkpoint.iterdir()} == {
        "delta.safetensors", "config.json", "labels.json", "metrics.json"}
    assert {"model.safetensors", "config.json", "labels.json", "metrics.json",
            "tokenizer_config.json"} <= {path.name for path in tiny_full_checkpoint.iterdir()}
    for checkpoint, kind in ((tiny_checkpoint, "delta"), (tiny_full_checkpoint, "full")):
        config = json.loads((checkpoint / "config.json").read_text())
        assert config["format"] == kind
        assert config["training"]["max_length"] == 64
        assert config["encoder_config"]["hidden_size"] == 32


def test_a_checkpoint_keeps_no_runtime_options_and_older_ones_with_them_still_load(
        tiny_checkpoint, tmp_path):
    """Issue 20: device, precision and threads belong to the machine that trains, not to the
    model; checkpoints written before kept them, and loading ignores them there."""
    saved = json.loads((tiny_checkpoint / "config.json").read_text())["training"]
    assert not {"device", "precision", "threads"} & set(saved)
    old = tmp_path / "old"
    shutil.copytree(tiny_checkpoint, old)
    meta = json.loads((old / "config.json").read_text())
    meta["training"].update(device="cuda:3", precision="fp16", threads=7)
    (old / "config.json").write_text(json.dumps(meta))
    assert load_checkpoint(old).config == checkpoint_training_config(tiny_checkpoint)
    assert checkpoint_training_config(old).runtime == RuntimeOptions()


def test_save_then_load_gives_identical_predictions(tiny_full_checkpoint, tmp_path):
    texts = [document.text for document in tiny_documents()]
    first = Predictor.load(tiny_full_checkpoint, device="cpu")
    loaded = load_checkpoint(tiny_full_checkpoint)
    version = save_checkpoint(tmp_path / "copy", loaded.model, loaded.tokenizer, loaded.labels,
                              loaded.config, loaded.metrics)
    second = Predictor.load(tmp_path / "copy", device="cpu")
    assert version == first.version
    assert as_tuples(first.predict(texts)) == as_tuples(second.predict(texts))
    assert first.entity_types == ["ACT", "BIN", "CMP", "ECO", "INST", "MET"]


def test_a_delta_checkpoint_saved_in_full_predicts_the_same_relations(relational_checkpoint,
                                                                       tmp_path):
    texts = [document.text for document in tiny_documents()]
    delta = Predictor.load(relational_checkpoint, device="cpu")
    loaded = load_checkpoint(relational_checkpoint)
    save_checkpoint(tmp_path / "full", loaded.model, loaded.tokenizer, loaded.labels,
                    loaded.config, loaded.metrics)
    full = Predictor.load(tmp_path / "full", device="cpu")
    expected = as_tuples(delta.predict(texts))
    assert sum(len(relations) for _, relations in expected) >= 3, "relations are compared"
    assert as_tuples(full.predict(texts)) == expected


def test_missing_directory_and_missing_files_give_E140(tmp_path, tiny_checkpoint):
    with pytest.raises(TrainerError) as error:
        load_checkpoint(tmp_path / "nowhere")
    assert error.value.code == "E140"
    broken = tmp_path / "broken"
    shutil.copytree(tiny_checkpoint, broken)
    (broken / "labels.json").unlink()
    with pytest.raises(TrainerError, match="missing labels.json") as error:
        load_checkpoint(broken)
    assert error.value.code == "E140"


@pytest.mark.parametrize("weights", ["model.safetensors", "delta.safetensors"])
def test_corrupt_weights_give_E143(tmp_path, tiny_checkpoint, tiny_full_checkpoint, weights):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_full_checkpoint if weights == "model.safetensors" else tiny_checkpoint,
                    broken)
    (broken / weights).write_bytes(b"not a safetensors file")
    with pytest.raises(TrainerError) as error:
        load_checkpoint(broken)
    assert error.value.code == "E143"
    assert "retrain or restore" in str(error.value)


def test_unreadable_config_gives_E141(tmp_path, tiny_checkpoint):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_checkpoint, broken)
    (broken / "config.json").write_text("{not json")
    with pytest.raises(TrainerError) as error:
        load_checkpoint(broken)
    assert error.value.code == "E141"
