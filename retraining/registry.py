"""Per-project model versions under one root directory, published atomically.

Layout under ``root`` (the backend's ``MODEL_DIR``)::

    <project>/versions/<name>/     checkpoint files + metrics.json + version.json (never modified)
    <project>/current              the promoted version's name (replaced atomically)
    <project>/label_studio.json    hostname and access token from Label Studio's /setup

A version directory is assembled under a temporary name beside its final place and renamed into
place with ``os.replace``, so a reader sees either no version or a complete one. The ``current``
pointer is a small file written the same way; reading it is the cheap check the backend makes on
every request to notice a newly promoted version.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from converters.files import atomic_directory, atomic_write_text, file_lock
from retraining.errors import (
    BAD_PROJECT_KEY, BAD_VERSION_FILE, BAD_VERSION_NAME, NO_DEFAULT_MODEL, NO_SUCH_VERSION, NOT_A_CHECKPOINT,
    RegistryError,
)

DEFAULT_PROJECT = "default"
"""Project key of the model configured by ``DEFAULT_MODEL`` (served to projects with no version)."""

_PROJECT_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
_VERSION_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_SEQUENCE = re.compile(r"p[^-]+-v(\d+)-")
DEFAULT_KEEP_VERSIONS = 10
"""Published versions a project keeps (``KEEP_VERSIONS``); the current one is never removed."""


@dataclass
class ModelVersion:
    """One servable model: ``name`` is the ``model_version`` string Label Studio shows and stores."""

    project: str
    name: str
    path: Path
    metrics: dict
    promoted: bool
    created_at: str


def project_key(raw: object) -> str:
    """Map Label Studio's project identifiers to the registry key.

    ``/setup`` sends ``"<id>.<created_at>"`` and webhooks send the integer ``project.id``; both
    become ``"<id>"``. Anything that is not a safe directory name is refused, so a request can
    never address a path outside the registry root.
    """
    text = str(raw).strip()
    if isinstance(raw, str) and re.fullmatch(r"\d+\.\d+", text):
        text = text.split(".", 1)[0]
    if not isinstance(raw, (str, int)) or isinstance(raw, bool) or not _PROJECT_KEY.fullmatch(text):
        raise RegistryError(
            BAD_PROJECT_KEY,
            f"expected a Label Studio project id such as 3 or '3.1795623812', found {raw!r}",
            "send the project id Label Studio uses",
        )
    return text


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _write_json_atomically(path: Path, payload: dict, mode: int = 0o644) -> None:
    atomic_write_text(path, json.dumps(payload, ensure_ascii=False, indent=2), mode)


def _read_json(path: Path) -> dict:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise RegistryError(
            BAD_VERSION_FILE, f"{path}: expected a JSON object, could not read it: {error}",
            "restore the file or remove the damaged version directory",
        ) from error
    if not isinstance(payload, dict):
        raise RegistryError(BAD_VERSION_FILE, f"{path}: expected a JSON object, found {type(payload).__name__}")
    return payload


class ModelRegistry:
    """Versions per Label Studio project, plus the ``DEFAULT_MODEL`` for projects without one."""

    def __init__(self, root: Path, default_model: Path | None = None,
                 keep_versions: int = DEFAULT_KEEP_VERSIONS):
        self.root = Path(root)
        self.keep_versions = keep_versions
        self.default_model = Path(default_model) if default_model is not None else None
        if self.default_model is not None and not self.default_model.is_dir():
            raise RegistryError(
                NO_DEFAULT_MODEL,
                f"DEFAULT_MODEL: expected a checkpoint directory, found no directory at {self.default_model}",
                "point DEFAULT_MODEL at the output directory of `python -m trainer train`",
            )

    # -- reading -----------------------------------------------------------------------------

    def current(self, project: str) -> ModelVersion | None:
        """The promoted version of ``project``, else the default model, else ``None``.

        Cheap enough to call on every request: one small file read plus one ``version.json``.
        """
        project = project_key(project)
        pointer = self._project_dir(project) / "current"
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            name = ""
        if name:
            return self._load_version(project, name, promoted=True)
        return self.default_version()

    def versions(self, project: str) -> list[ModelVersion]:
        """Every published version of ``project``, oldest first (the default model is not listed)."""
        project = project_key(project)
        versions_dir = self._project_dir(project) / "versions"
        if not versions_dir.is_dir():
            return []
        promoted = self._current_name(project)
        names = sorted(
            entry.name for entry in versions_dir.iterdir()
            if entry.is_dir() and not entry.name.startswith(".")
        )
        return [self._load_version(project, name, promoted=name == promoted) for name in names]

    def projects(self) -> list[str]:
        """Project keys that have at least one published version."""
        if not self.root.is_dir():
            return []
        return sorted(
            entry.name for entry in self.root.iterdir()
            if (entry / "versions").is_dir() and _PROJECT_KEY.fullmatch(entry.name)
        )

    def default_version(self) -> ModelVersion | None:
        """The ``DEFAULT_MODEL`` checkpoint as a version named after its directory and timestamp.

        The name changes when the directory is replaced by a new training run (its mtime
        changes), so Label Studio sees a new ``model_version`` and asks for fresh predictions.
        """
        if self.default_model is None:
            return None
        stamp = datetime.fromtimestamp(self.default_model.stat().st_mtime, UTC)
        return ModelVersion(
            project=DEFAULT_PROJECT,
            name=f"default-{self.default_model.name}-{stamp:%Y%m%dT%H%M%S}",
            path=self.default_model,
            metrics=_read_json(self.default_model / "metrics.json"),
            promoted=True,
            created_at=stamp.isoformat(timespec="seconds"),
        )

    # -- writing -----------------------------------------------------------------------------

    def publish(self, project: str, checkpoint_dir: Path, metrics: dict, task_ids: list[int],
                promote: bool, reason: str) -> ModelVersion:
        """Copy ``checkpoint_dir`` in as the project's next version; make it current if ``promote``.

        The copy is assembled in a hidden temporary directory and renamed into place, so
        concurrent readers never see a partial version. Publications of one project are
        serialised by a file lock, so version numbers never collide across processes.
        """
        project = project_key(project)
        checkpoint_dir = Path(checkpoint_dir)
        if not (checkpoint_dir / "config.json").is_file():
            raise RegistryError(
                NOT_A_CHECKPOINT,
                f"expected a checkpoint directory with config.json, found {checkpoint_dir}",
                "publish the checkpoint_dir returned by trainer.train.train",
            )
        versions_dir = self._project_dir(project) / "versions"
        versions_dir.mkdir(parents=True, exist_ok=True)
        with self._project_lock(project):
            created = _utc_now()
            # the highest number plus one, not a count: older versions are removed (KEEP_VERSIONS)
            sequence = max((int(match.group(1)) for entry in versions_dir.iterdir()
                            if (match := _SEQUENCE.match(entry.name))), default=0) + 1
            name = f"p{project}-v{sequence:04d}-{created:%Y%m%dT%H%M%S}"
            # a new name under the lock, so the directory never exists yet
            with atomic_directory(versions_dir / name) as staging:
                shutil.copytree(checkpoint_dir, staging, dirs_exist_ok=True)
                _write_json_atomically(staging / "metrics.json", metrics)
                _write_json_atomically(staging / "version.json", {
                    "project": project,
                    "name": name,
                    "created_at": created.isoformat(timespec="seconds"),
                    "task_ids": list(task_ids),
                    "reason": reason,
                    "source": str(checkpoint_dir.resolve()),
                })
            if promote:
                self._point_current(project, name)
            self._remove_old_versions(project, versions_dir)
        return self._load_version(project, name, promoted=promote)

    def _remove_old_versions(self, project: str, versions_dir: Path) -> None:
        """Keep the newest ``keep_versions`` and the current one; each other version is first
        renamed out of sight (atomic), then deleted, so no reader sees half a version."""
        names = sorted((entry.name for entry in versions_dir.iterdir()
                        if entry.is_dir() and _SEQUENCE.match(entry.name)),
                       key=lambda name: int(_SEQUENCE.match(name).group(1)))
        current = self._current_name(project)
        for name in names[:-self.keep_versions]:
            if name != current:
                retired = versions_dir / f".removed.{name}"
                os.replace(versions_dir / name, retired)
                shutil.rmtree(retired)

    def promote(self, project: str, name: str) -> ModelVersion:
        """Make an already published version the one served (also to roll back)."""
        project = project_key(project)
        version = self._load_version(project, name, promoted=True)
        with self._project_lock(project):
            self._point_current(project, version.name)
        return version

    # -- Label Studio connection recorded by /setup ------------------------------------------

    def save_label_studio_connection(self, project: str, hostname: str, access_token: str) -> None:
        """Keep the Label Studio URL and token of ``project`` for the retraining job (mode 0600).

        Rewritten only when it changed, because ``/setup`` runs before every prediction batch.
        """
        project = project_key(project)
        payload = {"hostname": hostname, "access_token": access_token}
        if self.label_studio_connection(project) == payload:
            return
        self._project_dir(project).mkdir(parents=True, exist_ok=True)
        _write_json_atomically(self._project_dir(project) / "label_studio.json", payload, mode=0o600)

    def label_studio_connection(self, project: str) -> dict | None:
        """``{"hostname": ..., "access_token": ...}`` as last sent by ``/setup``, or ``None``."""
        payload = _read_json(self._project_dir(project_key(project)) / "label_studio.json")
        return payload or None

    # -- internals ---------------------------------------------------------------------------

    def _project_dir(self, project: str) -> Path:
        return self.root / project

    def _current_name(self, project: str) -> str:
        try:
            return (self._project_dir(project) / "current").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return ""

    def _point_current(self, project: str, name: str) -> None:
        atomic_write_text(self._project_dir(project) / "current", name + "\n")

    def _load_version(self, project: str, name: str, promoted: bool) -> ModelVersion:
        if not _VERSION_NAME.fullmatch(name):
            raise RegistryError(BAD_VERSION_NAME, f"project {project}: expected a version name, found {name!r}")
        path = self._project_dir(project) / "versions" / name
        record = _read_json(path / "version.json")
        if not record:
            raise RegistryError(
                NO_SUCH_VERSION,
                f"project {project}: expected version {name} at {path}, found no version.json there",
                f"promote an existing version (see {path.parent}) or remove {self._project_dir(project) / 'current'}",
            )
        return ModelVersion(
            project=project,
            name=name,
            path=path,
            metrics=_read_json(path / "metrics.json"),
            promoted=promoted,
            created_at=record.get("created_at", ""),
        )

    def _project_lock(self, project: str):
        return file_lock(self._project_dir(project) / ".lock")
