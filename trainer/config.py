"""The one training configuration: validated dataclass groups (model, optimiser, runtime) read
from a JSON file or CLI flags by flat option names; and the inference choices (precision,
decision biases) that the backend reads without torch."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from trainer.encoder import DEFAULT_ENCODER
from trainer.errors import (
    BAD_BIAS, BAD_CONFIG_FILE, BAD_OPTION_VALUE, UNKNOWN_OPTION, TrainerError,
)


SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "pretrained" / "rurebus-e5-small"
"""The RuREBus model that ships with the project (a delta over the offline e5-small base)."""


def default_model_setting(value: str | None) -> Path | None:
    """What ``DEFAULT_MODEL`` names: unset or empty is the shipped model, ``none`` is no model."""
    if not value:
        return SHIPPED_MODEL
    return None if value.strip().lower() == "none" else Path(value)


AUTO_PRECISION = "auto: bf16 where the CPU or GPU computes bf16 natively, else fp32"
"""The one meaning of ``--precision auto`` in training and inference (see trainer/runtime.py),
quoted by both help texts."""
INFERENCE_PRECISIONS = ("auto", "fp32", "bf16")
"""Inference precision choices."""
TRAINING_PRECISIONS = (*INFERENCE_PRECISIONS, "fp16")
"""Training precision choices: fp16 only when asked for, since ``auto`` never risks its
underflow."""


# benchmarks/decision_bias.py: a no-relation bias of 1 gained end-to-end F1 on the first 4 dev
# documents (epoch 1 of e5-3ep-headlr) and on the whole dev split (its final checkpoint); an O
# bias of 1 gained NER F1 on the 4 documents but lost 0.012 on the whole split, so it is off.
DEFAULT_OUTSIDE_BIAS = 0.0
DEFAULT_NO_RELATION_BIAS = 1.0


BIAS_LIMIT = 100.0
"""Largest decision bias in either direction: at e^100 every decision is long fixed, and the
bound keeps the weighted odds finite."""


def checked_bias(name: str, value: float, found: str | None = None) -> float:
    """``value`` when it is a usable decision bias, else a coded error naming ``name``."""
    if not (math.isfinite(value) and abs(value) <= BIAS_LIMIT):
        raise TrainerError(BAD_BIAS, f"{name}: expected a number from -{BIAS_LIMIT:g} to "
                                   f"{BIAS_LIMIT:g}, found {found or repr(value)}",
                           hint="e.g. 0 (the most probable outcome) or 1 (odds of nothing × e)")
    return value


@dataclass(frozen=True)
class DecisionBiases:
    """The two leanings towards "nothing" that served models decode with (see trainer/inference.py)."""

    outside: float = DEFAULT_OUTSIDE_BIAS
    no_relation: float = DEFAULT_NO_RELATION_BIAS

    def __post_init__(self) -> None:
        checked_bias("outside bias", self.outside)
        checked_bias("no-relation bias", self.no_relation)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DecisionBiases:
        """``OUTSIDE_BIAS`` and ``NO_RELATION_BIAS``, read alike by the backend and the worker so
        that served, uploaded and held-out predictions decode the same way; an unusable value is
        reported under its variable's name."""
        values = {}
        for name, variable in (("outside", "OUTSIDE_BIAS"), ("no_relation", "NO_RELATION_BIAS")):
            raw = env.get(variable)
            if raw in (None, ""):
                continue
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
            values[name] = checked_bias(variable, value, found=repr(raw))
        return cls(**values)

    def version_suffix(self) -> str:
        """What a served model's name gets when these biases are not the defaults, e.g.
        ``+ob0.5+nrb2``: Label Studio asks again only for a ``model_version`` it has not stored, so
        predictions decoded another way must carry another name. Empty at the defaults."""
        if self == DecisionBiases():
            return ""
        return f"+ob{self.outside:g}+nrb{self.no_relation:g}"


