"""``Engine.run`` (trainer/inference.py): examples of different lengths, more of them than one
batch holds, go through the model in padded batches sorted by length, each example once, on the
engine's device, under the precision the settings ask for, and every example's answer equals the
answer it gets alone.

A recording stand-in model checks how batches are built; the tiny checkpoint (a real encoder)
checks that padding changes no answer, which holds only when the attention mask reaches it.
"""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pytest
import torch

from trainer.features import Example
from trainer.inference import Engine, InferenceSettings
from trainer.predict import Predictor
from trainer.tagging import LabelMaps

LABELS = LabelMaps(("ECO", "MET"), ("GOL",))
PAD = 0
# ids per example; 7 examples of 5 different lengths in no order, batch size 3
LENGTHS = (9, 3, 12, 5, 3, 9, 7)
BATCH = 3


def example(number: int, length: int) -> Example:
    """``length`` ids (none of them the pad id) whose words start at every other id."""
    ids = [100 + number] + [10 + number + piece for piece in range(length - 2)] + [101]
    return Example(ids, list(range(1, length - 1, 2)) or [1], key=(number,))


class Recorder(torch.nn.Module):
    """A stand-in joint model: logs each batch (shape, first ids, devices, attention mask) and
    answers, for every word of an example numbered n (first id 100 + n), the logit n for label 1
    and 0 for the other four labels."""

    def __init__(self):
        super().__init__()
        self.batches: list[dict] = []

    def forward(self, input_ids, attention_mask, word_positions):
        self.batches.append(dict(
            shape=tuple(input_ids.shape), firsts=input_ids[:, 0].tolist()
            if input_ids.device.type != "meta" else None,
            devices={t.device.type for t in (input_ids, attention_mask, word_positions)},
            mask=attention_mask))
        size, words = word_positions.shape
        number = (input_ids[:, :1].float().cpu() - 100 if input_ids.device.type != "meta"
                  else torch.zeros(size, 1))
        logits = torch.zeros(size, words, 5)
        logits[..., 1] = number
        return logits, logits


class Tokenizer:
    """Only the special ids an engine reads."""

    pad_token_id, unk_token_id, cls_token_id, sep_token_id = PAD, 1, 2, 3

    def convert_tokens_to_ids(self, tokens):
        return [4, 5]


def recording_engine(device: str = "cpu", precision: str = "fp32") -> tuple[Engine, Recorder]:
    model = Recorder()
    engine = Engine(model, Tokenizer(), LABELS, torch.device(device),
                    InferenceSettings(max_length=64, stride=16, relation_max_length=48,
                                      batch_size=BATCH, precision=precision))
    return engine, model


def examples() -> list[Example]:
    return [example(number, length) for number, length in enumerate(LENGTHS)]


def test_every_example_goes_through_the_model_once_in_batches_of_the_batch_size():
    engine, model = recording_engine()
    outputs = engine.run(examples(), "ner")
    assert [shape[0] for shape in (batch["shape"] for batch in model.batches)] == [3, 3, 1]
    seen = sorted(first for batch in model.batches for first in batch["firsts"])
    assert seen == [100 + number for number in range(len(LENGTHS))]
    assert len(outputs) == len(LENGTHS)


def test_batches_hold_examples_of_similar_length():
    engine, model = recording_engine()
    engine.run(examples(), "ner")
    # sorted by length: 3 3 5 | 7 9 9 | 12, so each batch is as wide as its longest example
    assert [batch["shape"][1] for batch in model.batches] == [5, 9, 12]
    assert [sorted(batch["firsts"]) for batch in model.batches] == [[101, 103, 104],
                                                                    [100, 105, 106], [102]]


def test_each_answer_is_routed_back_to_its_example_trimmed_to_its_words():
    engine, _ = recording_engine()
    batch = examples()
    outputs = engine.run(batch, "relation")
    for number, (item, output) in enumerate(zip(batch, outputs)):
        assert output.shape == (len(item.word_positions), 5)
        alone = engine.run([item], "relation")[0]
        np.testing.assert_array_equal(output, alone)
        # label 1's logit is the example's number n, the other four's 0
        assert output[:, 1] == pytest.approx(np.exp(number) / (np.exp(number) + 4))


def test_the_model_gets_every_input_on_the_engine_device_with_the_padding_masked():
    engine, model = recording_engine(device="meta")
    engine.run(examples(), "ner")
    assert model.batches and all(batch["devices"] == {"meta"} for batch in model.batches)
    engine, model = recording_engine()
    batch = examples()
    engine.run(batch, "ner")
    first = model.batches[0]
    assert first["mask"] is not None
    # the first batch: lengths 3, 3, 5 padded to 5
    assert first["mask"].sum(1).tolist() == [3, 3, 5]


def test_bf16_precision_asks_autocast_for_bfloat16(monkeypatch):
    """On CUDA autocast's default dtype is float16, so bfloat16 must be named (on CPU both are
    bfloat16): the engine's autocast request is recorded instead of run."""
    requests = []

    def autocast(device_type, **options):
        requests.append((device_type, options))
        return nullcontext()

    monkeypatch.setattr(torch, "autocast", autocast)
    engine, _ = recording_engine(precision="bf16")
    engine.run(examples(), "ner")
    assert requests == [("cpu", {"dtype": torch.bfloat16})]
    requests.clear()
    engine, _ = recording_engine(precision="fp32")
    engine.run(examples(), "ner")
    assert requests == []


@pytest.fixture(scope="module")
def tiny_engine(tiny_checkpoint) -> Engine:
    return Predictor.load(tiny_checkpoint, device="cpu").engine


TEXTS = ("Рост доходов населения.",
         "Доля сельского населения Алтайского края увеличилась в 2019 году.",
         "Администрация обеспечивает развитие малого и среднего бизнеса края.",
         "Снижение уровня безработицы.",
         "Объём производства продукции сельского хозяйства вырос на 5,3 процента.")


def test_padded_batches_of_a_real_model_answer_as_each_example_alone(tiny_engine):
    """Five sentences of different lengths, two per batch: each is padded to its batch's
    longest, which changes no probability only when the attention mask hides the padding."""
    from trainer.tokenization import split_sentences

    states = [state for text in TEXTS for state in tiny_engine.prepare(text, split_sentences(text))]
    assert len({sum(len(piece) for piece in state.pieces) for state in states}) == len(TEXTS)
    together = tiny_engine.entity_probabilities(states, batch_size=2)
    alone = [tiny_engine.entity_probabilities([state], batch_size=1)[0] for state in states]
    for batched, single in zip(together, alone):
        np.testing.assert_allclose(batched, single, atol=1e-4)
