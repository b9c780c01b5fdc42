"""A tiny model overfits a handful of sentences through the real pipeline to F1 = 1.0."""

from dataclasses import replace

import pytest

from tests.fixtures.checkpoint import tiny_documents
from trainer.config import TrainingConfig
from trainer.predict import Predictor
from trainer.tracks import evaluate_tracks
from trainer.train import train


@pytest.fixture(scope="module")
def overfitted(tiny_encoder_dir, tmp_path_factory):
    config = TrainingConfig.from_dict(dict(
        encoder=str(tiny_encoder_dir), epochs=60, batch_size=8, learning_rate=5e-3,
        warmup_ratio=0.05, dropout=0.0, weight_decay=0.0, max_length=64, relation_max_length=48,
        stride=16, device="cpu", precision="fp32", seed=1, patience=0, threads=1))
    output = tmp_path_factory.mktemp("overfit") / "checkpoint"
    events = []
    result = train(config, tiny_documents(), [], None, output,
                   progress=lambda stage, info: events.append((stage, info)))
    return result, events


def test_entities_and_relations_reach_f1_one(overfitted):
    result, _ = overfitted
    predictor = Predictor.load(result.checkpoint_dir, device="cpu")
    tracks = evaluate_tracks(predictor, tiny_documents())
    assert tracks["ner"]["f1"] == 1.0
    assert tracks["relations_gold_entities"]["f1"] == 1.0
    assert tracks["end_to_end"]["f1"] == 1.0
    assert result.device == "cpu"


def test_predictions_carry_scores_and_correct_argument_order(overfitted):
    result, _ = overfitted
    predictor = Predictor.load(result.checkpoint_dir, device="cpu")
    gold = tiny_documents()[2]
    predicted = predictor.predict([gold.text], [gold.name])[0]
    assert all(0 < entity.score <= 1 for entity in predicted.entities)
    assert all(0 < relation.score <= 1 for relation in predicted.relations)
    spans = {e.id: (e.start, e.end) for e in predicted.entities}
    gold_spans = {e.id: (e.start, e.end) for e in gold.entities}
    assert sorted((r.type, spans[r.arg1], spans[r.arg2]) for r in predicted.relations) == sorted(
        (r.type, gold_spans[r.arg1], gold_spans[r.arg2]) for r in gold.relations)


def test_progress_reports_every_step_with_loss_and_eta(overfitted):
    _, events = overfitted
    steps = [info for stage, info in events if stage == "train"]
    assert steps[-1]["step"] == steps[-1]["total"] == len(steps)
    assert {"epoch", "step", "total", "loss", "eta"} <= set(steps[0])
    assert steps[-1]["loss"] < steps[0]["loss"]
    assert sum(stage == "epoch" for stage, _ in events) == 60


def test_equal_seeds_give_equal_runs(tiny_encoder_dir, tmp_path):
    config = TrainingConfig.from_dict(dict(
        encoder=str(tiny_encoder_dir), epochs=2, batch_size=8, max_length=64,
        relation_max_length=48, device="cpu", precision="fp32", seed=5))
    losses = []
    for run in ("a", "b"):
        events = []
        train(config, tiny_documents(), [], None, tmp_path / run,
              progress=lambda stage, info: events.append(info.get("loss")))
        losses.append(events)
    assert losses[0] == losses[1]


def test_sentences_longer_than_a_window_are_tagged_through_overlapping_windows(overfitted):
    result, _ = overfitted
    predictor = Predictor.load(result.checkpoint_dir, device="cpu")
    predictor.engine.settings = replace(predictor.engine.settings, max_length=20, stride=6)
    tracks = evaluate_tracks(predictor, tiny_documents())
    assert tracks["ner"]["f1"] >= 0.9, "windows of ~8 words keep nearly every entity"
    assert tracks["relations_gold_entities"]["f1"] == 1.0
