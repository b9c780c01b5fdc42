"""Issue 19, item 4: the conventions of HumanSignal's label-studio-ml-backend that Label Studio
users expect: ``GET /`` as a health check, LOG_LEVEL, LABEL_STUDIO_HOST, WORKERS, a model_version
that follows the decoding biases, ``predicted_values``, coded /jobs errors, and interactive
pre-annotation (``context``)."""

from __future__ import annotations

import logging

import pytest

from backend import __main__ as server
from backend.errors import BackendError
from backend.settings import Settings
from retraining.job import RetrainSettings


def test_root_answers_like_health(client):
    root, health = client.get("/"), client.get("/health")
    assert root.status_code == health.status_code == 200
    assert root.get_json() == health.get_json()


def test_root_stays_open_under_basic_auth(tmp_path, eager_checkpoint):
    from tests.backend.conftest import make_client
    client = make_client(tmp_path, eager_checkpoint, basic_auth_user="u", basic_auth_pass="p")
    assert client.get("/").status_code == 200
    assert client.post("/setup", json={"project": "1"}).status_code == 401


@pytest.mark.parametrize("raw, level", [("DEBUG", logging.DEBUG), ("warning", logging.WARNING)])
def test_log_level_is_honoured(raw, level):
    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    try:
        server.configure_logging(Settings.from_env({"LOG_LEVEL": raw}))
        assert root.level == level
    finally:
        root.handlers[:] = before[1]
        root.setLevel(before[0])


def test_an_unknown_log_level_is_refused():
    with pytest.raises(BackendError) as raised:
        Settings.from_env({"LOG_LEVEL": "LOUD"})
    assert raised.value.code == "B008" and "LOG_LEVEL" in raised.value.message


def test_label_studio_host_is_an_alias_of_label_studio_url():
    alias = {"LABEL_STUDIO_HOST": "http://ls:8080", "LABEL_STUDIO_API_KEY": "k"}
    assert RetrainSettings.from_env(alias).label_studio.url == "http://ls:8080"
    both = dict(alias, LABEL_STUDIO_URL="http://url:8080")
    assert RetrainSettings.from_env(both).label_studio.url == "http://url:8080"


def test_workers_gives_a_clear_one_process_line(caplog):
    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    caplog.set_level(logging.INFO)
    try:
        server.configure_logging(Settings.from_env({"WORKERS": "4"}))
    finally:
        root.handlers[:] = before[1]
        root.setLevel(before[0])
    assert "WORKERS=4 is not used: the backend is one process by design" in caplog.text
    assert Settings.from_env({}).one_process_note is None


def test_model_version_follows_the_decoding_biases(tmp_path, eager_checkpoint, label_config):
    """Label Studio fetches again only for a model_version it has not stored: the same version
    decoded with other biases is named apart, alike in /setup, /predict and /versions."""
    from tests.backend.conftest import make_client
    from trainer.config import DecisionBiases
    tasks = {"tasks": [{"id": 1, "data": {"text": "Министерство утвердило методику."}}],
             "label_config": label_config, "project": "3.1795623812"}
    names = []
    for index, biases in enumerate((DecisionBiases(), DecisionBiases(outside=0.5, no_relation=2.0))):
        client = make_client(tmp_path / str(index), eager_checkpoint, biases=biases)
        setup = client.post("/setup", json={"project": "3.1795623812"}).get_json()["model_version"]
        answer = client.post("/predict", json=tasks).get_json()
        versions = client.get("/versions").get_json()
        assert answer["model_version"] == answer["results"][0]["model_version"] == setup
        assert versions["current"] == setup and setup in versions["versions"]
        assert client.get("/health").get_json()["loaded_versions"] == [setup]
        names.append(setup)
    assert names[0].startswith("default-") and "+" not in names[0]
    assert names[1] == names[0] + "+ob0.5+nrb2"


def test_labels_are_mapped_through_predicted_values(client, checkpoint_labels):
    """``<Label value="Ministry" predicted_values="MET, x">`` shows the model's MET as Ministry,
    as label-studio-ml-backend's build_label_map does; relations alike."""
    entity, relation = checkpoint_labels["entity_types"][0], checkpoint_labels["relation_types"][0]
    config = (f'<View><Relations><Relation value="Link" predicted_values="{relation}"/></Relations>'
              f'<Labels name="ner" toName="txt"><Label value="Thing" predicted_values=" other ,{entity}"/>'
              f'</Labels><Text name="txt" value="$body"/></View>')
    answer = client.post("/predict", json={"tasks": [{"id": 1, "data": {"body": "Министерство утвердило "
                                                                         "методику."}}],
                                           "label_config": config}).get_json()
    result = answer["results"][0]["result"]
    regions = [item for item in result if item["type"] == "labels"]
    relations = [item for item in result if item["type"] == "relation"]
    assert regions and {label for item in regions for label in item["value"]["labels"]} == {"Thing"}
    assert relations and {label for item in relations for label in item["labels"]} == {"Link"}
    assert {item["from_name"] for item in regions} == {"ner"}


