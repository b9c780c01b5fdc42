"""A checkpoint is one directory, written atomically, in one of two formats.

* ``delta`` (compact, the default when a model is trained from a base encoder): the changes to
  the base in ``delta.safetensors`` (see :mod:`trainer.delta`), loaded against the base named and
  hashed in ``config.json``; about 22 MB for e5-small.
* ``full``: ``model.safetensors`` (the whole joint model) and the tokenizer files (with the marker
  tokens), loadable without the original encoder; 470 MB for e5-small.

Both hold ``config.json`` (format, training config, encoder config, version), ``labels.json``
(entity/relation types) and ``metrics.json``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from converters.files import atomic_directory
from trainer.base_encoder import BaseEncoder, new_encoder
from trainer.config import TrainingConfig
from trainer.delta import DELTA_WEIGHTS, base_for, encoder_with_changes, save_delta
from trainer.errors import (
    BAD_CHECKPOINT_FILE, CHECKPOINT_FORMAT_MISMATCH, INCOMPLETE_CHECKPOINT, UNLOADABLE_CHECKPOINT,
    TrainerError,
)
from trainer.features import MARKER_TOKENS, SpecialIds, add_marker_tokens
from trainer.lora import plain_encoder_state
from trainer.model import JointModel
from trainer.tagging import LabelMaps

FORMAT_VERSION = 1
WEIGHTS = "model.safetensors"
REQUIRED = {
    "full": (WEIGHTS, "config.json", "labels.json", "metrics.json", "tokenizer_config.json"),
    "delta": (DELTA_WEIGHTS, "config.json", "labels.json", "metrics.json"),
}


@dataclass
class Loaded:
    """What a checkpoint holds, ready to use."""

    model: JointModel
    tokenizer: object
    labels: LabelMaps
    config: TrainingConfig
    metrics: dict
    version: str
    base: BaseEncoder | None = None
    """The base encoder of a ``delta`` checkpoint (None for ``full`` ones)."""


def build_model(encoder: torch.nn.Module, tokenizer, labels: LabelMaps, dropout: float
                ) -> JointModel:
    add_marker_tokens(tokenizer)
    special = SpecialIds.from_tokenizer(tokenizer)
    return JointModel(encoder, len(labels.ner_labels), len(labels.relation_labels),
                      special.marker_start, dropout)


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def plain_state(model: JointModel) -> dict[str, torch.Tensor]:
    """The joint model's tensors under plain names (any LoRA adapters merged into the encoder)."""
    state = {f"encoder.{name}": tensor for name, tensor in plain_encoder_state(model.encoder).items()}
    state.update((name, tensor) for name, tensor in model.state_dict().items()
                 if not name.startswith("encoder."))
    return state


