"""Issue 20 item 2: one error model. Every code lives in its package's ``errors.py`` as a named
constant with a one-line meaning (as spaCy's ``errors.py`` does); the other modules raise with the
names, never with a code literal; and no code is listed twice, in one package or across them."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ERRORS_MODULES = {
    "converters": ("C",),
    "trainer": ("E",),
    "retraining": ("R", "T", "V"),
    "backend": ("B",),
}
CODE = re.compile(r"[A-Z]\d{3}")
"""A code as it is listed: one capital and three digits (HTTPnnn is Flask's, not ours)."""
BRACKETED_CODE = re.compile(r"\[[A-Z]\d{3}\]")
"""A code written into a message by hand, as ``[T003] …`` was."""


def listed_codes(package: str) -> list[tuple[str, str, str | None]]:
    """``(name, code, meaning)`` for each ``NAME = "Xnnn"`` of ``<package>/errors.py``, with the
    docstring that follows it (None when there is none)."""
    body = ast.parse((ROOT / package / "errors.py").read_text(encoding="utf-8")).body
    listed = []
    for statement, following in zip(body, body[1:] + [None]):
        if (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
                and isinstance(statement.value, ast.Constant) and isinstance(statement.value.value, str)
                and CODE.fullmatch(statement.value.value)):
            meaning = (following.value.value if isinstance(following, ast.Expr)
                       and isinstance(following.value, ast.Constant) else None)
            listed.append((statement.targets[0].id, statement.value.value, meaning))
    return listed


def inline_code_literals(path: Path) -> list[str]:
    """``line: literal`` for each string in ``path`` that is a code (``"E131"``) or writes one in
    brackets (``"[T001] …"``), in plain strings and in the literal parts of f-strings."""
    found, where = [], path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if CODE.fullmatch(node.value) or BRACKETED_CODE.search(node.value):
                found.append(f"{where}:{node.lineno}: {node.value[:60]!r}")
    return found


def test_no_module_writes_a_code_as_a_literal():
    # A new code goes into the package's errors.py with its meaning; modules import its name.
    sources = [path for package in ERRORS_MODULES for path in sorted((ROOT / package).rglob("*.py"))
               if path.name != "errors.py"]
    assert len(sources) > 40, "the packages' sources were not found"
    literals = [literal for path in sources for literal in inline_code_literals(path)]
    assert literals == [], "list these codes in the package's errors.py and use their names:\n" + \
        "\n".join(literals)


def test_the_literal_check_finds_a_planted_code(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text('raise TrainerError("E999", "x")\n'
                       'raise RetrainError(f"[R999] {x}")\n'
                       'CODE = E999  # a name is fine\n', encoding="utf-8")
    found = [line.split(": ", 1)[1] for line in inline_code_literals(planted)]
    assert found == ["'E999'", "'[R999] '"]


@pytest.mark.parametrize("package", sorted(ERRORS_MODULES))
def test_every_listed_code_has_its_prefix_and_a_meaning(package):
    listed = listed_codes(package)
    assert listed, f"{package}/errors.py lists no codes"
    for name, code, meaning in listed:
        assert code.startswith(ERRORS_MODULES[package]), (package, name, code)
        assert meaning and meaning.strip(), f"{package}/errors.py: {name} = {code!r} has no meaning"


def test_every_code_is_listed_once_across_packages():
    seen: dict[str, str] = {}
    duplicates = []
    for package in sorted(ERRORS_MODULES):
        for name, code, _ in listed_codes(package):
            where = f"{package}.errors.{name}"
            if code in seen:
                duplicates.append(f"{code}: {seen[code]} and {where}")
            seen[code] = where
    assert duplicates == []
    assert len(seen) > 90  # C, E, R/T/V and B codes together


@pytest.mark.parametrize("package", sorted(ERRORS_MODULES))
def test_the_listed_names_are_the_modules_values(package):
    # The AST reading above sees what the import sees (no code assigned twice or computed).
    module = __import__(f"{package}.errors", fromlist=["errors"])
    for name, code, _ in listed_codes(package):
        assert getattr(module, name) == code
