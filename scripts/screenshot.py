"""`python -m scripts.screenshot`: docs/screenshot.png, Label Studio's labeling screen with one
task's pre-annotated entities and relations, taken in headless Chromium.

It starts its own Label Studio (the e2e suite's `.ls-venv`, a temporary data dir), creates a
project for one RuREBus document and shows that document's entities and relations as
*predictions*: from a running backend with `--backend URL` (connected as in the README, then
"Retrieve Predictions"), otherwise the document's own brat annotations imported as predictions.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from PIL import Image

from converters.brat import parse_ann
from converters.labelstudio import build_label_config, document_to_task, parse_label_config
from scripts.label_studio_browser import HIGHLIGHT, labeling_screen
from scripts.label_studio_server import REPO_ROOT, LabelStudio, ensure_ls_venv, free_port, start_label_studio, stop

DEFAULT_DOCUMENT = REPO_ROOT.parent / "shared/data/rurebus/train/31339091035619460645006_11_part_1"
RELATION_ARROW = "svg.relations-overlay path"
# A palette PNG is a fifth of the size of the RGB one and keeps the UI's flat colours intact.
PALETTE_COLOURS = 128


def project_with_predictions(studio: LabelStudio, document: Path, backend: str | None) -> tuple[int, int]:
    """(project id, task id) of a project whose one task carries a prediction."""
    ann_path = document.parent / f"{document.name}.ann"
    text = (document.parent / f"{document.name}.txt").read_bytes().decode("utf-8")
    doc, _ = parse_ann(text, ann_path.read_bytes().decode("utf-8"), document.name, ann_path, strict=True)
    config_xml = build_label_config(sorted({e.type for e in doc.entities}), sorted({r.type for r in doc.relations}))
    project = studio.create_project(f"RuREBus: {doc.name}", config_xml)
    task = document_to_task(doc, parse_label_config(config_xml), as_="predictions", model_version="brat gold")
    if backend:
        task.pop("predictions")
    studio.import_tasks(project["id"], [task])
    if backend:
        studio.connect_ml_backend(project["id"], backend, title="RuREBus backend")
        studio.retrieve_predictions(project["id"])
    [stored] = studio.tasks(project["id"])
    if not stored["predictions"]:
        raise SystemExit(f"screenshot: task {stored['id']} has no prediction (is the backend at {backend} up?)")
    return project["id"], stored["id"]


def take_screenshot(studio: LabelStudio, project_id: int, task_id: int, out: Path) -> None:
    with labeling_screen(studio.url, studio.username, studio.password, width=1400, height=900) as screen:
        screen.open_task(project_id, task_id)
        screen.page.wait_for_selector(HIGHLIGHT)
        screen.page.wait_for_selector(RELATION_ARROW, state="attached")
        raw = out.with_suffix(".raw.png")
        screen.page.screenshot(path=str(raw))
    image = Image.open(raw).convert("RGB").quantize(colors=PALETTE_COLOURS)
    image.save(out, optimize=True)
    raw.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.screenshot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--document", type=Path, default=DEFAULT_DOCUMENT,
                        help="brat document path without .txt/.ann (default: a short RuREBus document)")
    parser.add_argument("--backend", help="URL of a running backend to take the predictions from")
    parser.add_argument("-o", "--out", type=Path, default=REPO_ROOT / "docs" / "screenshot.png")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ls-screenshot-") as data_dir:
        process, studio = start_label_studio(ensure_ls_venv(), Path(data_dir), free_port())
        try:
            project_id, task_id = project_with_predictions(studio, args.document, args.backend)
            take_screenshot(studio, project_id, task_id, args.out)
        finally:
            stop(process)
    print(f"screenshot: {args.out} ({args.out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
