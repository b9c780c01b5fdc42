"""How much batching speeds up the encoder alone, by input length: 64 random sequences of one
length through a checkpoint's model one at a time, then as one batch (fp32, inference mode).

    python benchmarks/batching_by_length.py --model runs/e5-1ep/checkpoint --lengths 24 48 96
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from converters.console import plain
from trainer.checkpoint import load_checkpoint

SEQUENCES = 64


def main() -> int:
    parser = argparse.ArgumentParser(description=plain(__doc__.split("\n\n")[0]))
    parser.add_argument("--model", required=True, type=Path, help="checkpoint directory")
    parser.add_argument("--lengths", type=int, nargs="+", default=[24, 48, 96])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model = load_checkpoint(args.model).model.eval()
    for length in args.lengths:
        ids = torch.randint(5, 1000, (SEQUENCES, length))
        mask = torch.ones_like(ids)
        positions = torch.arange(length).expand(SEQUENCES, length)
        with torch.inference_mode():
            model(ids, mask, positions)  # warm-up: kernels and buffers
            started = time.perf_counter()
            for row in range(SEQUENCES):
                model(ids[row:row + 1], mask[row:row + 1], positions[row:row + 1])
            one_by_one = time.perf_counter() - started
            started = time.perf_counter()
            model(ids, mask, positions)
            batched = time.perf_counter() - started
        tokens = SEQUENCES * length
        print(f"{length:4d} sub-tokens: one by one {tokens / one_by_one:7.0f} sub-tokens/s, "
              f"batch of {SEQUENCES} {tokens / batched:7.0f} sub-tokens/s, "
              f"ratio {one_by_one / batched:.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
