"""A real Label Studio 1.23 in its own venv, started and stopped as a process, and its REST calls.

Used by the e2e suite (tests/fixtures/label_studio.py, one Label Studio per test session) and by
scripts/screenshot.py.

Label Studio pins Django and friends, so it lives in `.ls-venv/` at the repository root (git-ignored,
created on first use) and runs as a separate process; tests talk to it over its REST API, which is
what the UI buttons call. Start-up follows ../shared/docs/label-studio-protocol.md: a port checked
free first (Label Studio silently moves to another port when its port is busy), a temporary data
dir, a legacy API token, and the two switches without which a backend on 127.0.0.1 is refused
(`ML_BLOCK_LOCAL_IP=false`) or its webhook silently dropped (`SSRF_PROTECTION_ENABLED=false`).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
LS_VENV = REPO_ROOT / ".ls-venv"
LS_PACKAGES = ("label-studio==1.23.2", "label-studio-sdk==2.1.2")
# Written after a complete install, so a venv left half-built by an interrupted run is redone.
LS_VENV_STAMP = LS_VENV / ".e2e-installed"
# A fresh data dir runs every migration on the first start: ~30 s alone, more on a busy 2-core box.
START_TIMEOUT_S = 240.0
REQUEST_TIMEOUT_S = 120.0


class LabelStudioError(AssertionError):
    """A Label Studio REST call answered something other than what the caller expected.

    An AssertionError, so that pytest reports it as a failed check, not as an error in a test."""

    def __init__(self, method: str, path: str, expected: str, status: int, body: str, hint: str = ""):
        message = f"[LS001] {method} {path}: expected {expected}, got HTTP {status}: {body[:2000]}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)
        self.status = status


def ensure_ls_venv(venv: Path = LS_VENV) -> Path:
    """Create `.ls-venv` with Label Studio if it is missing; return its `label-studio` executable.

    A file lock keeps two test sessions on one machine from installing into the same venv at once.
    """
    executable = venv / "bin" / "label-studio"
    stamp = venv / LS_VENV_STAMP.name
    venv.parent.mkdir(parents=True, exist_ok=True)
    lock_path = Path(tempfile.gettempdir()) / f"ls-venv-{hashlib.sha1(bytes(venv)).hexdigest()[:12]}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and executable.exists():
            return executable
        run_logged([sys.executable, "-m", "venv", str(venv)], "create .ls-venv")
        run_logged(
            [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", *LS_PACKAGES],
            "install Label Studio into .ls-venv",
        )
        stamp.write_text(" ".join(LS_PACKAGES) + "\n")
    return executable


def run_logged(command: list[str], what: str) -> None:
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        tail = (completed.stdout + completed.stderr)[-3000:]
        raise RuntimeError(
            f"[LS002] could not {what}: `{' '.join(command)}` exited {completed.returncode}:\n{tail}\n"
            "(is PyPI reachable? remove .ls-venv and retry)"
        )


def free_port() -> int:
    """A port nothing listens on now (bound and released; Label Studio binds it moments later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@dataclass
class LabelStudio:
    """A running Label Studio and the REST calls the tests need (the same ones the UI makes)."""

    url: str
    token: str
    username: str
    password: str
    data_dir: Path
    log_path: Path
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def __post_init__(self) -> None:
        self.session.headers["Authorization"] = f"Token {self.token}"

    # -- plumbing -------------------------------------------------------------------------------
    def call(self, method: str, path: str, expect: tuple[int, ...] = (200, 201), **kwargs) -> requests.Response:
        response = self.session.request(method, self.url + path, timeout=REQUEST_TIMEOUT_S, **kwargs)
        if response.status_code not in expect:
            raise LabelStudioError(
                method, path, f"HTTP {'/'.join(map(str, expect))}", response.status_code, response.text,
                hint=f"Label Studio's log: {self.log_path}",
            )
        return response

    def get(self, path: str, **kwargs) -> dict | list:
        return self.call("GET", path, **kwargs).json()

    def post(self, path: str, payload: dict | list | None = None, **kwargs) -> dict | list:
        response = self.call("POST", path, json=payload, **kwargs)
        return response.json() if response.content else {}

    # -- projects and tasks ---------------------------------------------------------------------
    def create_project(self, title: str, label_config: str) -> dict:
        return self.post("/api/projects/", {"title": title, "label_config": label_config})

    def import_tasks(self, project_id: int, tasks: list[dict]) -> dict:
        """Import tasks (with their `annotations`/`predictions`); fails unless all were created."""
        answer = self.post(f"/api/projects/{project_id}/import", tasks)
        if answer.get("task_count") != len(tasks):
            raise LabelStudioError(
                "POST", f"/api/projects/{project_id}/import", f"task_count={len(tasks)}", 201, str(answer)
            )
        return answer

    def tasks(self, project_id: int) -> list[dict]:
        """Every task of the project with its annotations and predictions, in id order."""
        found: list[dict] = []
        page = 1
        while True:
            answer = self.get(
                "/api/tasks", params={"project": project_id, "page": page, "page_size": 100, "fields": "all"}
            )
            found.extend(answer["tasks"])
            if len(found) >= answer["total"] or not answer["tasks"]:
                return sorted(found, key=lambda task: task["id"])
            page += 1

    def predictions(self, task_id: int) -> list[dict]:
        return self.get("/api/predictions/", params={"task": task_id})

    def export(self, project_id: int, all_tasks: bool = True) -> list[dict]:
        """The project's quick JSON export. Its `predictions` are prediction ids, not results."""
        return self.get(
            f"/api/projects/{project_id}/export",
            params={"exportType": "JSON", "download_all_tasks": str(all_tasks).lower()},
        )

    def export_snapshot(self, project_id: int) -> list[dict]:
        """A JSON export snapshot of every task with full predictions (the export API's other path)."""
        exports = f"/api/projects/{project_id}/exports"
        snapshot = self.post(exports + "/", {"serialization_options": {"predictions": {"only_id": False}}})
        deadline = time.monotonic() + REQUEST_TIMEOUT_S
        while snapshot["status"] != "completed":
            if snapshot["status"] == "failed" or time.monotonic() > deadline:
                raise LabelStudioError("GET", f"{exports}/{snapshot['id']}", "status completed", 200, str(snapshot))
            time.sleep(0.5)
            snapshot = self.get(f"{exports}/{snapshot['id']}")
        return self.get(f"{exports}/{snapshot['id']}/download", params={"exportType": "JSON"})

    def submit_annotation(self, task_id: int, result: list[dict], **extra) -> dict:
        """What the Submit button sends: a new annotation of the task by the logged-in user."""
        return self.post(f"/api/tasks/{task_id}/annotations", {"result": result, **extra})

    # -- ML backend -----------------------------------------------------------------------------
    def connect_ml_backend(self, project_id: int, backend_url: str, title: str = "e2e backend", **extra) -> dict:
        """Add an ML backend to the project (Settings → Model → Connect model)."""
        return self.post(
            "/api/ml", {"project": project_id, "url": backend_url, "title": title, "is_interactive": False, **extra}
        )

    def ml_backend(self, backend_id: int) -> dict:
        """The backend record; reading it makes Label Studio re-check /health and call /setup."""
        return self.get(f"/api/ml/{backend_id}")

    def retrieve_predictions(self, project_id: int, task_ids: list[int] | None = None) -> dict:
        """The data manager's "Retrieve Predictions" action (all tasks, or the selected ones)."""
        selected = {"all": True, "excluded": []} if task_ids is None else {"all": False, "included": task_ids}
        return self.post(
            "/api/dm/actions",
            {"selectedItems": selected},
            params={"id": "retrieve_tasks_predictions", "project": project_id},
        )

    def train(self, backend_id: int) -> dict:
        """The Start Training button: Label Studio sends START_TRAINING to the backend's /webhook."""
        return self.post(f"/api/ml/{backend_id}/train", {})

    def webhooks(self, project_id: int) -> list[dict]:
        return self.get("/api/webhooks/", params={"project": project_id})


def start_label_studio(executable: Path, data_dir: Path, port: int) -> tuple[subprocess.Popen, LabelStudio]:
    if not port_is_free(port):
        raise RuntimeError(f"[LS003] port {port} is taken; Label Studio would silently move elsewhere")
    url = f"http://127.0.0.1:{port}"
    studio = LabelStudio(
        url=url,
        token=secrets.token_hex(20),
        username="e2e@example.com",
        password=secrets.token_urlsafe(16),
        data_dir=data_dir,
        log_path=data_dir / "label-studio.log",
    )
    env = {
        **os.environ,
        "LABEL_STUDIO_USERNAME": studio.username,
        "LABEL_STUDIO_PASSWORD": studio.password,
        "LABEL_STUDIO_USER_TOKEN": studio.token,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "ML_BLOCK_LOCAL_IP": "false",
        "SSRF_PROTECTION_ENABLED": "false",
        "LABEL_STUDIO_HOST": url,
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "COLLECT_ANALYTICS": "false",
        "PYTHONUNBUFFERED": "1",
    }
    # The backend's venv must not leak into Label Studio's interpreter.
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    command = [
        str(executable), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port),
        "--data-dir", str(data_dir), "--enable-legacy-api-token",
    ]
    log = open(studio.log_path, "wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    try:
        wait_until_ready(process, studio)
    except BaseException:
        stop(process)
        raise
    return process, studio


def wait_until_ready(process: subprocess.Popen, studio: LabelStudio) -> None:
    """Until the API accepts the token: /health alone answers before the user and token exist."""
    deadline = time.monotonic() + START_TIMEOUT_S
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"[LS004] Label Studio exited with {process.returncode} while starting:\n{log_tail(studio.log_path)}"
            )
        try:
            response = studio.session.get(studio.url + "/api/current-user/whoami", timeout=5)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}: {response.text[:200]}"
        except requests.RequestException as error:
            last = type(error).__name__
        time.sleep(1)
    raise RuntimeError(
        f"[LS005] Label Studio at {studio.url} not ready after {START_TIMEOUT_S:.0f} s (last: {last}):\n"
        f"{log_tail(studio.log_path)}"
    )


def log_tail(path: Path, chars: int = 4000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"


def stop(process: subprocess.Popen) -> None:
    """Stop Label Studio and the workers it forked (its own process group)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
