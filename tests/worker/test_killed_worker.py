"""A real RQ worker process whose training work horse is killed with SIGKILL mid-training.

What must hold afterwards: the served version is untouched, the registry holds no partial
version, the job is in RQ's failed registry with the reason, and the next Start Training works.
"""

import json
import os
import signal
import subprocess
import sys

import pytest
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry

from retraining.queue import QUEUE_NAME, enqueue_training
from tests.conftest import REPO_ROOT
from tests.worker.conftest import TOKEN
from tests.worker.processes import alive, wait_for
from retraining.registry import ModelRegistry

TRAINING_STARTS_WITHIN_S = 120
JOB_ENDS_WITHIN_S = 120


@pytest.fixture
def worker_process(tmp_path, redis_url, tiny_encoder_dir):
    """``python -m backend.run worker`` with a training configuration the test can rewrite."""
    config = tmp_path / "retrain.json"
    env = {
        **os.environ, "REDIS_URL": redis_url, "MODEL_DIR": str(tmp_path / "models"),
        "RETRAIN_CONFIG": str(config), "PYTHONPATH": str(REPO_ROOT), "DEFAULT_MODEL": "none",
    }
    for name in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", "RETRAIN_FORCE_PROMOTE"):
        env.pop(name, None)
    log = open(tmp_path / "worker.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "backend.run", "worker"], env=env, cwd=REPO_ROOT,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    yield process, config, tmp_path / "models", tmp_path / "worker.log"
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    log.close()


def write_config(path, tiny_encoder_dir, epochs: int) -> None:
    path.write_text(json.dumps({
        "encoder": str(tiny_encoder_dir), "epochs": epochs, "batch_size": 2, "max_length": 64,
        "stride": 16, "relation_max_length": 64, "device": "cpu", "precision": "fp32", "threads": 1,
        "patience": 0,
    }))


def test_killed_training_leaves_the_registry_untouched_and_the_next_run_works(
        annotated_project, worker_process, redis_url, redis_connection, tiny_encoder_dir):
    process, config, model_dir, log_path = worker_process
    write_config(config, tiny_encoder_dir, epochs=1000)  # far longer than the test waits
    queued = enqueue_training(redis_url, "3", annotated_project.url, TOKEN, "START_TRAINING")
    job = Job.fetch(queued.job_id, connection=redis_connection)

    meta = wait_for(lambda: (m := job.get_meta()).get("stage") == "train" and m.get("step") and m,
                    TRAINING_STARTS_WITHIN_S, f"training steps in job meta (log: {log_path})")
    horse = meta["pid"]
    assert horse != process.pid  # the work horse, a forked child of the worker
    os.kill(horse, signal.SIGKILL)

    wait_for(lambda: job.get_status() == JobStatus.FAILED, JOB_ENDS_WITHIN_S, "the job to fail")
    assert job.id in FailedJobRegistry(QUEUE_NAME, connection=redis_connection).get_job_ids()
    reason = job.latest_result().exc_string
    assert "Work-horse terminated unexpectedly" in reason and "signal 9" in reason
    registry = ModelRegistry(model_dir)
    assert registry.current("3") is None and registry.versions("3") == []
    versions_dir = model_dir / "3" / "versions"
    assert not versions_dir.exists() or list(versions_dir.iterdir()) == []
    assert process.poll() is None  # the worker itself survives and takes the next job

    write_config(config, tiny_encoder_dir, epochs=1)
    retry = enqueue_training(redis_url, "3", annotated_project.url, TOKEN, "START_TRAINING")
    assert retry.error is None and not retry.coalesced and retry.job_id != job.id
    second = Job.fetch(retry.job_id, connection=redis_connection)
    wait_for(lambda: second.get_status() in (JobStatus.FINISHED, JobStatus.FAILED),
             JOB_ENDS_WITHIN_S, "the retry to end")
    assert second.get_status() == JobStatus.FINISHED, second.latest_result().exc_string
    assert registry.current("3").name == second.return_value()["version"]
    assert list((model_dir / ".staging").iterdir()) == []  # the killed run's scratch is cleared
    assert "stage train" in log_path.read_text()  # progress reaches the worker's log
    assert Queue(QUEUE_NAME, connection=redis_connection).count == 0



def test_killing_the_whole_worker_kills_its_training_too(
        annotated_project, worker_process, redis_url, redis_connection, tiny_encoder_dir):
    process, config, model_dir, log_path = worker_process
    write_config(config, tiny_encoder_dir, epochs=1000)
    queued = enqueue_training(redis_url, "3", annotated_project.url, TOKEN, "START_TRAINING")
    job = Job.fetch(queued.job_id, connection=redis_connection)
    meta = wait_for(lambda: (m := job.get_meta()).get("stage") == "train" and m.get("step") and m,
                    TRAINING_STARTS_WITHIN_S, f"training steps in job meta (log: {log_path})")

    os.killpg(process.pid, signal.SIGKILL)  # the worker's group; RQ puts the horse in its own
    process.wait()

    wait_for(lambda: not alive(meta["pid"]), 10, "the orphaned work horse to die")
    registry = ModelRegistry(model_dir)
    assert registry.current("3") is None and registry.versions("3") == []
    # RQ's abandoned-job check moves the job to the failed registry once its heartbeat expires
    # (about 70 s with `make run`'s worker); until then Start Training joins it.
    assert enqueue_training(redis_url, "3", annotated_project.url, TOKEN, "again").coalesced
