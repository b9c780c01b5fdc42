"""The current request's fields, read and checked: its path for messages, its JSON body, the
project id and the labeling config; anything unusable is a ``BackendError`` 4xx naming it."""

from __future__ import annotations

from flask import request

from backend import limits
from backend.errors import BAD_LABEL_CONFIG, BAD_PROJECT, MISSING_FIELD, BackendError, shown
from backend.request_json import parse_json_object
from converters.errors import ConversionError, shortened
from converters.labelstudio import LabelConfig, parse_label_config
from retraining.registry import RegistryError, project_key


def where() -> str:
    """The request path for messages and logs, cut to ``SHOWN_CHARS`` (a client chooses it)."""
    return shortened(request.path)


def json_object(required: tuple[str, ...] = ()) -> dict:
    """The request body as a JSON object holding ``required`` fields, else a 400 naming the problem."""
    return parse_json_object(request.get_data(cache=True), where(), required)


def request_project(raw: object) -> str:
    try:
        return project_key(raw)
    except RegistryError as error:
        # The registry's message quotes the whole value; a client may send megabytes.
        raise BackendError(400, BAD_PROJECT, f"{where()}: expected a Label Studio project id such "
                           f"as 3 or '3.1795623812', found {shown(raw)}", error.hint) from None


def label_config(xml: object) -> LabelConfig:
    if not isinstance(xml, str):
        raise BackendError(400, MISSING_FIELD, f"{where()}: expected label_config as an XML string, "
                           f"found {type(xml).__name__}")
    limits.check_label_config(where(), xml)
    try:
        return parse_label_config(xml)
    except ConversionError as error:
        raise BackendError(400, BAD_LABEL_CONFIG, f"{where()}: {error}",
                           "the labeling config needs <Text> and <Labels> tags") from error
