"""``Predictor``: a checkpoint loaded once, answering batched, thread-safe predictions; and the
``python -m trainer predict`` command that pre-annotates a brat collection."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import torch

from converters.console import plural
from converters.document import Document
from trainer.checkpoint import Loaded, load_checkpoint
from trainer.config import (AUTO_PRECISION, DEFAULT_NO_RELATION_BIAS, DEFAULT_OUTSIDE_BIAS,
                            INFERENCE_PRECISIONS, SHIPPED_MODEL, DecisionBiases)
from trainer.errors import (
    BAD_INPUT_COLLECTION, EMPTY_INPUT_COLLECTION, PREDICT_OUTPUT_UNWRITABLE, TrainerError,
)
from trainer.examples import align
from trainer.inference import Engine, InferenceSettings, SentenceState, to_document
from trainer.runtime import resolve_device, resolve_precision
from trainer.tokenization import annotation_extents, merge_crossing, split_sentences


class Predictor:
    """Entities and relations for raw texts, or relations for documents with gold entities."""

    def __init__(self, loaded: Loaded, device: torch.device, batch_size: int = 64,
                 precision: str = "auto", biases: DecisionBiases = DecisionBiases()):
        """``precision``: one of ``INFERENCE_PRECISIONS`` (see
        :func:`trainer.runtime.resolve_precision`); the biases: see :mod:`trainer.inference`."""
        self.loaded = loaded
        self.device = device
        self.precision = resolve_precision(precision, device)
        windows = loaded.config.model
        settings = InferenceSettings(windows.max_length, windows.stride,
                                     windows.relation_max_length, batch_size, self.precision,
                                     biases)
        self.engine = Engine(loaded.model.to(device), loaded.tokenizer, loaded.labels, device,
                             settings)

    @classmethod
    def load(cls, path: Path | str, device: str = "auto", batch_size: int = 64,
             precision: str = "auto", biases: DecisionBiases = DecisionBiases()) -> Predictor:
        chosen = resolve_device(device)
        return cls(load_checkpoint(Path(path), chosen), chosen, batch_size, precision,
                   biases)

    @property
    def version(self) -> str:
        return self.loaded.version

    @property
    def entity_types(self) -> list[str]:
        return list(self.loaded.labels.entity_types)

    @property
    def relation_types(self) -> list[str]:
        return list(self.loaded.labels.relation_types)

    def predict(self, texts: Sequence[str], names: Sequence[str] | None = None,
                batch_size: int | None = None) -> list[Document]:
        """Entities and relations, each with a ``score``; one batched pass for all texts."""
        names = list(names) if names is not None else [f"doc{i}" for i in range(len(texts))]
        per_text = [self.engine.prepare(text, split_sentences(text)) for text in texts]
        states = [state for group in per_text for state in group]
        self.engine.tag_entities(states, batch_size)
        self.engine.link_relations(states, batch_size)
        return [to_document(name, text, group)
                for name, text, group in zip(names, texts, per_text)]

    def predict_relations(self, documents: Sequence[Document],
                          batch_size: int | None = None) -> list[Document]:
        """Relations over the documents' own (gold) entities; entities not on word boundaries
        take part in no relation."""
        per_document = [self.gold_entity_states(document) for document in documents]
        self.engine.link_relations([s for group in per_document for s in group], batch_size,
                                   entities_given=True)
        return [to_document(document.name, document.text, states, keep_entities=document.entities)
                for document, states in zip(documents, per_document)]

    def gold_entity_states(self, document: Document) -> list[SentenceState]:
        """The document's sentences (merged where a gold annotation crosses them) holding its
        gold entities, ready for :meth:`Engine.link_relations`."""
        gold_only = Document(document.name, document.text, entities=document.entities)
        sentences = merge_crossing(split_sentences(document.text), annotation_extents(gold_only))
        states = self.engine.prepare(document.text, sentences)
        for state, aligned in zip(states, align(gold_only, sentences).sentences):
            state.entity_ids = list(aligned.entities)
            state.entities = list(aligned.entities.values())
        return states


def progress_bar(documents: int, label: str):
    """One bar counting documents on stderr; commands open one at a time, so logs never hold
    the cursor-up escapes of stacked bars."""
    from tqdm import tqdm

    return tqdm(total=documents, desc=label, unit="doc", dynamic_ncols=True)


def add_precision_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--precision", choices=INFERENCE_PRECISIONS, default="auto",
                        help=f"{AUTO_PRECISION} (bf16: same dev F1, faster)")


def add_bias_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--outside-bias", type=float, default=DEFAULT_OUTSIDE_BIAS,
                        help="odds of the tag O × e^BIAS before entities are decoded "
                             "(0: plain most probable tags; see trainer/inference.py)")
    parser.add_argument("--no-relation-bias", type=float, default=DEFAULT_NO_RELATION_BIAS,
                        help="odds of 'no relation' × e^BIAS between predicted entities")


def biases_from(args: argparse.Namespace) -> DecisionBiases:
    """The biases given by :func:`add_bias_arguments`' flags."""
    return DecisionBiases(args.outside_bias, args.no_relation_bias)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, default=SHIPPED_MODEL,
                        help="checkpoint directory (default: the shipped model, %(default)s)")
    parser.add_argument("src", type=Path, help="brat collection to pre-annotate (directory or .zip)")
    parser.add_argument("-o", "--output", required=True, type=Path,
                        help="directory to write the annotated collection into")
    parser.add_argument("--keep-existing", action="store_true",
                        help="keep the collection's annotations and add only new entities that "
                             "overlap none of them (and relations between kept entities)")
    parser.add_argument("--force", action="store_true", help="replace an existing output directory")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    add_precision_argument(parser)
    add_bias_arguments(parser)
    parser.add_argument("--batch-size", type=int, default=64, help="examples per forward pass")


