"""The evaluation report: JSON, text table and PNG chart from hand-made results."""

import json

import pytest

from trainer.errors import TrainerError
from trainer.report import REPORT_FILES, format_report, write_report
from trainer.scoring import prf


def track(**per_type: tuple[int, int, int]) -> dict:
    rows = {name: {**prf(*counts), "tp": counts[0], "fp": counts[1], "fn": counts[2]}
            for name, counts in per_type.items()}
    totals = [sum(counts[i] for counts in per_type.values()) for i in range(3)]
    return {**prf(*totals), "per_type": rows}


RESULTS = {
    "tracks": {"ner": track(BIN=(8, 2, 2), ECO=(3, 1, 6), SOC=(0, 0, 4)),
               "relations": track(GOL=(5, 5, 0), TSK=(1, 0, 3)),
               "end_to_end": track(GOL=(1, 4, 4), TSK=(0, 1, 4))},
    "seconds": {"predict_from_text": 1.5, "predict_relations_given_entities": 0.7},
    "meta": {"model": "models/tiny", "documents": 3},
}


def test_write_report_writes_json_table_and_png(tmp_path):
    paths = write_report(RESULTS, tmp_path / "report")
    assert sorted(path.name for path in paths.values()) == sorted(REPORT_FILES)
    assert json.loads(paths["report.json"].read_text(encoding="utf-8")) == RESULTS
    png = paths["per_type_f1.png"].read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_table_has_a_summary_line_per_track_with_hand_computed_figures():
    lines = format_report(RESULTS).splitlines()
    assert "model: models/tiny" in lines
    # NER: tp 11, fp 3, fn 12 → P 11/14, R 11/23.
    ner = next(line for line in lines if line.startswith("NER "))
    assert ner.split()[1:] == [f"{11 / 14:.4f}", f"{11 / 23:.4f}", f"{2 * 11 / (14 + 23):.4f}"]
    relations = next(line for line in lines if line.startswith("relations (gold entities) "))
    assert relations.split()[-1] == f"{2 * 6 / (11 + 9):.4f}"
    assert any(line.startswith("end-to-end ") and line.split()[-1] == f"{2 * 1 / (6 + 9):.4f}" for line in lines)
    assert sum("SOC" in line for line in lines) == 1


def test_chart_shows_each_track(tmp_path):
    from matplotlib.image import imread

    paths = write_report(RESULTS, tmp_path)
    height, width, _ = imread(paths["per_type_f1.png"]).shape
    assert width > height > 300


def test_results_without_tracks_are_a_clear_error(tmp_path):
    with pytest.raises(TrainerError) as error:
        write_report({"ner": {}}, tmp_path)
    assert error.value.code == "E210" and "tracks" in str(error.value)
