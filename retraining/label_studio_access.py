"""Which Label Studio a retraining job talks to, and with which token (docs/security.md).

The rule, so that the operator's key never reaches a host a client named:

* ``LABEL_STUDIO_URL`` set: the job talks to it, with ``LABEL_STUDIO_API_KEY`` when that is set,
  else with the token ``/setup`` sent. A hostname from ``/setup`` is then ignored.
* ``LABEL_STUDIO_URL`` unset: ``LABEL_STUDIO_API_KEY`` is never sent. The job uses the hostname
  ``/setup`` recorded, with the token that came with it, and only when the hostname's origin
  (scheme, host, port) is listed in ``LABEL_STUDIO_ALLOWED_HOSTS``.
* A URL and token passed to the job by the code that enqueued it are used as a pair, like
  configuration: only code with access to the queue can pass them (the backend passes none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from converters.errors import SHOWN_CHARS
from retraining.errors import BAD_ALLOWED_HOST, HOST_NOT_ALLOWED, NO_CONNECTION, RetrainError

DEFAULT_PORTS = {"http": 80, "https": 443}


Origin = tuple[str, str, int]


def label_studio_url(env: Mapping[str, str]) -> str | None:
    """LABEL_STUDIO_URL, or LABEL_STUDIO_HOST as HumanSignal's label-studio-ml-backend examples
    name it (LABEL_STUDIO_URL wins when both are set); empty counts as unset."""
    return env.get("LABEL_STUDIO_URL") or env.get("LABEL_STUDIO_HOST") or None


def origin(url: str) -> Origin | None:
    """``(scheme, host, port)`` of an http(s) URL, lower-cased with the default port filled in."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def allowed_origins(raw: str | None) -> frozenset[Origin]:
    """LABEL_STUDIO_ALLOWED_HOSTS: comma-separated origins such as ``https://ls.example.org``."""
    origins = set()
    for entry in (raw or "").split(","):
        if not entry.strip():
            continue
        parsed = origin(entry)
        if parsed is None:
            raise RetrainError(BAD_ALLOWED_HOST, f"LABEL_STUDIO_ALLOWED_HOSTS: expected http(s) origins "
                               f"such as https://ls.example.org:8080, found {entry.strip()[:SHOWN_CHARS]!r}",
                               "separate origins with commas; a path is ignored")
        origins.add(parsed)
    return frozenset(origins)


@dataclass(frozen=True)
class LabelStudioAccess:
    """What the operator configured for reaching Label Studio (the worker's environment)."""

    url: str | None = None
    """LABEL_STUDIO_URL (or its alias LABEL_STUDIO_HOST, see ``label_studio_url``)."""
    api_key: str | None = field(default=None, repr=False)
    """LABEL_STUDIO_API_KEY: sent only to ``url``; kept out of ``repr`` (and so of logs)."""
    allowed_origins: frozenset[Origin] = frozenset()
    """LABEL_STUDIO_ALLOWED_HOSTS: origins a /setup hostname may have when ``url`` is unset."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LabelStudioAccess:
        return cls(label_studio_url(env), env.get("LABEL_STUDIO_API_KEY") or None,
                   allowed_origins(env.get("LABEL_STUDIO_ALLOWED_HOSTS")))

    def resolve(self, project: str, passed: tuple[str | None, str | None],
                recorded: Mapping[str, object]) -> tuple[str, str]:
        """``(url, token)`` for ``project``: ``passed`` by the enqueuing code, ``recorded`` by /setup."""
        passed_url, passed_token = passed
        setup_url, setup_token = recorded.get("hostname"), recorded.get("access_token")
        setup_token = setup_token if isinstance(setup_token, str) and setup_token else None
        if self.url:
            token = self.api_key or passed_token or setup_token
            if token is None:
                raise _no_connection(project, "token")
            return self.url.rstrip("/"), token
        if passed_url and passed_token:
            return passed_url.rstrip("/"), passed_token
        if not isinstance(setup_url, str) or not setup_url or setup_token is None:
            missing = "URL and token" if not setup_url else "token"
            raise _no_connection(project, missing)
        if origin(setup_url) not in self.allowed_origins:
            raise RetrainError(
                HOST_NOT_ALLOWED, f"project {project}: /setup named Label Studio at "
                f"{setup_url[:SHOWN_CHARS]!r}, which LABEL_STUDIO_ALLOWED_HOSTS does not list",
                "set LABEL_STUDIO_URL (and LABEL_STUDIO_API_KEY) to your Label Studio, or add its "
                "origin to LABEL_STUDIO_ALLOWED_HOSTS to use the token /setup sent",
            )
        return setup_url.rstrip("/"), setup_token


def _no_connection(project: str, missing: str) -> RetrainError:
    return RetrainError(
        NO_CONNECTION, f"no Label Studio {missing} for project {project}",
        "set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY for the worker, or connect the backend in "
        "the project's Model settings (its /setup call records a hostname and token) and list "
        "that hostname in LABEL_STUDIO_ALLOWED_HOSTS",
    )
