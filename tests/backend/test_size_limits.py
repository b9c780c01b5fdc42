"""Issue 18, item 5: documented size limits (backend/limits.py) answered 413 B012 before any
model work; labeling configs parsed without a DTD; bad values echoed only as a short prefix.

The app serves no model: a request within the limits gets as far as 503 B006, one over a limit
is refused first.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import signal
import socket
import time

import pytest
import requests

from backend import limits
from tests.backend.conftest import make_client
from tests.backend.test_server import free_port, start_backend, wait_until_up

CONFIG = ('<View><Labels name="label" toName="text"><Label value="ECO"/></Labels>'
          '<Text name="text" value="$text"/></View>')
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE View [<!ENTITY a "ECOECOECOECOECO">'
          + "".join(f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">' for n in range(8))
          + ']><View><Labels name="label" toName="text"><Label value="&i;"/></Labels>'
          '<Text name="text" value="$text"/></View>')
"""A "billion laughs" config: 10^8 copies of a 15-character entity (1.5 GB) once expanded."""


@pytest.fixture
def client(tmp_path):
    return make_client(tmp_path, None)


def assert_413(response, found: str) -> str:
    body = response.json() if hasattr(response, "json") and callable(response.json) \
        else response.get_json()
    assert response.status_code == 413, (response.status_code, body)
    error = body["error"]
    assert error["code"] == "B012" and error["hint"] and found in error["message"], error
    return error["message"]


def predict(client, texts: list[str], config: str = CONFIG):
    tasks = [{"id": number, "data": {"text": text}} for number, text in enumerate(texts, start=1)]
    return client.post("/predict", json={"tasks": tasks, "label_config": config})


def test_a_task_text_over_the_limit_is_refused_before_the_model(client):
    started = time.monotonic()
    message = assert_413(predict(client, ["ok", "я" * (limits.MAX_TEXT_CHARS + 1)]),
                         f"task 2's text of at most {limits.MAX_TEXT_CHARS:,} characters")
    assert f"found {limits.MAX_TEXT_CHARS + 1:,}" in message
    assert time.monotonic() - started < 5
    assert predict(client, ["я" * limits.MAX_TEXT_CHARS]).get_json()["error"]["code"] == "B006"


def test_a_brat_document_over_the_limit_is_refused(client):
    body = ("я" * (limits.MAX_TEXT_CHARS + 1)).encode()
    assert_413(client.post("/brat/tag", data=body, content_type="text/plain; charset=utf-8"),
               "a text")


def test_a_body_over_the_limit_gets_the_coded_413(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_BODY_BYTES", 1024 * 1024)
    client = make_client(tmp_path, None)
    body = json.dumps({"tasks": [{"data": {"text": "x" * 1024 * 1024}}], "label_config": CONFIG})
    assert_413(client.post("/predict", data=body, content_type="application/json"),
               "a request body of at most 1,048,576 bytes")


@pytest.mark.parametrize(("path", "field"), [("/setup", "schema"), ("/predict", "label_config")])
def test_a_label_config_over_the_limit_is_refused(client, path, field):
    config = CONFIG.replace("</View>", "<!--" + "x" * limits.MAX_LABEL_CONFIG_CHARS + "--></View>")
    payload = {"project": "1.2", "tasks": [], field: config}
    assert_413(client.post(path, json=payload), "a labeling config")


@pytest.mark.parametrize("config", [
    LAUGHS,
    '<!DOCTYPE View [<!ENTITY x SYSTEM "file:///etc/passwd">]><View><Labels name="label" '
    'toName="text"><Label value="&x;"/></Labels><Text name="text" value="$text"/></View>',
    '<!DOCTYPE View><View><Labels name="label" toName="text"><Label value="ECO"/></Labels>'
    '<Text name="text" value="$text"/></View>',
])
@pytest.mark.parametrize("path", ["/setup", "/predict"])
def test_label_configs_are_parsed_without_a_dtd(client, path, config):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    response = client.post(path, json={"project": "1.2", "tasks": [], "schema": config,
                                       "label_config": config})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "B003"
    assert "DTD" in response.get_json()["error"]["message"]
    assert time.monotonic() - started < 2
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024  # KiB


def test_a_long_project_in_the_path_is_echoed_as_a_short_prefix(client, caplog):
    caplog.set_level(logging.INFO, logger="backend.app")
    response = client.post(f"/brat/tag/{'9' * 60_000}x", data=b"text",
                           content_type="text/plain; charset=utf-8")
    assert response.status_code == 400 and len(response.get_data()) < 1_000
    assert response.get_json()["error"]["code"] == "B005"
    assert caplog.records and all(len(record.getMessage()) < 1_000 for record in caplog.records)


def test_the_real_server_answers_the_coded_413(tmp_path):
    """Through waitress: a body just over the app's limit gets the coded JSON answer; one over
    the server's own limit is refused without being read."""
    port = free_port()
    log_path = tmp_path / "backend.log"
    process = start_backend({"PORT": str(port), "MODEL_DIR": str(tmp_path / "models"),
                             "DEFAULT_MODEL": "none"}, log_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log_path)
        body = b'{"tasks": [], "pad": "' + b"x" * limits.MAX_BODY_BYTES + b'"}'
        response = requests.post(f"{url}/predict", data=body, timeout=60,
                                 headers={"Content-Type": "application/json"})
        assert_413(response, "a request body")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: "
                        + str(limits.SERVER_BODY_BYTES + 1).encode() + b"\r\n\r\n{")
            assert raw.recv(100).startswith(b"HTTP/1.1 413 ")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
