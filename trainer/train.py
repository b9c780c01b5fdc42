"""``train()``: the training loop (AdamW, warm-up + linear decay, clipping, early stopping on dev)
and the ``python -m trainer train`` command."""

from __future__ import annotations

import argparse
import copy
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from converters.console import plural
from converters.document import Document
from trainer.base_encoder import BaseEncoder, load_base
from trainer.checkpoint import Loaded, build_model, load_checkpoint, save_checkpoint
from trainer.config import OptimiserOptions, TrainingConfig
from trainer.corpus import TEAM_CORPUS
from trainer.errors import (
    BAD_SPLITS, BAD_TRAINING_COLLECTION, NOTHING_TO_LEARN, NO_OUTPUT_DIR, TRAIN_OUTPUT_EXISTS,
    UNKNOWN_TYPES_FOR_INIT, TrainerError,
)
from trainer.examples import (format_representability, label_maps_for, representability,
                              training_examples)
from trainer.batching import PackedExamples, make_batches
from trainer.lora import add_lora
from trainer.model import JointModel, joint_loss
from trainer.predict import Predictor
from trainer.runtime import autocast, resolve_device, resolve_precision
from trainer.tagging import LabelMaps
from trainer.tracks import evaluate_tracks, selection_score, summary

Progress = Callable[[str, dict], None]
LOSS_EVERY_STEPS = 20
"""The loss is read from the device (a host sync) at the first step and then every this many."""


@dataclass
class TrainResult:
    checkpoint_dir: Path
    metrics: dict
    device: str
    precision: str
    """The resolved training precision: fp32, bf16 or fp16."""


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def optimizer_for(model: JointModel, options: OptimiserOptions) -> torch.optim.Optimizer:
    """AdamW with four groups: pretrained or new (``head_learning_rate``) × decayed or not
    (biases and norms are not)."""
    groups: dict[tuple[bool, bool], list[torch.nn.Parameter]] = {}
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            is_new = not name.startswith("encoder.")
            decays = parameter.ndim >= 2 and "LayerNorm" not in name
            groups.setdefault((is_new, decays), []).append(parameter)
    head_rate = options.head_learning_rate or options.learning_rate
    return torch.optim.AdamW(
        [{"params": parameters, "lr": head_rate if is_new else options.learning_rate,
          "weight_decay": options.weight_decay if decays else 0.0}
         for (is_new, decays), parameters in groups.items()],
        lr=options.learning_rate)


def optimisation_step(model: JointModel, batch: dict[str, torch.Tensor],
                      optimizer: torch.optim.Optimizer, options: OptimiserOptions,
                      device: torch.device, precision: str) -> torch.Tensor:
    """Forward at a resolved ``precision``, joint loss, backward, clipping and one optimiser
    step; the loss stays on the device (reading it is a host sync)."""
    with autocast(device, precision):
        ner, relation = model(batch["input_ids"], batch["attention_mask"], batch["word_positions"])
    loss = joint_loss(ner, relation, batch["ner_labels"], batch["relation_labels"],
                      options.ner_loss_weight, options.relation_loss_weight, options.no_relation_weight)
    loss.backward()
    if options.max_grad_norm:
        torch.nn.utils.clip_grad_norm_(model.parameters(), options.max_grad_norm)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.detach()


