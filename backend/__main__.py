"""``python -m backend``: serve the app with gunicorn (threads in one worker, one model per process)."""

from __future__ import annotations

import logging
import sys

from gunicorn.app.base import BaseApplication

from backend.app import create_app
from backend.errors import BackendError
from backend.settings import Settings
from trainer.registry import RegistryError


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
    logging.getLogger(__name__).info("serving %s", settings)
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
