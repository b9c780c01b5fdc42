"""Waiting on and checking real processes in the worker tests."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def wait_for(probe: Callable[[], T], timeout_s: float, what: str,
             ignore: tuple[type[Exception], ...] = ()) -> T:
    """Poll ``probe`` until it returns something truthy (exceptions in ``ignore`` count as no)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = probe()
        except ignore:
            value = None
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout_s} s waiting for {what}")


def alive(pid: int) -> bool:
    """Running, not merely an unreaped zombie."""
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        return False
