"""The Label Studio ML backend and brat tagger: a Flask app answering Label Studio's calls.

Protocol (../shared/docs/label-studio-protocol.md): /health and /setup are cheap and load no
model; /predict loads the project's current model once and keeps it; /webhook only counts and
enqueues, so it answers within Label Studio's 1 s. Bad input is answered 4xx with a coded message.

The routes are blueprints by concern, each in its own module: backend/label_studio_api.py,
webhook_api.py, brat_api.py, jobs_api.py, with error_handlers.py answering every error. What they
share is one ``BackendState`` (backend/state.py), built here from ``Settings``.
"""

from __future__ import annotations

from flask import Flask

from backend import limits
from backend.auth import install_basic_auth
from backend.brat_api import brat_blueprint
from backend.error_handlers import errors_blueprint
from backend.jobs_api import jobs_blueprint
from backend.label_studio_api import NO_MODEL_VERSION, label_studio_blueprint
from backend.settings import Settings
from backend.state import BackendState
from backend.webhook_api import webhook_blueprint

__all__ = ["MAX_BODY_BYTES", "NO_MODEL_VERSION", "create_app"]

MAX_BODY_BYTES = limits.SERVER_BODY_BYTES
"""What the server lets through (``python -m backend`` gives it to waitress); the app itself reads
at most ``limits.MAX_BODY_BYTES`` and answers a larger body 413 B012 (backend/limits.py)."""
BLUEPRINTS = (label_studio_blueprint, webhook_blueprint, brat_blueprint, jobs_blueprint,
              errors_blueprint)


def create_app(settings: Settings | None = None) -> Flask:
    """The WSGI app; ``settings`` default to the environment (see backend/settings.py)."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = limits.MAX_BODY_BYTES
    BackendState.from_settings(settings).install(app)
    install_basic_auth(app, settings)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app
