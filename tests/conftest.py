"""Shared test configuration: the corpus path and every fixture module under tests/fixtures/."""

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
RUREBUS = SHARED / "data" / "rurebus"

# Each engineer's fixtures live in their own module under tests/fixtures/; all are loaded here so
# that adding one never means editing this file.
pytest_plugins = sorted(
    f"tests.fixtures.{module.stem}"
    for module in (Path(__file__).parent / "fixtures").glob("*.py")
    if module.stem != "__init__"
)


@pytest.fixture(scope="session")
def rurebus_dir() -> Path:
    """The RuREBus corpus beside the checkout (never copied into the repository)."""
    if not (RUREBUS / "train").is_dir():
        pytest.fail(f"RuREBus corpus not found at {RUREBUS}; CI lays ../shared beside the clone")
    return RUREBUS
