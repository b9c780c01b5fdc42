"""TrainingConfig: validation, JSON files, command-line flags."""

import argparse
import json

import pytest

from trainer.config import OPTION_NAMES, OptimiserOptions, TrainingConfig
from trainer.errors import TrainerError


def test_invalid_values_name_the_option_and_what_was_expected():
    with pytest.raises(TrainerError, match="dropout must be in \\[0, 1\\); found 1.5") as error:
        TrainingConfig.from_dict(dict(dropout=1.5))
    assert error.value.code == "E120"
    with pytest.raises(TrainerError, match="loss weights"):
        TrainingConfig.from_dict(dict(ner_loss_weight=0, relation_loss_weight=0))


def test_json_file_with_unknown_option_is_refused(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"learning_rate": 1e-5, "lerning_rate": 2}))
    with pytest.raises(TrainerError, match="lerning_rate") as error:
        TrainingConfig.from_json(path)
    assert error.value.code == "E121"
    path.write_text("[1, 2]")
    with pytest.raises(TrainerError, match="expected a JSON object"):
        TrainingConfig.from_json(path)


def test_flags_override_the_config_file(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"learning_rate": 1e-5, "epochs": 7, "dropout": 0.3}))
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    TrainingConfig.add_arguments(parser)
    args = parser.parse_args(["--config", str(path), "--epochs", "2",
                              "--freeze-word-embeddings", "--negative-relation-rate", "0.5"])
    config = TrainingConfig.from_args(args)
    assert (config.optimiser.learning_rate, config.optimiser.epochs) == (1e-5, 2)
    assert config.model.dropout == 0.3
    assert config.optimiser.freeze_word_embeddings is True
    assert config.optimiser.negative_relation_rate == 0.5
    assert TrainingConfig.from_dict(config.to_dict()) == config


def test_options_live_in_groups_but_are_named_flat():
    """Issue 20: model, optimiser and runtime groups; files, flags and checkpoints name each
    option alone, so no two groups share a name."""
    assert len(OPTION_NAMES) == len(set(OPTION_NAMES)) == 32
    config = TrainingConfig.from_dict({"dropout": 0.3, "learning_rate": 1e-3, "threads": 2})
    assert (config.model.dropout, config.optimiser.learning_rate, config.runtime.threads) == (
        0.3, 1e-3, 2)
    assert list(config.to_dict()) == OPTION_NAMES
    assert set(config.saved_dict()) == set(OPTION_NAMES) - {"device", "precision", "threads"}
    assert config.with_options(epochs=5).optimiser.epochs == 5
    with pytest.raises(TrainerError, match="epochs must be at least 1"):
        config.with_options(epochs=0)


def test_help_lists_every_option_with_its_text_verbatim():
    parser = argparse.ArgumentParser()
    TrainingConfig.add_arguments(parser)
    text = " ".join(parser.format_help().split())
    assert "--head-learning-rate" in text
    assert "about 40% faster steps on CPU" in text


def test_head_learning_rate_applies_to_the_heads_and_markers_only(tiny_checkpoint):
    from trainer.checkpoint import load_checkpoint
    from trainer.train import optimizer_for

    model = load_checkpoint(tiny_checkpoint, share_base=False).model  # as training loads it
    new = {id(p) for name, p in model.named_parameters() if not name.startswith("encoder.")}
    for head_rate, expected_new_rate in ((1e-3, 1e-3), (0.0, 5e-5)):
        options = OptimiserOptions(learning_rate=5e-5, head_learning_rate=head_rate)
        rates = {id(p): group["lr"] for group in optimizer_for(model, options).param_groups
                 for p in group["params"]}
        trainable = [p for p in model.parameters() if p.requires_grad]
        assert len(rates) == len(trainable)
        assert {rates[id(p)] for p in trainable if id(p) in new} == {expected_new_rate}
        assert {rates[id(p)] for p in trainable if id(p) not in new} == {5e-5}
    assert {id(model.ner_head.weight), id(model.relation_head.weight),
            id(model.marker_embeddings.weight)} <= new