def test_predicted_values_are_read_from_the_config():
    from converters.label_config import parse_label_config
    config = parse_label_config('<View><Labels name="l" toName="t"><Label value="Org" predicted_values="ORG, '
                                'ORGANIZATION"/><Label value="ECO"/></Labels><Text name="t" value="$text"/></View>')
    assert config.predicted_entities == {"ORG": "Org", "ORGANIZATION": "Org"}
    assert [config.entity_label(name) for name in ("ORG", "ORGANIZATION", "ECO", "MET")] == ["Org", "Org", "ECO", None]


def test_job_answers_hold_no_traceback(client, monkeypatch):
    """A failed job is shown by its coded line; the worker's traceback is not sent."""
    from backend import jobs_api
    failed = {"job_id": "j1", "status": "failed", "error": "[R100] no Label Studio URL and token",
              "traceback": 'Traceback (most recent call last):\n  File "job.py"\nRetrainError: [R100] …'}
    monkeypatch.setattr(jobs_api, "job_description", lambda redis_url, key: dict(failed))
    answer = client.get("/jobs/3")
    assert answer.status_code == 200 and answer.get_json()["error"] == failed["error"]
    assert "traceback" not in answer.get_json() and "Traceback" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("key, status, code", [("3", 503, "T001"), ("a.b", 400, "T005")])
def test_job_errors_have_the_one_error_shape(client, key, status, code):
    answer = client.get(f"/jobs/{key}")  # the client fixture has no REDIS_URL
    assert answer.status_code == status
    error = answer.get_json()["error"]
    assert set(error) == {"code", "message", "hint"} and error["code"] == code and error["hint"]
    assert "Traceback" not in answer.get_data(as_text=True)


TEXT = "Министерство экономики утвердило новую методику оценки."


def interactive(client, label_config, regions):
    """/predict as Label Studio sends it with Auto-Annotation on (label-studio-ml-backend's
    interactive_substring_matching example records this shape)."""
    context = {"annotation_id": None, "draft_id": 0, "user_id": 1, "result": [
        {"value": {"start": start, "end": end, "text": TEXT[start:end], **({"labels": labels} if labels else {})},
         "id": region_id, "from_name": "label", "to_name": "text", "type": "labels", "origin": "manual"}
        for region_id, start, end, labels in regions]}
    body = {"tasks": [{"id": 1, "data": {"text": TEXT}}], "label_config": label_config,
            "project": "1.1795623812", "params": {"login": None, "password": None, "context": context}}
    response = client.post("/predict", json=body)
    assert response.status_code == 200, response.get_json()
    [prediction] = response.get_json()["results"]
    return prediction["result"]


def test_interactive_answers_relations_among_the_drawn_regions(client, label_config, checkpoint_labels):
    entity, relation = checkpoint_labels["entity_types"][0], checkpoint_labels["relation_types"][0]
    result = interactive(client, label_config, [("a1", 0, 12, [entity]), ("a2", 13, 22, [entity])])
    relations = [item for item in result if item["type"] == "relation"]
    regions = [item for item in result if item["type"] == "labels"]
    assert relations and {(r["from_id"], r["to_id"]) for r in relations} <= {("a1", "a2"), ("a2", "a1")}
    assert {r["labels"][0] for r in relations} == {relation}
    # only the annotator's regions, under their own ids: no whole-document prediction
    assert {(r["id"], r["value"]["start"], r["value"]["end"]) for r in regions} <= {("a1", 0, 12), ("a2", 13, 22)}
    assert {r["from_id"] for r in relations} | {r["to_id"] for r in relations} <= {r["id"] for r in regions}


def test_interactive_types_a_span_drawn_without_a_label(client, label_config, checkpoint_labels):
    result = interactive(client, label_config, [("s1", 23, 31, None)])
    assert [(item["id"], item["value"]["labels"]) for item in result] == [
        ("s1", [checkpoint_labels["entity_types"][0]])]
    assert result[0]["value"]["text"] == TEXT[23:31] and 0 <= result[0]["score"] <= 1


def test_without_context_predict_answers_the_whole_document(client, label_config):
    body = {"tasks": [{"id": 1, "data": {"text": TEXT}}], "label_config": label_config,
            "params": {"login": None, "password": None, "context": None}}
    [prediction] = client.post("/predict", json=body).get_json()["results"]
    assert len([item for item in prediction["result"] if item["type"] == "labels"]) > 2


def test_interactive_reads_labels_shown_through_predicted_values(client, checkpoint_labels):
    """Regions the annotator labelled "Thing" (predicted_values of the model's type) still take
    part in relations, and are answered as "Thing"."""
    entity, relation = checkpoint_labels["entity_types"][0], checkpoint_labels["relation_types"][0]
    config = (f'<View><Relations><Relation value="{relation}"/></Relations><Labels name="label" '
              f'toName="text"><Label value="Thing" predicted_values="{entity}"/></Labels>'
              f'<Text name="text" value="$text"/></View>')
    result = interactive(client, config, [("a1", 0, 12, ["Thing"]), ("a2", 13, 22, ["Thing"])])
    assert any(item["type"] == "relation" for item in result)
    assert {item["value"]["labels"][0] for item in result if item["type"] == "labels"} == {"Thing"}
