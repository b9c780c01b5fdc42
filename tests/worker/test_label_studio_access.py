"""Issue 18, item 1: the operator's LABEL_STUDIO_API_KEY never reaches a host learnt from /setup.

A real listener on loopback stands in for the host a client named in /setup; the job runs in an
in-process RQ worker after a START_TRAINING webhook, as in production.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus

from backend.app import create_app
from backend.settings import Settings
from retraining.queue import QUEUE_NAME
from retraining.label_studio_access import LabelStudioAccess, allowed_origins
from retraining.errors import RetrainError

OPERATOR_KEY = "operator-key-0123456789abcdef"
SETUP_TOKEN = "token-that-came-with-setup"


class Listener:
    """A loopback socket that records each request's head and answers 401."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.heads: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:  # closed
                return
            with connection:
                connection.settimeout(5)
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = connection.recv(4096)
                    if not chunk:
                        break
                    head += chunk
                self.heads.append(head.decode("latin-1"))
                connection.sendall(b'HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n'
                                   b'Content-Length: 28\r\nConnection: close\r\n\r\n{"detail": "Invalid token."}')

    def authorizations(self) -> list[str]:
        return [line.split(":", 1)[1].strip() for head in self.heads for line in head.split("\r\n")
                if line.lower().startswith("authorization:")]

    def close(self) -> None:
        self.socket.close()
        self._thread.join(timeout=5)


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def setup_then_start_training(worker_env, redis_url, redis_connection, hostname: str) -> Job:
    client = create_app(Settings(model_dir=worker_env, redis_url=redis_url)).test_client()
    assert client.post("/setup", json={"project": "9.1795623812", "hostname": hostname,
                                       "access_token": SETUP_TOKEN}).status_code == 200
    queued = client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 9}}).json
    assert queued["status"] == "queued", queued
    SimpleWorker([Queue(QUEUE_NAME, connection=redis_connection)],
                 connection=redis_connection).work(burst=True)
    return Job.fetch(queued["job_id"], connection=redis_connection)


def test_operator_key_is_not_sent_to_a_hostname_from_setup(
        listener, worker_env, redis_url, redis_connection, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", OPERATOR_KEY)  # LABEL_STUDIO_URL unset

    job = setup_then_start_training(worker_env, redis_url, redis_connection, listener.url)

    assert job.get_status() == JobStatus.FAILED
    assert listener.heads == [], "nothing is sent to a host the configuration does not allow"
    assert "[R107]" in job.latest_result().exc_string
    assert "LABEL_STUDIO_ALLOWED_HOSTS" in job.latest_result().exc_string


def test_an_allowed_setup_hostname_gets_only_the_token_that_came_with_it(
        listener, worker_env, redis_url, redis_connection, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", OPERATOR_KEY)
    monkeypatch.setenv("LABEL_STUDIO_ALLOWED_HOSTS", f"https://ls.example.org, {listener.url}/")

    job = setup_then_start_training(worker_env, redis_url, redis_connection, listener.url)

    assert job.get_status() == JobStatus.FAILED  # the listener answers 401
    assert "[R102]" in job.latest_result().exc_string
    assert listener.authorizations() and set(listener.authorizations()) == {f"Token {SETUP_TOKEN}"}


def test_operator_key_goes_to_the_configured_url_whatever_setup_said(listener):
    access = LabelStudioAccess(url=listener.url, api_key=OPERATOR_KEY)

    recorded = {"hostname": "http://attacker.example:19399", "access_token": SETUP_TOKEN}
    assert access.resolve("9", (None, None), recorded) == (listener.url, OPERATOR_KEY)
    assert OPERATOR_KEY not in repr(access)


def test_allowed_hosts_compare_origins_and_reject_non_urls():
    origins = allowed_origins("HTTP://LS.example.org, https://ls.example.org:8443/path")
    access = LabelStudioAccess(allowed_origins=origins)

    assert access.resolve("1", (None, None), {"hostname": "http://ls.example.org:80/",
                                             "access_token": "t"}) == ("http://ls.example.org:80", "t")
    for hostname in ("http://ls.example.org:8080", "https://ls.example.org", "http://ls.example.org.evil",
                     "http://user@evil:80", "ftp://ls.example.org", "\ud800"):
        with pytest.raises(RetrainError, match="R107"):
            access.resolve("1", (None, None), {"hostname": hostname, "access_token": "t"})
    with pytest.raises(RetrainError, match=r"\[R106\].*'ls.example.org'"):
        allowed_origins("ls.example.org")
