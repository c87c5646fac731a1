"""The schools' programs, compiled once per stored version and kept."""

from __future__ import annotations

from dataclasses import replace

from levelwise.app.ports import LogSession
from levelwise.app.programs.loader import check_program
from levelwise.domain.fold import default_model
from levelwise.domain.mastery import MasteryModel
from levelwise.domain.program import Program
from levelwise.errors import ProgramNotFoundError, ProgramVersionNotFoundError


class Catalog:
    """Compiled programs by ``(digest, version)``: a stored version never changes.

    Every use case asks the catalog for the program of the session it holds, so
    a program is parsed and compiled once per process, not once per request.
    """

    def __init__(self) -> None:
        """Start with nothing compiled."""
        self._compiled: dict[tuple[str, int], tuple[Program, MasteryModel]] = {}

    def program_and_model(
        self, s: LogSession, version: int | None = None
    ) -> tuple[Program, MasteryModel]:
        """The program (current, or ``version``) and its mastery model.

        Raises:
            ProgramNotFoundError: The school has no program yet.
            ProgramVersionNotFoundError: No such version in this school.
        """
        stored = s.program(version)
        if stored is None and version is not None:
            msg = f"program version {version} does not exist in this school"
            raise ProgramVersionNotFoundError(msg)
        if stored is None:
            msg = "no program is set for this school; upload one first"
            raise ProgramNotFoundError(msg)
        key = (stored.digest, stored.version)
        cached = self._compiled.get(key)
        if cached is None:
            name = f"program v{stored.version}"
            program = check_program(stored.source, name, stored=True)[0]
            cached = self.remember(stored.digest, stored.version, program)
        return cached

    def program(self, s: LogSession, version: int | None = None) -> Program:
        """The compiled program alone (see :meth:`program_and_model`)."""
        return self.program_and_model(s, version)[0]

    def remember(
        self, digest: str, version: int, program: Program
    ) -> tuple[Program, MasteryModel]:
        """Keep ``program`` as stored version ``version`` of the text ``digest``."""
        program = replace(program, version=version)
        compiled = (program, default_model(program))
        self._compiled[(digest, version)] = compiled
        return compiled
