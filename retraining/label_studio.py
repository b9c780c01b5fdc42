"""A project's human annotations, pulled from Label Studio's export API with label-studio-sdk.

``LabelStudio(base_url, api_key=...)`` accepts both a legacy token (sent as ``Token …``) and a
personal access token (a JWT it exchanges for an access token itself). The export endpoint returns
annotated tasks only; from each we keep the latest annotation that was not cancelled. Predictions
in the export are ignored: training only ever learns from people.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

from converters.errors import ConversionError
from converters.labelstudio import FRAGMENT_RELATION, LabelConfig, parse_label_config
from converters.ls_export import latest_annotation
from retraining.errors import (
    BAD_EXPORT, BAD_LABEL_CONFIG, BAD_RESULT, LABEL_STUDIO_FAILED, LABEL_STUDIO_UNREACHABLE, NO_SUCH_PROJECT,
    NO_TASK_ID, NO_TEXT, TOKEN_REFUSED, RetrainError,
)

EXPORT_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class AnnotatedTask:
    """One task's text and the Label Studio ``result`` list of its latest human annotation (its
    labels read back as the model's types when the project's config was given)."""

    task_id: int
    text: str
    result: list[dict[str, Any]]
    annotation_id: int | None


def label_studio_client(url: str, api_key: str) -> LabelStudio:
    try:
        return LabelStudio(base_url=url, api_key=api_key, timeout=EXPORT_TIMEOUT_S)
    except ApiError as error:
        # The SDK rejects an expired or expiry-less personal access token before any request.
        raise RetrainError(
            TOKEN_REFUSED, f"Label Studio token refused before any request: {_api_detail(error)}",
            "create a new access token in Label Studio (Account & Settings) and run /setup again",
        ) from error


def project_label_config(client: LabelStudio, url: str, project: str) -> LabelConfig:
    """The project's labeling config: tag names, labels, and the task data field of ``<Text>``."""
    with label_studio_errors(url, project, "the request for the labeling config"):
        label_config = client.projects.get(id=int(project)).label_config
    try:
        return parse_label_config(label_config or "")
    except ConversionError as error:
        raise RetrainError(
            BAD_LABEL_CONFIG, f"project {project}'s labeling config cannot be used: {error}",
            "give the project a config with <Labels> and <Text> tags",
        ) from error


def fetch_export(client: LabelStudio, url: str, project: str) -> list[dict[str, Any]]:
    """``GET /api/projects/<project>/export`` (JSON, annotated tasks) as a list of task dicts."""
    with label_studio_errors(url, project, "the export"):
        body = b"".join(client.projects.exports.download_sync(id=int(project)))
    try:
        tasks = json.loads(body)
    except json.JSONDecodeError as error:
        raise RetrainError(
            BAD_EXPORT, f"Label Studio export of project {project} from {url} is not JSON "
            f"({error}; it starts with {body[:80]!r})",
            "check that the URL points at Label Studio itself, not a proxy's login page",
        ) from error
    if not isinstance(tasks, list):
        raise RetrainError(
            BAD_EXPORT, f"Label Studio export of project {project} is a {type(tasks).__name__}, "
            "expected a JSON list of tasks",
        )
    return tasks


@contextmanager
def label_studio_errors(url: str, project: str, request: str = "the export") -> Iterator[None]:
    """Turn the SDK's transport and HTTP errors into RetrainErrors that name the cause;
    ``request`` names what was asked of Label Studio ("the export", "the upload of a prediction
    for task 5") in the message of an unexpected HTTP error."""
    try:
        yield
    except httpx.TransportError as error:
        raise RetrainError(
            LABEL_STUDIO_UNREACHABLE, f"Label Studio unreachable at {url}: {type(error).__name__}: {error}",
            "check that Label Studio runs and that the URL /setup sent (or LABEL_STUDIO_URL) is "
            "reachable from the worker",
        ) from error
    except ApiError as error:
        raise _explain_api_error(error, url, project, request) from error


