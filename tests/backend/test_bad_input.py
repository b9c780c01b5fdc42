"""Every kind of bad input gets a 4xx JSON answer with a code and a message, never a 5xx."""

from __future__ import annotations

import pytest

from tests.backend.conftest import make_client

GOOD_CONFIG = '<View><Labels name="label" toName="text"><Label value="ECO"/></Labels><Text name="text" value="$text"/></View>'
TASKS = [{"id": 1, "data": {"text": "Развитие экономики района."}}]


@pytest.mark.parametrize(("path", "body", "code", "needle"), [
    ("/predict", b"{not json", "B001", "invalid JSON"),
    ("/predict", b"", "B001", "empty body"),
    ("/predict", b"[1, 2]", "B001", "JSON list"),
    ("/predict", b'{"label_config": "<View/>"}', "B002", "tasks"),
    ("/predict", b'{"tasks": []}', "B002", "label_config"),
    ("/predict", b'{"tasks": {"id": 1}, "label_config": "x"}', "B002", "tasks as a list"),
    ("/predict", b'{"tasks": [], "label_config": 5}', "B002", "XML string"),
    ("/predict", b'{"tasks": [], "label_config": "<View><Text"}', "B003", "not XML"),
    ("/predict", b'{"tasks": [], "label_config": "<View><Text name=\\"t\\" value=\\"$t\\"/></View>"}', "B003", "<Labels>"),
    ("/predict", b'{"tasks": [], "label_config": "<View><Labels name=\\"l\\" toName=\\"t\\"/></View>"}', "B003", "<Text>"),
    ("/setup", b"nope", "B001", "invalid JSON"),
    ("/setup", b'{"schema": "<View/>"}', "B002", "project"),
    ("/setup", b'{"project": "../../etc"}', "B005", "project id"),
    ("/setup", b'{"project": "1.2", "schema": "<View/>"}', "B003", "<Text>"),
    ("/webhook", b"[]", "B001", "JSON list"),
    ("/webhook", b'{"project": {"id": 1}}', "B002", "action"),
    ("/webhook", b'{"action": "START_TRAINING"}', "B002", "project.id"),
    ("/webhook", b'{"action": "ANNOTATION_CREATED", "project": 3}', "B002", "project.id"),
    ("/webhook", b'{"action": "START_TRAINING", "project": {"id": "a/b"}}', "B005", "project id"),
])
def test_bad_json_bodies_get_a_coded_4xx(client, path, body, code, needle):
    response = client.post(path, data=body, content_type="application/json")
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    assert needle in error["message"]


def test_bad_project_in_predict_is_a_4xx(client):
    response = client.post("/predict", json={"tasks": TASKS, "label_config": GOOD_CONFIG, "project": {"id": 1}})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "B005"


def test_unknown_path_and_wrong_method_answer_json(client):
    assert client.get("/nowhere").get_json()["error"]["code"] == "HTTP404"
    response = client.get("/predict")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "HTTP405"


def test_brat_tagger_refuses_undecodable_text(client):
    response = client.post("/brat/tag", data="Развитие".encode("cp1251"), content_type="text/plain; charset=utf-8")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "B004"


def test_no_model_anywhere_is_reported_not_crashed(tmp_path):
    client = make_client(tmp_path, default_model=None)
    assert client.post("/setup", json={"project": "1.2"}).get_json() == {"model_version": "no-model"}
    response = client.post("/predict", json={"tasks": TASKS, "label_config": GOOD_CONFIG})
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "B006" and "DEFAULT_MODEL" in error["hint"]
