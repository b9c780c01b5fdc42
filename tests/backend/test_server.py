"""`python -m backend` as a real process: waitress serves, stalled clients hold no thread, settings
errors are reported, tokens stay out of the log."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import REPO_ROOT

TOKEN = "ls-token-never-logged"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_backend(env: dict, log_path: Path) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **env}
    with log_path.open("w") as log:
        return subprocess.Popen([sys.executable, "-m", "backend"], cwd=REPO_ROOT, env=environment,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_until_up(url: str, process: subprocess.Popen, log_path: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"backend exited {process.returncode}:\n{log_path.read_text()}")
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    pytest.fail(f"backend did not answer /health within {timeout_s} s:\n{log_path.read_text()}")


def test_server_preloads_serves_predictions_and_keeps_tokens_out_of_logs(tmp_path, eager_checkpoint, label_config):
    port = free_port()
    log_path = tmp_path / "backend.log"
    process = start_backend({"PORT": str(port), "MODEL_DIR": str(tmp_path / "models"),
                             "DEFAULT_MODEL": str(eager_checkpoint), "LABEL_STUDIO_API_KEY": TOKEN,
                             "BASIC_AUTH_USER": "ls", "BASIC_AUTH_PASS": "pw-never-logged"}, log_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log_path)
        deadline = time.monotonic() + 60
        while "preloaded default-" not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "preloaded default-" in log_path.read_text(), "DEFAULT_MODEL is loaded at start"
        auth = ("ls", "pw-never-logged")
        setup = requests.post(f"{url}/setup", auth=auth, timeout=5, json={
            "project": "1.1795623812", "hostname": "http://127.0.0.1:18080", "access_token": TOKEN})
        assert setup.status_code == 200
        tasks = [{"id": 1, "data": {"text": "Доля сельского населения края увеличилась."}}]
        predict = requests.post(f"{url}/predict", auth=auth, timeout=60, json={
            "tasks": tasks, "label_config": label_config, "project": "1.1795623812"})
        assert predict.status_code == 200
        assert predict.json()["results"][0]["model_version"] == setup.json()["model_version"]
        assert requests.post(f"{url}/predict", auth=auth, data="{", timeout=5).status_code == 400
        assert requests.post(f"{url}/predict", timeout=5, json={}).status_code == 401
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    log = log_path.read_text()
    assert "Serving on http://127.0.0.1:" in log
    assert log.count("loading model") == 1, "the preloaded model serves /predict"
    assert TOKEN not in log and "pw-never-logged" not in log


def test_stalled_and_idle_clients_do_not_keep_health_from_answering(tmp_path):
    # Issue 18, item 2: four clients that stop mid-body and 96 idle ones took every gunicorn
    # thread, and /health went unanswered for more than 40 s.
    port = free_port()
    log_path = tmp_path / "backend.log"
    process = start_backend({"PORT": str(port), "MODEL_DIR": str(tmp_path / "models"), "THREADS": "4",
                             "REDIS_URL": "redis://:redis-pw-never-logged@127.0.0.1:1/0"}, log_path)
    url = f"http://127.0.0.1:{port}"
    stalled = []
    try:
        wait_until_up(url, process, log_path)
        for number in range(100):
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            if number < 4:
                client.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
            stalled.append(client)
        for _ in range(3):
            assert requests.get(f"{url}/health", timeout=5).json()["status"] == "UP"
    finally:
        for client in stalled:
            client.close()
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    assert "redis://***@127.0.0.1:1/0" in log_path.read_text()  # issue 18, item 6
    assert "redis-pw-never-logged" not in log_path.read_text()


def test_bad_settings_stop_the_server_with_a_message(tmp_path):
    log_path = tmp_path / "backend.log"
    process = start_backend({"PORT": "ninety", "MODEL_DIR": str(tmp_path)}, log_path)
    assert process.wait(timeout=60) == 2
    assert "PORT: expected a positive integer, found 'ninety'" in log_path.read_text()
    process = start_backend({"DEFAULT_MODEL": str(tmp_path / "missing"), "MODEL_DIR": str(tmp_path)}, log_path)
    assert process.wait(timeout=60) == 2
    assert "DEFAULT_MODEL" in log_path.read_text()
