"""``benchmarks/decision_bias.py`` as a real process on a tiny checkpoint: its rows at the
product's default biases (none on gold entities) must be what the product's own evaluation gives; a huge bias must leave nothing predicted and a huge
negative one must link every pair of a sentence."""

import json
import os
import subprocess
import sys

from converters.brat import write_collection
from tests.conftest import REPO_ROOT
from tests.fixtures.checkpoint import tiny_documents
from trainer.config import DEFAULT_NO_RELATION_BIAS, DEFAULT_OUTSIDE_BIAS
from trainer.predict import Predictor
from trainer.tracks import evaluate_tracks


def row(output: str, label: str) -> list[str]:
    return next(line for line in output.splitlines() if line.strip().startswith(label)).split()


def f1_of(output: str, label: str) -> float:
    return float(row(output, label)[-1])


def predicted(output: str, label: str) -> int:
    return int(row(output, label)[-4])


def test_default_biases_match_evaluation_and_a_huge_bias_predicts_nothing(tiny_checkpoint,
                                                                       tmp_path):
    documents = tiny_documents()
    write_collection(documents, tmp_path / "docs")
    (tmp_path / "splits.json").write_text(json.dumps({"dev": ["doc1", "doc2", "doc3"]}))
    result = subprocess.run(
        [sys.executable, "benchmarks/decision_bias.py", "--model", str(tiny_checkpoint),
         "--data", str(tmp_path / "docs"), "--splits", str(tmp_path / "splits.json"),
         "--outside-biases", f"{DEFAULT_OUTSIDE_BIAS:g}", "50",
         "--relation-biases", "0", f"{DEFAULT_NO_RELATION_BIAS:g}", "50", "-50",
         "--precision", "fp32"],
        cwd=REPO_ROOT, env=dict(os.environ, OMP_NUM_THREADS="1"), capture_output=True,
        text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    predictor = Predictor.load(tiny_checkpoint, "cpu", precision="fp32")
    tracks = evaluate_tracks(predictor, documents)
    default_ner = f"NER, O bias {DEFAULT_OUTSIDE_BIAS:g} "
    assert f1_of(out, default_ner) == round(tracks["ner"]["f1"], 4)
    assert f1_of(out, "relations, gold entities, no-relation bias 0 ") == round(
        tracks["relations_gold_entities"]["f1"], 4)
    end_to_end = out.split(default_ner)[1]
    assert f1_of(end_to_end, f"end-to-end, no-relation bias {DEFAULT_NO_RELATION_BIAS:g} ") == round(
        tracks["end_to_end"]["f1"], 4)
    assert predicted(out, "NER, O bias 50 ") == 0
    assert predicted(out, "relations, gold entities, no-relation bias 50 ") == 0
    every_pair = sum(len(state.entities) * (len(state.entities) - 1) // 2
                     for document in documents
                     for state in predictor.gold_entity_states(document))
    assert predicted(out, "relations, gold entities, no-relation bias -50 ") == every_pair
