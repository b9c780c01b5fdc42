"""Issue 19: equal seeds give equal runs, whether the base encoder was just built or loaded in
this process (building it draws random numbers: a model is initialised before its weights are
set) or was already in memory."""

import torch
from safetensors.torch import load_file

from tests.fixtures.checkpoint import tiny_documents
from trainer import base_encoder
from trainer.config import TrainingConfig
from trainer.train import train


def trained_weights(config, path) -> dict[str, torch.Tensor]:
    documents = tiny_documents()
    result = train(config, documents, [], None, path)
    return load_file(str(result.checkpoint_dir / "delta.safetensors"))


def test_a_base_built_in_this_process_and_a_cached_base_give_the_same_run(
        tiny_encoder_dir, tmp_path, monkeypatch):
    config = TrainingConfig.from_dict(dict(
        encoder=str(tiny_encoder_dir), epochs=1, batch_size=8, max_length=64,
        relation_max_length=48, device="cpu", precision="fp32", threads=1, seed=7))
    real_resolve = base_encoder.resolve_encoder

    def building_resolve(name):
        torch.rand(1000)  # what building the base does to the generator (random initialisation)
        return real_resolve(name)

    monkeypatch.setattr(base_encoder, "resolve_encoder", building_resolve)
    monkeypatch.setattr(base_encoder, "_BASES", {})
    just_built = trained_weights(config, tmp_path / "built")
    cached = trained_weights(config, tmp_path / "cached")  # the base is in memory now
    assert just_built.keys() == cached.keys()
    assert all(torch.equal(just_built[name], cached[name]) for name in just_built)
