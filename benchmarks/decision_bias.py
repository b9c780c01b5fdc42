"""Dev-split F1 when the decoders lean towards "nothing": a log-odds bias added to the NER tag
``O`` before the BIO-constrained search, and one added to "no relation" before a pair's outcome
is chosen (:func:`trainer.inference.towards_nothing`). Bias 0 is the plain most probable
outcome; a positive bias trades recall for precision. The rows at the product's defaults
(``DEFAULT_OUTSIDE_BIAS``, ``DEFAULT_NO_RELATION_BIAS``; no bias on gold entities) are what
``trainer evaluate`` reports.

One NER pass and one relation pass per entity set feed every bias, so the sweep costs about one
``trainer evaluate``. Tracks: NER, relations with gold entities, end-to-end (relations over the
entities of each NER bias).

    python benchmarks/decision_bias.py --model runs/e5-4ep/checkpoint --docs 10
"""

from __future__ import annotations

import argparse
import sys
import time

from benchmarks.dev_split import add_split_arguments
from converters.console import plain
from trainer.inference import (Engine, SentenceState, entities_from, to_document,
                               towards_nothing)
from trainer.predict import Predictor, add_precision_argument
from trainer.scoring import score_documents
from trainer.tokenization import split_sentences
from trainer.train import load_splits


def relation_f1s(engine: Engine, per_document: list[list[SentenceState]], gold: dict,
                 biases: list[float], gold_entities: bool) -> list[dict]:
    """Scores of the documents' current entities (the gold ones or predicted ones) with the
    relations of each no-relation bias."""
    states = [state for group in per_document for state in group]
    distributions = engine.pair_distributions(states)
    results = []
    for bias in biases:
        for state in states:
            state.relations = []
        for key, combined in distributions.items():
            engine.add_relation(states, key, combined, bias)
        predicted = {name: to_document(name, document.text, group,
                                       document.entities if gold_entities else None)
                     for (name, document), group in zip(gold.items(), per_document)}
        scores = score_documents(gold, predicted)
        scores["ner"]["predicted"] = sum(len(d.entities) for d in predicted.values())
        scores["relations"]["predicted"] = sum(len(d.relations) for d in predicted.values())
        results.append(scores)
    return results


def line(label: str, scores: dict) -> str:
    return (f"{label:<44} {scores['predicted']:7d} {scores['precision']:7.4f} "
            f"{scores['recall']:7.4f} {scores['f1']:7.4f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=plain(__doc__.split("\n\n")[0]))
    add_split_arguments(parser)
    parser.add_argument("--docs", type=int, default=0, help="first N documents of the split (0: all)")
    parser.add_argument("--outside-biases", type=float, nargs="+", default=[0, 0.5, 1, 1.5, 2])
    parser.add_argument("--relation-biases", type=float, nargs="+", default=[0, 0.5, 1, 1.5, 2, 3])
    add_precision_argument(parser)
    args = parser.parse_args()
    documents, _ = load_splits(args.data, args.splits, args.split, "")
    documents = documents[:args.docs or None]
    gold = {d.name: d for d in documents}
    predictor = Predictor.load(args.model, precision=args.precision)
    engine = predictor.engine
    started = time.perf_counter()

    print(f"{len(documents)} {args.split} documents; columns: predicted, P, R, F1")
    per_document = [predictor.gold_entity_states(d) for d in documents]
    for bias, scores in zip(args.relation_biases,
                            relation_f1s(engine, per_document, gold, args.relation_biases, True)):
        print(line(f"relations, gold entities, no-relation bias {bias:g}", scores["relations"]),
              flush=True)

    per_document = [engine.prepare(d.text, split_sentences(d.text)) for d in documents]
    states = [state for group in per_document for state in group]
    matrices = engine.entity_probabilities(states)
    for outside in args.outside_biases:
        for state, matrix in zip(states, matrices):
            tags = engine.bio.best_tags(towards_nothing(matrix, outside))
            state.entities = entities_from(matrix, tags, engine.labels)
        scores = relation_f1s(engine, per_document, gold, args.relation_biases, False)
        print(line(f"NER, O bias {outside:g}", scores[0]["ner"]), flush=True)
        for bias, result in zip(args.relation_biases, scores):
            print(line(f"  end-to-end, no-relation bias {bias:g}", result["relations"]), flush=True)
    print(f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
