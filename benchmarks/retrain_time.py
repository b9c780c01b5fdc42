"""Wall time of one real retraining job: 50 RuREBus documents, the offline default encoder, this machine.

    .venv/bin/python benchmarks/retrain_time.py [--docs 50] [--epochs 3] [--init-from CHECKPOINT]
                                                [--corpus ../shared/data/rurebus] [--device auto]

It runs ``retraining.job.retrain_project`` itself (the function the RQ worker runs) against a local
HTTP server that answers like Label Studio's project and export endpoints, serving the first
``--docs`` documents of the ``train`` split as annotated tasks. So the time covers the whole job:
export through label-studio-sdk, conversion, scoring the current model on the held-out 20 %,
fine-tuning, scoring the new model, publishing. Without ``--init-from`` the project has no model
yet and training starts from the encoder (the first Start Training of a project); with it, it
fine-tunes that checkpoint (later presses, via ``DEFAULT_MODEL``). Prints one JSON object: total
seconds, seconds per stage, the device, the held-out scores.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

from converters.console import plain
from scripts.fake_label_studio import ExportServer
from scripts.project_export import export_tasks, label_config_for, read_documents
from trainer.encoder import DEFAULT_ENCODER
from trainer.corpus import TEAM_CORPUS

PROJECT_ID = 1
TOKEN = "benchmark-token"


class StageClock(logging.Handler):
    """Timestamps of the job's ``stage`` log lines, turned into seconds per stage."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.marks: list[tuple[str, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if ": stage " in message:
            self.marks.append((message.split(": stage ", 1)[1].split(" ", 1)[0], time.monotonic()))

    def seconds_per_stage(self) -> dict[str, float]:
        return {stage: round(end - start, 1)
                for (stage, start), (_, end) in zip(self.marks, self.marks[1:])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=plain(__doc__.split("\n")[0]))
    parser.add_argument("--corpus", type=Path, default=TEAM_CORPUS)
    parser.add_argument("--docs", type=int, default=50, help="documents served as annotated tasks")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--encoder", default=DEFAULT_ENCODER,
                        help="encoder to start from when there is no --init-from")
    parser.add_argument("--init-from", type=Path, help="checkpoint to fine-tune (as DEFAULT_MODEL)")
    parser.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda")
    parser.add_argument("--config", type=Path,
                        help="TrainingConfig JSON for the job (RETRAIN_CONFIG); --epochs, --device "
                             "and --encoder override it")
    args = parser.parse_args(argv)

    names = json.loads((args.corpus / "splits.json").read_text())["train"][: args.docs]
    documents = read_documents(args.corpus, tuple(names))
    server = ExportServer(token=TOKEN, label_config=label_config_for(documents))
    server.projects[PROJECT_ID] = export_tasks(documents, server.label_config)
    server.start()
    clock = StageClock()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("retraining.job").addHandler(clock)
    with tempfile.TemporaryDirectory(prefix="retrain-benchmark-") as scratch:
        config = Path(scratch) / "retrain.json"
        options = json.loads(args.config.read_text()) if args.config else {}
        options.update(encoder=args.encoder, epochs=args.epochs, device=args.device)
        config.write_text(json.dumps(options))
        os.environ.update(MODEL_DIR=str(Path(scratch) / "models"), RETRAIN_CONFIG=str(config))
        if args.init_from:
            os.environ["DEFAULT_MODEL"] = str(args.init_from)
        from retraining.job import retrain_project

        started = time.monotonic()
        try:
            outcome = retrain_project(str(PROJECT_ID), server.url, TOKEN, "benchmark")
        finally:
            server.stop()
        seconds = time.monotonic() - started
    print(json.dumps({
        "seconds": round(seconds, 1),
        "stages": clock.seconds_per_stage(),
        "documents": len(documents),
        "train_tasks": len(outcome["train_task_ids"]),
        "holdout_tasks": len(outcome["holdout_task_ids"]),
        "epochs": args.epochs,
        "device": outcome["device"],
        "cpu_count": os.cpu_count(),
        "headline_f1": outcome["headline"],
        "started_from": str(args.init_from) if args.init_from else args.encoder,
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
