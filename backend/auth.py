"""HTTP Basic auth on every endpoint except /health, when BASIC_AUTH_USER/BASIC_AUTH_PASS are set.

Label Studio sends the credentials stored with the ML backend record (its "Basic auth" fields)
on every call, health checks included; /health stays open so load balancers can probe it.
"""

from __future__ import annotations

import hmac

from flask import Flask, request

from backend.errors import UNAUTHORIZED, BackendError
from backend.settings import Settings

OPEN_ENDPOINTS = frozenset({"label_studio.health"})
"""Endpoints answered without credentials: GET /health and GET / (label_studio_api.py)."""


def _same(given: str | None, expected: str) -> bool:
    # compare_digest keeps the comparison time independent of where the strings differ
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def install_basic_auth(app: Flask, settings: Settings) -> None:
    """Refuse requests without the configured credentials (401 with a WWW-Authenticate challenge)."""
    if not settings.basic_auth_enabled:
        return

    @app.before_request
    def require_basic_auth() -> None:
        if request.endpoint in OPEN_ENDPOINTS:
            return
        credentials = request.authorization
        if (
            credentials is not None
            and credentials.type == "basic"
            and _same(credentials.username, settings.basic_auth_user)
            and _same(credentials.password, settings.basic_auth_pass)
        ):
            return
        raise BackendError(
            401, UNAUTHORIZED,
            "expected HTTP Basic credentials matching BASIC_AUTH_USER/BASIC_AUTH_PASS, "
            + ("found wrong ones" if credentials is not None else "found none"),
            "in Label Studio: Settings → Model → edit the backend → Use basic auth",
        )