def _initial_model(config: TrainingConfig, train_docs: Sequence[Document],
                   init_from: Path | None, device: torch.device
                   ) -> tuple[JointModel, object, LabelMaps, BaseEncoder | None]:
    """The model to train, its tokenizer and labels, and the base encoder its checkpoints are
    deltas of (None when continuing from a full checkpoint)."""
    if init_from is not None:
        loaded = load_checkpoint(init_from, device, share_base=False)
        # whether or not loading built the base and drew numbers
        seed_everything(config.optimiser.seed)
        wanted = label_maps_for(train_docs)
        unknown = sorted((set(wanted.entity_types) - set(loaded.labels.entity_types))
                         | (set(wanted.relation_types) - set(loaded.labels.relation_types)))
        if unknown:
            raise TrainerError(
                UNKNOWN_TYPES_FOR_INIT, f"the training data uses types {unknown} that the model "
                                        f"to continue from does not know", path=init_from,
                hint="train a new model (no --init-from) for a new label set")
        model = loaded.model
        model.dropout.p = config.model.dropout
        return model, loaded.tokenizer, loaded.labels, loaded.base
    base = load_base(config.model.encoder)
    # Building the base in this process draws random numbers (a model is initialised before its
    # weights are set); a cached one draws none. Seeding here makes both give the same run.
    seed_everything(config.optimiser.seed)
    labels = label_maps_for(train_docs)
    encoder = copy.deepcopy(base.encoder).requires_grad_(True)
    model = build_model(encoder, base.tokenizer, labels, config.model.dropout)
    return model.to(device), base.tokenizer, labels, base


