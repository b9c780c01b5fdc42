"""The job's label-studio-sdk calls against a real Label Studio 1.23 (the e2e fixture): project
config, export, task listing and prediction upload, and the errors for a wrong token."""

import pytest

from scripts.project_export import export_tasks, label_config_for, read_documents
from retraining.label_studio import fetch_export, label_studio_client, latest_human_annotations, project_label_config
from retraining.upload import upload_predictions
from trainer.predict import Predictor
from retraining.errors import RetrainError

pytestmark = pytest.mark.e2e

UNLABELED = ["Министерство экономики утвердило новую методику.", "Доля сельского населения края выросла."]


@pytest.fixture(scope="module")
def project(label_studio, rurebus_dir):
    documents = read_documents(rurebus_dir)[:3]
    config = label_config_for(documents)
    created = label_studio.create_project("retraining sdk calls", config)
    tasks = [{"data": task["data"], "annotations": task["annotations"]}
             for task in export_tasks(documents, config)[:3]]
    skipped = {"data": tasks[2]["data"]}  # an annotator will skip it (a cancelled annotation)
    label_studio.import_tasks(created["id"], tasks[:2] + [skipped] + [{"data": {"text": text}} for text in UNLABELED])
    skipped_id = next(task["id"] for task in label_studio.tasks(created["id"])
                      if task["data"]["text"] == documents[2].text)
    label_studio.submit_annotation(skipped_id, [], was_cancelled=True)
    return created["id"], documents


def test_export_of_a_real_project_gives_its_human_annotations(label_studio, project):
    project_id, documents = project
    client = label_studio_client(label_studio.url, label_studio.token)

    config = project_label_config(client, label_studio.url, str(project_id))
    annotated = latest_human_annotations(fetch_export(client, label_studio.url, str(project_id)), config.text_key)

    # The skipped task's annotation is cancelled; unlabeled tasks are not in the export at all.
    assert [item.text for item in annotated] == [document.text for document in documents[:2]]
    assert all(item.result for item in annotated)


def test_predictions_are_uploaded_for_the_unlabeled_tasks_only(label_studio, project, tiny_checkpoint):
    project_id, documents = project
    client = label_studio_client(label_studio.url, label_studio.token)
    config = project_label_config(client, label_studio.url, str(project_id))

    uploaded = upload_predictions(client, label_studio.url, str(project_id), Predictor.load(tiny_checkpoint),
                                  config, "p-test-v0001")

    # Label Studio counts a skipped task as unlabeled (total_annotations leaves cancelled ones
    # out), so it is pre-annotated too, for whoever picks it up next.
    assert uploaded == len(UNLABELED) + 1
    tasks = {task["data"]["text"]: task for task in label_studio.tasks(project_id)}
    for text in [*UNLABELED, documents[2].text]:
        [stored] = label_studio.predictions(tasks[text]["id"])
        assert stored["model_version"] == "p-test-v0001"
    for text in (documents[0].text, documents[1].text):
        assert label_studio.predictions(tasks[text]["id"]) == []


def test_wrong_token_is_named(label_studio, project):
    project_id, _ = project

    with pytest.raises(RetrainError) as caught:
        project_label_config(label_studio_client(label_studio.url, "0" * 40), label_studio.url, str(project_id))

    assert caught.value.code == "R102"
