"""brat → `python -m converters brat2ls` → a real Label Studio → its JSON export → `ls2brat` → brat.

Label Studio must accept the generated labeling config and every task, and the export must come
back as the same brat collection: the same .txt bytes and the same annotations (the crafted
collection covers every line kind, discontinuous spans, emoji, `\\r\\n`, TABs and NBSP).
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from converters.brat import read_collection
from tests.fixtures.converters import canonical
from tests.fixtures.label_studio import REPO_ROOT, LabelStudio

# Three RuREBus documents of different sizes (11–27 thousand characters), all with relations.
RUREBUS_SAMPLE = (
    "31339011027001622075023_8_part_0",
    "31339011027002955451037_10_part_1",
    "32339091024501206520016_20_part_2",
)


def converters_cli(*args: str | Path) -> str:
    """Run `python -m converters` as a user does; its one-line summary on success."""
    completed = subprocess.run(
        [sys.executable, "-m", "converters", *map(str, args)], cwd=REPO_ROOT, capture_output=True, text=True,
    )
    assert completed.returncode == 0, f"converters {args[0]} failed:\n{completed.stdout}{completed.stderr}"
    return completed.stdout


@pytest.fixture
def rurebus_sample(tmp_path: Path, rurebus_dir: Path) -> Path:
    """A few corpus documents in a temporary collection (the corpus is never copied into the repo)."""
    root = tmp_path / "rurebus"
    root.mkdir()
    for stem in RUREBUS_SAMPLE:
        for suffix in (".txt", ".ann"):
            shutil.copyfile(rurebus_dir / "train" / (stem + suffix), root / (stem + suffix))
    return root


@pytest.fixture(params=["crafted_collection", "rurebus_sample"])
def collection(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(request.param)


def txt_bytes(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*.txt"))}


@pytest.mark.parametrize("as_", ["annotations", "predictions"])
def test_brat_collection_survives_a_real_label_studio(
    label_studio: LabelStudio, collection: Path, as_: str, tmp_path: Path
) -> None:
    tasks_path, config_path = tmp_path / "tasks.json", tmp_path / "config.xml"
    converters_cli("brat2ls", collection, "-o", tasks_path, "--as", as_, "--config-out", config_path)
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))

    project = label_studio.create_project(f"converters {collection.name} as {as_}", config_path.read_text())
    label_studio.import_tasks(project["id"], tasks)
    export_path = tmp_path / "export.json"
    # The quick export lists predictions by id only; the snapshot export carries their results.
    export = label_studio.export(project["id"]) if as_ == "annotations" else label_studio.export_snapshot(project["id"])
    export_path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    back = tmp_path / "back"
    fallback = ["--predictions"] if as_ == "predictions" else []
    converters_cli("ls2brat", export_path, "-o", back, "--config", config_path, *fallback)

    assert txt_bytes(back) == txt_bytes(collection)
    original = [canonical(doc) for doc in read_collection(collection).documents]
    returned = [canonical(doc) for doc in read_collection(back).documents]
    assert returned == original
