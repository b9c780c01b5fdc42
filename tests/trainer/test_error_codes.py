"""Issue 22 item 7: the trainer's error codes no test triggered, each through ``python -m trainer``
as a real process: exit status 2, one line naming the code, what and where, the hint, and no
traceback."""

import json
from pathlib import Path

import pytest

from converters.brat import write_collection
from converters.document import Document
from tests.fixtures.checkpoint import tiny_documents
from tests.trainer.test_commands import trainer


def refused(result) -> str:
    """The error line of a refused command, after checking it is one line without a traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def collection(tmp_path) -> Path:
    write_collection(tiny_documents(), tmp_path / "docs")
    return tmp_path / "docs"


def test_e130_training_documents_without_entities(tmp_path, tiny_encoder_dir):
    plain = [Document(d.name, d.text) for d in tiny_documents()]
    write_collection(plain, tmp_path / "plain")
    line = refused(trainer("train", "--data", tmp_path / "plain", "--encoder", tiny_encoder_dir,
                           "--output", tmp_path / "model"))
    assert "[E130] no entities in the 3 training documents" in line
    assert "(annotate some documents or check the collection path)" in line
    assert not (tmp_path / "model").exists()


def test_e133_missing_training_collection_names_the_path(tmp_path):
    missing = tmp_path / "no-corpus"
    line = refused(trainer("train", "--data", missing, "--output", tmp_path / "model"))
    assert f"{missing}: [E133] cannot read the training collection:" in line
    assert "[C008]" in line and "(give --data a brat directory or .zip)" in line


def test_e133_empty_training_collection_names_the_path(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    line = refused(trainer("train", "--data", empty, "--output", tmp_path / "model"))
    assert f"{empty}: [E133] the training collection holds no documents" in line
    assert "(give --data a folder with .txt/.ann pairs)" in line


def test_e142_checkpoint_of_another_format_version(tmp_path, collection):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"format": "full", "format_version": 999}))
    line = refused(trainer("predict", "--model", model, collection, "-o", tmp_path / "out",
                           "--device", "cpu"))
    assert f"{model}: [E142] checkpoint format 'full' version 999 is not one of" in line
    assert "(retrain with this version of the trainer)" in line
    assert not (tmp_path / "out").exists()


def test_e150_missing_collection_to_annotate(tmp_path):
    missing = tmp_path / "no-collection"
    line = refused(trainer("predict", "--model", tmp_path / "unused", missing, "-o",
                           tmp_path / "out"))
    assert f"{missing}: [E150] cannot read the collection to annotate:" in line
    assert "does not exist" in line and "(give a brat directory or .zip)" in line


def test_e152_existing_output_without_force(tmp_path, collection, tiny_checkpoint):
    output = tmp_path / "out"
    output.mkdir()
    (output / "keep.ann").write_text("T1\tMET 0 4\tДоля\n", encoding="utf-8")
    line = refused(trainer("predict", "--model", tiny_checkpoint, collection, "-o", output,
                           "--device", "cpu"))
    assert f"{output}: [E152] cannot write the annotated collection:" in line
    assert "(choose a new --output or pass --force)" in line
    assert (output / "keep.ann").read_text(encoding="utf-8") == "T1\tMET 0 4\tДоля\n"


def test_e202_missing_prediction_directory(tmp_path, collection):
    missing = tmp_path / "no-predictions"
    line = refused(trainer("score", collection, missing))
    assert f"{missing}: [E202] expected a directory of predicted .ann files" in line
    assert "(write predictions with 'python -m trainer predict' or give the right path)" in line
