"""The retraining worker: one RQ worker on the training queue (``python -m retraining.worker``).

Each job (``retraining.job.retrain_project``) runs in a forked work horse that dies with the
worker. ``make run`` (backend/run.py) starts this worker next to the backend; docker-compose.yml
runs it as its own service.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import logging
import os
import signal
import sys

import redis
from rq import Queue, Worker

from retraining.errors import QUEUE_NOT_CONFIGURED, QUEUE_UNREACHABLE
from retraining.queue import QUEUE_NAME, masked_url

log = logging.getLogger("retraining.worker")

JOB_MONITORING_INTERVAL_S = 10
"""How often the worker checks on its training work horse and renews its heartbeat."""
PR_SET_PDEATHSIG = 1
"""From <linux/prctl.h>."""


class TrainingWorker(Worker):
    """An RQ worker whose work horse dies with it.

    RQ runs each job in a forked child in its own process group, so killing the worker (even its
    whole process group) would leave an orphaned training running, and publishing, after RQ has
    already declared its job abandoned. The kernel's parent-death signal ties the two together.
    """

    def main_work_horse(self, job, queue):
        die_with_parent()
        super().main_work_horse(job, queue)


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent exits (``prctl(PR_SET_PDEATHSIG)``)."""
    parent = os.getppid()
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        log.warning("prctl(PR_SET_PDEATHSIG) failed (errno %d): a killed worker may leave its training running",
                    ctypes.get_errno())
    elif os.getppid() != parent:  # the worker died before the request took effect
        os._exit(1)


def run_worker(redis_url: str) -> int:
    """One RQ worker on the training queue; each job runs in a forked work horse."""
    connection = redis.Redis.from_url(redis_url)
    try:
        connection.ping()
    except redis.RedisError as error:
        log.error("[%s] worker cannot reach Redis at %s: %s", QUEUE_UNREACHABLE, masked_url(redis_url), error)
        return 2
    worker = TrainingWorker(
        [Queue(QUEUE_NAME, connection=connection)],
        connection=connection,
        job_monitoring_interval=JOB_MONITORING_INTERVAL_S,
    )
    worker.work(with_scheduler=False, logging_level="INFO")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the worker on ``REDIS_URL`` until it is stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    argparse.ArgumentParser(prog="python -m retraining.worker", description=__doc__.split("\n")[0]).parse_args(argv)
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        log.error("[%s] the worker needs REDIS_URL (e.g. redis://127.0.0.1:6379/0)", QUEUE_NOT_CONFIGURED)
        return 2
    return run_worker(redis_url)


if __name__ == "__main__":
    sys.exit(main())
