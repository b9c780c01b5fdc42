"""The one error a retraining job fails with: a code, what went wrong, and what to do about it.

RQ stores the exception's text in the failed-job registry, and ``/jobs/<project>`` shows its last
line, so ``str()`` is written for the annotator or operator who reads it there.
"""

from __future__ import annotations


class RetrainError(Exception):
    """``[Rnnn] message (hint)``; codes R1xx: Label Studio, R2xx: the annotations, R3xx: models."""

    def __init__(self, code: str, message: str, hint: str | None = None):
        self.code = code
        self.message = message
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"[{self.code}] {self.message}{hint}"
