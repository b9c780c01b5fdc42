"""docker-compose.yml, docker-compose.gpu.yml and the Dockerfile, checked without a Docker engine:
every variable a service of ours is given is one the code reads and the README's configuration
table lists for that process, with the README's default; the base file runs without a GPU; every
service has a healthcheck; the image holds every package the backend and the worker import."""

import ast
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
GPU = yaml.safe_load((REPO_ROOT / "docker-compose.gpu.yml").read_text())
DOCKERFILE = (REPO_ROOT / "Dockerfile").read_text()
PRODUCT = ("backend", "trainer", "converters")
# Each service built from this repository, and the README's letter for the process it runs.
OURS = {"backend": "B", "worker": "W"}
# Label Studio 1.23.2 reads these (label_studio/core/settings/base.py: get_env('HOST') with its
# LABEL_STUDIO_ prefix, get_bool_env for the others).
LABEL_STUDIO_READS = {"LABEL_STUDIO_HOST", "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN",
                      "ML_BLOCK_LOCAL_IP", "SSRF_PROTECTION_ENABLED"}
SUBSTITUTION = re.compile(r"^\$\{(\w+):-(.*)\}$")


def strings_in_code() -> set[str]:
    """Every upper-case string constant in the product's code, docstrings left out."""
    names = set()
    for package in [*PRODUCT, "retraining"]:
        for path in (REPO_ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docstrings = {id(node.value) for node in ast.walk(tree)
                          if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
            names |= {node.value for node in ast.walk(tree)
                      if isinstance(node, ast.Constant) and isinstance(node.value, str)
                      and id(node) not in docstrings and re.fullmatch(r"[A-Z][A-Z0-9_]{2,}", node.value)}
    return names


def readme_table() -> dict[str, tuple[str, set[str]]]:
    """The README's configuration table: variable → (default cell, set of process letters)."""
    rows = {}
    for line in (REPO_ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`(\w+)`", cells[0])
        defaults = [d.strip().strip("`") for d in cells[1].split(",")] if len(names) > 1 else [cells[1].strip("`")]
        for index, name in enumerate(names):
            default = defaults[index] if len(defaults) == len(names) else cells[1]
            rows[name] = (default, set(re.findall(r"\b[BWR]\b", cells[2])))
    return rows


CODE = strings_in_code()
TABLE = readme_table()


def environment(service: str) -> dict[str, str]:
    return {name: str(value) for name, value in (COMPOSE["services"][service].get("environment") or {}).items()}


@pytest.mark.parametrize("service", sorted(COMPOSE["services"]))
def test_every_variable_is_read_by_its_service(service):
    names = set(environment(service))
    if service in OURS:
        assert names - CODE == set(), f"{service}: no code reads {sorted(names - CODE)}"
        unlisted = {name for name in names if OURS[service] not in TABLE.get(name, ("", set()))[1]}
        assert unlisted == set(), f"{service}: README's table does not list {sorted(unlisted)} " \
                                  f"as read by {OURS[service]}"
    elif service == "label-studio":
        assert names <= LABEL_STUDIO_READS, sorted(names - LABEL_STUDIO_READS)
    else:
        assert names == set(), f"{service}: {sorted(names)}"


@pytest.mark.parametrize("service", sorted(OURS))
def test_compose_defaults_are_the_readmes(service):
    for name, value in environment(service).items():
        substitution = SUBSTITUTION.match(value)
        if substitution and substitution.group(2):
            assert TABLE[name][0] == substitution.group(2), f"{service}: {name}"


def test_the_dockerfile_sets_only_variables_the_code_reads():
    block = re.search(r"^ENV (.*?)(?=^\S)", DOCKERFILE, re.S | re.M).group(1)
    names = set(re.findall(r"(\w+)=", block))
    assert names and names <= CODE and names <= set(TABLE)


def test_docker_compose_up_needs_no_gpu():
    assert all("deploy" not in service for service in COMPOSE["services"].values())
    devices = GPU["services"]["worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and devices[0]["capabilities"] == ["gpu"]
    assert set(GPU["services"]) == {"worker"}


@pytest.mark.parametrize("service", sorted(COMPOSE["services"]))
def test_every_service_has_a_healthcheck(service):
    check = COMPOSE["services"][service].get("healthcheck")
    assert check and check["test"][0] == "CMD"


def test_our_services_wait_for_a_healthy_redis():
    for service in OURS:
        assert COMPOSE["services"][service]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_the_image_holds_every_package_the_processes_import():
    copied = set(re.findall(r"^COPY (\S+?)/? ", DOCKERFILE, re.M))
    packages = {path.name for path in REPO_ROOT.iterdir() if (path / "__init__.py").is_file()}
    imported = set()
    for package in copied & packages:
        for path in (REPO_ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    imported.add(node.module.split(".")[0])
                elif isinstance(node, ast.Import):
                    imported |= {alias.name.split(".")[0] for alias in node.names}
    assert {"backend", "trainer", "converters", "pretrained"} <= copied
    assert (imported & packages) - copied == set()


def test_the_shipped_model_is_served_when_default_model_is_left_empty():
    for service in OURS:
        value = environment(service)["DEFAULT_MODEL"]
        assert SUBSTITUTION.match(value).group(2) == "", "an empty DEFAULT_MODEL serves the shipped model"
    assert (REPO_ROOT / "pretrained" / "rurebus-e5-small" / "delta.safetensors").is_file()
