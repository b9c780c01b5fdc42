"""Keeps checking docs/label-studio-offsets.md against the real Label Studio UI in headless Chromium.

Regions are drawn with the mouse exactly as a person does (label hotkey, drag, Submit); the stored
offsets are read back through the API. Imported predictions are checked by what the UI highlights.
"""

from collections.abc import Callable, Iterator

import pytest

from scripts.label_studio_browser import LabelingScreen, labeling_screen
from tests.fixtures.label_studio import LabelStudio

CONFIG = """<View>
  <Labels name="label" toName="text"><Label value="ORG"/><Label value="LOC"/></Labels>
  <Text name="text" value="$text"/>
</View>"""
# An emoji (1 code point, 2 UTF-16 units), a flag (2 code points, 4 units) and Windows line ends.
TEXT = "Привет 😀 мир и 🇷🇺 Россия.\r\nВторая строка\r\nтретья"
WORDS_AFTER_EMOJI_AND_CRLF = ["мир", "Россия", "Вторая", "третья"]


def python_span(fragment: str) -> tuple[int, int]:
    start = TEXT.index(fragment)
    return start, start + len(fragment)


def utf16_offset(index: int) -> int:
    return len(TEXT[:index].encode("utf-16-le")) // 2


@pytest.fixture(scope="module")
def screen(label_studio: LabelStudio) -> Iterator[LabelingScreen]:
    with labeling_screen(label_studio.url, label_studio.username, label_studio.password) as opened:
        yield opened


def open_new_task(label_studio: LabelStudio, screen: LabelingScreen, title: str, task: dict) -> dict:
    project = label_studio.create_project(title, CONFIG)
    label_studio.import_tasks(project["id"], [task])
    stored = label_studio.tasks(project["id"])[0]
    screen.open_task(project["id"], stored["id"])
    return stored


def stored_values(label_studio: LabelStudio, task: dict) -> list[dict]:
    annotations = label_studio.tasks(task["project"])[0]["annotations"]
    assert len(annotations) == 1, annotations
    return [region["value"] for region in annotations[0]["result"]]


def test_regions_drawn_after_emoji_and_crlf_are_stored_with_python_offsets(
    label_studio: LabelStudio, screen: LabelingScreen
) -> None:
    task = open_new_task(label_studio, screen, "offsets: words after emoji and CRLF", {"data": {"text": TEXT}})
    for index, word in enumerate(WORDS_AFTER_EMOJI_AND_CRLF):
        screen.label(word, hotkey=str(index % 2 + 1))
    screen.submit()

    values = stored_values(label_studio, task)

    assert [(value["start"], value["end"]) for value in values] == [
        python_span(word) for word in WORDS_AFTER_EMOJI_AND_CRLF
    ]
    assert [value["text"] for value in values] == WORDS_AFTER_EMOJI_AND_CRLF


def test_regions_over_emoji_and_across_crlf_keep_python_offsets_but_not_value_text(
    label_studio: LabelStudio, screen: LabelingScreen
) -> None:
    task = open_new_task(label_studio, screen, "offsets: regions over emoji and across CRLF", {"data": {"text": TEXT}})
    screen.label("😀 мир", hotkey="1")
    screen.label("🇷🇺", hotkey="2")
    screen.label("строка", hotkey="1", last_word="третья")
    screen.submit()

    values = stored_values(label_studio, task)

    spans = [(value["start"], value["end"]) for value in values]
    assert spans == [python_span("😀 мир"), python_span("🇷🇺"), python_span("строка\r\nтретья")]
    # Documented quirk: each of \r and \n inside a region comes back as backslash + "n" in value.text,
    # so readers must slice data.text instead (docs/label-studio-offsets.md, point 2).
    assert [value["text"] for value in values] == ["😀 мир", "🇷🇺", "строка\\n\\nтретья"]


def prediction(words: list[str], offset: Callable[[int], int]) -> dict:
    result = []
    for index, word in enumerate(words):
        start, end = python_span(word)
        result.append({
            "id": f"p{index}", "from_name": "label", "to_name": "text", "type": "labels", "score": 0.9,
            "value": {"start": offset(start), "end": offset(end), "text": word, "labels": ["ORG"]},
        })
    return {"model_version": "offsets-probe", "score": 0.5, "result": result}


def test_predictions_with_python_offsets_highlight_the_right_words(
    label_studio: LabelStudio, screen: LabelingScreen
) -> None:
    words = WORDS_AFTER_EMOJI_AND_CRLF
    open_new_task(
        label_studio, screen, "offsets: Python-offset predictions",
        {"data": {"text": TEXT}, "predictions": [prediction(words, offset=int)]},
    )
    assert screen.highlighted_texts() == words


def test_predictions_with_utf16_offsets_highlight_shifted_text(
    label_studio: LabelStudio, screen: LabelingScreen
) -> None:
    words = WORDS_AFTER_EMOJI_AND_CRLF
    open_new_task(
        label_studio, screen, "offsets: UTF-16 predictions",
        {"data": {"text": TEXT}, "predictions": [prediction(words, offset=utf16_offset)]},
    )
    assert screen.highlighted_texts() == ["ир ", "сия.", "рая ст", "тья"]
