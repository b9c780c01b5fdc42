"""Issues 19 and 20: one meaning of ``--precision auto`` for training and inference (bf16 where
the device computes it natively, else fp32, never fp16), chosen in trainer/runtime.py.

The hardware is stood in for by the CPU flags or ``native_bf16``, so the answers do not depend on
the machine the tests run on."""

import pytest
import torch

from tests.fixtures.checkpoint import tiny_documents
from trainer import runtime
from trainer import train as train_module
from trainer.config import TrainingConfig
from trainer.errors import TrainerError
from trainer.predict import Predictor
from trainer.runtime import autocast, native_bf16, resolve_precision

CPU, CUDA = torch.device("cpu"), torch.device("cuda")


def test_native_bf16_reads_the_cpu_flags():
    flags = open("/proc/cpuinfo", encoding="utf-8").read().split()
    assert native_bf16(CPU) == ("avx512_bf16" in flags or "amx_bf16" in flags)


@pytest.mark.parametrize("flags, expected", [
    ({"avx512f", "avx512_bf16"}, "bf16"), ({"amx_bf16"}, "bf16"), ({"avx2"}, "fp32"),
    (set(), "fp32"),
])
def test_auto_on_a_cpu_is_bf16_only_with_native_bf16(monkeypatch, flags, expected):
    monkeypatch.setattr(runtime, "cpu_flags", lambda: flags)
    training = resolve_precision("auto", CPU, training=True)
    assert resolve_precision("auto", CPU) == training == expected


@pytest.mark.parametrize("native, expected", [(True, "bf16"), (False, "fp32")])
def test_auto_on_cuda_is_bf16_or_fp32_never_fp16(monkeypatch, native, expected):
    monkeypatch.setattr(runtime, "native_bf16", lambda device: native)
    training = resolve_precision("auto", CUDA, training=True)
    assert resolve_precision("auto", CUDA) == training == expected


def test_explicit_precisions_are_kept_and_fp16_is_for_training_only():
    assert [resolve_precision(p, CPU) for p in ("fp32", "bf16")] == ["fp32", "bf16"]
    assert resolve_precision("fp16", CUDA, training=True) == "fp16"
    with pytest.raises(TrainerError, match=r"\[E153\] unknown inference precision 'fp16'"):
        resolve_precision("fp16", CPU)


@pytest.mark.parametrize("training, kind, choices", [
    (False, "inference", "auto, fp32, bf16"), (True, "training", "auto, fp32, bf16, fp16")])
def test_an_unknown_precision_is_the_coded_error(training, kind, choices):
    with pytest.raises(TrainerError) as error:
        resolve_precision("half", CPU, training=training)
    assert error.value.code == "E153"
    assert error.value.message == f"unknown {kind} precision 'half'"
    assert error.value.hint == f"use one of {choices}"


def test_a_gpu_computes_bf16_natively_when_cuda_says_so_whatever_the_cpu(monkeypatch):
    monkeypatch.setattr(runtime, "cpu_flags", set)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    assert native_bf16(CUDA) and not native_bf16(CPU)


@pytest.mark.parametrize("available, expected", [(True, CUDA), (False, CPU)])
def test_auto_device_is_cuda_when_available(monkeypatch, available, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
    assert runtime.resolve_device("auto") == expected
    assert runtime.resolve_device("cpu") == CPU


@pytest.mark.parametrize("flags, expected", [({"avx512_bf16"}, "bf16"), ({"avx2"}, "fp32")])
def test_train_and_predict_resolve_auto_alike(monkeypatch, tiny_checkpoint, tiny_encoder_dir,
                                              tmp_path, flags, expected):
    """A real (one-step) training run and a Predictor, both at ``auto``; the dev check inside the
    run predicts at the training precision."""
    monkeypatch.setattr(runtime, "cpu_flags", lambda: flags)
    checked = []

    class RecordingPredictor(Predictor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            checked.append(self.precision)

    monkeypatch.setattr(train_module, "Predictor", RecordingPredictor)
    documents = tiny_documents()
    config = TrainingConfig.from_dict(dict(
        encoder=str(tiny_encoder_dir), epochs=1, max_steps=1, batch_size=8, max_length=64,
        relation_max_length=48, device="cpu", threads=1))
    result = train_module.train(config, documents, documents[:1], None, tmp_path / "model")
    predictor = Predictor.load(tiny_checkpoint, device="cpu")
    assert (result.precision, checked, predictor.precision) == (expected, [expected], expected)
    assert predictor.engine.settings.precision == expected


def test_autocast_computes_at_the_resolved_precision():
    left, right = torch.ones(2, 2), torch.ones(2, 2)
    for precision, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        with autocast(CPU, precision):
            assert (left @ right).dtype == dtype
