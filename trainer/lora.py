"""Low-rank adapters (LoRA, through ``peft``) on the encoder's linear layers.

Adapters are a training device only: checkpoints store the encoder under its base names with the
adapters merged in (:func:`plain_encoder_state`), and a compact version then keeps each merged
change as its low-rank factors (see :mod:`trainer.delta`).
"""

from __future__ import annotations

import torch


def add_lora(encoder: torch.nn.Module, rank: int, alpha: float, targets: list[str]) -> None:
    """Wrap the ``targets`` linear layers with rank-``rank`` adapters; train only the adapters."""
    from peft import LoraConfig, inject_adapter_in_model

    config = LoraConfig(r=rank, lora_alpha=alpha, target_modules=targets, lora_dropout=0.0,
                        bias="none")
    inject_adapter_in_model(config, encoder)
    for name, parameter in encoder.named_parameters():
        parameter.requires_grad_(".lora_" in name)


def plain_encoder_state(encoder: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The encoder's weights under the base model's names, with any adapters merged in."""
    state = encoder.state_dict()
    if not any(".lora_" in name for name in state):
        return state
    from peft.tuners.lora import LoraLayer

    plain = {name.replace(".base_layer.", "."): tensor for name, tensor in state.items()
             if ".lora_" not in name}
    for name, module in encoder.named_modules():
        if isinstance(module, LoraLayer):
            change = sum(module.get_delta_weight(adapter) for adapter in module.active_adapters)
            plain[f"{name}.weight"] = (module.get_base_layer().weight + change).detach()
    return plain
