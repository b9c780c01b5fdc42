"""``python -m backend.run`` (what ``make run`` runs): embedded Redis, worker and backend as real
processes, wired together, and all gone after one Ctrl-C."""

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import REPO_ROOT

STARTS_WITHIN_S = 120
STOPS_WITHIN_S = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child that exited but was not yet reaped by its parent is a zombie: not running.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ", 1)[1][0] != "Z"


def poll(probe, timeout_s: float, what: str, log_path):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = probe()
        except requests.RequestException:
            value = None
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout_s} s waiting for {what}; log:\n{log_path.read_text()[-3000:]}")


def test_make_run_serves_queues_trains_and_stops_on_ctrl_c(tmp_path):
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
        poll(lambda: requests.get(f"{base}/health", timeout=2).ok, STARTS_WITHIN_S, "/health", log_path)
        queued = requests.post(f"{base}/webhook", json={"action": "START_TRAINING", "project": {"id": 3}},
                               timeout=5).json()
        assert queued["status"] == "queued", queued

        # No Label Studio was ever connected: the worker runs the job, which fails naming why.
        job = poll(lambda: (j := requests.get(f"{base}/jobs/3", timeout=2).json()).get("status") == "failed" and j,
                   STARTS_WITHIN_S, "the job to run and fail", log_path)
        assert job["job_id"] == queued["job_id"]
        assert job["error"].startswith("trainer.retrain_errors.RetrainError: [R100] no Label Studio URL and token")

        pids = {name: int(pid) for name, pid in
                re.findall(r"(embedded Redis|started worker|started backend) \(pid (\d+)\)", log_path.read_text())}
        assert set(pids) == {"embedded Redis", "started worker", "started backend"}
        supervisor.send_signal(signal.SIGINT)
        assert supervisor.wait(timeout=STOPS_WITHIN_S) == 0
        poll(lambda: not any(alive(pid) for pid in pids.values()), STOPS_WITHIN_S, "every child to exit", log_path)
        assert (tmp_path / "redis" / "queue.rdb").is_file()  # the queue was saved on the way out
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
            supervisor.wait()
        # Children run in sessions of their own: a failed test must not leave them running.
        for pid in map(int, re.findall(r"\(pid (\d+)\)", log_path.read_text())):
            if alive(pid):
                os.killpg(pid, signal.SIGKILL)
