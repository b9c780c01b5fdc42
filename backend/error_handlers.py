"""Every error answered in one JSON shape, ``{"error": {"code", "message", "hint"}}``, and logged.

A ``BackendError`` carries its status (and headers, e.g. ``Retry-After``); a ``RegistryError`` is
a damaged MODEL_DIR (500); what Flask refuses is ``HTTPnnn``, a body over the limit 413 B012;
anything else is a bug, answered 500 B500 without a traceback (which goes to the log).
"""

from __future__ import annotations


from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from backend import limits
from backend.errors import INTERNAL_ERROR, BackendError
from backend.request_fields import where
from backend.state import APP_LOG
from converters.errors import SHOWN_CHARS
from retraining.registry import RegistryError

errors_blueprint = Blueprint("errors", __name__)


@errors_blueprint.app_errorhandler(BackendError)
def backend_error(error: BackendError) -> tuple[Response, int, dict[str, str]]:
    APP_LOG.info("%s %s -> %d %s", request.method, where(), error.status, error)
    headers = {"WWW-Authenticate": 'Basic realm="rurebus-backend"'} if error.status == 401 else {}
    return jsonify(error.to_json()), error.status, {**headers, **error.headers}


@errors_blueprint.app_errorhandler(RegistryError)
def registry_error(error: RegistryError) -> tuple[Response, int]:
    # The request was fine; MODEL_DIR is damaged (e.g. `current` names a removed version).
    APP_LOG.error("%s %s: model registry: %s", request.method, where(), error)
    answer = error.to_json()
    answer["error"]["message"] = f"model registry: {error.message}"
    return jsonify(answer), 500


@errors_blueprint.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> tuple[Response, int] | tuple[Response, int, dict[str, str]]:
    if error.code == 413:  # the body is over MAX_CONTENT_LENGTH (werkzeug's check)
        return backend_error(limits.too_large(
            where(), "a request body", request.content_length or 0, limits.MAX_BODY_BYTES,
            "bytes", "send fewer tasks per request (select fewer tasks before Retrieve "
            "Predictions)"))
    return jsonify(error={"code": f"HTTP{error.code}", "message": error.description}), error.code


@errors_blueprint.app_errorhandler(Exception)
def unexpected_error(error: Exception) -> tuple[Response, int]:
    APP_LOG.exception("%s %s failed", request.method, where())
    return jsonify(error={"code": INTERNAL_ERROR, "message": f"internal error: {type(error).__name__}: "
                          f"{str(error)[:SHOWN_CHARS]}",
                          "hint": "see the backend log"}), 500
