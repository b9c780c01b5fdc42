"""The one error type the trainer raises for problems a user can fix (bad input, no network, …).

Every error carries a code (``Ennn``), what was expected versus found, and a hint, so the command
line can print one clear line instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path

from converters.errors import CodedError


class TrainerError(CodedError):
    """A user-fixable failure; ``str()`` gives ``path: [Ennn] message (hint)``."""

    def __init__(self, code: str, message: str, *, path: Path | str | None = None,
                 hint: str | None = None):
        self.path = path
        super().__init__(code, message, hint)

    def location(self) -> str:
        return f"{self.path}: " if self.path is not None else ""
