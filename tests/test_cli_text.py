"""What the commands print: plurals that agree with their counts, and help without reST markup
(issue 19, CLI consistency)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from converters.console import plain, plural
from tests.conftest import REPO_ROOT

HELP_COMMANDS = [["converters"], *[["trainer", name] for name in
                                   ("train", "evaluate", "score", "predict", "fetch-corpus")],
                 ["backend.run"],
                 *[[f"benchmarks.{path.stem}"] for path in sorted((REPO_ROOT / "benchmarks").glob("*.py"))
                   if "argparse" in path.read_text(encoding="utf-8")]]


def test_plural_agrees_with_the_count():
    assert [plural(n, "document") for n in (0, 1, 2)] == ["0 documents", "1 document", "2 documents"]
    assert plural(1, "entity") == "1 entity" and plural(3, "entity") == "3 entities"
    assert plural(1, "skipped line") == "1 skipped line"
    assert plural(2, "annotation line") == "2 annotation lines"


def test_plain_drops_rest_markup():
    assert plain("``python -m x``: see :func:`~a.b` and ``y``") == "python -m x: see a.b and y"


@pytest.mark.parametrize("command", HELP_COMMANDS, ids=" ".join)
def test_help_shows_no_rest_markup(command):
    environment = dict(os.environ, PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-m", *command, "--help"], cwd=REPO_ROOT,
                            env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "``" not in result.stdout and ":func:" not in result.stdout, result.stdout


def test_converter_summary_says_1_document(tmp_path: Path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("Один текст.", encoding="utf-8")
    (tmp_path / "src" / "a.ann").write_text("T1\tMET 0 4\tОдин\n", encoding="utf-8")
    environment = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run([sys.executable, "-m", "converters", "brat2ls", tmp_path / "src", "-o",
                             tmp_path / "tasks.json"], cwd=REPO_ROOT, env=environment,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("brat2ls: 1 document, 1 entity, 0 relations, 0 skipped lines → ")
