"""``python -m converters brat2ls|ls2brat``: move a whole project between brat and Label Studio.

Exit status 0 on success (lenient mode included: skipped lines are printed, then summed up in
the summary, with the documents left out whole counted apart), 1 when the conversion failed;
errors print as ``path:line: [Cnnn] message (hint)``. What ``ls2brat`` writes always reads back
with ``brat2ls`` with the same annotations: a task that would not is an error (or, lenient,
skipped and listed).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from tqdm import tqdm

from converters.annotation_conf import AnnotationConf, format_annotation_conf
from converters.brat import Collection, read_collection, write_collection
from converters.console import plain, plural
from converters.document import Document
from converters.errors import BAD_LABEL_CONFIG, ConversionError
from converters.files import atomic_write_text, decode_utf8
from converters.labelstudio import (
    build_label_config, document_to_task, load_export, parse_label_config,
)
from converters.ls_export import CHOICES
from converters.names import TYPE_HINT, short, type_problem


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        summary = args.run(args)
    except ConversionError as error:
        print(error, file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(summary)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m converters", description=plain(__doc__))
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    to_ls = commands.add_parser("brat2ls", help="brat collection (directory or .zip) → LS tasks")
    to_ls.add_argument("src", type=Path, help="directory of .txt/.ann (searched recursively) or .zip")
    to_ls.add_argument("-o", "--output", type=Path, required=True, help="tasks JSON to write")
    to_ls.add_argument("--as", dest="as_", choices=("annotations", "predictions"),
                       default="annotations", help="import the brat annotations as (default: %(default)s)")
    to_ls.add_argument("--config-out", type=Path, help="write the labeling config XML here")
    to_ls.add_argument("--model-version", default="brat", help="model_version of --as predictions")
    to_ls.add_argument("--lenient", action="store_true",
                       help="skip bad lines (listed at the end) instead of stopping at the first")
    to_ls.set_defaults(run=_brat_to_label_studio)

    to_brat = commands.add_parser("ls2brat", help="Label Studio JSON export → brat collection")
    to_brat.add_argument("export", type=Path, help="the project's JSON export")
    to_brat.add_argument("-o", "--output", type=Path, required=True, help="directory to create")
    to_brat.add_argument("--annotation", choices=CHOICES, default="latest",
                         help="which annotation of a task to keep (default: %(default)s: the most "
                         "recently updated one; per-annotator: one folder per annotator)")
    to_brat.add_argument("--predictions", action="store_true",
                         help="use a task's latest prediction when it has no usable annotation")
    to_brat.add_argument("--config", type=Path,
                         help="labeling config XML; its labels go into annotation.conf")
    to_brat.add_argument("--text-key", default="text", help="task data key of the text")
    to_brat.add_argument("--force", action="store_true", help="replace an existing output directory")
    to_brat.add_argument("--lenient", action="store_true",
                         help="skip bad results (listed at the end) instead of stopping")
    to_brat.set_defaults(run=_label_studio_to_brat)
    return parser


def _brat_to_label_studio(args: argparse.Namespace) -> str:
    collection = read_collection(args.src, strict=not args.lenient, progress=_bar("reading"))
    entity_types, relation_types = _types(collection.documents, collection.conf)
    fragments = any(len(entity.spans) > 1 for doc in collection.documents for entity in doc.entities)
    config_xml = build_label_config(entity_types, relation_types, fragments=fragments)
    config = parse_label_config(config_xml)
    tasks = [document_to_task(doc, config, args.as_, args.model_version)
             for doc in _bar("converting")(collection.documents)]
    atomic_write_text(args.output, json.dumps(tasks, ensure_ascii=False, indent=1) + "\n")
    if args.config_out:
        atomic_write_text(args.config_out, config_xml)
    _print_skipped(collection)
    return _summary("brat2ls", collection, args.output, ("line", "document", "annotation line"))


def _label_studio_to_brat(args: argparse.Namespace) -> str:
    collection = load_export(args.export, args.annotation, args.predictions,
                             strict=not args.lenient, text_key=args.text_key,
                             progress=_bar("converting"))
    entity_types, relation_types = _types(collection.documents, None)
    if args.config:
        config = parse_label_config(decode_utf8(args.config.read_bytes(), args.config), args.config)
        entity_types = list(dict.fromkeys(
            _conf_types(config.entity_labels, args.config, collection, args.lenient) + entity_types))
        relation_types = list(dict.fromkeys(
            _conf_types(config.relation_labels, args.config, collection, args.lenient) + relation_types))
    write_collection(collection.documents, args.output,
                     format_annotation_conf(entity_types, relation_types), overwrite=args.force,
                     progress=_bar("writing"))
    _print_skipped(collection)
    return _summary("ls2brat", collection, args.output, ("line", "task", "result"))


def _conf_types(labels: list[str], path: Path, collection: Collection, lenient: bool
                ) -> list[str]:
    """The config's labels that can be brat types; C020 for another (lenient: left out, listed)."""
    kept = []
    for label in labels:
        if problem := type_problem(label):
            error = ConversionError(BAD_LABEL_CONFIG, f"label {short(label)} {problem}; "
                                    "left out of annotation.conf", path, hint=TYPE_HINT)
            if lenient:
                collection.skipped.append(error)
                continue
            raise error
        kept.append(label)
    return kept


def _bar(stage: str) -> Callable[[Iterable], Iterable]:
    """A tqdm progress bar on stderr when it is a terminal (none in logs and pipes)."""
    return lambda items: tqdm(items, desc=stage, unit="doc", disable=None)


def _types(documents: list[Document], conf: AnnotationConf | None) -> tuple[list[str], list[str]]:
    """Entity and relation types: annotation.conf's first (in its order), then any others seen."""
    declared_entities = conf.entity_types + conf.event_types if conf else []
    declared_relations = conf.relation_types if conf else []
    seen_entities = sorted({entity.type for doc in documents for entity in doc.entities})
    seen_relations = sorted({relation.type for doc in documents for relation in doc.relations})
    return (list(dict.fromkeys(declared_entities + seen_entities)),
            list(dict.fromkeys(declared_relations + seen_relations)))


def _print_skipped(collection: Collection) -> None:
    for error in collection.skipped:
        print(f"skipped: {error}", file=sys.stderr)


def _summary(command: str, collection: Collection, output: Path,
             words: tuple[str, str, str]) -> str:
    """Counts of what was converted; ``words`` name a skipped line, a document left out whole
    and what went with it, in the singular (line, task, result for ls2brat)."""
    documents = collection.documents
    entities = sum(len(doc.entities) for doc in documents)
    relations = sum(len(doc.relations) for doc in documents)
    whole = [error for error in collection.skipped if error.dropped_annotations is not None]
    lines = len(collection.skipped) - len(whole)
    dropped = (f", {plural(len(whole), 'skipped ' + words[1])} "
               f"({plural(sum(error.dropped_annotations for error in whole), words[2])})"
               if whole else "")
    return (f"{command}: {plural(len(documents), 'document')}, {plural(entities, 'entity')}, "
            f"{plural(relations, 'relation')}, {plural(lines, 'skipped ' + words[0])}{dropped} "
            f"→ {output}")


if __name__ == "__main__":
    sys.exit(main())
