"""Predictions kept per (model version, text), so a batch Label Studio gave up on is not lost.

Label Studio waits 100 s for /predict. A "Retrieve Predictions" over many long RuREBus documents
can take longer on a CPU: Label Studio then stores nothing, but the backend's thread finishes the
batch. Keeping its documents here makes the next attempt answer at once; a text already being
predicted by another request is waited for instead of being predicted twice.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence

from backend.models import ServedModel
from converters.document import Document

CacheKey = tuple[str, str]


def cache_key(version: str, text: str) -> CacheKey:
    return version, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class PredictionCache:
    """Up to ``capacity`` predicted documents, least recently used dropped; thread-safe."""

    def __init__(self, capacity: int = 500):
        self.capacity = capacity
        self.predicted_texts = 0
        """Texts the model actually ran on (the rest came from the cache or another request)."""
        self._documents: OrderedDict[CacheKey, Document] = OrderedDict()
        self._in_flight: dict[CacheKey, threading.Event] = {}
        self._lock = threading.Lock()

    def predict(self, served: ServedModel, texts: Sequence[str], names: Sequence[str]) -> list[Document]:
        """``served.predictor.predict(texts, names)``, running the model only on texts not seen
        with this version; one batch for all of them."""
        keys = [cache_key(served.version.name, text) for text in texts]
        found: dict[CacheKey, Document] = {}
        mine: dict[CacheKey, int] = {}
        others: dict[CacheKey, threading.Event] = {}
        with self._lock:
            for index, key in enumerate(keys):
                if key in found or key in mine or key in others:
                    continue
                if key in self._documents:
                    self._documents.move_to_end(key)
                    found[key] = self._documents[key]
                elif key in self._in_flight:
                    others[key] = self._in_flight[key]
                else:
                    self._in_flight[key] = threading.Event()
                    mine[key] = index
        try:
            if mine:
                found.update(zip(mine, self._run(served, [texts[i] for i in mine.values()],
                                                 [names[i] for i in mine.values()]), strict=True))
        finally:
            with self._lock:
                for key in mine:
                    self._in_flight.pop(key).set()
        for key, event in others.items():
            event.wait()
            with self._lock:
                document = self._documents.get(key)
            # None when the other request's batch failed: predict it here instead
            found[key] = document or self._run(served, [texts[keys.index(key)]],
                                               [names[keys.index(key)]])[0]
        return [found[key] for key in keys]

    def _run(self, served: ServedModel, texts: list[str], names: list[str]) -> list[Document]:
        documents = served.predictor.predict(texts, names=names)
        with self._lock:
            self.predicted_texts += len(texts)
            for text, document in zip(texts, documents, strict=True):
                key = cache_key(served.version.name, text)
                self._documents[key] = document
                self._documents.move_to_end(key)
            while len(self._documents) > self.capacity:
                self._documents.popitem(last=False)
        return documents
