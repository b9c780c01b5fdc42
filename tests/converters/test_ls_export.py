"""Reading a Label Studio JSON export: which annotation is kept, predictions, bad exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from converters import errors
from converters.errors import ConversionError
from converters.labelstudio import load_export, read_export

TEXT = "Бюджет края вырос"


def labels(start: int, end: int, label: str, region_id: str = "T1") -> dict:
    return {"id": region_id, "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": TEXT[start:end], "labels": [label]}}


def annotation(annotation_id: int, label: str, updated_at: str, user: object = 1, **flags) -> dict:
    return {"id": annotation_id, "completed_by": user, "updated_at": updated_at,
            "created_at": "2026-01-01T00:00:00Z", "result": [labels(0, 6, label)],
            "was_cancelled": False, "ground_truth": False, **flags}


def task(*annotations: dict, predictions: tuple[dict, ...] = (), name: str | None = "doc") -> dict:
    data = {"text": TEXT, **({"document": name} if name else {})}
    return {"id": 7, "data": data, "annotations": list(annotations),
            "predictions": list(predictions)}


ANNOTATIONS = (
    annotation(1, "MET", "2026-02-01T10:00:00Z", user={"id": 1, "email": "anna@example.com"},
               ground_truth=True),
    annotation(2, "ECO", "2026-03-01T10:00:00Z", user={"id": 2, "email": "boris@example.com"}),
    annotation(3, "SOC", "2026-04-01T10:00:00Z", user={"id": 2, "email": "boris@example.com"},
               was_cancelled=True),
    annotation(4, "ACT", "2026-01-15T10:00:00Z", user={"id": 1, "email": "anna@example.com"}),
)


def test_default_is_the_latest_annotation_that_was_not_cancelled() -> None:
    (doc,) = read_export([task(*ANNOTATIONS)])
    assert (doc.name, [e.type for e in doc.entities]) == ("doc", ["ECO"])


def test_ground_truth_is_chosen_when_asked() -> None:
    (doc,) = read_export([task(*ANNOTATIONS)], choose="ground-truth")
    assert [e.type for e in doc.entities] == ["MET"]


def test_per_annotator_gives_one_folder_per_annotator() -> None:
    docs = read_export([task(*ANNOTATIONS), task(annotation(9, "BIN", "2026-01-01", user=5),
                                                 name=None)], choose="per-annotator")
    assert [(doc.name, doc.entities[0].type) for doc in docs] == [
        ("anna@example.com/doc", "MET"), ("boris@example.com/doc", "ECO"), ("user-5/task-7", "BIN")]


def test_predictions_are_used_only_when_asked() -> None:
    prediction = {"id": 1, "model_version": "m", "score": 0.5,
                  "result": [{**labels(7, 11, "SOC"), "score": 0.9}]}
    cancelled_only = task(ANNOTATIONS[2], predictions=(prediction,))
    collection = load_export([cancelled_only])
    assert collection.documents == []
    assert [e.code for e in collection.skipped] == [errors.NO_ANNOTATION]
    (doc,) = read_export([cancelled_only], use_predictions=True)
    assert [(e.type, e.text, e.score) for e in doc.entities] == [("SOC", "края", 0.9)]
    (doc,) = read_export([cancelled_only], choose="per-annotator", use_predictions=True)
    assert doc.name == "predictions/doc"


def test_predictions_listed_by_id_only_name_the_snapshot_export() -> None:
    quick_export_task = task(ANNOTATIONS[2], predictions=(4, 5))
    collection = load_export([quick_export_task], use_predictions=True)
    assert collection.documents == []
    (skipped,) = collection.skipped
    assert skipped.code == errors.NO_ANNOTATION and "listed by id only ([4, 5])" in str(skipped)
    assert '"only_id": false' in skipped.hint


def test_export_that_is_not_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('[\n {"id": 1,\n  "data": }\n]', encoding="utf-8")
    with pytest.raises(ConversionError) as caught:
        read_export(path)
    assert (caught.value.code, caught.value.path, caught.value.line) == (errors.BAD_EXPORT, path, 3)


@pytest.mark.parametrize("content", ['{"tasks": []}', '"text"'])
def test_export_that_is_not_a_task_list_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "export.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConversionError) as caught:
        read_export(path)
    assert caught.value.code == errors.BAD_EXPORT


def test_task_without_text_is_named_by_its_id(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([task(ANNOTATIONS[0]), {"id": 12, "data": {"html": "<p/>"}}]),
                    encoding="utf-8")
    with pytest.raises(ConversionError) as caught:
        read_export(path)
    assert caught.value.code == errors.BAD_EXPORT and "task 12 " in caught.value.message
    lenient = load_export(path, strict=False)
    assert [doc.name for doc in lenient.documents] == ["doc"]
    assert [e.code for e in lenient.skipped] == [errors.BAD_EXPORT]


def test_hidden_brat_line_pointing_at_a_deleted_region_names_its_line() -> None:
    exported = task(annotation(1, "MET", "2026-01-01"))
    exported["data"]["brat"] = "#1\tAnnotatorNotes T1\tзаметка\nA1\tNegation T2\n"
    with pytest.raises(ConversionError) as caught:
        read_export([exported])
    error = caught.value
    assert (error.code, error.line) == (errors.UNKNOWN_ID, 2)
    assert error.path == "export: task 7, annotation 1, data.brat"
    collection = load_export([exported], strict=False)
    (doc,) = collection.documents
    assert [note.text for note in doc.notes] == ["заметка"] and doc.attributes == []
    assert [(e.code, e.line) for e in collection.skipped] == [(errors.UNKNOWN_ID, 2)]
