"""The harness itself: a real Label Studio answers with our token and keeps what we import."""

from tests.fixtures.label_studio import LabelStudio

CONFIG = """<View>
  <Labels name="label" toName="text"><Label value="ORG"/></Labels>
  <Text name="text" value="$text"/>
</View>"""


def test_label_studio_is_1_23_and_accepts_the_legacy_token(label_studio: LabelStudio) -> None:
    version = label_studio.get("/api/version")
    assert version["release"].startswith("1.23."), version
    assert label_studio.get("/api/current-user/whoami")["email"] == label_studio.username


def test_imported_annotation_comes_back_in_the_export(label_studio: LabelStudio) -> None:
    project = label_studio.create_project("fixture smoke", CONFIG)
    region = {
        "id": "r1", "from_name": "label", "to_name": "text", "type": "labels",
        "value": {"start": 0, "end": 12, "text": "Министерство", "labels": ["ORG"]},
    }
    task = {"data": {"text": "Министерство финансов"}, "annotations": [{"result": [region]}]}
    label_studio.import_tasks(project["id"], [task])

    exported = label_studio.export(project["id"])

    assert len(exported) == 1
    assert exported[0]["annotations"][0]["result"][0]["value"] == region["value"]
