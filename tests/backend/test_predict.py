"""/predict against a real (tiny) checkpoint: Label Studio's rules for each stored prediction."""

from __future__ import annotations

import logging

import pytest

from backend import prediction as prediction_module
from converters.labelstudio import build_label_config, parse_label_config
from tests.backend.conftest import make_client
from trainer.config import DecisionBiases

TEXTS = [
    "Доля сельского населения Алтайского края увеличилась в 2019 году.",
    "Администрация муниципального образования обеспечивает развитие малого и среднего бизнеса. "
    "Снижение уровня безработицы достигнуто за счёт создания новых рабочих мест.",
]


def tasks_of(*texts, key="text"):
    return [{"id": number, "data": {key: text}, "project": 1} for number, text in enumerate(texts, 1)]


def check_prediction(prediction: dict, text: str, config_xml: str, version: str) -> None:
    """Everything Label Studio 1.23 stores without checking, checked here."""
    config = parse_label_config(config_xml)
    assert prediction["model_version"] == version
    assert 0.0 <= prediction["score"] <= 1.0
    regions = [r for r in prediction["result"] if r["type"] != "relation"]
    relations = [r for r in prediction["result"] if r["type"] == "relation"]
    region_ids = [r["id"] for r in regions]
    assert len(region_ids) == len(set(region_ids)), "region ids must be unique in one result"
    for region in regions:
        assert region["type"] == "labels"
        assert (region["from_name"], region["to_name"]) == (config.from_name, config.to_name)
        value = region["value"]
        assert value["text"] == text[value["start"]:value["end"]]
        assert value["text"].strip() == value["text"] and value["text"]
        assert set(value["labels"]) <= set(config.entity_labels)
        assert 0.0 <= region["score"] <= 1.0
    for relation in relations:
        assert relation["from_id"] in region_ids and relation["to_id"] in region_ids
        assert relation["direction"] in ("right", "left", "bi")
        assert set(relation["labels"]) <= set(config.relation_labels)
    if regions:  # the task score is its least confident prediction, relations included
        assert prediction["score"] <= min(r["score"] for r in regions)


def test_predictions_follow_label_studio_rules(client, label_config):
    version = client.post("/setup", json={"project": "1.1795623812"}).get_json()["model_version"]
    response = client.post("/predict", json={"tasks": tasks_of(*TEXTS), "label_config": label_config,
                                             "project": "1.1795623812"})
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert len(results) == len(TEXTS)
    for prediction, text in zip(results, TEXTS):
        check_prediction(prediction, text, label_config, version)
    # the forced checkpoint predicts something everywhere, so the checks above were not vacuous
    assert all(any(r["type"] == "relation" for r in p["result"]) for p in results)
    assert all(sum(r["type"] == "labels" for r in p["result"]) >= 3 for p in results)


def test_empty_and_missing_texts_get_empty_results_in_order(client, label_config):
    tasks = [
        {"id": 1, "data": {"text": TEXTS[0]}},
        {"id": 2, "data": {"text": ""}},
        {"id": 3, "data": {}},
        {"id": 4},
        {"id": 5, "data": {"text": 42}},
        "not a task",
        {"id": 7, "data": {"text": "   \n "}},
        {"id": 8, "data": {"text": TEXTS[1]}},
    ]
    response = client.post("/predict", json={"tasks": tasks, "label_config": label_config})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert len(results) == len(tasks)
    assert [bool(p["result"]) for p in results] == [True, False, False, False, False, False, False, True]
    check_prediction(results[0], TEXTS[0], label_config, results[0]["model_version"])
    check_prediction(results[7], TEXTS[1], label_config, results[0]["model_version"])


def test_names_and_data_key_come_from_the_request_config(client, checkpoint_labels):
    xml = build_label_config(checkpoint_labels["entity_types"], checkpoint_labels["relation_types"])
    xml = (xml.replace('name="label"', 'name="ents"').replace('toName="text"', 'toName="doc"')
              .replace('name="text"', 'name="doc"').replace('value="$text"', 'value="$document"'))
    config = parse_label_config(xml)
    assert (config.from_name, config.to_name) == ("ents", "doc"), xml
    response = client.post("/predict", json={"tasks": tasks_of(TEXTS[0], key="document"), "label_config": xml})
    [prediction] = response.get_json()["results"]
    assert prediction["result"]
    check_prediction(prediction, TEXTS[0], xml, prediction["model_version"])


def test_model_types_missing_from_the_config_are_left_out_and_logged_once(client, checkpoint_labels, caplog,
                                                                          monkeypatch):
    # the process-wide memory of logged types starts empty here, whatever ran before
    monkeypatch.setattr(prediction_module, "_absent_types", prediction_module._Once())
    forced_entity = checkpoint_labels["entity_types"][0]
    others = [t for t in checkpoint_labels["entity_types"] if t != forced_entity] or ["OTHER"]
    xml = build_label_config(others, checkpoint_labels["relation_types"])
    caplog.set_level(logging.INFO, logger="backend.prediction")
    for _ in range(2):
        response = client.post("/predict", json={"tasks": tasks_of(*TEXTS), "label_config": xml})
        assert response.status_code == 200
        for prediction, text in zip(response.get_json()["results"], TEXTS):
            labels = [label for r in prediction["result"] for label in r.get("value", {}).get("labels", [])]
            assert forced_entity not in labels
            # relations whose ends were left out go too: no dangling from_id/to_id
            check_prediction(prediction, text, xml, prediction["model_version"])
    mentions = [r for r in caplog.records if forced_entity in r.getMessage() and "not sent" in r.getMessage()]
    assert len(mentions) == 1, [r.getMessage() for r in caplog.records]
    assert not prediction_module._absent_types.first_time("entity", forced_entity)
    without_relations = build_label_config(checkpoint_labels["entity_types"], [])
    response = client.post("/predict", json={"tasks": tasks_of(TEXTS[0]), "label_config": without_relations})
    [prediction] = response.get_json()["results"]
    assert prediction["result"] and all(r["type"] != "relation" for r in prediction["result"])


def test_long_document_is_predicted_whole(client, label_config):
    # ~1,800 characters in three sentences, each many times the tiny model's 64-piece window
    long_text = " ".join(text.rstrip(".") for text in TEXTS * 8) + "."
    response = client.post("/predict", json={"tasks": tasks_of(long_text), "label_config": label_config})
    [prediction] = response.get_json()["results"]
    check_prediction(prediction, long_text, label_config, prediction["model_version"])
    last_region_end = max(r["value"]["end"] for r in prediction["result"] if r["type"] == "labels")
    assert last_region_end > len(long_text) - 100


def test_empty_task_list_gets_empty_results(client, label_config):
    response = client.post("/predict", json={"tasks": [], "label_config": label_config})
    assert response.status_code == 200
    assert response.get_json()["results"] == []


@pytest.mark.parametrize(("biases", "regions", "relations"), [
    (DecisionBiases(no_relation=100.0), True, False),
    (DecisionBiases(outside=100.0), False, False),
])
def test_served_predictions_decode_with_the_configured_biases(tmp_path, eager_checkpoint,
                                                              label_config, biases, regions,
                                                              relations):
    client = make_client(tmp_path, eager_checkpoint, biases=biases)
    response = client.post("/predict", json={"tasks": tasks_of(*TEXTS), "label_config": label_config})
    assert response.status_code == 200, response.get_json()
    kinds = [r["type"] for p in response.get_json()["results"] for r in p["result"]]
    assert ("labels" in kinds) == regions
    assert ("relation" in kinds) == relations
