"""The layers are a contract, not a convention: backend -> retraining -> trainer -> converters.

``lint-imports`` (import-linter, configured in pyproject.toml's ``[tool.importlinter]``) checks
that a package imports only from the layers below it, that trainer/ and converters/ use no queue,
Redis, Label Studio client or web framework, and that backend/ reaches rq and Redis only through
retraining/. This test runs it, so `make test` and CI do; a second test plants a forbidden import
in a copy of the tree and expects the contract to fail.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

LAYERS = ["backend", "retraining", "trainer", "converters"]
LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", LINT], cwd=root, capture_output=True, text=True, timeout=300)


def test_the_import_contract_is_kept():
    result = _lint(REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("module, planted, broken", [
    ("trainer/config.py", "import retraining.queue", "backend -> retraining -> trainer -> converters"),
    ("converters/document.py", "import rq", "trainer and converters use no queue"),
    ("backend/auth.py", "import redis", "backend reaches the queue only through retraining"),
])
def test_a_planted_forbidden_import_breaks_the_contract(tmp_path, module, planted, broken):
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path)
    for package in LAYERS:
        shutil.copytree(REPO_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{planted}\n", encoding="utf-8")

    result = _lint(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{broken}" in result.stdout and "BROKEN" in result.stdout
