"""``python -m trainer train`` and ``predict`` as real processes, including their error messages."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from converters.brat import read_collection, write_collection
from converters.document import Document, Entity, Span
from tests.conftest import REPO_ROOT
from tests.fixtures.checkpoint import tiny_documents


def trainer(*args: str) -> subprocess.CompletedProcess:
    environment = dict(os.environ, PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "trainer", *map(str, args)], cwd=REPO_ROOT,
                          env=environment, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    write_collection(tiny_documents(), root / "docs")
    (root / "splits.json").write_text(json.dumps({"train": ["doc1", "doc2"], "dev": ["doc3"]}))
    return root


def test_train_command_writes_a_checkpoint_and_reports_dev_scores(corpus, tiny_encoder_dir,
                                                                  tmp_path):
    result = trainer("train", "--data", corpus / "docs", "--splits", corpus / "splits.json",
                     "--encoder", tiny_encoder_dir, "--epochs", "2", "--batch-size", "8",
                     "--max-length", "64", "--relation-max-length", "48", "--precision", "fp32",
                     "--output",
                     tmp_path / "model")
    assert result.returncode == 0, result.stderr
    assert "2 training documents and 1 dev document; unrepresentable: 0 of 12 entities" in result.stdout
    assert "best dev: ner=" in result.stdout
    assert not any(bar in result.stderr for bar in ("Loading weights", "Writing model shards"))
    metrics = json.loads((tmp_path / "model" / "metrics.json").read_text())
    assert metrics["dev_documents"] == 1 and len(metrics["epoch_seconds"]) >= 1


def test_unknown_split_is_a_clear_error(corpus, tiny_encoder_dir, tmp_path):
    result = trainer("train", "--data", corpus / "docs", "--splits", corpus / "splits.json",
                     "--train-split", "training", "--encoder", tiny_encoder_dir,
                     "--output", tmp_path / "model")
    assert result.returncode == 2
    assert "[E134] no split named 'training'" in result.stderr
    assert "Traceback" not in result.stderr


def test_predict_writes_t_and_r_lines(corpus, relational_checkpoint, tmp_path):
    result = trainer("predict", "--model", relational_checkpoint, corpus / "docs", "-o",
                     tmp_path / "out")
    assert result.returncode == 0, result.stderr
    predicted = read_collection(tmp_path / "out").documents
    assert [d.name for d in predicted] == ["doc1", "doc2", "doc3"]
    assert [d.text for d in predicted] == [d.text for d in tiny_documents()]
    lines = [line for name in ("doc1", "doc2", "doc3")
             for line in (tmp_path / "out" / f"{name}.ann").read_text().splitlines()]
    assert {line[0] for line in lines} == {"T", "R"}, "both kinds of line are written"
    for document in predicted:
        ids = {entity.id for entity in document.entities}
        assert all(r.arg1 in ids and r.arg2 in ids for r in document.relations)


def test_predict_declares_the_models_types_for_brat_or_copies_the_collections_own(
        corpus, tiny_checkpoint, tmp_path):
    from converters.annotation_conf import parse_annotation_conf

    trainer("predict", "--model", tiny_checkpoint, corpus / "docs", "-o", tmp_path / "declared")
    declared = parse_annotation_conf((tmp_path / "declared" / "annotation.conf").read_text())
    labels = json.loads((tiny_checkpoint / "labels.json").read_text())
    assert declared.entity_types == labels["entity_types"]
    assert declared.relation_types == labels["relation_types"]

    own_conf = "[entities]\nMET\n# the team's own file\n[relations]\n[events]\n[attributes]\n"
    archive = tmp_path / "docs.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("annotation.conf", own_conf)
        zipped.writestr("doc1.txt", tiny_documents()[0].text)
    result = trainer("predict", "--model", tiny_checkpoint, archive, "-o", tmp_path / "copied")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "copied" / "annotation.conf").read_text() == own_conf


def test_keep_existing_adds_only_non_overlapping_entities(tiny_checkpoint, tmp_path):
    text = tiny_documents()[0].text
    existing = Document("doc", text, entities=[Entity("T7", "SOC", (Span(0, 4),), "Доля")])
    write_collection([existing], tmp_path / "src")
    result = trainer("predict", "--model", tiny_checkpoint, tmp_path / "src", "-o",
                     tmp_path / "out", "--keep-existing")
    assert result.returncode == 0, result.stderr
    merged = read_collection(tmp_path / "out").documents[0]
    assert merged.entities[0] == existing.entities[0]
    added = merged.entities[1:]
    assert all(e.start >= 4 for e in added), "nothing overlapping the kept entity"
    assert all(int(e.id[1:]) > 7 for e in added)


def test_empty_collection_and_blank_documents(tiny_checkpoint, tmp_path):
    (tmp_path / "empty").mkdir()
    result = trainer("predict", "--model", tiny_checkpoint, tmp_path / "empty", "-o",
                     tmp_path / "out")
    assert result.returncode == 2 and "[E151]" in result.stderr
    (tmp_path / "blank").mkdir()
    (tmp_path / "blank" / "b.txt").write_text("  \n")
    result = trainer("predict", "--model", tiny_checkpoint, tmp_path / "blank", "-o",
                     tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "b: no sentences" in result.stderr
    assert (tmp_path / "out" / "b.ann").read_text() == ""


def test_corrupt_checkpoint_is_a_clear_error(corpus, tmp_path):
    (tmp_path / "model").mkdir()
    result = trainer("predict", "--model", tmp_path / "model", corpus / "docs", "-o",
                     tmp_path / "out")
    assert result.returncode == 2
    assert "[E140] not a complete checkpoint: missing config.json" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unusable_bias_flag_is_a_clear_error(corpus, tiny_checkpoint, tmp_path):
    result = trainer("predict", "--model", tiny_checkpoint, corpus / "docs", "-o", tmp_path / "out",
                     "--outside-bias", "nan")
    assert result.returncode == 2
    assert "[E154] outside bias: expected a number from -100 to 100, found nan" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_predict_without_model_pre_annotates_with_the_shipped_model(tmp_path):
    collection = tmp_path / "brat"
    collection.mkdir()
    (collection / "report.txt").write_text(
        "Доля сельского населения Алтайского края увеличилась в 2019 году. Основная задача "
        "администрации - модернизация инфраструктуры жилищно-коммунального хозяйства.\n",
        encoding="utf-8")
    result = trainer("predict", collection, "-o", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "out" / "report.ann").read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("T") for line in lines) and any(line.startswith("R") for line in lines)


TRANSFORMERS_BARS = ("Loading weights", "Writing model shards")
CURSOR_UP = "\x1b[A"


def test_predict_shows_a_progress_bar_and_none_of_transformers(corpus, relational_checkpoint,
                                                                tmp_path):
    result = trainer("predict", "--model", relational_checkpoint, corpus / "docs", "-o",
                     tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "predict: 100%" in result.stderr and "3/3" in result.stderr, result.stderr
    assert not any(bar in result.stderr for bar in TRANSFORMERS_BARS), result.stderr
    assert result.stdout.startswith("3 documents, ")


def test_evaluate_shows_one_bar_at_a_time(corpus, relational_checkpoint, tmp_path):
    result = trainer("evaluate", corpus / "docs", "--model", relational_checkpoint, "-o",
                     tmp_path / "report")
    assert result.returncode == 0, result.stderr
    assert "predict from text: 100%" in result.stderr
    assert "predict relations (gold entities): 100%" in result.stderr
    assert CURSOR_UP not in result.stderr, "two bars were open at once"
    assert not any(bar in result.stderr for bar in TRANSFORMERS_BARS), result.stderr


def test_building_and_loading_an_encoder_prints_no_transformers_bar(tmp_path):
    code = ("import sys; from trainer.tiny import build_tiny_encoder; "
            "from trainer.base_encoder import load_base; load_base(str(build_tiny_encoder(sys.argv[1])))")
    environment = dict(os.environ, PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-c", code, tmp_path / "encoder"], cwd=REPO_ROOT,
                            env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert not any(bar in result.stderr for bar in TRANSFORMERS_BARS), result.stderr
