"""``benchmarks/inference_speed.py`` as a real process on a tiny checkpoint: the README's speed
figures come from it, so its own check (batched output == naive output) must hold and every
precision it times must run."""

import json
import os
import re
import subprocess
import sys

from converters.brat import write_collection
from tests.conftest import REPO_ROOT
from tests.fixtures.checkpoint import tiny_documents


def test_benchmark_finds_batched_equal_to_naive_and_times_each_precision(relational_checkpoint,
                                                                         tmp_path):
    write_collection(tiny_documents(), tmp_path / "docs")
    (tmp_path / "splits.json").write_text(json.dumps({"dev": ["doc1", "doc2", "doc3"]}))
    result = subprocess.run(
        [sys.executable, "benchmarks/inference_speed.py", "--model", str(relational_checkpoint),
         "--data", str(tmp_path / "docs"), "--splits", str(tmp_path / "splits.json"),
         "--sentences", "5", "--bf16"],
        cwd=REPO_ROOT, env=dict(os.environ, OMP_NUM_THREADS="1"), capture_output=True,
        text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 texts drawn from the dev split (seed 0), 5 sentences" in result.stdout
    assert "batched == naive: yes (largest entity-score gap 0.0" in result.stdout
    # the comparison covers relations only if the model predicts some on the sampled texts
    relations = re.search(r"output: \d+ entities, (\d+) relations", result.stdout)
    assert relations and int(relations.group(1)) > 0, result.stdout
    assert "fp32 matmul precision highest" in result.stdout
    # The labels come from the predictors' resolved precision: on a CPU with native bf16 a
    # reference loaded with the default "auto" would print bf16 here.
    assert "naive loop (fp32, batch 1)" in result.stdout, result.stdout
    assert "batched fp32 (batch 64)" in result.stdout, result.stdout
    assert "naive loop (bf16, batch 1)" in result.stdout, result.stdout
    for precision in ("fp32", "bf16"):
        assert f"{precision}: NER F1 " in result.stdout, result.stdout
