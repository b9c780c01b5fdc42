"""Label Studio side: configs, results and tasks, and the brat → LS → brat identity."""

from __future__ import annotations

import json

import pytest

from converters import errors
from converters.brat import format_ann, parse_ann
from converters.document import Document, Entity, Relation, Span
from converters.errors import ConversionError
from converters.labelstudio import (
    FRAGMENT_RELATION, LabelConfig, build_label_config, document_to_result, document_to_task,
    parse_label_config, read_export, result_to_document,
)
from tests.fixtures.converters import EVERY_KIND_TEXT, canonical, every_kind_ann

RUREBUS_ENTITIES = ["MET", "ECO", "BIN", "CMP", "QUA", "ACT", "INST", "SOC"]
RUREBUS_RELATIONS = ["NNG", "NNT", "NPS", "PNG", "PNT", "PPS", "FNG", "FNT", "FPS", "GOL", "TSK"]


def every_kind_doc() -> Document:
    return parse_ann(EVERY_KIND_TEXT, every_kind_ann(), "every_kind")[0]


def config_for(doc: Document) -> LabelConfig:
    xml = build_label_config(sorted({e.type for e in doc.entities}),
                             sorted({r.type for r in doc.relations}),
                             fragments=any(len(e.spans) > 1 for e in doc.entities))
    return parse_label_config(xml)


def region(region_id: str, start: int, end: int, label: str, text: str = "") -> dict:
    return {"id": region_id, "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": text, "labels": [label]}}


def relation(from_id: str, to_id: str, label: str, direction: str = "right") -> dict:
    return {"type": "relation", "from_id": from_id, "to_id": to_id, "direction": direction,
            "labels": [label]}


def test_rurebus_config_round_trips_through_xml() -> None:
    xml = build_label_config(RUREBUS_ENTITIES, RUREBUS_RELATIONS)
    config = parse_label_config(xml)
    assert config == LabelConfig("label", "text", RUREBUS_ENTITIES, RUREBUS_RELATIONS, "text")
    assert FRAGMENT_RELATION not in xml
    assert parse_label_config(build_label_config(["MET"], [], fragments=True)).relation_labels == [
        FRAGMENT_RELATION]


def test_parse_label_config_reads_names_from_the_config() -> None:
    config = parse_label_config(
        '<View><Header value="x"/><Text name="doc" value="$content"/>'
        '<Labels name="ner" toName="doc"><Label value="MET"/><Label value="ECO"/></Labels>'
        '<Relations><Relation value="GOL"/></Relations></View>')
    assert config == LabelConfig("ner", "doc", ["MET", "ECO"], ["GOL"], "content")


@pytest.mark.parametrize("xml", ["<View><Text name='t' value='$text'/>", "<View/>",
                                 "<View><Text name='t' value='$text'/><Labels name='l' toName='x'/></View>"])
def test_bad_label_config_is_refused(xml: str) -> None:
    with pytest.raises(ConversionError) as caught:
        parse_label_config(xml)
    assert caught.value.code == errors.BAD_LABEL_CONFIG and caught.value.hint


def test_reserved_fragment_relation_type_is_refused() -> None:
    with pytest.raises(ConversionError) as caught:
        build_label_config(["MET"], [FRAGMENT_RELATION])
    assert caught.value.code == errors.BAD_LABEL_CONFIG


@pytest.mark.parametrize("as_", ["annotations", "predictions"])
def test_every_kind_survives_brat_to_label_studio_to_brat(as_: str) -> None:
    doc = every_kind_doc()
    task = json.loads(json.dumps(document_to_task(doc, config_for(doc), as_)))
    (back,) = read_export([task], use_predictions=as_ == "predictions")
    assert canonical(back) == canonical(doc)
    assert format_ann(parse_ann(back.text, format_ann(back), "x")[0]) == format_ann(back)


