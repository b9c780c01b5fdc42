"""The app's shared state: built once from ``Settings`` in ``create_app``, reached by every
blueprint through ``backend_state()``.

One typed object in ``app.extensions`` instead of closures over ``create_app``'s locals, so each
blueprint lives in its own module and two apps (tests make many) never share a cache or a queue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, current_app

from backend.errors import NO_MODEL, BackendError
from backend.inference_queue import InferenceQueue
from backend.models import ModelCache, ServedModel
from backend.prediction_cache import PredictionCache
from backend.settings import Settings
from retraining.registry import ModelRegistry

APP_LOG = logging.getLogger("backend.app")
"""The app's logger, whichever blueprint module logs: operators filter on its name."""
STATE_KEY = "rurebus_backend"
"""The ``app.extensions`` key of the app's ``BackendState``."""


@dataclass(frozen=True)
class BackendState:
    """What the routes share: the settings (``redis_url`` is the training queue's connection), the
    version registry, the loaded models, the kept predictions and the inference queue."""

    settings: Settings
    registry: ModelRegistry
    models: ModelCache
    predictions: PredictionCache
    inference: InferenceQueue

    @classmethod
    def from_settings(cls, settings: Settings) -> BackendState:
        registry = ModelRegistry(settings.model_dir, settings.default_model)
        models = ModelCache(registry, device=settings.device, capacity=settings.max_loaded_models,
                            precision=settings.precision, biases=settings.biases)
        return cls(settings, registry, models, PredictionCache(capacity=settings.prediction_cache_size),
                   InferenceQueue(settings.inference_slots))

    def install(self, app: Flask) -> None:
        """Make this the state ``backend_state()`` finds while ``app`` answers."""
        app.extensions[STATE_KEY] = self

    def served_model(self, project: str) -> ServedModel:
        """The project's model, loading it on first use; 503 B006 when it has none to serve."""
        served = self.models.get(project)
        if served is None:
            raise BackendError(503, NO_MODEL, f"project {project}: expected a published model or "
                               "DEFAULT_MODEL, found neither",
                               "set DEFAULT_MODEL to a checkpoint from `python -m trainer train`")
        return served


def backend_state(app: Flask | None = None) -> BackendState:
    """The ``BackendState`` of ``app``, by default of the app answering the current request."""
    return (app or current_app).extensions[STATE_KEY]