def run_command(args: argparse.Namespace) -> int:
    from converters.annotation_conf import format_annotation_conf
    from converters.brat import read_collection, write_collection
    from converters.errors import ConversionError
    from trainer.merge import add_predictions
    from trainer.report import ProgressPredictor

    try:
        collection = read_collection(args.src)
    except ConversionError as error:
        raise TrainerError(BAD_INPUT_COLLECTION, f"cannot read the collection to annotate: {error}",
                           path=args.src, hint="give a brat directory or .zip") from None
    documents = collection.documents
    if not documents:
        raise TrainerError(
            EMPTY_INPUT_COLLECTION, "the collection holds no .txt documents", path=args.src,
            hint="give a folder with .txt files (with or without .ann)")
    for document in documents:
        if not split_sentences(document.text):
            print(f"warning: {document.name}: no sentences (empty or blank text); written "
                  "without new annotations", file=sys.stderr)
    predictor = Predictor.load(args.model, args.device, args.batch_size, args.precision,
                               biases_from(args))
    with progress_bar(len(documents), "predict") as bar:
        stepped = ProgressPredictor(predictor, lambda _step, done: bar.update(done - bar.n))
        predicted = stepped.predict([d.text for d in documents], [d.name for d in documents])
    if args.keep_existing:
        predicted = [add_predictions(old, new) for old, new in zip(documents, predicted)]
    # brat needs the types declared to display them: the collection's own file (from a folder
    # or a .zip), else one declaring what the model predicts.
    conf_text = (collection.conf.source if collection.conf is not None
                 else format_annotation_conf(predictor.entity_types, predictor.relation_types))
    try:
        write_collection(predicted, args.output, conf_text, overwrite=args.force)
    except ConversionError as error:
        raise TrainerError(
            PREDICT_OUTPUT_UNWRITABLE, f"cannot write the annotated collection: {error.message}",
            path=args.output, hint="choose a new --output or pass --force") from None
    entities = sum(len(d.entities) for d in predicted)
    relations = sum(len(d.relations) for d in predicted)
    print(f"{plural(len(predicted), 'document')}, {plural(entities, 'entity')}, "
          f"{plural(relations, 'relation')} -> "
          f"{args.output} (model {predictor.version})")
    return 0
