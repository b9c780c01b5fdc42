"""Issue 19: ``trainer train --output`` refuses an existing directory without ``--force`` as
``predict`` and ``ls2brat`` do, and ``predict``'s refusal prints its hint once."""

from trainer.__main__ import main


def test_train_refuses_an_existing_output_without_force(tmp_path, capsys):
    output = tmp_path / "checkpoint"
    output.mkdir()
    (output / "keep.txt").write_text("earlier model")
    assert main(["train", "--data", str(tmp_path / "no-corpus"), "--output", str(output)]) == 2
    error = capsys.readouterr().err
    assert "[E135]" in error and "--force" in error
    assert (output / "keep.txt").read_text() == "earlier model"


def test_train_with_force_gets_past_the_output_check(tmp_path, capsys):
    output = tmp_path / "checkpoint"
    output.mkdir()
    assert main(["train", "--data", str(tmp_path / "no-corpus"), "--output", str(output),
                 "--force"]) == 2
    error = capsys.readouterr().err
    assert "[E133]" in error and "E135" not in error  # it went on to read the (missing) data


def test_predicts_refusal_gives_its_hint_once(tiny_checkpoint, tmp_path, capsys):
    collection = tmp_path / "collection"
    collection.mkdir()
    (collection / "a.txt").write_text("Доля рынка выросла.", encoding="utf-8")
    (collection / "a.ann").write_text("", encoding="utf-8")
    output = tmp_path / "out"
    output.mkdir()
    assert main(["predict", str(collection), "-o", str(output), "--model", str(tiny_checkpoint),
                 "--device", "cpu"]) == 2
    error = capsys.readouterr().err
    assert "[E152]" in error
    assert error.count("--force") == 1, error
