"""Label Studio JSON export → documents, choosing which annotation of each task to keep.

``choose``:

* ``latest`` (the default): the most recently updated annotation that was not cancelled;
* ``ground-truth``: the annotation marked as ground truth (the latest such one);
* ``per-annotator``: every annotator's latest annotation, as ``<annotator>/<document name>``,
  so writing the documents gives one folder per annotator.

Cancelled ("skipped") annotations are never used. A task without a usable annotation falls
back to its latest prediction only with ``use_predictions``; otherwise it is left out and
listed in ``Collection.skipped`` with code C023.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

from converters.brat import Collection, Progress
from converters.brat_ann import format_ann, parse_ann
from converters.document import Document
from converters.errors import BAD_EXPORT, DUPLICATE_DOCUMENT, NO_ANNOTATION, ConversionError
from converters.files import decode_utf8
from converters.ls_read import result_to_document
from converters.ls_write import BRAT_DATA_KEY, NAME_DATA_KEY, RELATION_IDS_DATA_KEY, relation_key
from converters.names import OutputPaths, document_name_problem, short, text_problem

CHOICES = ("latest", "ground-truth", "per-annotator")
PREDICTIONS_FOLDER = "predictions"
"""Per-annotator output folder for tasks that fell back to a prediction."""
RELATION_ID = re.compile(r"R[0-9A-Za-z_-]{1,40}")
"""A relation id from ``data["brat_relation_ids"]`` that is written back; others get fresh ids."""


def read_export(
    source: str | Path | list, choose: str = "latest", use_predictions: bool = False,
    text_key: str = "text",
) -> list[Document]:
    """Documents of an export (a path or the parsed list); raises at the first bad result."""
    return load_export(source, choose, use_predictions, strict=True, text_key=text_key).documents


def load_export(
    source: str | Path | list, choose: str = "latest", use_predictions: bool = False,
    strict: bool = True, text_key: str = "text", progress: Progress | None = None,
) -> Collection:
    """Like ``read_export``, but lenient mode skips bad results and lists them in ``skipped``."""
    if choose not in CHOICES:
        raise ValueError(f"choose must be one of {CHOICES}, not {choose!r}")
    where = "export" if isinstance(source, list) else str(source)
    tasks = source if isinstance(source, list) else _load_tasks(Path(source))
    documents: list[Document] = []
    skipped: list[ConversionError] = []
    paths = OutputPaths()
    for index, task in enumerate((progress or list)(tasks)):
        try:
            chosen = _chosen(task, index, where, choose, use_predictions, text_key)
        except ConversionError as error:
            if strict:
                raise
            skipped.append(replace(error, dropped_annotations=0))
            continue
        if not chosen:
            error = _no_annotation(task, index, where, choose, use_predictions)
            skipped.append(replace(error, dropped_annotations=0))
        for folder, kind, item in chosen:
            item_errors: list[ConversionError] | None = None if strict else []
            try:
                document = _document(task, index, where, folder, kind, item, text_key,
                                     item_errors)
                _claim(paths, document, where, _task_id(task, index))
            except ConversionError as error:
                if strict:
                    raise
                result = item.get("result")
                skipped.append(replace(error, dropped_annotations=len(result)
                                       if isinstance(result, list) else 0))
                continue
            documents.append(document)
            skipped.extend(item_errors or [])
    return Collection(documents, None, skipped)


def _claim(paths: OutputPaths, document: Document, where: str, task_id: object) -> None:
    """C013 when the document's files would clash with an earlier document's."""
    if clash := paths.claim(document.name):
        raise ConversionError(
            DUPLICATE_DOCUMENT, f"task {task_id}: document name {short(document.name)} {clash}",
            where, hint=f"give the task a unique data.{NAME_DATA_KEY}, or pass --lenient to keep "
                        "the first one")


def _no_annotation(task: dict, index: int, where: str, choose: str, use_predictions: bool
                   ) -> ConversionError:
    listed = task.get("predictions") or []
    if use_predictions and listed and not any(isinstance(item, dict) for item in listed):
        # Label Studio's quick export lists predictions by id only (docs/label-studio-offsets.md).
        return ConversionError(
            NO_ANNOTATION, f"task {_task_id(task, index)} has no {choose} annotation and its "
            f"predictions are listed by id only ({short(listed[:3])}); left out", where,
            hint="export a snapshot with full predictions: POST /api/projects/<id>/exports/ with "
                 '{"serialization_options": {"predictions": {"only_id": false}}}')
    return ConversionError(
        NO_ANNOTATION, f"task {_task_id(task, index)} has no {choose} annotation that was not "
        "cancelled; left out", where,
        hint="annotate it, or pass --predictions to fall back to its prediction")


def _task_id(task: object, index: int) -> object:
    """The task's id for messages (a long or odd one as a short prefix), else ``#<index>``."""
    task_id = task.get("id", f"#{index}") if isinstance(task, dict) else f"#{index}"
    return task_id if type(task_id) is int else short(task_id).strip("'")