def test_task_layout_regions_fragments_and_hidden_lines() -> None:
    doc = every_kind_doc()
    task = document_to_task(doc, config_for(doc))
    result = task["annotations"][0]["result"]
    regions = {item["id"]: item for item in result if item["type"] == "labels"}
    assert regions["T1"]["value"] == {"start": 0, "end": 22, "text": "Министерство\u00a0экономики",
                                      "labels": ["ORG"]}
    assert "T3-2" in regions and regions["T3-2"]["value"]["text"] == "программу"
    links = [item for item in result if item["type"] == "relation"]
    assert relation("T3", "T3-2", FRAGMENT_RELATION) in links
    assert relation("T4", "T5", "TSK") in links
    assert len(links) == 2, "R1 (noted), R2 (roles), R3 (event argument) stay hidden"
    assert task["data"]["document"] == "every_kind"
    hidden = task["data"]["brat"]
    assert "E1\tApprove:T2 Agent:T1 Theme:T3\n" in hidden and "R1\tTSK Arg1:T1 Arg2:T2\n" in hidden
    assert not hidden.startswith("T") and "\nT" not in hidden


def test_direction_left_swaps_and_bi_keeps_the_order() -> None:
    text = "Бюджет края"
    result = [region("a", 0, 6, "MET"), region("b", 7, 11, "SOC"),
              relation("a", "b", "GOL", "left"), relation("a", "b", "NNG", "bi"),
              {k: v for k, v in relation("a", "b", "TSK").items() if k != "direction"}]
    doc = result_to_document("d", text, result)
    assert [(r.type, r.arg1, r.arg2) for r in doc.relations] == [
        ("GOL", "T2", "T1"), ("NNG", "T1", "T2"), ("TSK", "T1", "T2")]


def test_hand_made_regions_get_fresh_ids_and_multi_labels_split() -> None:
    text = "Бюджет края вырос"
    result = [region("T7", 0, 6, "MET"), {**region("xY3_k9", 7, 11, "SOC"),
                                         "value": {"start": 7, "end": 11, "labels": ["SOC", "ECO"]}},
              relation("T7", "xY3_k9", "GOL")]
    doc = result_to_document("d", text, result)
    assert [(e.id, e.type, e.text) for e in doc.entities] == [
        ("T7", "MET", "Бюджет"), ("T8", "SOC", "края"), ("T9", "ECO", "края")]
    assert doc.relations == [Relation("R1", "GOL", "T7", "T8")]


def test_region_across_crlf_reads_text_from_the_task_and_writes_fragments() -> None:
    text = "Вторая строка\r\nтретья"
    start = text.index("строка")
    escaped = "строка\\n\\nтретья"
    doc = result_to_document("d", text, [region("T1", start, len(text), "MET", escaped)])
    assert doc.entities[0].text == "строка\r\nтретья"
    assert format_ann(doc) == f"T1\tMET {start} {start + 6};{start + 8} {len(text)}\tстрока третья\n"


def test_emoji_offsets_are_code_points() -> None:
    text = "Привет 😀 мир и 🇷🇺 Россия.\r\nВторая"
    doc = Document("d", text, entities=[Entity("T1", "MET", (Span(9, 12),), "мир"),
                                        Entity("T2", "SOC", (Span(18, 24),), "Россия")])
    result = document_to_result(doc, config_for(doc))
    assert [(r["value"]["start"], r["value"]["end"], r["value"]["text"]) for r in result] == [
        (9, 12, "мир"), (18, 24, "Россия")]
    assert result_to_document("d", text, result).entities == doc.entities


def test_predictions_carry_scores_both_ways() -> None:
    doc = Document("d", "Бюджет края", entities=[
        Entity("T1", "MET", (Span(0, 6),), "Бюджет", 0.75),
        Entity("T2", "SOC", (Span(7, 11),), "края", 0.25)],
        relations=[Relation("R1", "GOL", "T1", "T2", score=0.5)])
    task = document_to_task(doc, config_for(doc), "predictions", model_version="m1")
    prediction = task["predictions"][0]
    assert prediction["model_version"] == "m1" and prediction["score"] == 0.5
    assert [item.get("score") for item in prediction["result"]] == [0.75, 0.25, None]
    back = result_to_document("d", doc.text, prediction["result"])
    assert [e.score for e in back.entities] == [0.75, 0.25]


