"""Issue 18 items 7-8: ``ls2brat`` on careless or hostile exports.

Each export used to exit 0 with brat that ``brat2ls`` cannot read, write outside the output
folder, or end in a traceback. Now strict mode stops with one coded line naming the export and
the task, lenient mode skips the item, lists it and writes only what reads back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from converters import errors
from converters.__main__ import main
from converters.brat import read_collection
from converters.console import plural

TEXT = "Министерство экономики утвердило программу.\nИтог года"


def region(labels: object = ("MET",), start: object = 0, end: object = 12,
           region_id: object = "T1") -> dict:
    labels = list(labels) if isinstance(labels, tuple) else labels
    return {"id": region_id, "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "labels": labels}}


def relation(from_id: object = "T1", to_id: object = "T2", labels: object = ("GOL",)) -> dict:
    labels = list(labels) if isinstance(labels, tuple) else labels
    return {"type": "relation", "from_id": from_id, "to_id": to_id, "direction": "right",
            "labels": labels}


def task(result: object, task_id: object = 7, **data: object) -> dict:
    return {"id": task_id, "data": {"text": TEXT, "document": "doc", **data},
            "annotations": [{"id": 1, "result": result}]}


GOOD = task([region(), region(["ECO"], 13, 22, "T2"), relation()], task_id=1, document="good")
"""A task that converts: every lenient run must still write it."""


def run(capsys: pytest.CaptureFixture, *args: object) -> tuple[int, str, str]:
    """``python -m converters`` in this process: an uncaught exception fails the test."""
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write_export(tmp_path: Path, tasks: object) -> Path:
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks), encoding="utf-8")  # lone surrogates as \ud800 escapes
    return export


def assert_refused_then_skipped(capsys: pytest.CaptureFixture, tmp_path: Path, bad_task: dict,
                                code: str, found: str) -> str:
    """Strict: exit 1, one coded line naming the export and task 7, nothing written.
    Lenient: exit 0, the bad task listed, the good one written and read back unchanged."""
    export = write_export(tmp_path, [GOOD, bad_task])
    out = tmp_path / "out"
    status, stdout, stderr = run(capsys, "ls2brat", export, "-o", out)
    assert (status, stdout) == (1, "")
    assert stderr.startswith(f"{export}") and f"[{code}]" in stderr and "task 7" in stderr
    assert found in stderr and stderr.count("\n") == 1 and "(" in stderr, "no hint"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["export.json"]
    status, stdout, stderr = run(capsys, "ls2brat", export, "-o", out, "--lenient")
    assert status == 0
    skipped = [line for line in stderr.splitlines() if line.startswith("skipped: ")]
    assert len(skipped) == 1 and f"[{code}]" in skipped[0] and "task 7" in skipped[0]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["export.json", "out"]
    back = read_collection(out)
    entities = sum(len(doc.entities) for doc in back.documents)
    relations = sum(len(doc.relations) for doc in back.documents)
    counts = f"{plural(len(back.documents), 'document')}, {plural(entities, 'entity')}, "
    assert counts + plural(relations, "relation") in stdout
    assert "good" in [doc.name for doc in back.documents]
    return stdout


# Item 7: exit 0 with brat that brat2ls cannot read back.
@pytest.mark.parametrize(("result", "found"), [
    ([region(["MET X"])], "label 'MET X' has whitespace"),
    ([region("MET")], "not 'MET'"),
    ([region(start=True)], "start True"),
    ([region(["MET\tT9\nT8"])], "label 'MET\\tT9\\nT8' has whitespace"),
    ([region(["[MET]"])], "starts with '['"),
    ([region(), region(["ECO"], 13, 22, "T2"), relation(labels=["GOL X"])],
     "relation label 'GOL X'"),
    ([region(start=43, end=44)], "covers only line breaks"),
])
def test_labels_and_offsets_brat_cannot_hold_are_refused(
    capsys: pytest.CaptureFixture, tmp_path: Path, result: list, found: str,
) -> None:
    stdout = assert_refused_then_skipped(capsys, tmp_path, task(result), errors.BAD_RESULT, found)
    assert "1 skipped line →" in stdout, "one result skipped, the task kept"


@pytest.mark.parametrize("name", [".", "..", "../escape", "/tmp/abs", "a//b", "a/./b", "C:\\x",
                                  "a\x00b", "x" * 300])
def test_document_names_stay_inside_the_output_folder(
    capsys: pytest.CaptureFixture, tmp_path: Path, name: str,
) -> None:
    stdout = assert_refused_then_skipped(capsys, tmp_path, task([region()], document=name),
                                         errors.BAD_EXPORT, "document name")
    assert ", 1 skipped task (1 result)" in stdout


def test_two_tasks_writing_the_same_files_are_refused(
    capsys: pytest.CaptureFixture, tmp_path: Path,
) -> None:
    assert_refused_then_skipped(capsys, tmp_path, task([region()], document="good"),
                                errors.DUPLICATE_DOCUMENT, "earlier document")


def test_a_document_where_another_needs_a_folder_is_refused(
    capsys: pytest.CaptureFixture, tmp_path: Path,
) -> None:
    assert_refused_then_skipped(capsys, tmp_path, task([region()], document="good.txt/x"),
                                errors.DUPLICATE_DOCUMENT, "folder")


def test_bad_relation_ids_in_data_get_fresh_ids(capsys: pytest.CaptureFixture, tmp_path: Path,
                                                ) -> None:
    result = [region(), region(["ECO"], 13, 22, "T2"), relation(), relation()]
    ids = {"GOL T1 T2": [5, "R1\tX", "R1", "R1"]}
    export = write_export(tmp_path, [task(result, brat_relation_ids=ids)])
    status, _, stderr = run(capsys, "ls2brat", export, "-o", tmp_path / "out")
    assert status == 0, stderr
    (doc,) = read_collection(tmp_path / "out").documents
    assert sorted(relation.id for relation in doc.relations) == ["R1", "R2"]


# Item 8: tracebacks instead of coded errors.
@pytest.mark.parametrize(("bad_task", "code", "found"), [
    ({"id": 7, "data": {"text": TEXT}, "annotations": 5}, errors.BAD_EXPORT, "annotations is a"),
    ({"id": 7, "data": {"text": TEXT}, "annotations": [], "predictions": 5}, errors.BAD_EXPORT,
     "predictions is a"),
    (task([region(5)]), errors.BAD_RESULT, "not 5"),
    (task([region(), region(["ECO"], 13, 22, "T2"), relation(from_id=["T1"])]),
     errors.BAD_RESULT, "['T1']"),
    (task([region()], brat=5), errors.BAD_EXPORT, "data.brat"),
    (task([region()], document=5), errors.BAD_EXPORT, "document name"),
    (task([region()], text="Доля \ud800 населения"), errors.BAD_EXPORT, "lone surrogate"),
    (task([region(["M\ud800"])]), errors.BAD_RESULT, "lone surrogate"),
    (task([region()], document="a\ud800"), errors.BAD_EXPORT, "document name"),
    (task([region(region_id="T" + "9" * 5000)]), None, None),
])
def test_malformed_tasks_get_coded_errors(
    capsys: pytest.CaptureFixture, tmp_path: Path, bad_task: dict, code: str | None,
    found: str | None,
) -> None:
    if code is None:  # converts: the region gets a fresh id
        export = write_export(tmp_path, [bad_task])
        assert run(capsys, "ls2brat", export, "-o", tmp_path / "out")[0] == 0
        assert [e.id for e in read_collection(tmp_path / "out").documents[0].entities] == ["T1"]
        return
    assert_refused_then_skipped(capsys, tmp_path, bad_task, code, found)


def test_json_nested_100000_levels_is_a_coded_error(capsys: pytest.CaptureFixture,
                                                    tmp_path: Path) -> None:
    export = tmp_path / "deep.json"
    export.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    status, _, stderr = run(capsys, "ls2brat", export, "-o", tmp_path / "out")
    assert status == 1 and stderr == (f"{export}: [C021] JSON is nested too deeply to read "
                                      "(export the project as JSON from Label Studio)\n")


def test_a_long_task_id_is_echoed_as_a_short_prefix(capsys: pytest.CaptureFixture,
                                                    tmp_path: Path) -> None:
    export = write_export(tmp_path, [{"id": "9" * 100_000, "data": {"text": TEXT},
                                      "annotations": 5}])
    status, _, stderr = run(capsys, "ls2brat", export, "-o", tmp_path / "out")
    assert status == 1 and "[C021]" in stderr and len(stderr) < 400


def test_config_labels_brat_cannot_hold_are_refused(capsys: pytest.CaptureFixture,
                                                    tmp_path: Path) -> None:
    export = write_export(tmp_path, [GOOD])
    config = tmp_path / "config.xml"
    config.write_text('<View><Labels name="label" toName="text"><Label value="MET"/>'
                      '<Label value="[x]"/></Labels><Text name="text" value="$text"/></View>',
                      encoding="utf-8")
    status, _, stderr = run(capsys, "ls2brat", export, "-o", tmp_path / "out", "--config", config)
    assert status == 1 and stderr.startswith(f"{config}: [C020] label '[x]'")
    status, _, stderr = run(capsys, "ls2brat", export, "-o", tmp_path / "out", "--config", config,
                            "--lenient")
    assert status == 0 and "skipped: " in stderr
    assert read_collection(tmp_path / "out").conf.entity_types[0] == "MET"


def test_config_with_an_entity_declaration_is_refused(capsys: pytest.CaptureFixture,
                                                      tmp_path: Path) -> None:
    export = write_export(tmp_path, [GOOD])
    config = tmp_path / "config.xml"
    config.write_text('<!DOCTYPE View [<!ENTITY a "MET">]><View><Labels name="label" '
                      'toName="text"><Label value="&a;"/></Labels><Text name="text" '
                      'value="$text"/></View>', encoding="utf-8")
    status, _, stderr = run(capsys, "ls2brat", export, "-o", tmp_path / "out", "--config", config)
    assert status == 1 and stderr.startswith(f"{config}: [C020] labeling config has a DTD")
