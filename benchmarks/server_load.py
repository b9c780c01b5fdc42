"""Issue 18, items 2 and 3, on a real `python -m backend` over loopback:

1. stalled clients: ``--stalled`` connections (four stop in the middle of a /predict body, the
   rest send nothing), then the latency of /health;
2. one /predict client alone: its rate of answered requests;
3. ``--clients`` concurrent /predict clients (~2,000-character RuREBus texts, honouring
   ``Retry-After``), while a prober times /webhook, /health and /setup: their percentiles and
   the /predict throughput against the single client's.

    .venv/bin/python benchmarks/server_load.py [--checkpoint DIR] [--stalled 100] [--clients 20] [--seconds 30]

Without ``--checkpoint`` it serves the untrained e5-small model of benchmarks/predict_latency.py.
The prediction cache is off, so every request runs the model.

Measured with the defaults (THREADS 4, so 2 inference slots) on a 2-core machine, untrained
e5-small, a 1,993-character text (gunicorn gthread before: /health over 40 s behind 4 stalled
clients; /webhook 17-24 s behind 20 /predict clients):

    /health with 100 stalled/idle connections open:  n=20   p50 0.002 s  p99 0.008 s  max 0.008 s
    /predict, 1 client:    0.33 answers/s             n=5    p50 3.625 s  max 3.645 s
    /predict, 20 clients:  0.33 answers/s (1.00x one client), 108 answered 503 + Retry-After
                                                      n=10   p50 7.125 s  max 7.663 s
    /webhook  during the 20 clients:                  n=173  p50 0.003 s  p99 0.017 s  max 0.021 s
    /health   during the 20 clients:                  n=173  p50 0.001 s  p99 0.011 s  max 0.017 s
    /setup    during the 20 clients:                  n=173  p50 0.002 s  p99 0.011 s  max 0.024 s
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent

from benchmarks.predict_latency import (
    ENTITY_TYPES, RELATION_TYPES, corpus_text, free_port, untrained_checkpoint,
)
from converters.console import plain
from converters.labelstudio import build_label_config
from trainer.corpus import TEAM_CORPUS

PARTIAL_BODY = b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"
PROBE_INTERVAL_S = 0.2
PROBES = {
    "/webhook": ("post", {"action": "ANNOTATION_CREATED", "project": {"id": 1}}),
    "/health": ("get", None),
    "/setup": ("post", {"project": "1.1795623812"}),
}


def percentiles(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    ordered = sorted(samples)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return (f"n={len(ordered):4d}  p50 {statistics.median(ordered):7.3f} s  p95 {at(0.95):7.3f} s  "
            f"p99 {at(0.99):7.3f} s  max {ordered[-1]:7.3f} s")


def start_backend(checkpoint: Path, port: int, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PORT": str(port), "DEFAULT_MODEL": str(checkpoint),
           "MODEL_DIR": str(log_path.parent / "models"), "PREDICTION_CACHE_SIZE": "0", "REDIS_URL": ""}
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "backend"], env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 300
    while "preloaded" not in log_path.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"backend did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.5)
    return process


def stalled_clients(url: str, port: int, count: int) -> None:
    sockets = []
    for number in range(count):
        client = socket.create_connection(("127.0.0.1", port), timeout=5)
        if number < 4:
            client.sendall(PARTIAL_BODY)
        sockets.append(client)
    latencies = []
    for _ in range(20):
        started = time.perf_counter()
        requests.get(f"{url}/health", timeout=60).raise_for_status()
        latencies.append(time.perf_counter() - started)
    for client in sockets:
        client.close()
    print(f"/health with {count} stalled/idle connections open:  {percentiles(latencies)}")


def predict_clients(url: str, body: dict, clients: int, seconds: float) -> tuple[list[float], int]:
    """Latencies of answered /predict requests and the number of 503s, from ``clients`` threads."""
    answered: list[float] = []
    refused = [0]
    deadline = time.monotonic() + seconds

    def client() -> None:
        with requests.Session() as session:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                response = session.post(f"{url}/predict", json=body, timeout=200)
                if response.status_code == 503:
                    refused[0] += 1
                    time.sleep(float(response.headers.get("Retry-After", 1)))
                else:
                    response.raise_for_status()
                    answered.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answered, refused[0]


def probe(url: str, stop: threading.Event, samples: dict[str, list[float]]) -> None:
    with requests.Session() as session:
        while not stop.is_set():
            for path, (method, payload) in PROBES.items():
                started = time.perf_counter()
                session.request(method, f"{url}{path}", json=payload, timeout=60).raise_for_status()
                samples[path].append(time.perf_counter() - started)
            stop.wait(PROBE_INTERVAL_S)


def main() -> None:
    parser = argparse.ArgumentParser(description=plain(__doc__.split("\n")[0]))
    parser.add_argument("--checkpoint", type=Path)
    parser.add_argument("--corpus", type=Path, default=TEAM_CORPUS)
    parser.add_argument("--stalled", type=int, default=100)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    checkpoint = args.checkpoint or untrained_checkpoint()
    _, text = corpus_text(args.corpus, 2000)
    body = {"tasks": [{"id": 1, "data": {"text": text}}], "project": "1.1795623812",
            "label_config": build_label_config(ENTITY_TYPES, RELATION_TYPES)}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = Path(tempfile.mkdtemp(prefix="server-load-")) / "backend.log"
    process = start_backend(checkpoint, port, log_path)
    try:
        print(f"checkpoint {checkpoint}; text {len(text)} characters; backend log {log_path}")
        stalled_clients(url, port, args.stalled)
        alone, _ = predict_clients(url, body, 1, args.seconds / 2)
        single_rate = len(alone) / (args.seconds / 2)
        print(f"/predict, 1 client:    {single_rate:.2f} answers/s  {percentiles(alone)}")
        samples: dict[str, list[float]] = {path: [] for path in PROBES}
        stop = threading.Event()
        prober = threading.Thread(target=probe, args=(url, stop, samples))
        prober.start()
        answered, refused = predict_clients(url, body, args.clients, args.seconds)
        stop.set()
        prober.join()
        rate = len(answered) / args.seconds
        print(f"/predict, {args.clients} clients:  {rate:.2f} answers/s ({rate / single_rate:.2f}x one client), "
              f"{refused} answered 503 + Retry-After  {percentiles(answered)}")
        for path, latencies in samples.items():
            print(f"{path:9s} during the {args.clients} clients:  {percentiles(latencies)}")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
