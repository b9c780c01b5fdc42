"""Basic auth: required on every endpoint but /health when BASIC_AUTH_USER/BASIC_AUTH_PASS are set."""

from __future__ import annotations

import base64

import pytest

from tests.backend.conftest import make_client


def basic(user: str, password: str) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def guarded(tmp_path, eager_checkpoint):
    return make_client(tmp_path, eager_checkpoint, basic_auth_user="ls", basic_auth_pass="s3cret")


CALLS = [
    ("POST", "/setup", {"project": "1.2"}),
    ("POST", "/predict", {"tasks": [], "label_config": "<View/>"}),
    ("POST", "/webhook", {"action": "PROJECT_UPDATED"}),
    ("GET", "/versions", None),
    ("POST", "/brat/tag", None),
    ("GET", "/jobs/1", None),
]


def test_health_stays_open(guarded):
    assert guarded.get("/health").status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), CALLS)
@pytest.mark.parametrize("headers", [{}, basic("ls", "wrong"), basic("other", "s3cret"),
                                     {"Authorization": "Bearer s3cret"}])
def test_other_endpoints_refuse_missing_or_wrong_credentials(guarded, method, path, body, headers):
    response = guarded.open(path, method=method, json=body, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "B007"
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert "s3cret" not in response.get_data(as_text=True)


def test_right_credentials_pass(guarded):
    headers = basic("ls", "s3cret")
    assert guarded.post("/setup", json={"project": "1.2"}, headers=headers).status_code == 200
    assert guarded.post("/webhook", json={"action": "PROJECT_UPDATED"}, headers=headers).status_code == 200
    assert guarded.get("/versions", headers=headers).status_code == 200
    response = guarded.post("/brat/tag", data="Рост экономики.".encode(), headers=headers,
                            content_type="text/plain; charset=utf-8")
    assert response.status_code == 200


def test_without_settings_no_credentials_are_needed(client):
    assert client.post("/setup", json={"project": "1.2"}).status_code == 200
