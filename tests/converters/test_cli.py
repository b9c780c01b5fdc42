"""``python -m converters`` as a real process: round trips, summary line, errors, exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from converters.brat import read_collection
from tests.conftest import REPO_ROOT
from tests.fixtures.converters import WriteBrat, canonical


def converters(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "converters", *map(str, args)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)


def test_crafted_collection_round_trips_through_both_commands(
    crafted_collection: Path, tmp_path: Path,
) -> None:
    tasks, config, back = tmp_path / "tasks.json", tmp_path / "config.xml", tmp_path / "back"
    to_ls = converters("brat2ls", crafted_collection, "-o", tasks, "--config-out", config)
    assert to_ls.returncode == 0, to_ls.stderr
    assert to_ls.stdout == (f"brat2ls: 5 documents, 8 entities, 4 relations, 0 skipped lines "
                            f"→ {tasks}\n")
    assert tasks.stat().st_mode & 0o777 == 0o644, "not private like mkstemp"
    xml = config.read_text(encoding="utf-8")
    assert xml.index('"ORG"') < xml.index('"ACT"') < xml.index('"Approve"'), "annotation.conf order"
    assert '<Relation value="fragment" />' in xml
    to_brat = converters("ls2brat", tasks, "-o", back, "--config", config)
    assert to_brat.returncode == 0, to_brat.stderr
    original, converted = read_collection(crafted_collection), read_collection(back)
    assert [canonical(d) for d in converted.documents] == [canonical(d) for d in original.documents]
    for doc in original.documents:
        assert (back / f"{doc.name}.txt").read_bytes() == (crafted_collection / f"{doc.name}.txt").read_bytes()
    assert "ORG" in converted.conf.entity_types and "TSK" in converted.conf.relation_types


def test_predictions_flag_writes_predictions(crafted_collection: Path, tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.json"
    assert converters("brat2ls", crafted_collection, "-o", tasks, "--as", "predictions",
                      "--model-version", "gold").returncode == 0
    loaded = json.loads(tasks.read_text(encoding="utf-8"))
    assert all("annotations" not in task and task["predictions"][0]["model_version"] == "gold"
               for task in loaded)


def test_error_is_one_line_without_traceback_and_nothing_is_written(
    tmp_path: Path, write_brat: WriteBrat,
) -> None:
    source = tmp_path / "src"
    write_brat(source, "doc", "Бюджет края", "T1\tMET 0 6\tБюджет\nR1\tGOL Arg1:T1 Arg2:T7\n")
    tasks = tmp_path / "tasks.json"
    run = converters("brat2ls", source, "-o", tasks)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr == (f"{source / 'doc.ann'}:2: [C005] refers to T7, which is not a T or E "
                          "annotation of the document (add the missing annotation or fix the id)\n")
    assert not tasks.exists()


def test_lenient_prints_each_skipped_line_and_counts_them(tmp_path: Path, write_brat: WriteBrat) -> None:
    source = tmp_path / "src"
    write_brat(source, "doc", "Бюджет края", "T1\tMET 0 6\tБюджет\nT2\tSOC 7 11\tкрай\nT3\tX\n")
    run = converters("brat2ls", source, "-o", tmp_path / "tasks.json", "--lenient")
    assert run.returncode == 0
    assert [line.split(" [")[1][:4] for line in run.stderr.splitlines()] == ["C007", "C003"]
    assert "1 entity, 0 relations, 2 skipped lines" in run.stdout


def test_failed_ls2brat_leaves_no_output_directory(tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    bad_region = {"id": "T1", "type": "labels", "value": {"start": 0, "end": 99, "labels": ["MET"]}}
    export.write_text(json.dumps([{"id": 3, "data": {"text": "Бюджет", "document": "a"},
                                   "annotations": [{"id": 1, "result": [bad_region]}]}]),
                      encoding="utf-8")
    out = tmp_path / "out"
    run = converters("ls2brat", export, "-o", out)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith(f"{export}: task 3, annotation 1: [C006] result #0 (id T1)")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["export.json"]
    lenient = converters("ls2brat", export, "-o", out, "--lenient")
    assert lenient.returncode == 0 and "1 document, 0 entities" in lenient.stdout
    assert (out / "a.txt").read_text(encoding="utf-8") == "Бюджет"
