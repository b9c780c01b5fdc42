"""POST /brat/tag: brat's tagger protocol (text/plain in, text-bound annotations as JSON out)."""

from __future__ import annotations

from converters.brat import parse_ann
from retraining.registry import ModelRegistry
from tests.backend.test_predict import TEXTS

HEADERS = {"Accept": "application/json"}


def tag(client, text: str, **query):
    return client.post("/brat/tag", data=text.encode("utf-8"), query_string=query, headers=HEADERS,
                       content_type="text/plain; charset=utf-8")


def test_annotations_have_offsets_and_texts_brat_accepts(client, checkpoint_labels):
    text = "\n".join(TEXTS)
    response = tag(client, text)
    assert response.status_code == 200
    annotations = response.get_json()
    assert annotations, "the forced checkpoint tags every word"
    ann_lines = []
    for tagger_id, annotation in annotations.items():
        assert set(annotation) == {"type", "offsets", "texts"}
        assert annotation["type"] in checkpoint_labels["entity_types"]
        assert len(annotation["offsets"]) == len(annotation["texts"])
        for (start, end), fragment in zip(annotation["offsets"], annotation["texts"]):
            assert fragment == text[start:end] and "\n" not in fragment
        spans = ";".join(f"{start} {end}" for start, end in annotation["offsets"])
        ann_lines.append(f"{tagger_id}\t{annotation['type']} {spans}\t{' '.join(annotation['texts'])}")
    # what brat would write must read back as a valid .ann for the same text
    doc, problems = parse_ann(text, "\n".join(ann_lines) + "\n", "tagged", "tagged.ann", strict=True)
    assert problems == []
    assert len(doc.entities) == len(annotations)


def test_empty_text_gets_an_empty_object(client):
    response = tag(client, "  \n")
    assert response.status_code == 200
    assert response.get_json() == {}


def test_project_model_is_used_when_asked(client, tmp_path, eager_checkpoint):
    ModelRegistry(tmp_path / "models").publish("9", eager_checkpoint, {}, [], promote=True, reason="t")
    client.post("/brat/tag", data=TEXTS[0].encode(), content_type="text/plain; charset=utf-8")
    assert not any(name.startswith("p9-") for name in client.get("/health").get_json()["loaded_versions"])
    # brat's server sends only the URL's path, so /brat/tag/<project> is the form for tools.conf
    for response in (tag(client, TEXTS[0], project="9"),
                     client.post("/brat/tag/9", data=TEXTS[0].encode(), content_type="text/plain; charset=utf-8")):
        assert response.status_code == 200 and response.get_json()
    assert any(name.startswith("p9-v0001") for name in client.get("/health").get_json()["loaded_versions"])
    bad = tag(client, TEXTS[0], project="../x")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "B005"
    assert client.post("/brat/tag/a.b", data=b"x", content_type="text/plain").status_code == 400


def test_text_without_charset_is_read_as_utf8(client):
    response = client.post("/brat/tag", data=TEXTS[0].encode("utf-8"), content_type="text/plain")
    assert response.status_code == 200
    for annotation in response.get_json().values():
        [[start, end]] = annotation["offsets"]
        assert annotation["texts"] == [TEXTS[0][start:end]]
