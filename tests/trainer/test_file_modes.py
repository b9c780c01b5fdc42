"""Models and the encoder cache are readable by other users (files 0644, folders 0755), so a
backend and a worker running as different users share them; safetensors itself writes 0600."""

import stat
from pathlib import Path

import torch
from safetensors.torch import save_file

from trainer import encoder


def modes(directory: Path) -> dict[str, int]:
    return {str(path.relative_to(directory)): stat.S_IMODE(path.stat().st_mode)
            for path in [directory, *directory.rglob("*")]}


def expected(directory: Path) -> dict[str, int]:
    return {str(path.relative_to(directory)): 0o755 if path.is_dir() else 0o644
            for path in [directory, *directory.rglob("*")]}


def test_delta_and_full_checkpoints_are_readable_by_all(tiny_checkpoint, tiny_full_checkpoint):
    for checkpoint in (tiny_checkpoint, tiny_full_checkpoint):
        assert modes(checkpoint) == expected(checkpoint)
        weights = [name for name in modes(checkpoint) if name.endswith(".safetensors")]
        assert weights, "the weights file is among those checked"


def test_the_built_encoder_cache_is_readable_by_all(tmp_path, monkeypatch):
    def write(directory: Path) -> None:
        save_file({"weight": torch.zeros(2)}, str(directory / "model.safetensors"))
        (directory / "config.json").write_text("{}")
    monkeypatch.setattr(encoder, "write_e5_directory", write)
    target = encoder._build_once(tmp_path / "e5")
    assert modes(target) == expected(target)
    assert "model.safetensors" in modes(target)
