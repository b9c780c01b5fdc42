"""Predictors loaded once per process and swapped when the registry promotes a new version.

Every request asks the registry for the project's current version (one small file read). When the
version is already loaded, its predictor is returned; otherwise it is loaded under a lock, while
requests that already hold the old ``ServedModel`` keep predicting with it. A request takes one
``ServedModel`` reference and uses it for its whole answer, so a response never mixes versions.
A version that cannot be loaded (a damaged file, a delta made for another base) is logged with its
coded error, and the project keeps the version it was served before; with none, B011.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from backend.errors import UNLOADABLE_MODEL, BackendError
from backend.predictor import ServedPredictor
from trainer.config import DecisionBiases
from trainer.errors import TrainerError
from retraining.registry import ModelRegistry, ModelVersion

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServedModel:
    """A loaded predictor together with the registry version it was loaded from."""

    version: ModelVersion
    predictor: ServedPredictor
    suffix: str = ""
    """``DecisionBiases.version_suffix()`` of the biases it decodes with."""

    @property
    def name(self) -> str:
        """The ``model_version`` answered to Label Studio: the version's name, plus the biases'
        suffix when they are not the defaults (``ModelCache.served_name``)."""
        return self.version.name + self.suffix


def load_predictor(path: Path, device: str, precision: str = "auto",
                   biases: DecisionBiases = DecisionBiases()) -> ServedPredictor:
    # Imported here so that /health, /setup and /webhook never pay torch's import time.
    from trainer.predict import Predictor

    return Predictor.load(path, device=device, precision=precision, biases=biases)


class ModelCache:
    """Up to ``capacity`` predictors, keyed by checkpoint directory, least recently used dropped."""

    def __init__(self, registry: ModelRegistry, device: str = "auto", capacity: int = 2,
                 precision: str = "auto", biases: DecisionBiases = DecisionBiases()):
        self.registry = registry
        self.device = device
        self.precision = precision
        self.biases = biases
        self.capacity = capacity
        self._loaded: OrderedDict[tuple[Path, str], ServedModel] = OrderedDict()
        self._lock = threading.Lock()
        """Guards ``_loaded``; held only for dictionary updates, never while loading."""
        self._loading: dict[tuple[Path, str], threading.Lock] = {}
        """One lock per version being loaded, so concurrent first requests load it once."""
        self.load_count = 0
        """Predictors loaded since start (a model reloaded per request would show here)."""
        self._last_served: dict[str, ServedModel] = {}
        """Per project, the model answered last: kept serving while a newer version fails to load."""

    def served_name(self, version: ModelVersion) -> str:
        """``version``'s name as /setup, /predict and /versions report it (see ``ServedModel.name``)."""
        return version.name + self.biases.version_suffix()

    def current_version(self, project: str) -> ModelVersion | None:
        """The version the project would be served now, without loading anything."""
        return self.registry.current(project)

    def get(self, project: str) -> ServedModel | None:
        """The served model of ``project``, loading its current version on first use."""
        version = self.registry.current(project)
        if version is None:
            return None
        key = (version.path.resolve(), version.name)
        served = self._lookup(key)
        if served is None:
            try:
                served = self._load(key, version)
            except TrainerError as error:
                served = self._last_served.get(project)
                log.error("project %s: version %s cannot be loaded, %s: %s", project, version.name,
                          f"still serving {served.version.name}" if served else "nothing to serve",
                          error)
                if served is None:
                    where = Path(error.path).name if error.path else version.name
                    raise BackendError(503, UNLOADABLE_MODEL,
                                       f"project {project}: model version {version.name} cannot "
                                       f"be loaded ({error.code} in {where}): {error.message}",
                                       error.hint) from None
                return served
        with self._lock:
            self._last_served[project] = served
        return served

    def _load(self, key: tuple[Path, str], version: ModelVersion) -> ServedModel:
        with self._lock:
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:
            served = self._lookup(key)
            if served is None:
                log.info("loading model %s from %s", version.name, version.path)
                served = ServedModel(version, load_predictor(version.path, self.device, self.precision,
                                                                 self.biases), self.biases.version_suffix())
                with self._lock:
                    self.load_count += 1
                    self._loaded[key] = served
                    self._loading.pop(key, None)
                    while len(self._loaded) > self.capacity:
                        _, dropped = self._loaded.popitem(last=False)
                        log.info("unloaded model %s (MAX_LOADED_MODELS=%d)", dropped.version.name, self.capacity)
        return served

    def loaded_versions(self) -> list[str]:
        """Names of the versions in memory, least recently used first."""
        with self._lock:
            return [served.name for served in self._loaded.values()]

    def _lookup(self, key: tuple[Path, str]) -> ServedModel | None:
        with self._lock:
            served = self._loaded.get(key)
            if served is not None:
                self._loaded.move_to_end(key)
            return served
