"""The project installs as a package (pyproject.toml, `make install` runs `pip install -e .`): its
commands work from any directory, find the shipped model, and benchmarks import it as installed."""

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

BENCHMARKS = sorted((REPO_ROOT / "benchmarks").glob("*.py"))


def _elsewhere(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """``python *args`` run from an empty directory, without PYTHONPATH."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    return subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("package", ["converters", "trainer", "backend.run"])
def test_python_m_works_from_another_directory(tmp_path, package):
    result = _elsewhere(tmp_path, "-m", package, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout


def test_the_shipped_model_is_found_from_another_directory(tmp_path):
    result = _elsewhere(tmp_path, "-c", "from trainer.config import SHIPPED_MODEL as m; "
                        "print(m, (m / 'delta.safetensors').is_file())")
    assert result.returncode == 0, result.stderr
    path, found = result.stdout.split()
    assert Path(path) == REPO_ROOT / "pretrained" / "rurebus-e5-small" and found == "True"


def test_console_scripts_name_existing_functions():
    scripts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts
    for target in scripts.values():
        module, function = target.split(":")
        source = (REPO_ROOT / module.replace(".", "/")).with_suffix(".py").read_text()
        assert f"\ndef {function}(" in source, target


def test_requirements_pin_what_pyproject_lists():
    """Every dependency of pyproject.toml is pinned (==) in requirements.txt, torch included."""
    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = {line.split("==")[0].split(">")[0].split("<")[0].strip().lower()
              for line in (REPO_ROOT / "requirements.txt").read_text().splitlines() if line.strip()}
    names = {dependency.split(">")[0].split("<")[0].split("=")[0].strip().lower()
             for dependency in declared}
    assert names == pinned
    assert "torch==2.13.0" in (REPO_ROOT / "requirements.txt").read_text().splitlines()


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda path: path.name)
def test_benchmarks_neither_edit_sys_path_nor_import_tests(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not any(alias.name.split(".")[0] == "tests" for alias in node.names), path
        elif isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] != "tests", path
        elif isinstance(node, ast.Attribute) and node.attr == "path":
            assert not (isinstance(node.value, ast.Name) and node.value.id == "sys"), \
                f"{path.name} edits sys.path"


def test_a_benchmark_runs_as_a_script_from_another_directory(tmp_path):
    """``python benchmarks/retrain_time.py``: sys.path[0] is benchmarks/, the package is installed."""
    result = _elsewhere(tmp_path, str(REPO_ROOT / "benchmarks" / "retrain_time.py"), "--help")
    assert result.returncode == 0, result.stderr


def test_the_readme_stays_within_15_kb():
    assert (REPO_ROOT / "README.md").stat().st_size <= 15_000