def train(config: TrainingConfig, train_docs: Sequence[Document], dev_docs: Sequence[Document],
          init_from: Path | None = None, output_dir: Path | None = None,
          progress: Progress | None = None) -> TrainResult:
    """Train, keep the best checkpoint on dev (or the last one without dev) in ``output_dir``."""
    if output_dir is None:
        raise TrainerError(NO_OUTPUT_DIR, "train() needs an output_dir for the checkpoint",
                           hint="pass output_dir=Path(...)")
    if not any(document.entities for document in train_docs):
        raise TrainerError(
            NOTHING_TO_LEARN, f"no entities in the {plural(len(train_docs), 'training document')}",
            hint="annotate some documents or check the collection path")
    options, runtime = config.optimiser, config.runtime
    seed_everything(options.seed)
    if runtime.threads:
        torch.set_num_threads(runtime.threads)
    device = resolve_device(runtime.device)
    precision = resolve_precision(runtime.precision, device, training=True)
    model, tokenizer, labels, base = _initial_model(config, train_docs, init_from, device)
    if base is not None and config.model.encoder != base.identity.name:
        config = config.with_options(encoder=base.identity.name)  # continued: the model's own base
    if options.freeze_word_embeddings:
        model.freeze_word_embeddings()
    if options.freeze_layers:
        model.freeze_lower_layers(options.freeze_layers)
    model_options = config.model
    if model_options.lora_rank:
        add_lora(model.encoder, model_options.lora_rank,
                 model_options.lora_alpha or 2 * model_options.lora_rank,
                 model_options.lora_target_list())
        model.to(device)  # the new adapters start on the CPU
    rng = random.Random(options.seed)
    examples = training_examples(train_docs, tokenizer, labels, config, rng)
    if not examples:
        raise TrainerError(NOTHING_TO_LEARN, "the training documents hold no sentences",
                           hint="check that the .txt files are not empty")
    batches_per_epoch = -(-len(examples) // options.batch_size)
    total_steps = options.epochs * batches_per_epoch
    if options.max_steps:
        total_steps = min(total_steps, options.max_steps)
    optimizer = optimizer_for(model, options)
    from transformers import get_linear_schedule_with_warmup
    scheduler = get_linear_schedule_with_warmup(optimizer, int(options.warmup_ratio * total_steps),
                                                total_steps)
    state = _RunState(config, model, tokenizer, labels, base, device, precision, dev_docs,
                      Path(output_dir), progress,
                      {"examples": len(examples), "total_steps": total_steps})
    packed = PackedExamples.build(examples, state.pad_id, device)
    step, started, loss_value = 0, time.monotonic(), float("nan")
    bar = tqdm(total=total_steps, desc="training", unit="step", dynamic_ncols=True)
    for epoch in range(1, options.epochs + 1):
        epoch_started = time.monotonic()
        # Sums stay on the device; reading one (float) is the host sync done every few steps.
        epoch_loss, window_loss = torch.zeros((), device=device), torch.zeros((), device=device)
        epoch_steps = window_steps = 0
        model.train()
        for indexes in make_batches(packed.lengths, options.batch_size, rng):
            loss = optimisation_step(model, packed.batch(indexes), optimizer, options, device,
                                     precision)
            scheduler.step()
            step += 1
            epoch_steps += 1
            window_steps += 1
            epoch_loss += loss
            window_loss += loss
            if step == 1 or step % LOSS_EVERY_STEPS == 0:
                loss_value = float(window_loss) / window_steps
                window_loss.zero_()
                window_steps = 0
                bar.set_postfix(epoch=epoch, loss=f"{loss_value:.4f}")
            elapsed = time.monotonic() - started
            info = {"epoch": epoch, "step": step, "total": total_steps, "loss": loss_value,
                    "eta": elapsed / step * (total_steps - step)}
            bar.update(1)
            if progress:
                progress("train", info)
            if options.eval_every_steps and step % options.eval_every_steps == 0:
                state.checkpoint(epoch, step, loss_value)
            if step >= total_steps or state.stop:
                break
        mean_loss = float(epoch_loss) / max(epoch_steps, 1)
        state.record_epoch(epoch, time.monotonic() - epoch_started, mean_loss)
        if not (options.eval_every_steps and step % options.eval_every_steps == 0):
            state.checkpoint(epoch, step, mean_loss)
        if step >= total_steps or state.stop or epoch == options.stop_after_epochs:
            break
    bar.close()
    return TrainResult(Path(output_dir), state.best_metrics, str(device), precision)


class _RunState:
    """Evaluation, best-checkpoint keeping and early stopping of one run."""

    def __init__(self, config: TrainingConfig, model: JointModel, tokenizer, labels: LabelMaps,
                 base: BaseEncoder | None, device: torch.device, precision: str,
                 dev_docs: Sequence[Document], output_dir: Path, progress: Progress | None,
                 facts: dict):
        self.config, self.model, self.tokenizer, self.labels = config, model, tokenizer, labels
        self.base = base
        self.device, self.output_dir, self.progress = device, output_dir, progress
        # The dev checks see what training computes where that is bf16; fp16 inference is not
        # offered (no F1 measured for it), so fp16 training is checked at fp32.
        self.evaluation_precision = "bf16" if precision == "bf16" else "fp32"
        self.dev_docs = list(dev_docs)[:config.optimiser.eval_max_docs or None]
        self.pad_id = tokenizer.pad_token_id
        self.best_score = -1.0
        self.best_metrics: dict = {}
        self.bad_evaluations = 0
        self.stop = False
        self.facts = dict(facts, device=str(device), precision=precision, epoch_seconds=[],
                          train_loss=[])

    def record_epoch(self, epoch: int, seconds: float, loss: float) -> None:
        self.facts["epoch_seconds"].append(round(seconds, 1))
        self.facts["train_loss"].append(round(loss, 5))
        if self.progress:
            self.progress("epoch", {"epoch": epoch, "seconds": seconds, "loss": loss})

    def checkpoint(self, epoch: int, step: int, loss: float) -> None:
        metrics = dict(self.facts, epoch=epoch, step=step, loss=loss)
        if not self.dev_docs:
            self._save(metrics)
            return
        if self.progress:
            self.progress("evaluate", {"epoch": epoch, "step": step,
                                       "documents": len(self.dev_docs)})
        loaded = Loaded(self.model, self.tokenizer, self.labels, self.config, {}, "")
        predictor = Predictor(loaded, self.device, precision=self.evaluation_precision)
        tracks = evaluate_tracks(predictor, self.dev_docs)
        self.model.train()
        score = selection_score(tracks)
        metrics.update(dev=tracks, dev_documents=len(self.dev_docs), selection_score=score)
        tqdm.write(f"step {step} (epoch {epoch}): dev {summary(tracks)}")
        if score > self.best_score:
            self.best_score, self.bad_evaluations = score, 0
            self._save(metrics)
        else:
            self.bad_evaluations += 1
            patience = self.config.optimiser.patience
            self.stop = bool(patience) and self.bad_evaluations >= patience
        if self.progress:
            self.progress("evaluated", {"epoch": epoch, "step": step, "score": score,
                                        "best": self.best_score})

    def _save(self, metrics: dict) -> None:
        save_checkpoint(self.output_dir, self.model, self.tokenizer, self.labels, self.config,
                        metrics, self.base)
        self.best_metrics = metrics


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="JSON file of training options (flags override it)")
    parser.add_argument("--data", type=Path, default=TEAM_CORPUS / "train",
                        help="brat collection (directory or .zip) holding the documents (default: "
                             "../shared/data/rurebus/train beside the repository)")
    parser.add_argument("--splits", help="JSON file mapping split names to document-name lists; "
                                         "without it every document trains and none evaluates")
    parser.add_argument("--train-split", default="train", help="split to train on")
    parser.add_argument("--dev-split", default="dev", help="split for early stopping ('' for none)")
    parser.add_argument("--init-from", type=Path, help="checkpoint to continue training from")
    parser.add_argument("--output", type=Path, required=True, help="checkpoint directory to write")
    parser.add_argument("--force", action="store_true", help="replace an existing --output directory")
    TrainingConfig.add_arguments(parser)


