"""Model work off the request threads, behind a bounded queue.

All model work (loading a version, predicting) runs on one inference thread, in arrival order.
A request thread hands its work over and waits for the answer; at most ``capacity`` requests may
be queued or running at once, and the next is answered 503 with ``Retry-After`` at once instead
of piling up. With fewer inference slots than server threads, some threads are always free, so
``/health``, ``/setup`` and ``/webhook`` never wait for the model (``Settings`` checks the sizes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from backend.errors import BUSY, BackendError

T = TypeVar("T")

RETRY_AFTER_S = 5
"""Seconds a client is asked to wait after a 503 from a full queue."""


class InferenceQueue:
    """One inference thread and ``capacity`` slots for requests queued on it or running there."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._slots = threading.BoundedSemaphore(capacity)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference")
        self._lock = threading.Lock()
        self._in_flight = 0

    def run(self, work: Callable[..., T], *args: object, timeout_s: float | None) -> T:
        """``work(*args)`` on the inference thread; a ``BackendError`` 503 when the queue is full or
        the answer takes longer than ``timeout_s`` (the work then finishes and frees its slot; None
        waits as long as it takes)."""
        if not self._slots.acquire(blocking=False):
            raise _busy(f"expected a free inference slot, found all {self.capacity} busy")
        with self._lock:
            self._in_flight += 1
        try:
            future = self._executor.submit(work, *args)
        except BaseException:
            self._release(None)
            raise
        future.add_done_callback(self._release)
        try:
            return future.result(timeout=timeout_s)
        except TimeoutError:
            raise _busy(f"expected the model's answer within {timeout_s:g} s, found none yet") from None

    def depth(self) -> int:
        """Requests queued or running now (for /health)."""
        with self._lock:
            return self._in_flight

    def _release(self, _future: Future | None) -> None:
        with self._lock:
            self._in_flight -= 1
        self._slots.release()


def _busy(message: str) -> BackendError:
    return BackendError(503, BUSY, message,
                        f"retry after {RETRY_AFTER_S} s, or raise INFERENCE_QUEUE_SIZE (and THREADS)",
                        headers={"Retry-After": str(RETRY_AFTER_S)})
