"""Fixtures of the retraining tests."""

from collections.abc import Iterator

import pytest

from converters.labelstudio import build_label_config
from tests.worker.export_server import ExportServer

TOKEN = "0123456789abcdef0123456789abcdef01234567"
LABEL_CONFIG = build_label_config(["MET", "ECO", "ACT"], ["NNG"])


@pytest.fixture
def export_server() -> Iterator[ExportServer]:
    server = ExportServer(token=TOKEN, label_config=LABEL_CONFIG)
    server.start()
    yield server
    server.stop()
