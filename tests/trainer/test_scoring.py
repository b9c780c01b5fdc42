"""The official RuREBus scorer on hand-computed cases, and the ``score`` command."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from converters.brat import write_collection
from converters.document import Document, Entity, Relation, Span
from trainer.scoring import format_scores, prf, score_documents

REPO_ROOT = Path(__file__).resolve().parents[2]
TEXT = "Рост доходов населения района обеспечит снижение бедности ."


def entity(entity_id: str, type_: str, start: int, end: int, *more: tuple[int, int]) -> Entity:
    spans = (Span(start, end), *(Span(s, e) for s, e in more))
    return Entity(entity_id, type_, spans, " ".join(TEXT[s.start:s.end] for s in spans))


def doc(name: str, entities: list[Entity], relations: list[Relation] = ()) -> Document:
    return Document(name=name, text=TEXT, entities=list(entities), relations=list(relations))


GOLD_ENTITIES = [entity("T1", "BIN", 0, 4), entity("T2", "ECO", 5, 29), entity("T3", "BIN", 40, 48),
                 entity("T4", "SOC", 49, 57)]


def test_perfect_prediction_scores_one():
    gold = {"a": doc("a", GOLD_ENTITIES, [Relation("R1", "GOL", "T1", "T2")])}
    scores = score_documents(gold, gold)
    assert scores["ner"]["f1"] == scores["relations"]["f1"] == 1.0
    assert scores["ner"]["per_type"]["BIN"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0,
                                                "tp": 2, "fp": 0, "fn": 0}


def test_entities_need_exact_type_start_and_end():
    gold = {"a": doc("a", GOLD_ENTITIES)}
    pred = {"a": doc("a", [entity("T1", "BIN", 0, 4),      # TP
                           entity("T2", "ECO", 5, 22),     # wrong end: FP (+ gold T2 FN)
                           entity("T3", "ACT", 40, 48),    # wrong type: FP (+ gold T3 FN)
                           entity("T9", "SOC", 49, 57)])}  # TP, ids do not matter
    scores = score_documents(gold, pred)["ner"]
    assert (scores["precision"], scores["recall"]) == (0.5, 0.5)
    per_type = scores["per_type"]
    assert (per_type["BIN"]["tp"], per_type["BIN"]["fn"]) == (1, 1)
    assert (per_type["ACT"]["fp"], per_type["ACT"]["precision"], per_type["ACT"]["recall"]) == (1, 0.0, 0.0)
    assert (per_type["ECO"]["fp"], per_type["ECO"]["fn"]) == (1, 1)


def test_relation_argument_order_is_ignored_but_type_matters():
    gold = {"a": doc("a", GOLD_ENTITIES, [Relation("R1", "GOL", "T1", "T2"), Relation("R2", "TSK", "T3", "T4")])}
    pred = {"a": doc("a", GOLD_ENTITIES, [Relation("R1", "GOL", "T2", "T1"), Relation("R2", "GOL", "T3", "T4")])}
    scores = score_documents(gold, pred)["relations"]
    assert (scores["precision"], scores["recall"]) == (0.5, 0.5)
    assert scores["per_type"]["GOL"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3),
                                         "tp": 1, "fp": 1, "fn": 0}
    assert scores["per_type"]["TSK"]["fn"] == 1


def test_relation_arguments_compare_by_entity_type_and_offsets_not_ids():
    gold = {"a": doc("a", GOLD_ENTITIES, [Relation("R1", "GOL", "T1", "T2")])}
    shifted = [entity("E7", "BIN", 0, 4), entity("E8", "ECO", 5, 29)]
    wrong_type = [entity("E7", "BIN", 0, 4), entity("E8", "SOC", 5, 29)]
    assert score_documents(gold, {"a": doc("a", shifted, [Relation("X", "GOL", "E8", "E7")])})["relations"]["f1"] == 1.0
    scores = score_documents(gold, {"a": doc("a", wrong_type, [Relation("X", "GOL", "E7", "E8")])})["relations"]
    assert scores["per_type"]["GOL"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "tp": 0, "fp": 1, "fn": 1}


def test_duplicate_predictions_are_not_false_positives():
    gold = {"a": doc("a", GOLD_ENTITIES, [Relation("R1", "GOL", "T1", "T2")])}
    duplicated = GOLD_ENTITIES + [entity("T5", "BIN", 0, 4)]
    pred = {"a": doc("a", duplicated, [Relation("R1", "GOL", "T1", "T2"), Relation("R2", "GOL", "T2", "T1"),
                                       Relation("R3", "GOL", "T5", "T2")])}
    scores = score_documents(gold, pred)
    assert scores["ner"]["per_type"]["BIN"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "tp": 2, "fp": 0, "fn": 0}
    assert scores["relations"]["per_type"]["GOL"]["fp"] == 0 and scores["relations"]["precision"] == 1.0


def test_missing_prediction_document_counts_its_gold_as_false_negatives():
    gold = {"a": doc("a", GOLD_ENTITIES, [Relation("R1", "GOL", "T1", "T2")]),
            "b": doc("b", GOLD_ENTITIES[:2])}
    pred = {"a": gold["a"], "not-in-gold": doc("not-in-gold", GOLD_ENTITIES)}
    scores = score_documents(gold, pred)
    assert (scores["ner"]["precision"], scores["ner"]["recall"]) == (1.0, pytest.approx(4 / 6))
    assert scores["relations"]["f1"] == 1.0


def test_entities_with_several_fragments_are_dropped_on_both_sides():
    discontinuous = entity("T5", "ECO", 5, 12, (23, 29))
    gold = {"a": doc("a", [GOLD_ENTITIES[0], discontinuous], [Relation("R1", "GOL", "T1", "T5")])}
    pred = {"a": doc("a", [GOLD_ENTITIES[0], entity("T5", "ECO", 5, 12, (23, 29)), entity("T6", "ACT", 5, 12, (13, 22))],
                     [Relation("R1", "GOL", "T1", "T6")])}
    scores = score_documents(gold, pred)
    assert scores["ner"]["per_type"] == {"BIN": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "tp": 1, "fp": 0, "fn": 0}}
    assert scores["relations"]["per_type"] == {}
    assert scores["relations"]["f1"] == 0.0


def test_empty_sides_give_zero_not_division_errors():
    assert prf(0, 0, 0) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    scores = score_documents({"a": doc("a", [])}, {})
    assert scores == {"ner": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "per_type": {}},
                      "relations": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "per_type": {}}}


def test_text_table_lists_overall_and_each_type():
    gold = {"a": doc("a", GOLD_ENTITIES, [Relation("R1", "GOL", "T1", "T2")])}
    table = format_scores(score_documents(gold, {}), "1 gold document")
    assert "overall" in table and "GOL" in table and "SOC" in table
    assert table.splitlines()[3].split() == ["overall", "0.0000", "0.0000", "0.0000", "0", "0", "4"]


def run_trainer(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trainer", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def gold_and_pred(tmp_path: Path) -> tuple[Path, Path]:
    """Gold: two documents. Predictions: only ``a.ann`` (official submissions carry no .txt)."""
    gold = tmp_path / "gold"
    write_collection([doc("a", GOLD_ENTITIES, [Relation("R1", "GOL", "T1", "T2")]),
                      doc("sub/b", GOLD_ENTITIES[:2])], gold)
    pred = tmp_path / "pred"
    pred.mkdir()
    (pred / "a.ann").write_text("T1\tBIN 0 4\tРост\nT2\tECO 5 29\tдоходов населения района\n"
                                "R1\tGOL Arg1:T2 Arg2:T1\t\n", encoding="utf-8")
    (pred / "stray.ann").write_text("", encoding="utf-8")
    return gold, pred


def test_score_command_prints_the_json_shape(gold_and_pred):
    result = run_trainer("score", *map(str, gold_and_pred), "--json")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert set(scores) == {"ner", "relations"}
    assert set(scores["ner"]) == {"precision", "recall", "f1", "per_type"}
    # a.ann finds 2 of its 4 entities; sub/b (2 entities) has no prediction file.
    assert scores["ner"]["precision"] == 1.0 and scores["ner"]["recall"] == pytest.approx(2 / 6)
    assert scores["relations"]["f1"] == 1.0


def test_score_command_table_reports_missing_and_stray_files(gold_and_pred):
    result = run_trainer("score", *map(str, gold_and_pred))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == ("2 gold documents (1 without predictions, scored as empty; "
                                             "1 prediction file without gold, ignored)")


def test_score_command_bad_prediction_line_is_one_clear_line(gold_and_pred):
    gold, pred = gold_and_pred
    (pred / "a.ann").write_text("T1\tBIN 0 4\tРост\nT2\tECO 5 999\tдоходов\n", encoding="utf-8")
    result = run_trainer("score", str(gold), str(pred))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert str(pred / "a.ann") + ":2:" in result.stderr and "[C006]" in result.stderr


def test_score_command_empty_gold_is_an_error(tmp_path):
    (tmp_path / "pred").mkdir()
    result = run_trainer("score", str(tmp_path / "pred"), str(tmp_path / "pred"))
    assert result.returncode == 2 and "[E201]" in result.stderr and "Traceback" not in result.stderr


def test_rurebus_train_against_itself_counts_every_item_once(rurebus_dir):
    from trainer.scoring import read_gold

    gold = read_gold(rurebus_dir / "train")
    scores = score_documents(gold, gold)
    ner_tp = sum(row["tp"] for row in scores["ner"]["per_type"].values())
    relation_tp = sum(row["tp"] for row in scores["relations"]["per_type"].values())
    # README: 54,388 entities and 12,644 relation lines, one of them a duplicate.
    assert (ner_tp, relation_tp, scores["relations"]["f1"]) == (54388, 12643, 1.0)


def test_score_command_scores_by_offsets_and_counts_text_mismatches(gold_and_pred):
    """As the official RuREBus scripts: a text column that disagrees with the gold text at its
    offsets (cut short, or another text) is scored by the offsets, and counted in one warning."""
    gold, pred = gold_and_pred
    (pred / "a.ann").write_text("T1\tBIN 0 4\tРос\nT2\tECO 5 29\tдоходы населения района\n"
                                "R1\tGOL Arg1:T2 Arg2:T1\t\n", encoding="utf-8")
    result = run_trainer("score", str(gold), str(pred), "--json")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["ner"]["precision"] == 1.0 and scores["ner"]["recall"] == pytest.approx(2 / 6)
    assert scores["relations"]["f1"] == 1.0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: 2 predicted entities whose text column differs from the gold "
                        "text at its offsets; scored by offsets alone, as the official RuREBus "
                        "scripts do"]
