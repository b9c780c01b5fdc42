"""``python -m trainer evaluate``: a model over a gold brat collection, scored on the three tracks.

Tracks (as in RuREBus-2020, defined in :mod:`trainer.tracks`): ``ner`` — entities predicted
from raw text; ``relations_gold_entities`` — relations predicted over the gold entities;
``end_to_end`` — relations predicted from raw text, counted only when both predicted arguments
match gold entities exactly. Each is scored with the
official rules (:mod:`trainer.scoring`). The report is ``report.json`` (the full results),
``report.txt`` (a readable table) and ``per_type_f1.png`` (a bar chart of per-type F1).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from converters.document import Document
from converters.files import atomic_write_text
from trainer.config import SHIPPED_MODEL
from trainer.errors import BAD_RESULTS, TrainerError
from trainer.predict import (Predictor, add_bias_arguments, add_precision_argument, biases_from,
                             progress_bar)
from trainer.scoring import format_scores, read_gold

TRACKS = {"ner": "NER", "relations_gold_entities": "relations (gold entities)", "end_to_end": "end-to-end"}
REPORT_FILES = ("report.json", "report.txt", "per_type_f1.png")
DOCUMENTS_PER_STEP = 2
"""Documents per ``predict`` call: a RuREBus document has dozens of sentences, so two fill the
batches, and the bar moves every minute or so even on 2 busy CPU cores (8 took up to 7 min)."""


class ProgressPredictor:
    """A :class:`trainer.predict.Predictor` run a few documents at a time, reporting each step.

    ``trainer.tracks.evaluate_tracks`` (shared with training's dev evaluation) defines the tracks;
    this wrapper only adds progress and timing around the two predictor calls it makes.
    """

    def __init__(self, predictor, progress: Callable[[str, int], None]):
        self.predictor = predictor
        self.progress = progress
        self.seconds: dict[str, float] = {}

    def predict(self, texts: Sequence[str], names: Sequence[str] | None = None,
                batch_size: int | None = None) -> list[Document]:
        names = list(names) if names is not None else [f"doc{i}" for i in range(len(texts))]
        return self._in_steps("predict_from_text", list(zip(texts, names)), lambda chunk: self.predictor.predict(
            [text for text, _ in chunk], [name for _, name in chunk], batch_size))

    def predict_relations(self, documents: Sequence[Document], batch_size: int | None = None) -> list[Document]:
        return self._in_steps("predict_relations_given_entities", list(documents),
                              lambda chunk: self.predictor.predict_relations(chunk, batch_size))

    def _in_steps(self, step: str, items: list, run: Callable[[list], list[Document]]) -> list[Document]:
        started = time.perf_counter()
        results: list[Document] = []
        self.progress(step, 0)
        for start in range(0, len(items), DOCUMENTS_PER_STEP):
            results.extend(run(items[start:start + DOCUMENTS_PER_STEP]))
            self.progress(step, len(results))
        self.seconds[step] = round(time.perf_counter() - started, 2)
        return results


def evaluate(predictor, gold: dict[str, Document], progress: Callable[[str, int], None]) -> dict:
    """``{"tracks": {ner, relations_gold_entities, end_to_end}, "seconds": {...}}`` for ``gold``."""
    from trainer.tracks import evaluate_tracks

    wrapped = ProgressPredictor(predictor, progress)
    tracks = evaluate_tracks(wrapped, list(gold.values()))
    return {"tracks": tracks, "seconds": wrapped.seconds}


def format_report(results: dict) -> str:
    """The readable table: a summary line per track, then each track's per-type rows."""
    tracks = results["tracks"]
    summary = [f"{'track':<28} {'P':>7} {'R':>7} {'F1':>7}"]
    summary += [f"{TRACKS[name]:<28} {tracks[name]['precision']:>7.4f} {tracks[name]['recall']:>7.4f} "
                f"{tracks[name]['f1']:>7.4f}" for name in TRACKS if name in tracks]
    header = [f"{key}: {value}" for key, value in results.get("meta", {}).items()]
    details = format_scores({TRACKS[name]: tracks[name] for name in TRACKS if name in tracks})
    return "\n".join([*header, "", *summary, "", details])


def plot_per_type_f1(results: dict, path: Path) -> None:
    """Entity types (NER) on the left; relation types, gold entities vs end-to-end, on the right."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tracks = results["tracks"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [2, 3]})
    ner = tracks.get("ner", {"per_type": {}, "f1": 0.0})
    _bars(left, {TRACKS["ner"]: ner}, sorted(ner["per_type"]))
    relation_tracks = {TRACKS[name]: tracks[name] for name in ("relations_gold_entities", "end_to_end") if name in tracks}
    relation_types = sorted({type_ for track in relation_tracks.values() for type_ in track["per_type"]})
    _bars(right, relation_tracks, relation_types)
    left.set_title("entities")
    right.set_title("relations")
    figure.suptitle(str(results.get("meta", {}).get("model", "per-type F1")))
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _bars(axes, tracks: dict[str, dict], types: list[str]) -> None:
    width = 0.8 / max(len(tracks), 1)
    for index, (label, track) in enumerate(tracks.items()):
        positions = [position + (index - (len(tracks) - 1) / 2) * width for position in range(len(types))]
        values = [track["per_type"].get(type_, {}).get("f1", 0.0) for type_ in types]
        axes.bar(positions, values, width, label=f"{label} (F1 {track['f1']:.3f})")
    axes.set_xticks(range(len(types)), types, rotation=45)
    axes.set_ylim(0, 1)
    axes.set_ylabel("F1")
    axes.legend(loc="upper right", fontsize="small")


def write_report(results: dict, out_dir: Path) -> dict[str, Path]:
    """Write ``report.json``, ``report.txt`` and ``per_type_f1.png`` into ``out_dir``."""
    if "tracks" not in results or not results["tracks"]:
        raise TrainerError(BAD_RESULTS, "expected results with a non-empty 'tracks' mapping, found "
                                   f"keys {sorted(results)}", hint="build them with evaluate_tracks()")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / name for name in REPORT_FILES}
    atomic_write_text(paths["report.json"], json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(paths["report.txt"], format_report(results) + "\n")
    plot_per_type_f1(results, paths["per_type_f1.png"])
    return paths


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("gold", type=Path, metavar="GOLD", help="brat gold collection (directory or .zip)")
    parser.add_argument("--model", type=Path, default=SHIPPED_MODEL,
                        help="checkpoint directory (default: the shipped model, %(default)s)")
    parser.add_argument("--splits", type=Path, help="JSON file of named document lists: evaluate "
                                                    "only --split's documents of GOLD")
    parser.add_argument("--split", default="dev", help="the split to evaluate with --splits")
    parser.add_argument("-o", "--out", required=True, type=Path, help="directory for the report files")
    parser.add_argument("--device", default="auto", help="'auto', 'cpu' or 'cuda' (default: auto)")
    parser.add_argument("--batch-size", type=int, default=64, help="sentences per forward pass")
    add_precision_argument(parser)
    add_bias_arguments(parser)


def run_command(args: argparse.Namespace) -> int:
    if args.splits:
        from trainer.train import load_splits

        gold = {document.name: document
                for document in load_splits(args.gold, args.splits, args.split, "")[0]}
    else:
        gold = read_gold(args.gold)
    predictor = Predictor.load(args.model, device=args.device, batch_size=args.batch_size,
                               precision=args.precision, biases=biases_from(args))
    steps = {"predict_from_text": "predict from text", "predict_relations_given_entities":
             "predict relations (gold entities)"}
    bars = []  # one bar per step, the previous one closed first (two open bars interleave)

    def progress(step: str, done: int) -> None:
        if not bars or bars[-1].desc != steps[step]:
            if bars:
                bars[-1].close()
            bars.append(progress_bar(len(gold), steps[step]))
        bars[-1].update(done - bars[-1].n)

    results = evaluate(predictor, gold, progress)
    if bars:
        bars[-1].close()
    gold_source = f"{args.gold} ({args.split} split of {args.splits})" if args.splits else str(args.gold)
    results["meta"] = {"model": str(args.model), "version": predictor.version, "gold": gold_source,
                       "documents": len(gold), "device": str(predictor.device),
                       "precision": predictor.precision, "outside_bias": predictor.engine.settings.biases.outside,
                       "no_relation_bias": predictor.engine.settings.biases.no_relation}
    paths = write_report(results, args.out)
    print(format_report(results))
    print("written: " + ", ".join(str(path) for path in paths.values()))
    return 0
