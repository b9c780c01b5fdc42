"""A checkpoint is one directory, written atomically and loadable without the original encoder.

Files: ``model.safetensors`` (the whole joint model), ``config.json`` (training config, encoder
config, format version, weights digest), ``labels.json`` (entity/relation types), the tokenizer
files (with the marker tokens) and ``metrics.json``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from converters.files import atomic_directory
from trainer.config import TrainingConfig
from trainer.errors import TrainerError
from trainer.features import MARKER_TOKENS, SpecialIds, add_marker_tokens
from trainer.model import JointModel
from trainer.tagging import LabelMaps

FORMAT_VERSION = 1
WEIGHTS = "model.safetensors"
REQUIRED = (WEIGHTS, "config.json", "labels.json", "metrics.json", "tokenizer_config.json")


@dataclass
class Loaded:
    """What a checkpoint holds, ready to use."""

    model: JointModel
    tokenizer: object
    labels: LabelMaps
    config: TrainingConfig
    metrics: dict
    version: str


def build_model(encoder: torch.nn.Module, tokenizer, labels: LabelMaps, dropout: float
                ) -> JointModel:
    add_marker_tokens(tokenizer)
    special = SpecialIds.from_tokenizer(tokenizer)
    return JointModel(encoder, len(labels.ner_labels), len(labels.relation_labels),
                      special.marker_start, dropout)


def new_encoder(config_or_directory) -> torch.nn.Module:
    """``AutoModel`` from a config (random weights, to be overwritten) or a directory; without
    the pooler where the architecture has one, since only token states are used."""
    from transformers import AutoModel

    make = (AutoModel.from_pretrained if isinstance(config_or_directory, (str, Path))
            else AutoModel.from_config)
    try:
        return make(config_or_directory, add_pooling_layer=False)
    except TypeError:  # architectures without a pooler take no such argument
        return make(config_or_directory)


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def save_checkpoint(directory: Path, model: JointModel, tokenizer, labels: LabelMaps,
                    config: TrainingConfig, metrics: dict) -> str:
    """Write the checkpoint into a temporary sibling, then swap it into place; returns version."""
    with atomic_directory(Path(directory), overwrite=True) as staging:
        state = {name: tensor.detach().to("cpu").contiguous()
                 for name, tensor in model.state_dict().items()}
        save_file(state, str(staging / WEIGHTS), metadata={"format": "pt"})
        version = _digest(staging / WEIGHTS)[:12]
        tokenizer.save_pretrained(staging)
        (staging / "config.json").write_text(json.dumps({
            "format_version": FORMAT_VERSION,
            "version": version,
            "marker_tokens": list(MARKER_TOKENS),
            "training": config.to_dict(),
            "encoder_config": model.encoder.config.to_dict(),
        }, indent=2, ensure_ascii=False), encoding="utf-8")
        (staging / "labels.json").write_text(json.dumps(labels.to_dict(), indent=2),
                                             encoding="utf-8")
        (staging / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False),
                                              encoding="utf-8")
    return version


def _read_json(directory: Path, name: str) -> dict:
    try:
        return json.loads((directory / name).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise TrainerError("E141", f"checkpoint file {name} is unreadable: {error}",
                           path=directory, hint="retrain or restore the checkpoint") from None


def checkpoint_training_config(directory: Path) -> TrainingConfig:
    """The options a checkpoint was trained with, read without loading its weights."""
    return _training_options(_read_json(Path(directory), "config.json"), Path(directory))


def _training_options(meta: dict, directory: Path) -> TrainingConfig:
    if not isinstance(meta.get("training"), dict):
        raise TrainerError("E141", "checkpoint file config.json has no training options",
                           path=directory, hint="retrain or restore the checkpoint")
    return TrainingConfig.from_dict(meta["training"], source=str(directory / "config.json"))


def load_checkpoint(directory: Path, device: str | torch.device = "cpu") -> Loaded:
    """Rebuild the model, tokenizer and label maps; a missing or corrupt file gives ``E140``-``E143``."""
    from transformers import AutoConfig, AutoTokenizer

    directory = Path(directory)
    if not directory.is_dir():
        raise TrainerError("E140", "expected a checkpoint directory; found nothing there",
                           path=directory, hint="give the directory `trainer train --output` wrote")
    missing = [name for name in REQUIRED if not (directory / name).is_file()]
    if missing:
        raise TrainerError("E140", f"not a complete checkpoint: missing {', '.join(missing)}",
                           path=directory, hint="give the directory `trainer train --output` wrote")
    meta = _read_json(directory, "config.json")
    if meta.get("format_version") != FORMAT_VERSION:
        raise TrainerError("E142", f"checkpoint format {meta.get('format_version')!r} is not "
                                   f"{FORMAT_VERSION}", path=directory,
                           hint="retrain with this version of the trainer")
    try:
        labels = LabelMaps.from_dict(_read_json(directory, "labels.json"))
        config = _training_options(meta, directory)
        encoder_config = dict(meta["encoder_config"])
        encoder = new_encoder(AutoConfig.for_model(encoder_config.pop("model_type"),
                                                   **encoder_config))
        # transformers 5 takes a directory whose config.json lacks its own version for a
        # Mistral one and warns of a regex this tokenizer does not have; saying so silences it.
        tokenizer = AutoTokenizer.from_pretrained(directory, fix_mistral_regex=False)
        model = build_model(encoder, tokenizer, labels, config.dropout)
        state = load_file(str(directory / WEIGHTS))
        model.load_state_dict(state)
    except TrainerError:
        raise
    except Exception as error:  # any library failure here means the files are damaged
        raise TrainerError("E143", f"checkpoint cannot be loaded: {type(error).__name__}: "
                                   f"{str(error).splitlines()[0] if str(error) else ''}",
                           path=directory, hint="retrain or restore the checkpoint") from None
    model.to(device).eval()
    return Loaded(model, tokenizer, labels, config, _read_json(directory, "metrics.json"),
                  meta.get("version", ""))
