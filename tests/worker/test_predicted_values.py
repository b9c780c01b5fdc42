"""A project whose config shows the model's types under its own labels (``<Label value="Thing"
predicted_values="MET"/>``): the worker trains "Thing" regions as MET and uploads MET as "Thing",
as the backend shows it (issue 19 §4). Through label-studio-sdk against the fake Label Studio."""

import json
from collections import Counter
from dataclasses import replace

from rq.job import JobStatus

from converters.document import Document
from converters.labelstudio import build_label_config, result_to_document
from retraining.label_studio import fetch_export, label_studio_client, latest_human_annotations, project_label_config
from retraining.registry import ModelRegistry
from retraining.upload import upload_predictions
from scripts.project_export import export_tasks, read_documents
from tests.fixtures.checkpoint import tiny_documents
from tests.worker.conftest import TOKEN
from tests.worker.test_retrain_job import run_one_job
from trainer.predict import Predictor

SHOWN = {"MET": "Thing", "TSK": "Link"}
"""Model type → the project's label for it."""


def shown_config(entity_types, relation_types) -> str:
    """A config with the types of ``SHOWN`` renamed, each ``predicted_values`` naming the type."""
    config = build_label_config([SHOWN.get(kind, kind) for kind in entity_types],
                                [SHOWN.get(kind, kind) for kind in relation_types])
    for kind, label in SHOWN.items():
        tag = "Label" if kind in entity_types else "Relation"
        config = config.replace(f'<{tag} value="{label}"', f'<{tag} value="{label}" predicted_values="{kind}"')
    return config


def as_shown(document: Document) -> Document:
    """The document as annotators see it in that project."""
    return replace(document, entities=[replace(e, type=SHOWN.get(e.type, e.type)) for e in document.entities],
                   relations=[replace(r, type=SHOWN.get(r.type, r.type)) for r in document.relations])


def types(documents):
    return (Counter(e.type for d in documents for e in d.entities),
            Counter(r.type for d in documents for r in d.relations))


def test_regions_labelled_thing_train_the_models_met(rurebus_dir, export_server):
    documents = read_documents(rurebus_dir)[2:]  # real RuREBus documents with MET and TSK
    export_server.label_config = shown_config(sorted(types(documents)[0]), sorted(types(documents)[1]))
    export_server.projects[3] = export_tasks([as_shown(d) for d in documents], export_server.label_config)
    assert "Thing" in str(export_server.projects[3]) and "Link" in str(export_server.projects[3])
    client = label_studio_client(export_server.url, TOKEN)

    # what retraining/job.py does with the project: its config, its export, one Document per task
    config = project_label_config(client, export_server.url, "3")
    annotated = latest_human_annotations(fetch_export(client, export_server.url, "3"), config=config)
    read = [result_to_document(f"task-{item.task_id}", item.text, item.result) for item in annotated]

    assert types(read) == types(documents)
    assert {"MET", "TSK"} <= {item.type for d in read for item in (*d.entities, *d.relations)}


def test_uploaded_predictions_show_the_projects_labels(export_server, relational_checkpoint):
    predictor = Predictor.load(relational_checkpoint)
    export_server.label_config = shown_config(predictor.entity_types, predictor.relation_types)
    export_server.projects[3] = []
    export_server.unlabeled[3] = [{"id": 600 + number, "data": {"text": document.text}}
                                  for number, document in enumerate(tiny_documents())]
    client = label_studio_client(export_server.url, TOKEN)
    config = project_label_config(client, export_server.url, "3")

    uploaded = upload_predictions(client, export_server.url, "3", predictor, config, "v1")

    assert uploaded == len(tiny_documents()) == len(export_server.predictions)
    results = [item for prediction in export_server.predictions for item in prediction["result"]]
    entity_labels = Counter(label for item in results if item["type"] == "labels" for label in item["value"]["labels"])
    relation_labels = Counter(label for item in results if item["type"] == "relation" for label in item["labels"])
    assert entity_labels["Thing"] and relation_labels["Link"]
    assert not {"MET", "TSK"} & {*entity_labels, *relation_labels}
    assert set(entity_labels) <= set(config.entity_labels) and set(relation_labels) <= set(config.relation_labels)


def test_a_retraining_job_learns_the_models_types_from_shown_labels(
        rurebus_dir, export_server, worker_env, redis_url, redis_connection):
    documents = read_documents(rurebus_dir)
    export_server.label_config = shown_config(sorted(types(documents)[0]), sorted(types(documents)[1]))
    export_server.projects[3] = export_tasks([as_shown(d) for d in documents], export_server.label_config)

    job = run_one_job(redis_url, redis_connection, export_server.url, TOKEN)

    assert job.get_status() == JobStatus.FINISHED, job.latest_result().exc_string
    version = ModelRegistry(worker_env).current("3")
    labels = json.loads((version.path / "labels.json").read_text())
    assert "MET" in labels["entity_types"] and "Thing" not in labels["entity_types"]
    assert "TSK" in labels["relation_types"] and "Link" not in labels["relation_types"]
