"""Backend configuration from environment variables, in Label Studio ML-backend convention."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from backend.errors import BAD_SETTINGS, BackendError
from trainer.config import INFERENCE_PRECISIONS, DecisionBiases, default_model_setting
from trainer.errors import TrainerError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class Settings:
    """Everything the app and its server need; secrets are kept out of ``repr`` (and so of logs)."""

    model_dir: Path = Path("models")
    """MODEL_DIR: the registry root (per-project versions, Label Studio connections)."""
    default_model: Path | None = None
    """DEFAULT_MODEL: checkpoint served to projects that have no published version (unset: the
    shipped model; ``none``: none)."""
    basic_auth_user: str | None = None
    """BASIC_AUTH_USER: when set with BASIC_AUTH_PASS, every endpoint but /health requires it."""
    basic_auth_pass: str | None = field(default=None, repr=False)
    redis_url: str | None = None
    """REDIS_URL: the retraining queue; without it START_TRAINING is answered with an error body."""
    host: str = "127.0.0.1"
    """HOST: bind address; use 0.0.0.0 when Label Studio runs on another host or container."""
    port: int = 9090
    """PORT."""
    threads: int = 4
    """THREADS: gunicorn threads in the single worker process (the model is loaded once per process)."""
    device: str = "auto"
    """DEVICE: torch device for predictions (auto = CUDA when available)."""
    precision: str = "auto"
    """PRECISION: auto (bf16 where the CPU or GPU computes it natively, else fp32), fp32 or bf16."""
    biases: DecisionBiases = DecisionBiases()
    """OUTSIDE_BIAS, NO_RELATION_BIAS: how far decoding leans towards "no entity" and "no relation"
    (``python -m trainer predict --outside-bias/--no-relation-bias``; the worker reads them too)."""
    max_loaded_models: int = 2
    """MAX_LOADED_MODELS: predictors kept in memory at once (least recently used are dropped)."""
    request_timeout_s: int = 120
    """REQUEST_TIMEOUT_S: longest a /predict waits for the model before a 503; above Label Studio's
    100 s /predict timeout."""
    inference_queue_size: int | None = None
    """INFERENCE_QUEUE_SIZE: model requests queued or running at once, below THREADS so that
    /health, /setup and /webhook always find a thread (default: half of THREADS)."""
    client_timeout_s: int = 30
    """CLIENT_TIMEOUT_S: a connection that sends or reads nothing for this long is closed."""
    connection_limit: int = 1000
    """CONNECTION_LIMIT: open connections served at once (idle or slow ones hold no thread)."""
    log_level: str = "INFO"
    """LOG_LEVEL: DEBUG, INFO, WARNING, ERROR or CRITICAL, as in label-studio-ml-backend."""
    workers: int | None = None
    """WORKERS: read only to say that it is not used: the backend is one process by design (one
    model in memory, one inference queue, versions swapped in one place); THREADS scales it."""
    prediction_cache_size: int = 500
    """PREDICTION_CACHE_SIZE: predicted documents kept for retries after a Label Studio timeout
    (0 keeps none, e.g. to time the model)."""

    def __post_init__(self) -> None:
        if (self.basic_auth_user is None) != (self.basic_auth_pass is None):
            raise BackendError(
                500, BAD_SETTINGS,
                "expected BASIC_AUTH_USER and BASIC_AUTH_PASS together, found only one of them",
                "set both to require Basic auth, or neither",
            )

        if self.inference_queue_size is not None and self.inference_queue_size >= self.threads:
            raise BackendError(500, BAD_SETTINGS, f"INFERENCE_QUEUE_SIZE: expected fewer than THREADS "
                               f"({self.threads}), found {self.inference_queue_size}",
                               "leave threads free for /health, /setup and /webhook")
        if self.log_level not in LOG_LEVELS:
            raise BackendError(500, BAD_SETTINGS, f"LOG_LEVEL: expected one of {', '.join(LOG_LEVELS)}, "
                                                  f"found {self.log_level!r}")
        if self.precision not in INFERENCE_PRECISIONS:
            raise BackendError(500, BAD_SETTINGS, f"PRECISION: expected one of {', '.join(INFERENCE_PRECISIONS)}, "
                                                  f"found {self.precision!r}")

    @property
    def inference_slots(self) -> int:
        """INFERENCE_QUEUE_SIZE, or half of THREADS (at least one) when unset."""
        return self.inference_queue_size or max(1, self.threads // 2)

    @property
    def one_process_note(self) -> str | None:
        """The log line for a WORKERS setting, which the single-process backend does not honour."""
        if self.workers is None:
            return None
        return (f"WORKERS={self.workers} is not used: the backend is one process by design (one "
                f"model in memory, one inference queue, one version served at a time); scale "
                f"with THREADS ({self.threads}) and INFERENCE_QUEUE_SIZE instead")

    @property
    def basic_auth_enabled(self) -> bool:
        return self.basic_auth_user is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; empty variables count as unset."""
        env = {key: value for key, value in (os.environ if environ is None else environ).items() if value != ""}
        default_model = env.get("DEFAULT_MODEL")
        try:
            biases = DecisionBiases.from_env(env)
        except TrainerError as error:
            raise BackendError(500, BAD_SETTINGS, error.message, error.hint) from None
        return cls(
            model_dir=Path(env.get("MODEL_DIR", "models")),
            default_model=default_model_setting(default_model),
            basic_auth_user=env.get("BASIC_AUTH_USER"),
            basic_auth_pass=env.get("BASIC_AUTH_PASS"),
            redis_url=env.get("REDIS_URL"),
            host=env.get("HOST", "127.0.0.1"),
            port=_int_at_least(env, "PORT", 9090),
            threads=_int_at_least(env, "THREADS", 4),
            device=env.get("DEVICE", "auto"),
            precision=env.get("PRECISION", "auto"),
            biases=biases,
            max_loaded_models=_int_at_least(env, "MAX_LOADED_MODELS", 2),
            request_timeout_s=_int_at_least(env, "REQUEST_TIMEOUT_S", 120),
            prediction_cache_size=_int_at_least(env, "PREDICTION_CACHE_SIZE", 500, minimum=0),
            inference_queue_size=_int_at_least(env, "INFERENCE_QUEUE_SIZE", 0) or None,
            client_timeout_s=_int_at_least(env, "CLIENT_TIMEOUT_S", 30),
            connection_limit=_int_at_least(env, "CONNECTION_LIMIT", 1000),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            workers=_int_at_least(env, "WORKERS", 1) if "WORKERS" in env else None,
        )


def _int_at_least(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise BackendError(500, BAD_SETTINGS, f"{name}: expected {kind}, found {raw!r}")
    return value
