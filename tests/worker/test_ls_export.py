"""Pulling annotations through label-studio-sdk from an HTTP server that answers like Label Studio."""

import socket

import jwt
import pytest

from tests.worker.conftest import TOKEN
from retraining.label_studio import (
    fetch_export,
    label_studio_client,
    latest_human_annotations,
    project_label_config,
)
from retraining.errors import RetrainError


def region(region_id, start, end, text, label):
    return {"id": region_id, "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": text, "labels": [label]}}


TEXT = "Министерство экономики утвердило методику"
TASKS = [
    {"id": 7, "data": {"text": TEXT}, "annotations": [
        {"id": 70, "was_cancelled": False, "created_at": "2026-11-25T10:00:00Z",
         "updated_at": "2026-11-25T10:00:00Z", "result": [region("a", 0, 12, "Министерство", "MET")]},
        {"id": 71, "was_cancelled": False, "created_at": "2026-11-25T09:00:00Z",
         "updated_at": "2026-11-25T11:00:00Z", "result": [region("b", 13, 22, "экономики", "ECO")]},
        {"id": 72, "was_cancelled": True, "created_at": "2026-11-25T12:00:00Z",
         "updated_at": "2026-11-25T12:00:00Z", "result": []},
    ], "predictions": [{"id": 1, "result": [region("p", 23, 31, "утвердило", "ACT")]}]},
    {"id": 8, "data": {"text": TEXT}, "annotations": [
        {"id": 80, "was_cancelled": True, "updated_at": "2026-11-25T12:00:00Z", "result": []}]},
    {"id": 5, "data": {"body": TEXT}, "annotations": [
        {"id": 50, "was_cancelled": False, "updated_at": "2026-11-25T12:00:00Z", "result": []}]},
    {"id": 9, "data": {"text": TEXT}, "annotations": []},
]


def test_export_comes_through_the_sdk_with_the_legacy_token(export_server):
    export_server.projects[3] = TASKS

    tasks = fetch_export(label_studio_client(export_server.url, TOKEN), export_server.url, "3")

    assert tasks == TASKS
    assert export_server.requests[0].startswith("/api/projects/3/export")


def test_text_field_comes_from_the_projects_labeling_config(export_server):
    export_server.projects[3] = TASKS
    export_server.label_config = export_server.label_config.replace('value="$text"', 'value="$body"')

    config = project_label_config(label_studio_client(export_server.url, TOKEN), export_server.url, "3")

    assert config.text_key == "body" and config.entity_labels == ["MET", "ECO", "ACT"]


def test_wrong_token_names_the_token(export_server):
    export_server.projects[3] = TASKS

    with pytest.raises(RetrainError) as caught:
        fetch_export(label_studio_client(export_server.url, "wrong"), export_server.url, "3")

    assert caught.value.code == "R102"
    assert "rejected the token (HTTP 401: Invalid token.)" in str(caught.value)


def test_unknown_project_is_named(export_server):
    with pytest.raises(RetrainError) as caught:
        fetch_export(label_studio_client(export_server.url, TOKEN), export_server.url, "42")

    assert caught.value.code == "R103" and "no project 42" in str(caught.value)


def test_unreachable_label_studio_is_named():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"  # bound, never listening: refused

    with pytest.raises(RetrainError) as caught:
        fetch_export(label_studio_client(url, TOKEN), url, "3")

    assert caught.value.code == "R101" and f"Label Studio unreachable at {url}" in str(caught.value)


def test_expired_personal_access_token_is_refused_before_any_request():
    expired = jwt.encode({"exp": 1, "token_type": "refresh"}, "k" * 32, algorithm="HS256")

    with pytest.raises(RetrainError) as caught:
        label_studio_client("http://127.0.0.1:9", expired)

    assert caught.value.code == "R102" and "expired" in str(caught.value)


def test_latest_human_annotation_per_task_cancelled_and_unannotated_skipped():
    annotated = latest_human_annotations(TASKS[:2] + TASKS[3:])

    assert [item.task_id for item in annotated] == [7]
    assert annotated[0].annotation_id == 71  # updated last, though created first
    assert annotated[0].result == [region("b", 13, 22, "экономики", "ECO")]
    assert annotated[0].text == TEXT


def test_task_without_id_is_an_error_naming_its_position():
    with pytest.raises(RetrainError) as caught:
        latest_human_annotations([TASKS[0], {"data": {"text": "x"}}])

    assert caught.value.code == "R201" and "export entry #1" in str(caught.value)


def test_text_missing_from_the_configured_field_is_an_error_naming_the_task():
    with pytest.raises(RetrainError) as caught:
        latest_human_annotations(TASKS)

    assert caught.value.code == "R203"
    assert "task 5: expected the text in data.text" in str(caught.value)
    assert latest_human_annotations([TASKS[2]], text_key="body")[0].text == TEXT
