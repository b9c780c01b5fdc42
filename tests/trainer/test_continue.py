"""Continuing training from a checkpoint (what retraining does)."""

import json

import pytest

from converters.document import Entity, Span
from tests.fixtures.checkpoint import tiny_documents
from trainer.checkpoint import load_checkpoint
from trainer.config import TrainingConfig
from trainer.errors import TrainerError
from trainer.train import train


def test_training_continues_from_a_checkpoint_with_its_label_maps(tiny_checkpoint,
                                                                  tiny_encoder_dir, tmp_path):
    config = TrainingConfig.from_dict(dict(
        encoder=str(tiny_encoder_dir), epochs=1, batch_size=8, max_length=64,
        relation_max_length=48, device="cpu", precision="fp32"))
    documents = tiny_documents()[:1]  # fewer types than the checkpoint knows: still compatible
    result = train(config, documents, documents, tiny_checkpoint, tmp_path / "next")
    before, after = load_checkpoint(tiny_checkpoint), load_checkpoint(result.checkpoint_dir)
    assert after.labels == before.labels
    assert after.version != before.version
    assert json.loads((result.checkpoint_dir / "metrics.json").read_text())["dev_documents"] == 1


def test_a_type_the_checkpoint_does_not_know_is_refused(tiny_checkpoint, tiny_encoder_dir,
                                                        tmp_path):
    documents = tiny_documents()[:1]
    documents[0].entities.append(Entity("T99", "NEW", (Span(0, 4),), "Доля"))
    config = TrainingConfig.from_dict(dict(
        encoder=str(tiny_encoder_dir), epochs=1, device="cpu", precision="fp32"))
    with pytest.raises(TrainerError, match="'NEW'") as error:
        train(config, documents, [], tiny_checkpoint, tmp_path / "next")
    assert error.value.code == "E131"
    assert not (tmp_path / "next").exists()


def test_stop_after_epochs_ends_early_on_the_full_schedule(tiny_encoder_dir, tmp_path):
    from tests.fixtures.checkpoint import train_tiny

    checkpoint = train_tiny(tiny_encoder_dir, tmp_path / "two-of-eight", stop_after_epochs=2)
    metrics = json.loads((checkpoint / "metrics.json").read_text())
    assert (metrics["epoch"], metrics["step"], metrics["total_steps"]) == (2, 8, 32)
