"""scripts/screenshot.py keeps producing the README's screenshot.

`take_screenshot` waits for the regions' highlights and the relation arrows before it shoots, so
it fails when either is missing from the labeling screen.
"""

from pathlib import Path

from PIL import Image

from scripts.screenshot import DEFAULT_DOCUMENT, project_with_predictions, take_screenshot
from tests.fixtures.label_studio import LabelStudio

MAX_PNG_BYTES = 200_000


def test_screenshot_shows_a_task_with_pre_annotations(
    label_studio: LabelStudio, rurebus_dir: Path, tmp_path: Path
) -> None:
    document = rurebus_dir / "train" / DEFAULT_DOCUMENT.name
    project_id, task_id = project_with_predictions(label_studio, document, backend=None)
    out = tmp_path / "screenshot.png"

    take_screenshot(label_studio, project_id, task_id, out)

    assert Image.open(out).size == (1400, 900)
    assert out.stat().st_size < MAX_PNG_BYTES
    [task] = label_studio.tasks(project_id)
    kinds = [item["type"] for item in task["predictions"][0]["result"]]
    assert "labels" in kinds and "relation" in kinds
