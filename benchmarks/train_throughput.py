"""Training throughput of the previous loop and of ``trainer.train.train`` in the same run.

The previous loop is reproduced here as the reference: per step it collated Python lists into
new tensors, copied each to the device and read the loss back (a host sync). ``train()`` pads
every example once onto the device (trainer/batching.py) and reads the loss every
``LOSS_EVERY_STEPS`` steps. Both train the same model from the same seed on the same examples
(the first training documents of the RuREBus train split), with the shipped model's config.

Measured on: the tiny test encoder on the CPU (host overhead: what stalls a GPU), e5-small on the
CPU, and each on CUDA when available, where the achieved FLOP/s (6 × trained encoder parameters
× tokens per second, a lower bound: attention is not counted) is set against a large bf16 matmul.
The first ``--warmup`` steps of each run are left out, and each loop keeps the faster of two
alternating runs. Prints one JSON line per measurement.

    .venv/bin/python benchmarks/train_throughput.py --steps 40
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.train_step_time import REPO_ROOT, step_seconds
from converters.console import plain
from trainer.base_encoder import load_base
from trainer.batching import make_batches
from trainer.config import TrainingConfig
from trainer.examples import training_examples
from trainer.features import collate
from trainer.runtime import resolve_precision
from trainer.tiny import build_tiny_encoder
from trainer.train import (_initial_model, load_splits, optimisation_step, optimizer_for,
                           seed_everything)
from trainer.corpus import TEAM_CORPUS


def previous_loop_seconds(config: TrainingConfig, documents: list, device: torch.device,
                          steps: int) -> tuple[list[float], float]:
    """Seconds per step of the loop as it was, and the mean real (unpadded) tokens per example."""
    seed_everything(config.optimiser.seed)
    if config.runtime.threads:
        torch.set_num_threads(config.runtime.threads)
    model, tokenizer, labels, _ = _initial_model(config, documents, None, device)
    model.freeze_word_embeddings()
    rng = random.Random(config.optimiser.seed)
    examples = training_examples(documents, tokenizer, labels, config, rng)
    optimizer = optimizer_for(model, config.optimiser)
    precision = resolve_precision(config.runtime.precision, device, training=True)
    pad = tokenizer.pad_token_id
    seconds, last = [], time.perf_counter()
    lengths = [len(e.input_ids) for e in examples]
    model.train()
    while len(seconds) < steps:
        for indexes in make_batches(lengths, config.optimiser.batch_size, rng):
            batch = {name: tensor.to(device)
                     for name, tensor in collate([examples[i] for i in indexes], pad).items()}
            loss = optimisation_step(model, batch, optimizer, config.optimiser, device,
                                     precision)
            loss.item()
            now = time.perf_counter()
            seconds.append(now - last)
            last = now
            if len(seconds) == steps:
                break
    tokens = sum(len(example.input_ids) for example in examples) / len(examples)
    return seconds, tokens


def bf16_peak_flops(device: torch.device) -> float:
    a = torch.randn(8192, 8192, device=device, dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device=device, dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    started, repeats = time.perf_counter(), 20
    for _ in range(repeats):
        a @ b
    torch.cuda.synchronize()
    return 2 * 8192 ** 3 * repeats / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=plain(__doc__.splitlines()[0]))
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--encoders", nargs="*", default=["tiny", "e5-small"])
    parser.add_argument("--batch-size", type=int, help="examples per step (default: the shipped "
                                                          "model's config, 16)")
    parser.add_argument("--profile", action="store_true",
                        help="then print where train()'s CPU time goes (torch.profiler, top ops)")
    args = parser.parse_args()

    documents, _ = load_splits(TEAM_CORPUS / "train", TEAM_CORPUS / "splits.json", "train", "")
    documents = documents[:args.documents]
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    base_options = TrainingConfig.from_json(REPO_ROOT / "configs" / "default-model.json").to_dict()
    with tempfile.TemporaryDirectory() as scratch:
        encoders = {"tiny": str(build_tiny_encoder(Path(scratch) / "tiny")),
                    "e5-small": TrainingConfig().model.encoder}
        for encoder_name in args.encoders:
            for device_name in devices:
                config = TrainingConfig.from_dict({
                    **base_options, "encoder": encoders[encoder_name], "device": device_name,
                    **({"batch_size": args.batch_size} if args.batch_size else {}),
                    "max_steps": args.steps, "patience": 0,
                    "precision": "bf16" if device_name == "cuda" else "fp32"})
                device = torch.device(device_name)
                # Each loop runs twice, alternating, and keeps its faster run: whichever ran first
                # in a process was measured up to 15x slower (one-time start-up costs).
                rates, tokens = {"previous": 0.0, "train()": 0.0}, 0.0
                for _ in range(2):
                    old, tokens = previous_loop_seconds(config, documents, device, args.steps)
                    new, _ = step_seconds(config, documents)
                    for loop, seconds in (("previous", old), ("train()", new)):
                        timed = seconds[args.warmup:]
                        rates[loop] = max(rates[loop],
                                          config.optimiser.batch_size * len(timed) / sum(timed))
                row = {"encoder": encoder_name, "device": device_name,
                       "precision": config.runtime.precision,
                       "batch_size": config.optimiser.batch_size,
                       "examples_per_s": {loop: round(rate, 1) for loop, rate in rates.items()},
                       "tokens_per_s": {loop: round(rate * tokens) for loop, rate in rates.items()},
                       "speedup": round(rates["train()"] / rates["previous"], 2)}
                if device_name == "cuda":
                    trained = sum(p.numel() for name, p in load_base(config.model.encoder).encoder
                                  .named_parameters() if "word_embeddings" not in name)
                    achieved = 6 * trained * rates["train()"] * tokens
                    peak = bf16_peak_flops(device)
                    row.update(achieved_tflops=round(achieved / 1e12, 2),
                               bf16_matmul_peak_tflops=round(peak / 1e12, 1),
                               share_of_peak=round(achieved / peak, 4))
                print(json.dumps(row), flush=True)
                if args.profile:
                    with torch.profiler.profile() as profiler:
                        step_seconds(config, documents)
                    print(profiler.key_averages().table(sort_by="self_cpu_time_total",
                                                        row_limit=12), flush=True)


if __name__ == "__main__":
    main()
