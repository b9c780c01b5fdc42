"""CPU seconds per training step of full fine-tuning and of LoRA variants, and the size of the
compact version each writes, on real RuREBus batches (the shipped model's config, seed 13).

Each variant trains ``--steps`` steps on the first ``--documents`` training documents (no dev
evaluation) and saves its delta; the first step is left out of the mean (it allocates). Prints
one JSON line per variant.

    .venv/bin/python benchmarks/train_step_time.py --steps 12
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from converters.console import plain
from trainer.config import TrainingConfig
from trainer.train import load_splits, train
from trainer.corpus import TEAM_CORPUS

REPO_ROOT = Path(__file__).resolve().parent.parent
VARIANTS = {
    "full": {},
    "lora32-all-linear": {"lora_rank": 32, "learning_rate": 1e-3},
    "lora64-all-linear": {"lora_rank": 64, "learning_rate": 1e-3},
    "lora32-query-value": {"lora_rank": 32, "lora_targets": "query,value", "learning_rate": 1e-3},
}


def step_seconds(config: TrainingConfig, documents: list) -> tuple[list[float], int]:
    """Seconds of each step of ``train()`` (the first one included: it allocates) and the size of
    the delta it wrote."""
    steps: list[float] = []
    last = [time.perf_counter()]

    def progress(event: str, info: dict) -> None:
        if event == "train":
            now = time.perf_counter()
            steps.append(now - last[0])
            last[0] = now

    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "checkpoint"
        last[0] = time.perf_counter()
        train(config, documents, [], output_dir=output, progress=progress)
        delta = output / "delta.safetensors"
        return steps, delta.stat().st_size if delta.is_file() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=plain(__doc__.splitlines()[0]))
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "configs" / "default-model.json")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--documents", type=int, default=6)
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()

    documents, _ = load_splits(TEAM_CORPUS / "train", TEAM_CORPUS / "splits.json", "train", "")
    base_options = TrainingConfig.from_json(args.config).to_dict()
    for name in args.variants:
        config = TrainingConfig.from_dict({**base_options, **VARIANTS[name], "max_steps": args.steps,
                                           "device": "cpu", "patience": 0})
        steps, size = step_seconds(config, documents[:args.documents])
        timed = steps[1:]
        print(json.dumps({"variant": name, "seconds_per_step": round(sum(timed) / len(timed), 3),
                          "steps_timed": len(timed), "batch_size": config.optimiser.batch_size,
                          "precision": config.runtime.precision,
                          "threads": config.runtime.threads,
                          "delta_mb": round(size / 1e6, 1)}), flush=True)


if __name__ == "__main__":
    main()
