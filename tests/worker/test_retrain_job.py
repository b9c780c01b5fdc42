"""The whole job with a real Redis and an in-process RQ worker: export → fine-tune → new version."""

import json

import torch

from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus

from retraining.queue import QUEUE_NAME, enqueue_training
from converters.labelstudio import parse_label_config
from tests.worker.conftest import TOKEN
from scripts.project_export import FIRST_TASK_ID, SHORT_DOCUMENTS
from retraining.registry import ModelRegistry
from trainer.checkpoint import load_checkpoint
from trainer.config import DecisionBiases, RuntimeOptions


def run_one_job(redis_url, redis_connection, url, token):
    queued = enqueue_training(redis_url, "3", url, token, "START_TRAINING")
    assert queued.error is None, queued.error
    queue = Queue(QUEUE_NAME, connection=redis_connection)
    SimpleWorker([queue], connection=redis_connection).work(burst=True)
    return Job.fetch(queued.job_id, connection=redis_connection)


def test_first_retrain_publishes_and_promotes_a_version(annotated_project, worker_env, redis_url,
                                                       redis_connection):
    job = run_one_job(redis_url, redis_connection, annotated_project.url, TOKEN)

    assert job.get_status() == JobStatus.FINISHED, job.latest_result().exc_string
    outcome = job.return_value()
    assert outcome["promoted"] is True and outcome["why"].startswith("first model of the project")
    assert outcome["device"] == "cpu"
    seen = sorted(outcome["train_task_ids"] + outcome["holdout_task_ids"])
    assert seen == list(range(FIRST_TASK_ID, FIRST_TASK_ID + len(SHORT_DOCUMENTS)))  # cancelled one left out
    assert len(outcome["holdout_task_ids"]) == 1  # 20 % of 6, at least one
    registry = ModelRegistry(worker_env)
    current = registry.current("3")
    assert current.name == outcome["version"]
    assert set(current.metrics["holdout"]) == {"ner", "relations_gold_entities", "end_to_end"}
    record = json.loads((current.path / "version.json").read_text())
    assert record["task_ids"] == seen and "START_TRAINING" in record["reason"]
    assert job.get_meta()["stage"] == "done"
    assert list((worker_env / ".staging").iterdir()) == []


def head_weights(version_dir) -> torch.Tensor:
    """Every weight of a version's two heads (NER and relation), as one flat vector."""
    model = load_checkpoint(version_dir, "cpu").model
    return torch.cat([parameter.detach().flatten() for head in (model.ner_head, model.relation_head)
                      for parameter in head.parameters()])


def test_second_retrain_starts_from_the_promoted_version(annotated_project, worker_env, redis_url,
                                                        redis_connection, monkeypatch):
    first = run_one_job(redis_url, redis_connection, annotated_project.url, TOKEN).return_value()
    assert first["promoted"] is True
    # The second job draws other random numbers (seed 2): a model started from the base encoder
    # would get freshly initialised heads, far from the first version's; one started from the
    # promoted version moves its heads only by one short epoch at the default learning rate.
    config = json.loads((worker_env.parent / "retrain.json").read_text())
    second_config = worker_env.parent / "retrain-seed-2.json"
    second_config.write_text(json.dumps({**config, "seed": 2}))
    monkeypatch.setenv("RETRAIN_CONFIG", str(second_config))
    second_job = run_one_job(redis_url, redis_connection, annotated_project.url, TOKEN)

    second = second_job.return_value()
    assert second is not None, second_job.latest_result().exc_string
    assert second["previous_version"] == first["version"]
    assert second["started_from"] == first["version"]
    registry = ModelRegistry(worker_env)
    versions = registry.versions("3")
    assert [version.name for version in versions] == [first["version"], second["version"]]
    before, after = (head_weights(version.path) for version in versions)
    moved = (after - before).abs().max().item()
    assert 0 < moved < 0.01, f"the heads moved by up to {moved} from the promoted version's"
    expected_current = second["version"] if second["promoted"] else first["version"]
    assert registry.current("3").name == expected_current


def test_wrong_token_fails_the_job_naming_the_token(annotated_project, worker_env, redis_url,
                                                   redis_connection):
    job = run_one_job(redis_url, redis_connection, annotated_project.url, "wrong-token")

    assert job.get_status() == JobStatus.FAILED
    assert "[R102] Label Studio at" in job.latest_result().exc_string
    assert "rejected the token" in job.latest_result().exc_string
    assert ModelRegistry(worker_env).versions("3") == []


def test_unreachable_label_studio_fails_the_job_naming_it(worker_env, redis_url, redis_connection):
    job = run_one_job(redis_url, redis_connection, "http://127.0.0.1:1", TOKEN)

    assert job.get_status() == JobStatus.FAILED
    assert "[R101] Label Studio unreachable at http://127.0.0.1:1" in job.latest_result().exc_string


