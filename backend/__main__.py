"""``python -m backend``: serve the app with gunicorn (threads in one worker, one model per process)."""

from __future__ import annotations

import logging
import sys
import threading

from gunicorn.app.base import BaseApplication

from backend.app import create_app
from backend.errors import BackendError
from backend.settings import Settings
from trainer.registry import DEFAULT_PROJECT, RegistryError

log = logging.getLogger("backend")


def preload_default_model(worker) -> None:
    """Load DEFAULT_MODEL in the background as the worker starts (gunicorn's post_worker_init).

    Loading the real encoder takes tens of seconds on a busy CPU; paid by the first /predict it
    would eat into Label Studio's 100 s timeout. /health and /setup answer meanwhile.
    """
    models = worker.wsgi.extensions["model_cache"]

    def load() -> None:
        try:
            served = models.get(DEFAULT_PROJECT)
        except Exception:  # the first /predict reports the same failure to its caller
            log.exception("preloading the default model failed")
            return
        if served is not None:
            log.info("preloaded %s", served.version.name)

    threading.Thread(target=load, name="preload-default-model", daemon=True).start()


class BackendServer(BaseApplication):
    """gunicorn serving an app built here, so settings errors surface before any worker starts."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.application = create_app(settings)
        super().__init__()

    def load_config(self) -> None:
        self.cfg.set("bind", f"{self.settings.host}:{self.settings.port}")
        # One worker: each worker process would hold its own copy of the model.
        self.cfg.set("workers", 1)
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("threads", self.settings.threads)
        self.cfg.set("timeout", self.settings.request_timeout_s)
        self.cfg.set("accesslog", "-")
        self.cfg.set("errorlog", "-")
        # The control socket's default path is shared by every gunicorn of the user: two
        # backends (or a backend and a test server) would take each other's socket.
        self.cfg.set("control_socket_disable", True)
        self.cfg.set("post_worker_init", preload_default_model)

    def load(self):
        return self.application


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        server = BackendServer(settings)
    except (BackendError, RegistryError) as error:
        print(f"backend: {error}", file=sys.stderr)
        return 2
    log.info("serving %s", settings)
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
