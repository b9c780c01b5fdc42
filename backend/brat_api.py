"""``POST /brat/tag[/<project>]``: brat's automatic annotation, answered with the project's model.

The protocol's body and answer are backend/brat_tagger.py's; the prediction runs on the inference
queue and is kept in the prediction cache like a ``/predict``'s.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from backend import limits
from backend.brat_tagger import decode_body, document_to_tagger_json
from backend.request_fields import request_project, where
from backend.state import BackendState, backend_state
from converters.document import Document
from retraining.registry import DEFAULT_PROJECT

brat_blueprint = Blueprint("brat", __name__)


# brat's server drops the query string of a tagger URL, so the project can be a path segment
@brat_blueprint.post("/brat/tag")
@brat_blueprint.post("/brat/tag/<project>")
def brat_tag(project: str | None = None) -> Response:
    state = backend_state()
    text = decode_body(request.get_data(), request.mimetype_params.get("charset"))
    limits.check_text(where(), text)
    project = request_project(project or request.args.get("project") or DEFAULT_PROJECT)
    if not text.strip():
        return jsonify({})
    doc = state.inference.run(tag_text, state, project, text, timeout_s=state.settings.request_timeout_s)
    return jsonify(document_to_tagger_json(doc))


def tag_text(state: BackendState, project: str, text: str) -> Document:
    """The document the project's model predicts for ``text``; runs on the inference thread."""
    [doc] = state.predictions.predict(state.served_model(project), [text], ["brat"])
    return doc