def test_unknown_label_is_refused_or_dropped_with_its_relations() -> None:
    doc = Document("d", "Бюджет края", entities=[
        Entity("T1", "MET", (Span(0, 6),), "Бюджет"), Entity("T2", "SOC", (Span(7, 11),), "края")],
        relations=[Relation("R1", "GOL", "T1", "T2")])
    config = LabelConfig("label", "text", ["MET"], ["GOL"])
    with pytest.raises(ConversionError) as caught:
        document_to_result(doc, config)
    assert caught.value.code == errors.BAD_RESULT and "SOC" in caught.value.message
    assert [item["id"] for item in document_to_result(doc, config, drop_unknown=True)] == ["T1"]


def test_discontinuous_entity_needs_the_fragment_relation_in_the_config() -> None:
    doc = every_kind_doc()
    config = config_for(doc)
    config.relation_labels.remove(FRAGMENT_RELATION)
    with pytest.raises(ConversionError) as caught:
        document_to_result(doc, config)
    assert caught.value.code == errors.BAD_RESULT and "fragments=True" in caught.value.hint


@pytest.mark.parametrize(("item", "code"), [
    (relation("T1", "T9", "GOL"), errors.UNKNOWN_ID),
    (relation("T1", "T9", FRAGMENT_RELATION), errors.UNKNOWN_ID),
    (relation("T1", "T2", "GOL", "up"), errors.BAD_RESULT),
    ({**relation("T1", "T2", "GOL"), "labels": []}, errors.BAD_RESULT),
    ({**relation("T1", "T2", "GOL"), "labels": "GOL"}, errors.BAD_RESULT),
    ({**region("T3", 0, 6, "MET"), "value": {"start": 0, "end": 6, "labels": []}}, errors.BAD_RESULT),
    (region("T3", 5, 99, "MET"), errors.OFFSETS_OUTSIDE_TEXT),
    (region("T1", 0, 6, "MET"), errors.BAD_RESULT),
    ({"type": "choices", "value": {"choices": ["ok"]}}, errors.BAD_RESULT),
    ("not an object", errors.BAD_RESULT),
])
def test_bad_result_is_reported_strictly_or_skipped_leniently(item: object, code: str) -> None:
    result = [region("T1", 0, 6, "MET"), region("T2", 7, 11, "SOC"), item]
    with pytest.raises(ConversionError) as caught:
        result_to_document("d", "Бюджет края", result, where="export.json: task 4")
    assert caught.value.code == code and caught.value.path == "export.json: task 4"
    collected: list[ConversionError] = []
    doc = result_to_document("d", "Бюджет края", result, errors=collected)
    assert [e.code for e in collected] == [code]
    assert [e.id for e in doc.entities] == ["T1", "T2"]


def test_fragments_with_different_labels_are_refused() -> None:
    result = [region("T1", 0, 6, "MET"), region("T1-2", 7, 11, "SOC"),
              relation("T1", "T1-2", FRAGMENT_RELATION)]
    with pytest.raises(ConversionError) as caught:
        result_to_document("d", "Бюджет края", result)
    assert caught.value.code == errors.BAD_RESULT and "T1, T1-2" in caught.value.message


def test_relation_ids_come_back_and_new_relations_get_fresh_ids() -> None:
    text = "Бюджет края вырос"
    doc = Document("d", text, entities=[
        Entity("T1", "MET", (Span(0, 6),), "Бюджет"), Entity("T2", "SOC", (Span(7, 11),), "края"),
        Entity("T3", "ACT", (Span(12, 17),), "вырос")],
        relations=[Relation("R7", "GOL", "T1", "T2"), Relation("R3", "GOL", "T1", "T2"),
                   Relation("R9", "TSK", "T3", "T1")])
    task = document_to_task(doc, config_for(doc))
    assert task["data"]["brat_relation_ids"] == {"GOL T1 T2": ["R7", "R3"], "TSK T3 T1": ["R9"]}
    result = task["annotations"][0]["result"]
    result.append(relation("T2", "T3", "TSK"))
    (back,) = read_export([task])
    assert [(r.id, r.type, r.arg1, r.arg2) for r in back.relations] == [
        ("R7", "GOL", "T1", "T2"), ("R3", "GOL", "T1", "T2"), ("R9", "TSK", "T3", "T1"),
        ("R1", "TSK", "T2", "T3")]
