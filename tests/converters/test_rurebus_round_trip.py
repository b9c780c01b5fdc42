"""brat → Label Studio JSON → brat on all 188 RuREBus train documents, through the real CLI."""

from __future__ import annotations

from pathlib import Path

from converters.brat import read_collection
from tests.converters.test_cli import converters


def test_rurebus_train_round_trip_is_the_identity(rurebus_dir: Path, tmp_path: Path) -> None:
    train = rurebus_dir / "train"
    tasks, back = tmp_path / "tasks.json", tmp_path / "back"
    to_ls = converters("brat2ls", train, "-o", tasks)
    assert to_ls.returncode == 0, to_ls.stderr
    assert to_ls.stdout == ("brat2ls: 188 documents, 54388 entities, 12644 relations, "
                            f"0 skipped lines → {tasks}\n")
    to_brat = converters("ls2brat", tasks, "-o", back)
    assert to_brat.returncode == 0, to_brat.stderr
    assert to_brat.stdout == ("ls2brat: 188 documents, 54388 entities, 12644 relations, "
                              f"0 skipped lines → {back}\n")

    original, converted = read_collection(train), read_collection(back)
    assert [doc.name for doc in converted.documents] == [doc.name for doc in original.documents]
    for before, after in zip(original.documents, converted.documents):
        name = before.name
        assert (back / f"{name}.txt").read_bytes() == (train / f"{name}.txt").read_bytes(), name
        assert ([(e.id, e.type, e.spans, e.text) for e in after.entities]
                == [(e.id, e.type, e.spans, e.text) for e in before.entities]), name
        assert (sorted((r.id, r.type, r.arg1, r.arg2) for r in after.relations)
                == sorted((r.id, r.type, r.arg1, r.arg2) for r in before.relations)), name
