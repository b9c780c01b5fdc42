"""Sentences per second of full pre-annotation (entities + relations) on the dev split:
the batched Predictor path versus a naive loop (one sentence, one main entity per forward pass).

Both paths run the same model code; the naive loop only uses a batch size of 1, and each is
timed on its second pass over the sample (steady state, as in a running backend). The script
checks in fp32 that both give the same entities and relations (types, offsets, arguments;
scores within 1e-3), prints the speed ratio, and repeats both paths under bf16 autocast with
the batched F1 next to fp32's, so that bf16 is offered only where it holds the F1. Where the CPU
has no native bf16 (emulated: several times slower) that repeat is skipped unless ``--bf16``
asks for it.

    python benchmarks/inference_speed.py --model runs/e5-4ep/checkpoint --sentences 200
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from benchmarks.dev_split import add_split_arguments
from converters.brat import read_collection
from converters.console import plain
from converters.document import Document, Span
from trainer.predict import Predictor
from trainer.runtime import native_bf16
from trainer.scoring import score_documents
from trainer.tokenization import split_sentences, training_sentences

SCORE_TOLERANCE = 1e-3
# Environment variables with which oneDNN or MKL compute fp32 products in bf16 or tf32.
FP32_PRECISION_VARIABLES = ("ONEDNN_DEFAULT_FPMATH_MODE", "DNNL_DEFAULT_FPMATH_MODE",
                            "MKL_BLAS_COMPUTE_MODE")


def dev_sample(data: Path, splits: Path, split: str, sentences: int, seed: int
               ) -> list[Document]:
    """``sentences`` sentences drawn at random from the whole split, each as its own document
    with the gold annotations that lie inside it (offsets moved to the sentence's text).

    A sample across all documents keeps the mix of short and long sentences of the split; the
    first sentences of one document (a title block, a table) would not.
    """
    by_name = {d.name: d for d in read_collection(data).documents}
    pool = [(name, sentence)
            for name in json.loads(splits.read_text(encoding="utf-8"))[split]
            for sentence in training_sentences(by_name[name])]
    if sentences < len(pool):
        pool = random.Random(seed).sample(pool, sentences)
    return [sentence_document(by_name[name], sentence.start, sentence.end)
            for name, sentence in pool]


def sentence_document(document: Document, start: int, end: int) -> Document:
    inside = [e for e in document.entities if e.start >= start and e.end <= end]
    entities = [replace(e, spans=tuple(Span(s.start - start, s.end - start) for s in e.spans))
                for e in inside]
    kept = {e.id for e in inside}
    relations = [r for r in document.relations if r.arg1 in kept and r.arg2 in kept]
    return Document(f"{document.name}@{start}", document.text[start:end], entities, relations)


def timed(predictor: Predictor, documents: list[Document], batch_size: int
          ) -> tuple[list[Document], float]:
    """The second of two passes over the sample: the first allocates buffers and creates the
    kernels for each input shape (oneDNN builds them per shape; on an AMX CPU that made the
    first batched bf16 pass 20% slower), which a long-running backend does once."""
    texts, names = [d.text for d in documents], [d.name for d in documents]
    predictor.predict(texts, names, batch_size)
    started = time.perf_counter()
    predicted = predictor.predict(texts, names, batch_size)
    return predicted, time.perf_counter() - started


def comparable(document: Document) -> tuple:
    spans = {e.id: (e.type, e.start, e.end) for e in document.entities}
    return (sorted(spans.values()),
            sorted((r.type, spans[r.arg1], spans[r.arg2]) for r in document.relations))


def differences(first: list[Document], second: list[Document],
                tolerance: float = SCORE_TOLERANCE) -> tuple[list[str], float]:
    """Texts whose entities or relations differ, or whose entity scores differ by more than
    ``tolerance``; and the largest entity-score gap, printed so that a mismatch on some CPU
    says how far apart the two paths were."""
    problems, largest_gap = [], 0.0
    for a, b in zip(first, second):
        if comparable(a) != comparable(b):
            problems.append(f"{a.name}: different entities or relations")
            continue
        scores_a = sorted((e.start, e.score) for e in a.entities)
        scores_b = sorted((e.start, e.score) for e in b.entities)
        gap = max((abs(x[1] - y[1]) for x, y in zip(scores_a, scores_b)), default=0.0)
        largest_gap = max(largest_gap, gap)
        if gap > tolerance:
            problems.append(f"{a.name}: entity scores differ by {gap:.4f}")
    return problems, largest_gap


def verdict(problems: list[str], texts: int) -> str:
    """``yes``, or how many texts differ and the first five of them."""
    if not problems:
        return "yes"
    return f"NO on {len(problems)} of {texts} texts: " + "; ".join(problems[:5])


def speed(label: str, sentences: int, seconds: float) -> str:
    """One aligned line of the speed table: the path and its sentences per second."""
    return f"{label + ':':32}{sentences / seconds:8.2f} sentences/s"


def fp32_settings() -> str:
    """What may let fp32 matrix products run at lower internal precision: if batched and naive
    scores disagree on some CPU, these say whether the fp32 path was really fp32."""
    settings = [f"fp32 matmul precision {torch.get_float32_matmul_precision()}",
                f"oneDNN matmul {torch.backends.mkldnn.matmul.fp32_precision}"]
    settings += [f"{name}={os.environ[name]}" for name in FP32_PRECISION_VARIABLES
                 if name in os.environ]
    return ", ".join(settings)


def f1s(gold: list[Document], predicted: list[Document]) -> str:
    scores = score_documents({d.name: d for d in gold}, {d.name: d for d in predicted})
    return f"NER F1 {scores['ner']['f1']:.4f}, end-to-end relation F1 {scores['relations']['f1']:.4f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=plain(__doc__.split("\n\n")[0]))
    add_split_arguments(parser)
    parser.add_argument("--sentences", type=int, default=200,
                        help="sentences drawn at random from the whole split")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sentence sample")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--bf16", action="store_true",
                        help="time bf16 even where this CPU only emulates it")
    args = parser.parse_args()
    torch.manual_seed(0)
    if args.threads:
        torch.set_num_threads(args.threads)
    documents = dev_sample(args.data, args.splits, args.split, args.sentences, args.seed)
    sentences = sum(len(split_sentences(d.text)) for d in documents)
    print(f"{len(documents)} texts drawn from the {args.split} split (seed {args.seed}), "
          f"{sentences} sentences, {torch.get_num_threads()} threads", flush=True)
    print(f"CPU: {torch.backends.cpu.get_cpu_capability()}; {fp32_settings()}", flush=True)
    # fp32 spelled out: the library default "auto" is bf16 on a CPU with native bf16, and the
    # identity check needs the full-precision reference.
    fp32 = Predictor.load(args.model, device="cpu", batch_size=args.batch_size, precision="fp32")
    batched, batched_seconds = timed(fp32, documents, args.batch_size)
    naive, naive_seconds = timed(fp32, documents, 1)
    problems, largest_gap = differences(batched, naive)
    entities = sum(len(d.entities) for d in batched)
    relations = sum(len(d.relations) for d in batched)
    print(f"output: {entities} entities, {relations} relations; batched == naive: "
          f"{verdict(problems, len(documents))} "
          f"(largest entity-score gap {largest_gap:.4f}, tolerance {SCORE_TOLERANCE})")
    print(speed(f"naive loop ({fp32.precision}, batch 1)", sentences, naive_seconds))
    print(speed(f"batched {fp32.precision} (batch {args.batch_size})", sentences, batched_seconds)
          + f"  ratio {naive_seconds / batched_seconds:.2f}x")
    print(f"{fp32.precision}: {f1s(documents, batched)}", flush=True)
    if args.bf16 or native_bf16(torch.device("cpu")):
        bf16 = Predictor.load(args.model, device="cpu", batch_size=args.batch_size,
                              precision="bf16")
        half, half_seconds = timed(bf16, documents, args.batch_size)
        half_naive, half_naive_seconds = timed(bf16, documents, 1)
        # bf16 keeps about 3 significant digits and batch shapes change the rounding, so its
        # scores are compared for the record, not held to the fp32 tolerance.
        half_problems, half_gap = differences(half, half_naive, tolerance=math.inf)
        print(speed("naive loop (bf16, batch 1)", sentences, half_naive_seconds)
              + f"; batched == naive: {verdict(half_problems, len(documents))}"
              f" (largest entity-score gap {half_gap:.4f})")
        print(speed(f"batched bf16 (batch {args.batch_size})", sentences, half_seconds)
              + f"  ratio {half_naive_seconds / half_seconds:.2f}x over the bf16 naive loop, "
              f"{naive_seconds / half_seconds:.2f}x over the fp32 one")
        print(f"bf16: {f1s(documents, half)}")
    else:
        print("bf16: skipped, this CPU has no native bf16 (--bf16 times it anyway)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