def _chosen(task: object, index: int, where: str, choose: str, use_predictions: bool,
            text_key: str) -> list[tuple[str, str, dict]]:
    """(name prefix, "annotation" or "prediction", item) for each document the task gives."""
    data = task.get("data") if isinstance(task, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get(text_key), str):
        raise ConversionError(
            BAD_EXPORT, f"task {_task_id(task, index)} has no data.{text_key} text", where,
            hint="export the project as JSON; pass --text-key if the <Text> tag uses another key")
    if problem := text_problem(data[text_key]):
        raise ConversionError(
            BAD_EXPORT, f"task {_task_id(task, index)}: data.{text_key} {problem}", where,
            hint="a lone surrogate cannot be written as UTF-8; fix the text in the task")
    for key in ("annotations", "predictions"):
        if not isinstance(task.get(key) or [], list):
            raise ConversionError(
                BAD_EXPORT, f"task {_task_id(task, index)}: {key} is a JSON "
                f"{type(task[key]).__name__}, not a list", where,
                hint="export the project as JSON from Label Studio")
    annotations = kept_annotations(task)
    chosen: list[tuple[str, str, dict]] = []
    if choose == "latest" and annotations:
        chosen = [("", "annotation", latest(annotations))]
    elif choose == "ground-truth":
        truths = [annotation for annotation in annotations if annotation.get("ground_truth")]
        chosen = [("", "annotation", latest(truths))] if truths else []
    elif choose == "per-annotator":
        by_annotator: dict[str, list[dict]] = {}
        for annotation in annotations:
            by_annotator.setdefault(_annotator(annotation), []).append(annotation)
        chosen = [(f"{annotator}/", "annotation", latest(items))
                  for annotator, items in sorted(by_annotator.items())]
    predictions = [item for item in task.get("predictions") or [] if isinstance(item, dict)]
    if not chosen and use_predictions and predictions:
        folder = f"{PREDICTIONS_FOLDER}/" if choose == "per-annotator" else ""
        chosen = [(folder, "prediction", latest(predictions))]
    return chosen


def kept_annotations(task: dict) -> list[dict]:
    """A task's annotations that were not cancelled (skipped), in export order."""
    return [annotation for annotation in task.get("annotations") or []
            if isinstance(annotation, dict) and not annotation.get("was_cancelled")]


def latest_annotation(task: dict) -> dict | None:
    """The task's latest non-cancelled annotation, or None: what ``choose="latest"`` converts
    and what a retraining learns from (retraining/label_studio.py)."""
    annotations = kept_annotations(task)
    return latest(annotations) if annotations else None


def latest(items: list[dict]) -> dict:
    """The most recently updated (else created) item; the id breaks ties between same-second
    saves. ISO timestamps compare correctly as strings."""
    def stamp(item: dict) -> str:
        value = item.get("updated_at") or item.get("created_at")
        return value if isinstance(value, str) else ""

    return max(items, key=lambda item: (stamp(item), item.get("id") if type(item.get("id")) is int
                                        else 0))


def _annotator(annotation: dict) -> str:
    """A folder name for the annotator: the e-mail when the export has it, else ``user-<id>``."""
    completed_by = annotation.get("completed_by")
    email, user_id = (completed_by.get("email"), completed_by.get("id")) \
        if isinstance(completed_by, dict) else (None, completed_by)
    if isinstance(email, str) and email:
        name = email
    else:
        name = f"user-{user_id if isinstance(user_id, (int, str)) else None}"
    return name.replace("/", "_").replace("\\", "_")