def save_checkpoint(directory: Path, model: JointModel, tokenizer, labels: LabelMaps,
                    config: TrainingConfig, metrics: dict, base: BaseEncoder | None = None) -> str:
    """Write the checkpoint into a temporary sibling, then swap it into place; returns version.

    With a ``base`` (and ``checkpoint_format`` delta) only the changes to it are written."""
    compact = base is not None and config.model.checkpoint_format == "delta"
    with atomic_directory(Path(directory), overwrite=True) as staging:
        state = plain_state(model)
        if compact:
            save_delta(staging, state, base)
            weights = staging / DELTA_WEIGHTS
        else:
            weights = staging / WEIGHTS
            save_file({name: tensor.detach().to("cpu").contiguous()
                       for name, tensor in state.items()}, str(weights), metadata={"format": "pt"})
            tokenizer.save_pretrained(staging)
        version = _digest(weights)[:12]
        (staging / "config.json").write_text(json.dumps({
            "format": "delta" if compact else "full",
            "format_version": FORMAT_VERSION,
            "version": version,
            "marker_tokens": list(MARKER_TOKENS),
            **({"base": base.identity.to_dict()} if compact else {}),
            "training": config.saved_dict(),
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
        raise TrainerError(BAD_CHECKPOINT_FILE, f"checkpoint file {name} is unreadable: {error}",
                           path=directory, hint="retrain or restore the checkpoint") from None


def checkpoint_training_config(directory: Path) -> TrainingConfig:
    """The options a checkpoint was trained with, read without loading its weights."""
    return _training_options(_read_json(Path(directory), "config.json"), Path(directory))


def _training_options(meta: dict, directory: Path) -> TrainingConfig:
    if not isinstance(meta.get("training"), dict):
        raise TrainerError(
            BAD_CHECKPOINT_FILE, "checkpoint file config.json has no training options",
            path=directory, hint="retrain or restore the checkpoint")
    return TrainingConfig.from_saved(meta["training"], source=str(directory / "config.json"))


def load_checkpoint(directory: Path, device: str | torch.device = "cpu",
                    share_base: bool = True) -> Loaded:
    """Rebuild the model, tokenizer and label maps; a missing or corrupt file gives ``E140``-``E144``.

    ``share_base``: a delta checkpoint reuses the base's unchanged tensors (serving); training
    passes False to get tensors of its own."""
    directory = Path(directory)
    if not directory.is_dir():
        raise TrainerError(
            INCOMPLETE_CHECKPOINT, "expected a checkpoint directory; found nothing there",
            path=directory, hint="give the directory `trainer train --output` wrote")
    if not (directory / "config.json").is_file():
        raise TrainerError(INCOMPLETE_CHECKPOINT, "not a complete checkpoint: missing config.json",
                           path=directory, hint="give the directory `trainer train --output` wrote")
    meta = _read_json(directory, "config.json")
    kind = meta.get("format", "full")
    if kind not in REQUIRED or meta.get("format_version") != FORMAT_VERSION:
        raise TrainerError(CHECKPOINT_FORMAT_MISMATCH, f"checkpoint format {kind!r} version "
                                   f"{meta.get('format_version')!r} is not one of "
                                   f"{sorted(REQUIRED)} version {FORMAT_VERSION}", path=directory,
                           hint="retrain with this version of the trainer")
    missing = [name for name in REQUIRED[kind] if not (directory / name).is_file()]
    if missing:
        raise TrainerError(
            INCOMPLETE_CHECKPOINT, f"not a complete checkpoint: missing {', '.join(missing)}",
            path=directory, hint="give the directory `trainer train --output` wrote")
    base = base_for(meta, directory) if kind == "delta" else None
    weights = directory / (DELTA_WEIGHTS if base else WEIGHTS)
    try:
        labels = LabelMaps.from_dict(_read_json(directory, "labels.json"))
        config = _training_options(meta, directory)
        if base is not None:
            encoder, rest = encoder_with_changes(base, directory, share_base)
            tokenizer = base.tokenizer
            model = build_model(encoder, tokenizer, labels, config.model.dropout)
            missing, unexpected = model.load_state_dict(rest, strict=False)
            if unexpected or any(not name.startswith("encoder.") for name in missing):
                raise ValueError(f"unexpected {unexpected[:3]} or missing {missing[:3]} tensors")
        else:
            model, tokenizer = _full_model(directory, meta, labels, config)
    except TrainerError:
        raise
    except Exception as error:  # any library failure here means the files are damaged
        raise TrainerError(
            UNLOADABLE_CHECKPOINT, f"checkpoint cannot be loaded: {type(error).__name__}: "
                                   f"{str(error).splitlines()[0] if str(error) else ''}",
            path=weights, hint="retrain or restore the checkpoint") from None
    model.to(device).eval()
    return Loaded(model, tokenizer, labels, config, _read_json(directory, "metrics.json"),
                  meta.get("version", ""), base)


def _full_model(directory: Path, meta: dict, labels: LabelMaps, config: TrainingConfig
                ) -> tuple[JointModel, object]:
    from transformers import AutoConfig, AutoTokenizer

    encoder_config = dict(meta["encoder_config"])
    encoder = new_encoder(AutoConfig.for_model(encoder_config.pop("model_type"), **encoder_config))
    # transformers 5 takes a directory whose config.json lacks its own version for a
    # Mistral one and warns of a regex this tokenizer does not have; saying so silences it.
    tokenizer = AutoTokenizer.from_pretrained(directory, fix_mistral_regex=False)
    model = build_model(encoder, tokenizer, labels, config.model.dropout)
    model.load_state_dict(load_file(str(directory / WEIGHTS)))
    return model, tokenizer
