"""Dev-split F1 of one checkpoint under two ways of turning the NER head's per-word
probabilities into entities: plain argmax per word, and the BIO-constrained best sequence the
product uses (:class:`trainer.tagging.BioConstraint`), both without the biases towards "nothing"
(``benchmarks/decision_bias.py`` measures those). One forward pass feeds both; relations
are then predicted over each decoding's entities, so end-to-end F1 shows the effect too.

    python benchmarks/ner_decoding.py --model runs/e5-1ep/checkpoint [--docs 34]
"""

from __future__ import annotations

import argparse
import sys
import time

from benchmarks.dev_split import add_split_arguments
from converters.console import plain
from trainer.config import DecisionBiases
from trainer.inference import entities_from, to_document
from trainer.predict import Predictor, add_precision_argument
from trainer.scoring import score_documents
from trainer.tokenization import split_sentences
from trainer.train import load_splits


def main() -> int:
    parser = argparse.ArgumentParser(description=plain(__doc__.split("\n\n")[0]))
    add_split_arguments(parser)
    parser.add_argument("--docs", type=int, default=0, help="first N documents of the split (0: all)")
    add_precision_argument(parser)
    args = parser.parse_args()
    gold, _ = load_splits(args.data, args.splits, args.split, "")
    gold = gold[:args.docs or None]
    engine = Predictor.load(args.model, precision=args.precision,
                            biases=DecisionBiases(outside=0, no_relation=0)).engine
    per_document = [engine.prepare(d.text, split_sentences(d.text)) for d in gold]
    states = [state for group in per_document for state in group]
    started = time.perf_counter()
    matrices = engine.entity_probabilities(states)
    print(f"{len(gold)} {args.split} documents, {len(states)} sentences; NER pass "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    by_name = {d.name: d for d in gold}
    decoders = {"argmax per word": lambda matrix: matrix.argmax(-1),
                "BIO-constrained": engine.bio.best_tags}
    print(f"{'decoding':<18} {'NER P':>7} {'NER R':>7} {'NER F1':>7} {'e2e F1':>7} {'entities':>9}")
    for name, choose in decoders.items():
        for state, matrix in zip(states, matrices):
            state.entities = entities_from(matrix, choose(matrix), engine.labels)
            state.relations = []
        engine.link_relations(states)
        predicted = {d.name: to_document(d.name, d.text, group)
                     for d, group in zip(gold, per_document)}
        scores = score_documents(by_name, predicted)
        ner, relations = scores["ner"], scores["relations"]
        count = sum(len(d.entities) for d in predicted.values())
        print(f"{name:<18} {ner['precision']:7.4f} {ner['recall']:7.4f} {ner['f1']:7.4f} "
              f"{relations['f1']:7.4f} {count:9d}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