def _document(task: dict, index: int, where: str, folder: str, kind: str, item: dict,
              text_key: str, errors: list[ConversionError] | None) -> Document:
    data = task["data"]
    task_id = _task_id(task, index)
    item_id = item.get("id", "-")
    location = f"{where}: task {task_id}, {kind} {item_id if type(item_id) is int else short(item_id)}"
    raw_name = data.get(NAME_DATA_KEY) or f"task-{task_id}"
    name = folder + raw_name if isinstance(raw_name, str) else raw_name
    if problem := document_name_problem(name):
        raise ConversionError(
            BAD_EXPORT, f"task {task_id}: document name {short(name)} {problem}", where,
            hint=f"data.{NAME_DATA_KEY} must be a relative path like 'folder/doc1' that stays "
                 "inside the output folder")
    result = item.get("result")
    if not isinstance(result, list):
        raise ConversionError(BAD_EXPORT, f"task {task_id}: {kind} has no result list", where,
                              hint="export the project as JSON")
    extras = data.get(BRAT_DATA_KEY) or ""
    if not isinstance(extras, str) or text_problem(extras):
        raise ConversionError(
            BAD_EXPORT, f"task {task_id}: data.{BRAT_DATA_KEY} must be a string of brat lines, "
            f"found {short(extras)}", where,
            hint=f"delete data.{BRAT_DATA_KEY} or restore it from the brat2ls output")
    doc = result_to_document(name, data[text_key], result, errors, location)
    known_ids = data.get(RELATION_IDS_DATA_KEY)
    _restore_relation_ids(doc, known_ids if isinstance(known_ids, dict) else {},
                          {line.split("\t", 1)[0] for line in extras.splitlines()})
    return _readable(_with_brat_extras(doc, extras, location, errors), location)


def _readable(doc: Document, location: str) -> Document:
    """The document, once its .ann is known to read back with the same annotations.

    The checks before this one explain each known problem; this one guarantees that ls2brat
    never writes what brat2ls cannot read (C0xx of the line that would fail, for the task).
    """
    ann = format_ann(doc)
    try:
        back, _ = parse_ann(doc.text, ann, doc.name, location)
        if problem := text_problem(ann):
            raise ConversionError(BAD_EXPORT, f"brat lines {problem}", location,
                                  hint="fix the text of the annotation in Label Studio")
    except ConversionError as error:
        raise ConversionError(
            error.code, f"its brat lines would not read back: {error.message}", location,
            hint=error.hint) from None
    counts = [len(getattr(d, kind)) for d in (doc, back) for kind in ("entities", "relations")]
    if counts[:2] != counts[2:]:
        raise ConversionError(BAD_EXPORT, f"its brat lines would read back as {counts[2]} "
                              f"entities and {counts[3]} relations, not {counts[0]} and "
                              f"{counts[1]}", location, hint="report this with the task")
    return doc


def _restore_relation_ids(doc: Document, known_ids: dict, reserved: set[str]) -> None:
    """Give relations their brat ids back (Label Studio drops relation ids); new ones get fresh
    ``R`` ids that collide with neither those nor the ids kept in ``data["brat"]``."""
    unused = {key: [i for i in ids if isinstance(i, str) and RELATION_ID.fullmatch(i)]
              for key, ids in known_ids.items() if isinstance(ids, list)}
    unnamed = []
    for relation in doc.relations:
        ids = unused.get(relation_key(relation))
        while ids and ids[0] in reserved:
            ids.pop(0)
        if ids:
            relation.id = ids.pop(0)
            reserved.add(relation.id)
        else:
            unnamed.append(relation)
    numbers = (f"R{number}" for number in range(1, len(doc.relations) + len(reserved) + 2))
    free = (relation_id for relation_id in numbers if relation_id not in reserved)
    for relation in unnamed:
        relation.id = next(free)


def _with_brat_extras(doc: Document, extras: str, where: str,
                      errors: list[ConversionError] | None) -> Document:
    """Merge the brat lines kept in ``data["brat"]`` back, validating their references.

    The kept lines come first so that error line numbers are those of ``data["brat"]``.
    """
    if not extras:
        return doc
    scores = {entity.id: entity.score for entity in doc.entities}
    merged, problems = parse_ann(doc.text, extras + format_ann(doc), doc.name,
                                 f"{where}, data.{BRAT_DATA_KEY}", strict=errors is None)
    if errors is not None:
        errors.extend(problems)
    for entity in merged.entities:
        entity.score = scores.get(entity.id)
    return merged


def _load_tasks(path: Path) -> list:
    try:
        tasks = json.loads(decode_utf8(path.read_bytes(), path))
    except FileNotFoundError:
        raise ConversionError(BAD_EXPORT, "export file does not exist", path,
                              hint="export the project from Label Studio as JSON") from None
    except RecursionError:
        raise ConversionError(BAD_EXPORT, "JSON is nested too deeply to read", path,
                              hint="export the project as JSON from Label Studio") from None
    except json.JSONDecodeError as error:
        raise ConversionError(BAD_EXPORT, f"not JSON: {error.msg} (column {error.colno})", path,
                              error.lineno, "export the project as JSON, not JSON_MIN or CSV") from None
    if not isinstance(tasks, list):
        raise ConversionError(BAD_EXPORT, f"expected a JSON list of tasks, found a "
                              f"{type(tasks).__name__}", path,
                              hint="export the project from Label Studio as JSON")
    return tasks
