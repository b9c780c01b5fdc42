"""Compact (delta) checkpoints: what they store, that they rebuild the trained weights, share the
base, and refuse a different base or a damaged file with coded errors."""

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file

from tests.fixtures.checkpoint import tiny_documents, train_tiny
from trainer.base_encoder import load_base
from trainer.checkpoint import load_checkpoint, save_checkpoint
from trainer.delta import decode_changes, encode_changes
from trainer.errors import TrainerError
from trainer.predict import Predictor


def test_a_low_rank_change_is_stored_as_factors_and_a_dense_one_as_int8():
    generator = torch.Generator().manual_seed(0)
    base = {"low": torch.randn(64, 48, generator=generator),
            "dense": torch.randn(64, 48, generator=generator),
            "same": torch.randn(64, 48, generator=generator),
            "bias": torch.randn(48, generator=generator)}
    low_change = torch.randn(64, 2, generator=generator) @ torch.randn(2, 48, generator=generator)
    dense_change = 0.01 * torch.randn(64, 48, generator=generator)
    state = {"low": base["low"] + low_change, "dense": base["dense"] + dense_change,
             "same": base["same"].clone(), "bias": base["bias"] + 0.5}
    stored = encode_changes(state, base)
    assert set(stored) == {"low:up", "low:down", "dense:q8", "dense:scale", "bias:change"}
    assert stored["low:up"].shape == (64, 2) and stored["dense:q8"].dtype == torch.int8
    changes = decode_changes(stored)
    # fp16 factors: relative error about 1e-3
    assert (changes["low"] - low_change).norm() <= 2e-3 * low_change.norm()
    row_step = dense_change.abs().amax(dim=1, keepdim=True) / 127
    assert ((changes["dense"] - (state["dense"] - base["dense"])).abs() <= row_step / 2 + 1e-7).all()
    assert torch.allclose(changes["bias"], torch.full((48,), 0.5), atol=1e-6)


def test_a_delta_rebuilds_the_trained_weights_within_the_int8_step(tiny_full_checkpoint,
                                                                  tiny_encoder_dir, tmp_path):
    full = load_checkpoint(tiny_full_checkpoint)
    base = load_base(str(tiny_encoder_dir))
    save_checkpoint(tmp_path / "delta", full.model, full.tokenizer, full.labels,
                    full.config.with_options(checkpoint_format="delta"), full.metrics, base)
    assert not (tmp_path / "delta" / "model.safetensors").exists()
    delta = load_checkpoint(tmp_path / "delta")
    rebuilt = delta.model.encoder.state_dict()
    original = base.encoder.state_dict()
    changed = 0
    for name, trained in full.model.encoder.state_dict().items():
        change = (trained - original[name]).abs().max()
        changed += bool(change > 1e-3)
        assert (rebuilt[name] - trained).abs().max() <= change / 250 + 1e-6, name
    assert changed >= 10  # full fine-tuning moved most tensors, so the check above has teeth
    texts = [document.text for document in tiny_documents()]
    ours = Predictor(delta, torch.device("cpu")).predict(texts)
    theirs = Predictor(full, torch.device("cpu")).predict(texts)
    assert sum(len(document.entities) for document in theirs) > 0
    assert [[(e.type, e.spans) for e in d.entities] for d in ours] == \
           [[(e.type, e.spans) for e in d.entities] for d in theirs]


def test_versions_share_the_unchanged_base_tensors_and_own_their_changes(tiny_encoder_dir,
                                                                        tmp_path):
    checkpoint = train_tiny(tiny_encoder_dir, tmp_path / "frozen", freeze_word_embeddings=True)
    base = load_base(str(tiny_encoder_dir)).encoder
    first, second = load_checkpoint(checkpoint), load_checkpoint(checkpoint)
    stored = load_file(str(checkpoint / "delta.safetensors"))
    changed = {key.rpartition(":")[0].removeprefix("encoder.") for key in stored
               if not key.startswith("model:")}
    assert "embeddings.word_embeddings.weight" not in changed and changed
    for name, parameter in base.named_parameters():
        mine = dict(first.model.encoder.named_parameters())[name]
        theirs = dict(second.model.encoder.named_parameters())[name]
        if name in changed:
            assert mine.data_ptr() not in (parameter.data_ptr(), theirs.data_ptr()), name
        else:
            assert mine.data_ptr() == parameter.data_ptr() == theirs.data_ptr(), name


