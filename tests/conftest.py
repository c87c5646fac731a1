"""Shared fixtures: a fixed clock, the small program, an engine over memory."""

from __future__ import annotations

import pytest

from levelwise.adapters.memory import InMemoryEventLog
from levelwise.app.program_file import load_program
from levelwise.app.services import Levelwise
from levelwise.domain.program import Program
from tests.factories import SMALL_PROGRAM


class FixedClock:
    """A clock that always says the same time."""

    def now_iso(self) -> str:
        return "2026-01-01T00:00:00+00:00"


@pytest.fixture
def program() -> Program:
    return load_program(SMALL_PROGRAM, "tiny.yaml")


@pytest.fixture
def engine() -> Levelwise:
    lw = Levelwise(InMemoryEventLog(), FixedClock())
    lw.put_program("school", SMALL_PROGRAM)
    return lw
