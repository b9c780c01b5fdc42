"""A Label Studio JSON export of a small project built from real RuREBus documents.

The tasks come from ``converters.labelstudio.document_to_task``, the converter the product uses
to import brat collections, plus the bookkeeping fields Label Studio adds to an export (task and
annotation ids, timestamps, ``was_cancelled``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from converters.brat import parse_ann
from converters.document import Document
from converters.labelstudio import build_label_config, document_to_task, parse_label_config

# The shortest documents of the corpus: a tiny model trains on them in seconds.
SHORT_DOCUMENTS = (
    "35339011065040000761006_13_part_1",
    "35228011056218015424007_2_part_1",
    "34339011054443168933006_6_part_2",
    "20336081161101050428001_17_part_2",
    "35339011023600937348001_0_part_2",
    "31339091035619460645006_11_part_1",
)
FIRST_TASK_ID = 101


def read_documents(rurebus_dir: Path, names: tuple[str, ...] = SHORT_DOCUMENTS) -> list[Document]:
    documents = []
    for name in names:
        text_path = rurebus_dir / "train" / f"{name}.txt"
        ann_path = text_path.with_suffix(".ann")
        document, _ = parse_ann(text_path.read_text(encoding="utf-8"),
                                ann_path.read_text(encoding="utf-8"), name, ann_path, True)
        documents.append(document)
    return documents


def label_config_for(documents: list[Document]) -> str:
    return build_label_config(
        sorted({entity.type for doc in documents for entity in doc.entities}),
        sorted({relation.type for doc in documents for relation in doc.relations}),
        fragments=any(len(entity.spans) > 1 for doc in documents for entity in doc.entities),
    )


def export_tasks(documents: list[Document], label_config: str) -> list[dict[str, Any]]:
    """One annotated task per document, plus a task whose only annotation was cancelled."""
    config = parse_label_config(label_config)
    tasks = []
    for offset, document in enumerate(documents):
        task = document_to_task(document, config)
        task_id = FIRST_TASK_ID + offset
        annotation = task["annotations"][0]
        annotation.update(id=10 * task_id, was_cancelled=False, completed_by=1,
                          created_at="2026-11-25T10:00:00.000000Z",
                          updated_at="2026-11-25T10:00:00.000000Z")
        tasks.append({"id": task_id, "project": 3, "predictions": [], **task})
    cancelled = document_to_task(documents[0], config)
    cancelled["annotations"][0].update(id=9999, was_cancelled=True, result=[])
    tasks.append({"id": FIRST_TASK_ID + len(documents), "project": 3, "predictions": [], **cancelled})
    return tasks
