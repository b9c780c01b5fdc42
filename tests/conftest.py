"""Shared test fixtures: paths to the read-only corpus beside the checkout."""

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
RUREBUS = SHARED / "data" / "rurebus"


@pytest.fixture(scope="session")
def rurebus_dir() -> Path:
    """The RuREBus corpus beside the checkout (never copied into the repository)."""
    if not (RUREBUS / "train").is_dir():
        pytest.fail(f"RuREBus corpus not found at {RUREBUS}; CI lays ../shared beside the clone")
    return RUREBUS