def _option(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


def _check(options: Any, checks: list[tuple[bool, str, str]]) -> None:
    """The first failed ``(ok, option name, what it must be)`` check as a coded error."""
    for ok, name, expected in checks:
        if not ok:
            found = getattr(options, name) if hasattr(options, name) else "both 0"
            raise TrainerError(
                BAD_OPTION_VALUE, f"training option {name} must be {expected}; found {found!r}",
                hint="fix the value in the config file or on the command line")


@dataclass
class ModelOptions:
    """What the trained model is and how its checkpoint is written: the encoder with its
    adapters, the dropout before the heads, and the windows that inference cuts the same way
    (a loaded checkpoint's predictor reads max_length, stride and relation_max_length)."""

    encoder: str = _option(DEFAULT_ENCODER, "HF model id or local directory of the encoder")
    dropout: float = _option(0.2, "dropout before both heads")
    max_length: int = _option(128, "sub-tokens per window, special and marker tokens included")
    stride: int = _option(32, "sub-tokens shared by consecutive windows of a long sentence")
    relation_max_length: int = _option(
        128, "sub-tokens of a relation example, centred on its marked entity")
    lora_rank: int = _option(
        0, "train rank-N LoRA adapters (peft) instead of the encoder's weights (0: full fine-tuning)")
    lora_alpha: float = _option(0.0, "LoRA scaling numerator (0: twice lora_rank)")
    lora_targets: str = _option("query,key,value,dense",
                                "comma-separated names of the encoder's linear layers given adapters")
    checkpoint_format: str = _option(
        "delta", "delta (only the changes to the base encoder, ~22 MB for e5-small) or full (every "
                 "weight and the tokenizer, 470 MB)")

    def __post_init__(self) -> None:
        _check(self, [
            (0 <= self.dropout < 1, "dropout", "in [0, 1)"),
            (self.max_length >= 16, "max_length", "at least 16"),
            (0 <= self.stride <= self.max_length // 2, "stride", "in [0, max_length / 2]"),
            (self.relation_max_length >= 16, "relation_max_length", "at least 16"),
            (self.relation_max_length <= self.max_length, "relation_max_length",
             "at most max_length"),
            (self.lora_rank >= 0, "lora_rank", "zero or more"),
            (self.lora_alpha >= 0, "lora_alpha", "zero or more"),
            (bool(self.lora_target_list()), "lora_targets", "at least one layer name"),
            (self.checkpoint_format in ("delta", "full"), "checkpoint_format", "delta or full"),
        ])

    def lora_target_list(self) -> list[str]:
        return [name.strip() for name in str(self.lora_targets).split(",") if name.strip()]


@dataclass
class OptimiserOptions:
    """How the model learns: rates, losses, the examples it learns from, what stays fixed, how
    long it trains and when it stops.

    Defaults follow the RuREBus 2020 paper's best NER settings (lr 5e-5, weight decay 0.1, and
    the model's dropout 0.2) with equal loss weights, because one joint model serves both tasks
    here."""

    learning_rate: float = _option(5e-5, "peak AdamW learning rate")
    head_learning_rate: float = _option(
        0.0, "peak learning rate of the parts trained from scratch: both heads and the entity "
             "markers (0: learning_rate)")
    weight_decay: float = _option(0.1, "AdamW weight decay (not applied to biases and norms)")
    ner_loss_weight: float = _option(1.0, "weight of the entity (BIO) cross-entropy")
    relation_loss_weight: float = _option(1.0, "weight of the relation cross-entropy")
    no_relation_weight: float = _option(
        1.0, "class weight of the relation label '0' (below 1 counters its majority)")
    epochs: int = _option(3, "maximum number of passes over the training examples")
    max_steps: int = _option(0, "stop after this many optimiser steps (0: no limit)")
    stop_after_epochs: int = _option(
        0, "end the run after this many epochs, the learning-rate schedule still planned for "
           "all epochs (0: run every epoch)")
    batch_size: int = _option(32, "examples per optimiser step")
    seed: int = _option(13, "seed for Python, NumPy and torch: equal seeds give equal runs")
    patience: int = _option(2, "evaluations without dev improvement before stopping (0: never)")
    eval_every_steps: int = _option(0, "evaluate on dev every N steps as well as per epoch (0: "
                                       "per epoch only)")
    eval_max_docs: int = _option(0, "evaluate on at most this many dev documents (0: all)")
    warmup_ratio: float = _option(0.1, "fraction of the steps with a linear learning-rate warm-up")
    max_grad_norm: float = _option(1.0, "gradient clipping norm (0: no clipping)")
    freeze_word_embeddings: bool = _option(
        False, "keep the word-embedding matrix fixed (about 40% faster steps on CPU)")
    freeze_layers: int = _option(
        0, "fix the word embeddings and this many lowest encoder layers (markers stay trainable)")
    negative_relation_rate: float = _option(
        1.0, "fraction of entities without any relation kept as relation examples")
    marked_ner_loss: bool = _option(
        True, "train the NER head on the words of marked relation examples too (off: only on "
              "plain sentences, as the paper's separate relation model nearly did)")

    def __post_init__(self) -> None:
        _check(self, [
            (self.learning_rate > 0, "learning_rate", "a positive number"),
            (self.head_learning_rate >= 0, "head_learning_rate", "zero or more"),
            (self.weight_decay >= 0, "weight_decay", "zero or more"),
            (self.ner_loss_weight >= 0, "ner_loss_weight", "zero or more"),
            (self.relation_loss_weight >= 0, "relation_loss_weight", "zero or more"),
            (0 < self.no_relation_weight <= 1, "no_relation_weight", "in (0, 1]"),
            (self.ner_loss_weight + self.relation_loss_weight > 0, "loss weights",
             "not both zero"),
            (self.epochs >= 1, "epochs", "at least 1"),
            (self.max_steps >= 0, "max_steps", "zero or more"),
            (self.stop_after_epochs >= 0, "stop_after_epochs", "zero or more"),
            (self.batch_size >= 1, "batch_size", "at least 1"),
            (self.patience >= 0, "patience", "zero or more"),
            (self.eval_every_steps >= 0, "eval_every_steps", "zero or more"),
            (self.eval_max_docs >= 0, "eval_max_docs", "zero or more"),
            (0 <= self.warmup_ratio < 1, "warmup_ratio", "in [0, 1)"),
            (self.max_grad_norm >= 0, "max_grad_norm", "zero or more"),
            (self.freeze_layers >= 0, "freeze_layers", "zero or more"),
            (0 <= self.negative_relation_rate <= 1, "negative_relation_rate", "in [0, 1]"),
        ])


@dataclass
class RuntimeOptions:
    """Where and how fast this machine runs the training; the trained model does not depend on
    them, so checkpoints do not keep them (see trainer/runtime.py)."""

    device: str = _option("auto", "auto, cpu, cuda or cuda:N")
    precision: str = _option("auto", f"{', '.join(TRAINING_PRECISIONS)} ({AUTO_PRECISION}; "
                                     "fp16 autocast has no gradient scaler and may underflow)")
    threads: int = _option(0, "torch CPU threads (0: torch's default)")

    def __post_init__(self) -> None:
        _check(self, [
            (self.precision in TRAINING_PRECISIONS, "precision", "auto, fp32, bf16 or fp16"),
            (self.threads >= 0, "threads", "zero or more"),
        ])


_GROUPS = {"model": ModelOptions, "optimiser": OptimiserOptions, "runtime": RuntimeOptions}
"""The option groups of :class:`TrainingConfig`, by attribute; option names are unique across
them, so files and flags name options without their group."""


def _names(group: type) -> list[str]:
    return [option.name for option in fields(group)]


OPTION_NAMES = [name for group in _GROUPS.values() for name in _names(group)]
"""Every option's name, in the order ``--help`` lists them."""


@dataclass
class TrainingConfig:
    """Everything that decides what a training run does, in three groups: the model, the
    optimiser and the runtime. Checkpoints keep the first two.

    Config files, checkpoints and flags use flat option names (``learning_rate``, not
    ``optimiser.learning_rate``): the groups organise the code, not the files."""

    model: ModelOptions = field(default_factory=ModelOptions)
    optimiser: OptimiserOptions = field(default_factory=OptimiserOptions)
    runtime: RuntimeOptions = field(default_factory=RuntimeOptions)

    def to_dict(self) -> dict[str, Any]:
        """Every option, flat."""
        return {**self.saved_dict(), **asdict(self.runtime)}

    def saved_dict(self) -> dict[str, Any]:
        """The options a checkpoint keeps, flat: the model's and the optimiser's, not this
        machine's device, precision and threads."""
        return {**asdict(self.model), **asdict(self.optimiser)}

    def with_options(self, **options: Any) -> TrainingConfig:
        """A copy with some options (flat names) changed, checked like any other."""
        return self.from_dict({**self.to_dict(), **options})

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "config") -> TrainingConfig:
        known = set(OPTION_NAMES)
        unknown = sorted(set(values) - known)
        if unknown:
            raise TrainerError(UNKNOWN_OPTION, f"{source}: unknown training option(s) {unknown}",
                               hint=f"known options: {sorted(known)}")
        return cls(**{attribute: group(**{name: values[name] for name in _names(group)
                                          if name in values})
                      for attribute, group in _GROUPS.items()})

    @classmethod
    def from_saved(cls, values: dict[str, Any], source: str = "checkpoint") -> TrainingConfig:
        """The options a checkpoint keeps, with this machine's defaults for the runtime ones;
        checkpoints written before the groups also hold device, precision and threads, which are
        ignored."""
        runtime = set(_names(RuntimeOptions))
        return cls.from_dict({name: value for name, value in values.items()
                              if name not in runtime}, source)

    @classmethod
    def from_json(cls, path: Path, defaults: TrainingConfig | None = None) -> TrainingConfig:
        """The options of a JSON file; those it does not set come from ``defaults`` (else the
        dataclass defaults)."""
        try:
            values = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise TrainerError(BAD_CONFIG_FILE, f"cannot read training config {path}: {error}",
                               hint="give a JSON object of TrainingConfig options") from None
        if not isinstance(values, dict):
            raise TrainerError(BAD_CONFIG_FILE, f"{path}: expected a JSON object, found "
                               f"{type(values).__name__}", hint="wrap the options in {...}")
        inherited = defaults.to_dict() if defaults is not None else {}
        return cls.from_dict({**inherited, **values}, source=str(path))

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        """One ``--option`` per option of every group (default: unset, so a ``--config`` file can
        supply it)."""
        group = parser.add_argument_group("training options (override --config)")
        for option in (option for kind in _GROUPS.values() for option in fields(kind)):
            flag = "--" + option.name.replace("_", "-")
            default = option.default if option.default is not MISSING else None
            # argparse formats help with %: a literal "40%" in a help text would break --help
            help_text = f"{option.metadata['help']} (default: {default})".replace("%", "%%")
            if option.type in ("bool", bool):
                group.add_argument(flag, dest=option.name, default=None,
                                   action=argparse.BooleanOptionalAction, help=help_text)
            else:
                kind = {"int": int, "float": float}.get(str(option.type), str)
                group.add_argument(flag, dest=option.name, type=kind, default=None,
                                   help=help_text)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> TrainingConfig:
        """``--config FILE`` (when given) overridden by any explicitly set option flag."""
        values: dict[str, Any] = {}
        config_file = getattr(args, "config", None)
        if config_file:
            values.update(cls.from_json(Path(config_file)).to_dict())
        for name in OPTION_NAMES:
            value = getattr(args, name, None)
            if value is not None:
                values[name] = value
        return cls.from_dict(values)