def _explain_api_error(error: ApiError, url: str, project: str, request: str) -> RetrainError:
    if error.status_code in (401, 403):
        return RetrainError(
            TOKEN_REFUSED, f"Label Studio at {url} rejected the token (HTTP {error.status_code}: "
            f"{_api_detail(error)})",
            "the access token from /setup (or LABEL_STUDIO_API_KEY) is wrong or expired; legacy "
            "tokens also need legacy tokens enabled in the organization",
        )
    if error.status_code == 404:
        return RetrainError(
            NO_SUCH_PROJECT, f"Label Studio at {url} has no project {project} (HTTP 404)",
            "check the project id; the backend learns it from /setup and webhooks",
        )
    return RetrainError(
        LABEL_STUDIO_FAILED, f"Label Studio at {url} answered HTTP {error.status_code} to {request} of "
        f"project {project}: {_api_detail(error)}",
        "see Label Studio's log for the cause; once it answers again, press Start Training again",
    )


def _api_detail(error: ApiError) -> str:
    body = error.body
    if isinstance(body, dict):
        return str(body.get("detail") or body)
    return str(body)[:200]


def latest_human_annotations(tasks: list[dict[str, Any]], text_key: str | None = None,
                             config: LabelConfig | None = None) -> list[AnnotatedTask]:
    """The latest non-cancelled annotation of each task, in task id order; tasks without one are
    left out. ``text_key`` is the data field holding the text (by default the ``config``'s
    ``<Text>`` key, else ``text``). With the project's ``config``, region and relation labels are
    read back as the model's types through its ``predicted_values`` (``model_types``)."""
    text_key = text_key or (config.text_key if config is not None else "text")
    annotated: list[AnnotatedTask] = []
    for position, task in enumerate(tasks):
        task_id = task.get("id") if isinstance(task, dict) else None
        if not isinstance(task_id, int):
            raise RetrainError(
                NO_TASK_ID, f"export entry #{position} has no integer task id (found {task_id!r})",
                "pass a Label Studio JSON export, not JSON_MIN or CSV",
            )
        latest = latest_annotation(task)
        if latest is None:
            continue
        result = latest.get("result") or []
        if not isinstance(result, list):
            raise RetrainError(
                BAD_RESULT, f"task {task_id}: annotation {latest.get('id')} has a result of type "
                f"{type(result).__name__}, expected a list of regions",
                "fix or delete that annotation in Label Studio, or re-import the task",
            )
        if config is not None:
            result = model_types(result, config)
        annotated.append(AnnotatedTask(task_id, _task_text(task, text_key), result, latest.get("id")))
    return sorted(annotated, key=lambda item: item.task_id)


def model_types(result: list[Any], config: LabelConfig) -> list[Any]:
    """A copy of a Label Studio ``result`` whose labels are the model's types
    (``LabelConfig.entity_type``, ``relation_type``): what the annotators' regions train, so that
    the model shows them with the same labels again. ``fragment`` links and items of an unknown
    shape are kept as they are, for ``result_to_document`` to read or refuse."""
    return [_model_typed(item, config) if isinstance(item, dict) else item for item in result]


def _model_typed(item: dict[str, Any], config: LabelConfig) -> dict[str, Any]:
    value = item.get("value")
    if item.get("type") == "relation":
        labels = item.get("labels")
        if isinstance(labels, list) and FRAGMENT_RELATION not in labels:
            return {**item, "labels": [config.relation_type(label) if isinstance(label, str) else label
                                       for label in labels]}
    elif item.get("type") == "labels" and isinstance(value, dict) and isinstance(value.get("labels"), list):
        return {**item, "value": {**value, "labels": [
            config.entity_type(label) if isinstance(label, str) else label for label in value["labels"]]}}
    return item


def _task_text(task: dict[str, Any], text_key: str) -> str:
    text = (task.get("data") or {}).get(text_key)
    if not isinstance(text, str):
        raise RetrainError(
            NO_TEXT, f"task {task['id']}: expected the text in data.{text_key} (the <Text> tag's "
            f"value), found {type(text).__name__}; data fields: {sorted(task.get('data') or {})}",
            "import tasks whose data field matches the labeling config",
        )
    return text
