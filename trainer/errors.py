"""The one error type the trainer raises for problems a user can fix (bad input, no network, …).

Every error carries a code (``Ennn``), what was expected versus found, and a hint, so the command
line can print one clear line instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path


class TrainerError(Exception):
    """A user-fixable failure; ``str()`` gives ``[code] message (where) Hint: hint``."""

    def __init__(self, code: str, message: str, *, path: Path | str | None = None,
                 hint: str | None = None):
        self.code = code
        self.message = message
        self.path = path
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path is not None else ""
        hint = f" Hint: {self.hint}" if self.hint else ""
        return f"{where}[{self.code}] {self.message}{hint}"