def load_splits(data: Path, splits_file: Path | None, train_split: str, dev_split: str
                ) -> tuple[list[Document], list[Document]]:
    from converters.brat import read_collection
    from converters.errors import ConversionError

    try:
        documents = read_collection(data).documents
    except ConversionError as error:
        raise TrainerError(
            BAD_TRAINING_COLLECTION, f"cannot read the training collection: {error}", path=data,
            hint="give --data a brat directory or .zip") from None
    if not documents:
        raise TrainerError(
            BAD_TRAINING_COLLECTION, "the training collection holds no documents", path=data,
            hint="give --data a folder with .txt/.ann pairs")
    if splits_file is None:
        return documents, []
    try:
        splits = json.loads(Path(splits_file).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise TrainerError(BAD_SPLITS, f"cannot read splits: {error}", path=splits_file,
                           hint="a JSON object such as {\"train\": [names], \"dev\": [names]}") from None
    by_name = {document.name: document for document in documents}
    chosen = []
    for split in (train_split, dev_split):
        if not split:
            chosen.append([])
            continue
        if split not in splits:
            raise TrainerError(BAD_SPLITS, f"no split named {split!r}; found {sorted(splits)}",
                               path=splits_file, hint="use --train-split/--dev-split")
        missing = [name for name in splits[split] if name not in by_name]
        if missing:
            raise TrainerError(
                BAD_SPLITS, f"split {split!r} names {plural(len(missing), 'document')} not in "
                            f"{data}, e.g. {missing[0]!r}", path=splits_file,
                hint="point --data at the collection the splits were made for")
        chosen.append([by_name[name] for name in splits[split]])
    return chosen[0], chosen[1]


def run_command(args: argparse.Namespace) -> int:
    if Path(args.output).exists() and not args.force:
        raise TrainerError(TRAIN_OUTPUT_EXISTS, f"output directory {args.output} already exists",
                           path=args.output, hint="choose a new --output or pass --force")
    config = TrainingConfig.from_args(args)
    train_docs, dev_docs = load_splits(Path(args.data), args.splits and Path(args.splits),
                                       args.train_split, args.dev_split)
    print(f"{plural(len(train_docs), 'training document')} and "
          f"{plural(len(dev_docs), 'dev document')}; "
          f"{format_representability(representability(train_docs))}", flush=True)
    result = train(config, train_docs, dev_docs, args.init_from, args.output)
    print(f"checkpoint: {result.checkpoint_dir} (device {result.device}, {result.precision})")
    if "dev" in result.metrics:
        print(f"best dev: {summary(result.metrics['dev'])}")
    return 0
