"""``python -m backend``: serve the app with waitress (one process, one model per process).

waitress reads requests and writes answers on one asynchronous I/O thread and hands only complete
requests to its ``THREADS`` worker threads, so a stalled or idle client holds a connection, never
a thread, and is closed after ``CLIENT_TIMEOUT_S`` without traffic. Model work leaves the request
threads for the bounded inference queue (backend/inference_queue.py), so ``/health``, ``/setup``
and ``/webhook`` keep free threads under any load (issue 18, items 2 and 3).
"""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import replace

from flask import Flask
from waitress import serve

from backend.app import MAX_BODY_BYTES, create_app
from backend.errors import BackendError
from backend.settings import Settings
from backend.state import backend_state
from retraining.queue import masked_url
from retraining.registry import DEFAULT_PROJECT, RegistryError

log = logging.getLogger("backend")

CLEANUP_INTERVAL_S = 2
"""How often waitress looks for connections idle past CLIENT_TIMEOUT_S."""
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MAX_HEADER_BYTES = 64 * 1024
"""Largest request head accepted (Label Studio's are under 1 KB)."""


def preload_default_model(app: Flask) -> None:
    """Load DEFAULT_MODEL on the inference thread as the server starts.

    Loading the real encoder takes tens of seconds on a busy CPU; paid by the first /predict it
    would eat into Label Studio's 100 s timeout. /health and /setup answer meanwhile.
    """
    state = backend_state(app)

    def load() -> None:
        try:
            served = state.inference.run(state.models.get, DEFAULT_PROJECT, timeout_s=None)
        except Exception:  # the first /predict reports the same failure to its caller
            log.exception("preloading the default model failed")
            return
        if served is not None:
            log.info("preloaded %s", served.version.name)

    threading.Thread(target=load, name="preload-default-model", daemon=True).start()


def configure_logging(settings: Settings) -> None:
    """The root logger at LOG_LEVEL; and, when WORKERS is set, the line saying it is not used."""
    logging.basicConfig(format=LOG_FORMAT)
    logging.getLogger().setLevel(settings.log_level)
    if settings.one_process_note:
        log.warning("%s", settings.one_process_note)


def main() -> int:
    try:
        settings = Settings.from_env()
        configure_logging(settings)
        app = create_app(settings)
    except (BackendError, RegistryError) as error:
        print(f"backend: {error}", file=sys.stderr)
        return 2
    log.info("serving %s", replace(settings, redis_url=settings.redis_url and masked_url(settings.redis_url)))
    preload_default_model(app)
    serve(
        app, host=settings.host, port=settings.port, threads=settings.threads,
        connection_limit=settings.connection_limit, channel_timeout=settings.client_timeout_s,
        cleanup_interval=CLEANUP_INTERVAL_S, max_request_body_size=MAX_BODY_BYTES,
        max_request_header_size=MAX_HEADER_BYTES, asyncore_use_poll=True, ident="rurebus-backend",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
