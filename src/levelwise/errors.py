"""Levelwise errors.

All errors derive from ``LevelwiseError``::

    LevelwiseError
    ├── ProgramError              the program file is invalid (file:line issues)
    ├── ProgramNotFoundError      the tenant has no program yet
    │   └── ProgramVersionNotFoundError   no such program version
    ├── FileLineError             a data file is malformed (file:line)
    ├── EventRejectedError        events were malformed or unknown (per-event reasons)
    ├── EventConflictError        an event id was reused with a different body
    ├── LearnerNotFoundError      no events for this learner in this tenant
    ├── AuthenticationError       missing or unknown API key
    ├── ConcurrencyError          a concurrent writer changed the same learner
    ├── FitError                  nothing to fit a mastery model from
    ├── PlacementNotFoundError    no such placement session in this tenant
    ├── PlacementError            a placement step is out of order or impossible
    └── StoreError                the store failed (wraps driver errors)
"""

from __future__ import annotations

from dataclasses import dataclass


class LevelwiseError(Exception):
    """Raised when Levelwise cannot do what was asked; the base of every error."""


@dataclass(frozen=True)
class Issue:
    """One problem in a program file.

    Attributes:
        file: The file's name as given.
        line: 1-based line of the problem (0 when unknown).
        message: What is wrong.
        hint: How to fix it.
    """

    file: str
    line: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        """Render as ``file:line: message (hint)``."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}" + (f" ({self.hint})" if self.hint else "")


class FileLineError(LevelwiseError):
    """Raised when a data file is malformed; the message names file:line.

    Attributes:
        file: The file as given.
        line: 1-based line of the problem (0 when it concerns the whole file).
    """

    def __init__(self, file: str, line: int, message: str) -> None:
        """Keep the location and render ``file:line: message``."""
        self.file = file
        self.line = line
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")


class ProgramError(LevelwiseError):
    """Raised when a program file is invalid; ``issues`` lists every problem."""

    def __init__(self, issues: list[Issue]) -> None:
        """Keep the issues and summarise them as the message."""
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class ProgramNotFoundError(LevelwiseError):
    """Raised when a tenant has no program yet."""


class ProgramVersionNotFoundError(ProgramNotFoundError):
    """Raised when a requested program version does not exist."""


class EventRejectedError(LevelwiseError):
    """Raised when some events of a request were rejected (details per event)."""


class EventConflictError(LevelwiseError):
    """Raised when an event id was already stored with a different body."""


class LearnerNotFoundError(LevelwiseError):
    """Raised when a learner has no events in the tenant."""


class AuthenticationError(LevelwiseError):
    """Raised when an API key is missing or unknown."""


class ConcurrencyError(LevelwiseError):
    """Raised when a concurrent writer changed the same learner first."""


class FitError(LevelwiseError):
    """Raised when there are no answers to fit a mastery model from."""


class PlacementNotFoundError(LevelwiseError):
    """Raised when a placement session does not exist in the tenant."""


class PlacementError(LevelwiseError):
    """Raised when a placement step is out of order or the program has no test."""


class StoreError(LevelwiseError):
    """Raised when the store fails; the driver's error is chained."""
