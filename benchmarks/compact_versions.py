"""Compact model versions: size on disk, load time with the base in memory, and resident memory
with one and with five versions loaded.

Five distinct versions are copies of the shipped one with a different head bias each (their
weights differ, their sizes do not). Every version is loaded as the backend loads it, sharing the
base's unchanged tensors. Prints one JSON object.

    .venv/bin/python benchmarks/compact_versions.py            # the shipped model
    .venv/bin/python benchmarks/compact_versions.py --model DIR
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from converters.console import plain
from trainer.config import SHIPPED_MODEL

VERSIONS = 5
TEXT = ("Доля сельского населения Алтайского края увеличилась в 2019 году. Основная задача "
        "администрации - модернизация инфраструктуры жилищно-коммунального хозяйства.")


def resident_mib() -> float:
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def distinct_copies(model: Path, count: int, root: Path) -> list[Path]:
    from safetensors.torch import load_file, save_file

    copies = []
    for index in range(count):
        copy = root / f"version-{index}"
        shutil.copytree(model, copy)
        stored = load_file(str(copy / "delta.safetensors"))
        stored["model:ner_head.bias"] += 0.001 * index
        save_file(stored, str(copy / "delta.safetensors"), metadata={"format": "pt"})
        copies.append(copy)
    return copies


def main() -> None:
    parser = argparse.ArgumentParser(description=plain(__doc__.splitlines()[0]))
    parser.add_argument("--model", type=Path, default=SHIPPED_MODEL, help="a delta checkpoint")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    args = parser.parse_args()

    import torch

    from trainer.base_encoder import load_base
    from trainer.checkpoint import load_checkpoint
    from trainer.predict import Predictor

    torch.set_num_threads(args.threads)
    meta = json.loads((args.model / "config.json").read_text(encoding="utf-8"))
    before_base = resident_mib()
    started = time.perf_counter()
    load_base(meta["base"]["name"])
    base_seconds = time.perf_counter() - started
    base_mib = resident_mib() - before_base

    with tempfile.TemporaryDirectory() as scratch:
        copies = distinct_copies(args.model, VERSIONS, Path(scratch))
        load_seconds, loaded, resident = [], [], [resident_mib()]
        for copy in copies:
            started = time.perf_counter()
            loaded.append(load_checkpoint(copy))
            load_seconds.append(time.perf_counter() - started)
            resident.append(resident_mib())
        predictions = [Predictor(version, torch.device("cpu")).predict([TEXT])[0]
                       for version in loaded]

    per_version = [after - before for before, after in zip(resident, resident[1:])]
    print(json.dumps({
        "model": str(args.model),
        "delta_bytes": (args.model / "delta.safetensors").stat().st_size,
        "directory_bytes": sum(path.stat().st_size for path in args.model.iterdir()),
        "base_load_seconds": round(base_seconds, 2),
        "base_resident_mib": round(base_mib, 1),
        "version_load_seconds": [round(seconds, 3) for seconds in load_seconds],
        "version_load_seconds_median": round(statistics.median(load_seconds), 3),
        "resident_mib_base_only": round(resident[0], 1),
        "resident_mib_base_plus_1_version": round(resident[1], 1),
        "first_version_mib": round(per_version[0], 1),
        "resident_mib_base_plus_5_versions": round(resident[-1], 1),
        "extra_version_mib": [round(mib, 1) for mib in per_version[1:]],
        "extra_version_share_of_base": round(max(per_version[1:]) / base_mib, 3),
        "entities_and_relations_per_version": [f"{len(document.entities)} / {len(document.relations)}"
                                               for document in predictions],
        "threads": args.threads,
    }, indent=2))


if __name__ == "__main__":
    main()
