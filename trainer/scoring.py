"""The official RuREBus scorer (``../shared/data/rurebus/README.md``, "How the official scorer counts").

* Micro precision/recall/F1, counted over the gold documents; a gold document without a
  prediction counts all its gold items as false negatives; predictions for documents that are
  not in the gold are ignored.
* An entity is ``(type, start, end)``; entities with several fragments are dropped on both sides.
* A relation is its type plus the *unordered* pair of its arguments, each compared as the
  argument entity's ``(type, start, end)``; relations touching a dropped entity are dropped too.
* Each side is a set: a duplicate prediction is neither a second true positive nor a false
  positive (and a duplicated gold line is one gold item).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from converters.console import plural
from converters.document import Document
from trainer.errors import NO_GOLD_DOCUMENTS, NO_PREDICTIONS_DIR, TrainerError

EntityKey = tuple[str, int, int]
RelationKey = tuple[str, frozenset[EntityKey]]


@dataclass
class Counts:
    """True positives, false positives and false negatives, overall and per type."""

    tp: Counter = field(default_factory=Counter)
    fp: Counter = field(default_factory=Counter)
    fn: Counter = field(default_factory=Counter)

    def add(self, gold: set, pred: set) -> None:
        for key in gold & pred:
            self.tp[key[0]] += 1
        for key in pred - gold:
            self.fp[key[0]] += 1
        for key in gold - pred:
            self.fn[key[0]] += 1

    def summary(self) -> dict:
        types = sorted(set(self.tp) | set(self.fp) | set(self.fn))
        per_type = {name: {**prf(self.tp[name], self.fp[name], self.fn[name]),
                           "tp": self.tp[name], "fp": self.fp[name], "fn": self.fn[name]}
                    for name in types}
        totals = prf(sum(self.tp.values()), sum(self.fp.values()), sum(self.fn.values()))
        return {**totals, "per_type": per_type}


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall and F1; 0.0 where a denominator is empty (as the official script does)."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def entity_keys(doc: Document) -> dict[str, EntityKey]:
    """Single-fragment entities by id, as ``(type, start, end)``."""
    return {entity.id: (entity.type, entity.start, entity.end)
            for entity in doc.entities if len(entity.spans) == 1}


def relation_keys(doc: Document) -> set[RelationKey]:
    entities = entity_keys(doc)
    return {(relation.type, frozenset((entities[relation.arg1], entities[relation.arg2])))
            for relation in doc.relations
            if relation.arg1 in entities and relation.arg2 in entities}


def score_documents(gold: dict[str, Document], pred: dict[str, Document]) -> dict:
    """Score ``pred`` against ``gold`` (both keyed by document name).

    Returns ``{"ner": {"precision", "recall", "f1", "per_type": {TYPE: {precision, recall, f1,
    tp, fp, fn}}}, "relations": {same}}``.
    """
    ner, relations = Counts(), Counts()
    empty = Document(name="", text="")
    for name, gold_doc in gold.items():
        pred_doc = pred.get(name, empty)
        ner.add(set(entity_keys(gold_doc).values()), set(entity_keys(pred_doc).values()))
        relations.add(relation_keys(gold_doc), relation_keys(pred_doc))
    return {"ner": ner.summary(), "relations": relations.summary()}


def format_scores(scores: dict, title: str | None = None) -> str:
    """A plain-text table: one block per track, overall first, then each type with its counts."""
    lines = [title] if title else []
    for track, result in scores.items():
        lines.append(track)
        lines.append(f"  {'type':<10} {'P':>7} {'R':>7} {'F1':>7} {'TP':>6} {'FP':>6} {'FN':>6}")
        per_type = result["per_type"].values()
        totals = [sum(row[count] for row in per_type) for count in ("tp", "fp", "fn")]
        lines.append(_row("overall", result, totals))
        for name, row in result["per_type"].items():
            lines.append(_row(name, row, [row["tp"], row["fp"], row["fn"]]))
        lines.append("")
    return "\n".join(lines)


def _row(label: str, result: dict, counts: Iterable[int]) -> str:
    numbers = " ".join(f"{count:>6}" for count in counts)
    return (f"  {label:<10} {result['precision']:>7.4f} {result['recall']:>7.4f} "
            f"{result['f1']:>7.4f} {numbers}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("gold", type=Path, metavar="GOLD_DIR", help="brat collection with the gold annotations")
    parser.add_argument("pred", type=Path, metavar="PRED_DIR",
                        help="brat collection with the predictions (.ann files; a missing one scores as empty)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def read_gold(gold_src: Path) -> dict[str, Document]:
    """A brat gold collection (directory or .zip) by document name; an empty one is an error."""
    from converters.brat import read_collection

    documents = read_collection(gold_src).documents
    if not documents:
        raise TrainerError(
            NO_GOLD_DOCUMENTS, "expected a brat collection with at least one .txt document, found none",
            path=gold_src, hint="point to the folder that holds the gold .txt/.ann pairs")
    return {doc.name: doc for doc in documents}


def offsets_only(ann: str, text: str) -> tuple[str, int]:
    """``ann`` with each entity's text column set to ``text`` at its offsets, and how many
    differed: the official scorer reads offsets alone, so a text column that disagrees (a
    trailing character cut, a line break replaced) is counted, not refused."""
    from converters.brat_ann import span_text
    from converters.document import Span

    lines, mismatches = [], 0
    for line in ann.split("\n"):
        fields = line.removesuffix("\r").split("\t")
        if len(fields) == 3 and fields[0].startswith("T"):
            try:
                spans = tuple(Span(*map(int, pair.split(" ")))
                              for pair in fields[1].partition(" ")[2].split(";"))
            except (TypeError, ValueError):
                spans = ()  # malformed: left for the parser to report
            if spans and all(0 <= span.start < span.end <= len(text) for span in spans):
                expected = span_text(text, spans)
                if fields[2] != expected:
                    mismatches += 1
                    line = "\t".join((fields[0], fields[1], expected))
        lines.append(line)
    return "\n".join(lines), mismatches


def read_predictions(pred_dir: Path, gold: dict[str, Document]
                     ) -> tuple[dict[str, Document], list[str], int]:
    """Each gold document's ``PRED_DIR/<name>.ann``, parsed against the gold text.

    Only .ann files are needed, as in the official scorer. Returns the predictions, the names
    of .ann files that have no gold document (ignored, but reported) and the number of entities
    whose text column differs from the gold text at their offsets (scored by offsets alone).
    """
    from converters.brat import parse_ann
    from converters.files import decode_utf8

    if not pred_dir.is_dir():
        raise TrainerError(
            NO_PREDICTIONS_DIR, "expected a directory of predicted .ann files", path=pred_dir,
            hint="write predictions with 'python -m trainer predict' or give the right path")
    predictions, mismatches = {}, 0
    for name, gold_doc in gold.items():
        path = pred_dir / f"{name}.ann"
        if path.is_file():
            ann, differing = offsets_only(decode_utf8(path.read_bytes(), path), gold_doc.text)
            mismatches += differing
            predictions[name], _ = parse_ann(gold_doc.text, ann, name, path, strict=True)
    extra = sorted(path.relative_to(pred_dir).with_suffix("").as_posix() for path in pred_dir.rglob("*.ann")
                   if path.relative_to(pred_dir).with_suffix("").as_posix() not in gold)
    return predictions, extra, mismatches


def run_command(args: argparse.Namespace) -> int:
    gold = read_gold(args.gold)
    pred, extra, mismatches = read_predictions(args.pred, gold)
    if mismatches:
        print(f"warning: {plural(mismatches, 'predicted entity', 'predicted entities')} "
              "whose text column differs from the gold text at its offsets; scored by offsets "
              "alone, as the official RuREBus scripts do", file=sys.stderr)
    scores = score_documents(gold, pred)
    if args.json:
        print(json.dumps(scores, indent=2))
        return 0
    missing = len(set(gold) - set(pred))
    notes = [f"{missing} without predictions, scored as empty"] if missing else []
    notes += [f"{plural(len(extra), 'prediction file')} without gold, ignored"] if extra else []
    title = plural(len(gold), "gold document") + (f" ({'; '.join(notes)})" if notes else "")
    print(format_scores(scores, title))
    return 0
