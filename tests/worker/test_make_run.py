"""``python -m backend.run`` (what ``make run`` runs): embedded Redis, worker and backend as real
processes, wired together (a queued job reaches the worker), and all gone after one Ctrl-C."""

import json
import os
import re
import signal
import subprocess
import sys

import requests

from tests.conftest import REPO_ROOT
from tests.fixtures.label_studio import free_port
from tests.worker.processes import alive, wait_for

STARTS_WITHIN_S = 120
STOPS_WITHIN_S = 30


def test_make_run_serves_queues_a_job_the_worker_runs_and_stops_on_ctrl_c(tmp_path):
    # The job fails at once (R100: no Label Studio connected); what is checked is the wiring:
    # the webhook queues on the embedded Redis and the worker process picks the job up.
    # Training itself is tested in test_retrain_job.py and test_retrain_gate.py.
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("REDIS_URL", "DEFAULT_MODEL", "LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY")}
    env.update(PORT=str(port), MODEL_DIR=str(tmp_path / "models"), REDIS_DATA_DIR=str(tmp_path / "redis"))
    log_path = tmp_path / "run.log"
    with open(log_path, "w") as log:
        supervisor = subprocess.Popen([sys.executable, "-m", "backend.run"], cwd=REPO_ROOT, env=env,
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(f"{base}/health", timeout=2).ok, STARTS_WITHIN_S,
                 f"/health (log: {log_path})", ignore=(requests.RequestException,))
        queued = requests.post(f"{base}/webhook", json={"action": "START_TRAINING", "project": {"id": 3}},
                               timeout=5).json()
        assert queued["status"] == "queued", queued

        # No Label Studio was ever connected: the worker runs the job, which fails naming why.
        job = wait_for(lambda: (j := requests.get(f"{base}/jobs/3", timeout=2).json()).get("status") == "failed" and j,
                       STARTS_WITHIN_S, f"the job to run and fail (log: {log_path})")
        assert job["job_id"] == queued["job_id"]
        assert job["error"].startswith("[R100] no Label Studio URL and token for project 3")
        assert "traceback" not in job and "Traceback" not in json.dumps(job)

        pids = {name: int(pid) for name, pid in
                re.findall(r"(embedded Redis|started worker|started backend) \(pid (\d+)\)", log_path.read_text())}
        assert set(pids) == {"embedded Redis", "started worker", "started backend"}
        supervisor.send_signal(signal.SIGINT)
        assert supervisor.wait(timeout=STOPS_WITHIN_S) == 0
        wait_for(lambda: not any(alive(pid) for pid in pids.values()), STOPS_WITHIN_S, "every child to exit")
        assert (tmp_path / "redis" / "queue.rdb").is_file()  # the queue was saved on the way out
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
            supervisor.wait()
        # Children run in sessions of their own: a failed test must not leave them running.
        for pid in map(int, re.findall(r"\(pid (\d+)\)", log_path.read_text())):
            if alive(pid):
                try:
                    os.killpg(pid, signal.SIGKILL)  # the worker with its work horse
                except ProcessLookupError:
                    os.kill(pid, signal.SIGKILL)  # redis-server leads no process group