def test_connection_recorded_by_setup_is_used_when_the_request_has_none(
        annotated_project, worker_env, redis_url, redis_connection, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_ALLOWED_HOSTS", annotated_project.url)
    ModelRegistry(worker_env).save_label_studio_connection("3", annotated_project.url, TOKEN)

    job = run_one_job(redis_url, redis_connection, None, None)

    assert job.get_status() == JobStatus.FINISHED, job.latest_result().exc_string


def test_no_connection_at_all_is_named(worker_env, redis_url, redis_connection):
    job = run_one_job(redis_url, redis_connection, None, None)

    assert "[R100] no Label Studio URL and token for project 3" in job.latest_result().exc_string


def test_operators_label_studio_url_and_key_override_what_setup_sent(
        annotated_project, worker_env, redis_url, redis_connection, monkeypatch):
    # In docker-compose /setup sends Label Studio's public address, unreachable from the worker,
    # and a legacy token that fails where legacy tokens are off.
    monkeypatch.setenv("LABEL_STUDIO_URL", annotated_project.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", TOKEN)

    job = run_one_job(redis_url, redis_connection, "http://localhost:1", "legacy-token-refused")

    assert job.get_status() == JobStatus.FINISHED, job.latest_result().exc_string


def test_after_promotion_unlabeled_tasks_get_predictions_of_the_new_version(
        annotated_project, worker_env, redis_url, redis_connection, monkeypatch):
    monkeypatch.setenv("RETRAIN_PREDICT_UNLABELED", "1")
    monkeypatch.setenv("NO_RELATION_BIAS", "2")  # the version name the backend serves then has +nrb2
    annotated_project.unlabeled[3] = [
        {"id": 501, "data": {"text": "Министерство экономики утвердило новую методику."}},
        {"id": 502, "data": {"text": "Доля сельского населения края увеличилась."}},
        {"id": 503, "data": {"text": "   "}},  # nothing to predict on
    ]

    job = run_one_job(redis_url, redis_connection, annotated_project.url, TOKEN)

    outcome = job.return_value()
    assert outcome["promoted"] and outcome["predictions"] == {"uploaded": 2}
    stored = annotated_project.predictions
    assert sorted(prediction["task"] for prediction in stored) == [501, 502]
    # the name /setup gives for this version with these biases, so Label Studio asks no more
    assert {prediction["model_version"] for prediction in stored} == {
        outcome["version"] + DecisionBiases(no_relation=2.0).version_suffix()}
    assert DecisionBiases(no_relation=2.0).version_suffix()
    labels = set(parse_label_config(annotated_project.label_config).entity_labels)
    for prediction in stored:
        assert 0.0 <= prediction["score"] <= 1.0
        for item in prediction["result"]:
            assert item["type"] == "relation" or set(item["value"]["labels"]) <= labels


def test_fine_tunes_the_default_model_or_starts_afresh_when_it_lacks_the_projects_types(
        annotated_project, worker_env, redis_url, redis_connection, monkeypatch, tiny_checkpoint):
    # The tiny default model knows no QUA or SOC; the RuREBus documents use them.
    monkeypatch.setenv("DEFAULT_MODEL", str(tiny_checkpoint))

    job = run_one_job(redis_url, redis_connection, annotated_project.url, TOKEN)

    assert job.get_status() == JobStatus.FINISHED, job.latest_result().exc_string
    outcome = job.return_value()
    assert outcome["previous_version"].startswith("default-")  # scored as the model to beat
    assert outcome["started_from"] == json.loads((worker_env.parent / "retrain.json").read_text())["encoder"]


def test_too_few_annotated_tasks_is_named(annotated_project, worker_env, redis_url, redis_connection):
    annotated_project.projects[3] = annotated_project.projects[3][:1]

    job = run_one_job(redis_url, redis_connection, annotated_project.url, TOKEN)

    assert "[R204] project 3 has 1 annotated task(s) in Label Studio; retraining needs at least 2" \
        in job.latest_result().exc_string


def test_without_retrain_config_the_served_models_options_are_used_with_a_step_budget(
        annotated_project, worker_env, redis_url, redis_connection, monkeypatch, tiny_checkpoint):
    monkeypatch.delenv("RETRAIN_CONFIG")
    monkeypatch.setenv("DEFAULT_MODEL", str(tiny_checkpoint))
    monkeypatch.setenv("RETRAIN_MAX_STEPS", "3")

    job = run_one_job(redis_url, redis_connection, annotated_project.url, TOKEN)

    assert job.get_status() == JobStatus.FINISHED, job.latest_result().exc_string
    version = ModelRegistry(worker_env).versions("3")[0]
    served = json.loads((tiny_checkpoint / "config.json").read_text())["training"]
    used = json.loads((version.path / "config.json").read_text())["training"]
    assert used == dict(served, max_steps=3)
    assert not {"device", "precision", "threads"} & set(used)  # this machine's, not the model's
    assert version.metrics["training"]["total_steps"] == 3


def test_cpu_retraining_without_a_budget_gets_the_default_one(monkeypatch, tiny_checkpoint):
    import torch

    from retraining.job import CPU_RETRAIN_STEPS, RetrainSettings, _training_config

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the same answer on a GPU host
    current = ModelRegistry(tiny_checkpoint.parent, default_model=tiny_checkpoint).current("3")

    config = _training_config(RetrainSettings(), current)

    assert config.optimiser.max_steps == CPU_RETRAIN_STEPS
    assert config.optimiser.learning_rate == 3e-3


def test_retrain_config_overrides_only_what_it_sets(tmp_path, tiny_encoder_dir):
    from tests.fixtures.checkpoint import train_tiny

    from retraining.job import RetrainSettings, _training_config

    served = train_tiny(tiny_encoder_dir, tmp_path / "served", freeze_word_embeddings=True,
                        threads=1)
    current = ModelRegistry(tmp_path / "models", default_model=served).current("3")
    (tmp_path / "retrain.json").write_text(json.dumps({"epochs": 2, "batch_size": 4}))

    config = _training_config(RetrainSettings(training_config=tmp_path / "retrain.json"), current)

    assert (config.optimiser.epochs, config.optimiser.batch_size) == (2, 4)
    # inherited: the served model's fixed word embeddings keep the new version small
    assert config.optimiser.freeze_word_embeddings and config.optimiser.learning_rate == 3e-3
    assert config.runtime == RuntimeOptions()  # auto, auto, 0: not the served model's threads=1
