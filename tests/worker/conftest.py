"""Fixtures of the retraining tests."""

from collections.abc import Iterator

import pytest

from tests.worker.export_server import ExportServer

TOKEN = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def export_server() -> Iterator[ExportServer]:
    server = ExportServer(token=TOKEN)
    server.start()
    yield server
    server.stop()