def test_training_from_a_delta_trains_its_own_copy_never_the_shared_base(
        tiny_checkpoint, tiny_encoder_dir, tmp_path):
    base = load_base(str(tiny_encoder_dir)).encoder
    before = {name: tensor.clone() for name, tensor in base.state_dict().items()}
    load_checkpoint(tiny_checkpoint)  # a served version holds the base's tensors meanwhile
    config = json.loads((tiny_checkpoint / "config.json").read_text())["training"]
    from trainer.config import TrainingConfig
    from trainer.train import train

    result = train(TrainingConfig.from_dict(dict(config, epochs=2, precision="fp32")),
                   tiny_documents(), [], tiny_checkpoint, tmp_path / "continued")
    assert json.loads((result.checkpoint_dir / "config.json").read_text())["format"] == "delta"
    for name, tensor in base.state_dict().items():
        assert torch.equal(tensor, before[name]), name
    start = load_checkpoint(tiny_checkpoint).model.encoder.state_dict()
    moved = [name for name, tensor in load_checkpoint(result.checkpoint_dir).model.encoder
             .state_dict().items() if (tensor - start[name]).abs().max() > 1e-3]
    assert len(moved) >= 10  # the encoder itself was trained, not only the heads


def test_a_delta_made_for_another_base_is_refused_naming_both_hashes(tiny_checkpoint, tmp_path):
    moved = tmp_path / "other-base"
    shutil.copytree(tiny_checkpoint, moved)
    meta = json.loads((moved / "config.json").read_text())
    real = meta["base"]["sha256"]
    meta["base"]["sha256"] = "ab" * 32
    (moved / "config.json").write_text(json.dumps(meta))
    with pytest.raises(TrainerError) as error:
        load_checkpoint(moved)
    assert error.value.code == "E144"
    assert "abababababababab" in error.value.message and real[:16] in error.value.message


def test_a_truncated_delta_is_a_coded_error_naming_the_file(tiny_checkpoint, tmp_path):
    broken = tmp_path / "truncated"
    shutil.copytree(tiny_checkpoint, broken)
    weights = broken / "delta.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(TrainerError) as error:
        load_checkpoint(broken)
    assert error.value.code == "E143"
    assert str(error.value).startswith(f"{weights}: [E143]")


def test_a_full_checkpoint_of_the_old_layout_still_loads(tiny_full_checkpoint, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(tiny_full_checkpoint, old)
    meta = json.loads((old / "config.json").read_text())
    del meta["format"]  # checkpoints written before compact versions existed have no format key
    (old / "config.json").write_text(json.dumps(meta))
    texts = [document.text for document in tiny_documents()]
    documents = Predictor.load(old, device="cpu").predict(texts)
    assert sum(len(document.entities) for document in documents) > 0


def test_lora_training_stores_low_rank_factors_only(tiny_encoder_dir, tiny_checkpoint, tmp_path):
    checkpoint = train_tiny(tiny_encoder_dir, tmp_path / "lora", lora_rank=2)
    stored = load_file(str(checkpoint / "delta.safetensors"))
    encoder_parts = {key.rpartition(":")[2] for key in stored if not key.startswith("model:")}
    assert encoder_parts == {"up", "down"}
    assert all(stored[key].shape[1] == 2 for key in stored if key.endswith(":up"))
    documents = Predictor.load(checkpoint, device="cpu").predict(
        [document.text for document in tiny_documents()])
    assert sum(len(document.entities) for document in documents) > 0
