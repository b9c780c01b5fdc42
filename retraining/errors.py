"""The retraining service's errors and every code it uses, each with what it means.

``RetrainError`` is what a job, the queue and the worker's Label Studio I/O fail with; RQ stores
its text in the failed-job registry and ``/jobs/<project>`` shows its last line, so ``str()``
(``[Rnnn] message (hint)``, from ``converters.errors.CodedError``) is written for the annotator or
operator who reads it there. ``RegistryError`` is the version registry's.

Prefixes: ``R`` the job (R1xx Label Studio, R2xx the annotations, R3xx settings), ``T`` the
training queue, ``V`` the version registry.
"""

from __future__ import annotations

from converters.errors import CodedError

# R1xx: reaching Label Studio (retraining/label_studio.py, label_studio_access.py)
NO_CONNECTION = "R100"
"""No Label Studio URL and token for the project."""
LABEL_STUDIO_UNREACHABLE = "R101"
"""Label Studio did not answer (connection refused, timeout)."""
TOKEN_REFUSED = "R102"
"""Label Studio rejected the token (401/403), or the SDK refused it before any request."""
NO_SUCH_PROJECT = "R103"
"""Label Studio has no project with that id (404)."""
BAD_EXPORT = "R104"
"""The project's export is not the JSON list of tasks Label Studio writes."""
LABEL_STUDIO_FAILED = "R105"
"""Label Studio answered another HTTP error."""
BAD_ALLOWED_HOST = "R106"
"""An entry of LABEL_STUDIO_ALLOWED_HOSTS is not an http(s) origin."""
HOST_NOT_ALLOWED = "R107"
"""/setup recorded a hostname that configuration does not allow."""

# R2xx: the annotations (retraining/label_studio.py, job.py)
NO_TASK_ID = "R201"
"""An export entry has no integer task id (not a Label Studio JSON export)."""
BAD_RESULT = "R202"
"""An annotation's result is not a list of regions."""
NO_TEXT = "R203"
"""A task's data lacks the text the labeling config's <Text> names."""
TOO_FEW_TASKS = "R204"
"""Fewer annotated tasks than RETRAIN_MIN_TASKS."""
BAD_ANNOTATION = "R205"
"""An annotation does not convert to a document (a converters error, quoted)."""
BAD_LABEL_CONFIG = "R206"
"""The project's labeling config cannot be used."""

# R3xx: settings (retraining/job.py)
BAD_SETTING = "R301"
"""A RETRAIN_*, KEEP_VERSIONS or bias variable has a value the job cannot use."""

# T: the training queue (retraining/queue.py, worker.py)
QUEUE_NOT_CONFIGURED = "T001"
"""REDIS_URL is empty."""
NO_PROJECT = "T002"
"""A training request names no project."""
QUEUE_UNREACHABLE = "T003"
"""Redis did not answer within the queue's socket timeout."""
NO_JOB = "T004"
"""No job is known for the project or job id."""
BAD_JOB_KEY = "T005"
"""A project or job id with characters RQ refuses."""

# V: the version registry (retraining/registry.py)
BAD_PROJECT_KEY = "V001"
"""A project id that is not one Label Studio would send."""
BAD_VERSION_FILE = "V002"
"""A version's metrics.json or version.json is not a readable JSON object."""
NO_DEFAULT_MODEL = "V003"
"""DEFAULT_MODEL names no directory."""
NOT_A_CHECKPOINT = "V004"
"""The directory to publish has no config.json."""
BAD_VERSION_NAME = "V005"
"""A version name with characters a version directory cannot have."""
NO_SUCH_VERSION = "V006"
"""``current`` (or a promotion) names a version that is not published."""


class RetrainError(CodedError):
    """A retraining that cannot proceed: ``[code] message (hint)``."""


class RegistryError(CodedError):
    """A registry operation that cannot proceed: what was expected, found, and what to do."""
