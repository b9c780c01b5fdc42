"""The evaluation report: JSON, text table and PNG chart from hand-made results; the evaluate command."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from trainer.errors import TrainerError
from trainer.report import REPORT_FILES, TRACKS, format_report, write_report
from trainer.scoring import prf

REPO_ROOT = Path(__file__).resolve().parents[2]


def track(**per_type: tuple[int, int, int]) -> dict:
    rows = {name: {**prf(*counts), "tp": counts[0], "fp": counts[1], "fn": counts[2]}
            for name, counts in per_type.items()}
    totals = [sum(counts[i] for counts in per_type.values()) for i in range(3)]
    return {**prf(*totals), "per_type": rows}


RESULTS = {
    "tracks": {"ner": track(BIN=(8, 2, 2), ECO=(3, 1, 6), SOC=(0, 0, 4)),
               "relations_gold_entities": track(GOL=(5, 5, 0), TSK=(1, 0, 3)),
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


def test_chart_shows_each_track(tmp_path, monkeypatch):
    from matplotlib.figure import Figure
    from matplotlib.image import imread

    saved = []
    original = Figure.savefig
    monkeypatch.setattr(Figure, "savefig",
                        lambda figure, *args, **kwargs: (saved.append(figure),
                                                         original(figure, *args, **kwargs)))
    paths = write_report(RESULTS, tmp_path)
    height, width, _ = imread(paths["per_type_f1.png"]).shape
    assert width > height > 300
    (figure,) = saved
    entities, relations = figure.axes[:2]
    assert (entities.get_title(), relations.get_title()) == ("entities", "relations")

    def shown(axes) -> dict[str, dict[str, float]]:
        """Per legend entry (one per track), each type's bar height."""
        types = [label.get_text() for label in axes.get_xticklabels()]
        return {container.get_label(): dict(zip(types, (round(bar.get_height(), 4)
                                                         for bar in container)))
                for container in axes.containers}

    def expected(*names: str) -> dict[str, dict[str, float]]:
        tracks = RESULTS["tracks"]
        return {f"{TRACKS[name]} (F1 {tracks[name]['f1']:.3f})":
                {kind: round(row["f1"], 4) for kind, row in tracks[name]["per_type"].items()}
                for name in names}

    assert shown(entities) == expected("ner")
    assert shown(relations) == expected("relations_gold_entities", "end_to_end")


def test_results_without_tracks_are_a_clear_error(tmp_path):
    with pytest.raises(TrainerError) as error:
        write_report({"ner": {}}, tmp_path)
    assert error.value.code == "E210" and "tracks" in str(error.value)


GOLD_TEXTS = {
    "d1": ("Рост доходов населения района обеспечит снижение бедности .",
           [("T1", "BIN", 0, 4), ("T2", "ECO", 5, 29), ("T3", "BIN", 40, 48), ("T4", "SOC", 49, 57)],
           [("R1", "GOL", "T1", "T2")]),
    "d2": ("Администрация района обеспечивает развитие малого бизнеса .",
           [("T1", "INST", 0, 20), ("T2", "BIN", 34, 42), ("T3", "ECO", 43, 57)],
           [("R1", "TSK", "T2", "T3")]),
}


@pytest.fixture(scope="module")
def tiny_checkpoint_and_gold(tiny_encoder_dir, tmp_path_factory):
    """A tiny model trained for a few steps through the real trainer, and its gold collection."""
    from converters.brat import write_collection
    from converters.document import Document, Entity, Relation, Span
    from trainer.config import TrainingConfig
    from trainer.train import train

    documents = [Document(name, text,
                          [Entity(id_, type_, (Span(s, e),), text[s:e]) for id_, type_, s, e in entities],
                          [Relation(id_, type_, a, b) for id_, type_, a, b in relations])
                 for name, (text, entities, relations) in GOLD_TEXTS.items()]
    root = tmp_path_factory.mktemp("evaluate")
    write_collection(documents, root / "gold")
    config = TrainingConfig.from_dict(dict(
        encoder=str(tiny_encoder_dir), epochs=2, batch_size=4, device="cpu", precision="fp32",
        threads=1))
    result = train(config, documents, [], output_dir=root / "model")
    return result.checkpoint_dir, root / "gold"


def test_evaluate_command_writes_the_three_track_report(tiny_checkpoint_and_gold, tmp_path):
    checkpoint, gold = tiny_checkpoint_and_gold
    result = subprocess.run([sys.executable, "-m", "trainer", "evaluate", str(gold), "--model", str(checkpoint),
                             "-o", str(tmp_path / "report"), "--device", "cpu"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert list(report["tracks"]) == ["ner", "relations_gold_entities", "end_to_end"]
    assert report["meta"]["documents"] == 2
    gold_counts = {"ner": 7, "relations_gold_entities": 2, "end_to_end": 2}
    for track, expected in gold_counts.items():
        assert sum(row["tp"] + row["fn"] for row in report["tracks"][track]["per_type"].values()) == expected
    assert (tmp_path / "report" / "per_type_f1.png").stat().st_size > 10_000
    assert "relations (gold entities)" in result.stdout


def test_evaluate_command_with_a_broken_checkpoint_is_one_clear_line(tiny_checkpoint_and_gold, tmp_path):
    _, gold = tiny_checkpoint_and_gold
    (tmp_path / "broken").mkdir()
    result = subprocess.run([sys.executable, "-m", "trainer", "evaluate", str(gold), "--model",
                             str(tmp_path / "broken"), "-o", str(tmp_path / "report")],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "[E140]" in result.stderr and not (tmp_path / "report").exists()
