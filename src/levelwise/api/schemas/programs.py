"""Wire models of programs, replays and health."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from levelwise.api.schemas.common import ProgramIssuePublic, PublicModel
from levelwise.app import views


class ProgramCreate(BaseModel):
    """A program file to validate and store as a new version."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, description="The program's YAML text")
    filename: str = Field(
        default="program.yaml", max_length=200, description="Named in errors"
    )


class ProgramLevelPublic(PublicModel):
    """A level of the ladder with its gates."""

    id: str
    title: str
    gates: list[str]


class ReplayPublic(PublicModel):
    """What a replay rebuilt."""

    version: int = Field(description="The program version replayed with")
    learners: int
    events: int
    levels_changed: int


class ProgramSummaryPublic(PublicModel):
    """A short description of a program version."""

    id: str
    label: str
    title: str
    version: int
    dimensions: list[str]
    knowledge_points: int
    units: int
    unit_kinds: dict[str, int]
    levels: list[ProgramLevelPublic]
    xp_rules: list[str]

    @staticmethod
    def fields_of(summary: views.ProgramSummary) -> dict[str, Any]:
        """The summary's fields as model input."""
        return {
            "id": summary.id,
            "label": summary.label,
            "title": summary.title,
            "version": summary.version,
            "dimensions": list(summary.dimensions),
            "knowledge_points": summary.knowledge_points,
            "units": summary.units,
            "unit_kinds": summary.unit_kinds,
            "levels": list(summary.levels),
            "xp_rules": list(summary.xp_rules),
        }


class ProgramPublic(ProgramSummaryPublic):
    """The current program version with its source text."""

    source: str


class ProgramUpdatePublic(ProgramSummaryPublic):
    """The stored program version and the replay it caused."""

    changed: bool = Field(
        description="false when the file was already the current version: "
        "nothing was stored or replayed"
    )
    replay: ReplayPublic | None = Field(
        description="null when the same source was uploaded again (nothing changed)"
    )
    warnings: list[ProgramIssuePublic] = Field(
        description="Problems that do not stop the program (a knowledge point no "
        "scored unit measures), each at its line"
    )

    @classmethod
    def from_summary(cls, summary: views.ProgramSummary) -> ProgramUpdatePublic:
        """Build from the service's summary."""
        r = summary.replay
        replay = (
            ReplayPublic(
                version=r.program_version,
                learners=r.learners,
                events=r.events,
                levels_changed=r.levels_changed,
            )
            if r is not None
            else None
        )
        warnings = [
            ProgramIssuePublic(file=w.file, line=w.line, message=w.message, hint=w.hint)
            for w in summary.warnings
        ]
        return cls(
            **cls.fields_of(summary),
            changed=summary.changed,
            replay=replay,
            warnings=warnings,
        )


class HealthPublic(PublicModel):
    """The service is up."""

    status: Literal["ok"]
