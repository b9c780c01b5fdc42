"""Where the model runs and at which precision, for training and inference alike.

Training and inference used to choose each on their own, and ``--precision auto`` meant bf16 on
a CPU with native bf16 for ``predict`` but fp32 for ``train``. Here is the one rule both follow:
``auto`` is bf16 where the device computes bf16 natively, else fp32. It never picks fp16: fp16
autocast without a gradient scaler can underflow small gradients to zero, so fp16 is only ever
asked for explicitly, and only for training.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import torch

from trainer.config import INFERENCE_PRECISIONS, TRAINING_PRECISIONS
from trainer.errors import UNKNOWN_PRECISION, TrainerError

_AUTOCAST_TYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(device: str) -> torch.device:
    """``auto`` is CUDA when available, else the CPU; anything else is taken as torch names it."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo; empty where there is none (not Linux), which
    keeps such machines at fp32 since there is no cheap way to tell."""
    try:
        return set(Path("/proc/cpuinfo").read_text(encoding="utf-8").split())
    except OSError:
        return set()


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 in hardware: a CUDA GPU that supports it, or a CPU with
    AVX-512 bf16 or AMX. Elsewhere bf16 is emulated, and was 5x slower than fp32 on such a CPU."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return bool({"avx512_bf16", "amx_bf16"} & cpu_flags())


def resolve_precision(precision: str, device: torch.device, *, training: bool = False) -> str:
    """``fp32``, ``bf16`` (or, asked for explicitly in training, ``fp16``) for a ``--precision``
    value on ``device``: ``auto`` is bf16 where ``device`` computes it natively, else fp32."""
    choices = TRAINING_PRECISIONS if training else INFERENCE_PRECISIONS
    if precision not in choices:
        kind = "training" if training else "inference"
        raise TrainerError(UNKNOWN_PRECISION, f"unknown {kind} precision {precision!r}",
                           hint=f"use one of {', '.join(choices)}")
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    return precision


def autocast(device: torch.device, precision: str) -> AbstractContextManager:
    """Autocast to a resolved ``precision`` (fp32, bf16 or fp16) on ``device``; fp32 runs as is."""
    dtype = _AUTOCAST_TYPES[precision]
    if dtype is None:
        return nullcontext()
    return torch.autocast(device.type, dtype=dtype)
