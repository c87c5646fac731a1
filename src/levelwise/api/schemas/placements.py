"""Wire models of placement test sessions."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from levelwise.api.schemas.common import PublicModel
from levelwise.app.ingest.wire import Id
from levelwise.app.placement import service as placement


class PlacementCreate(BaseModel):
    """Start a placement test for a learner."""

    model_config = ConfigDict(extra="forbid")

    learner: Id = Field(description="The platform's learner id")


class PlacementAnswerCreate(BaseModel):
    """The learner's answer to the asked item."""

    model_config = ConfigDict(extra="forbid")

    item: Id = Field(description="The asked item's id")
    correct: bool


class PlacementItemPublic(PublicModel):
    """An item to show the learner."""

    id: str
    knowledge_point: str
    dimension: str


class AbilityPublic(PublicModel):
    """An ability estimate on one dimension."""

    theta: float = Field(description="The estimate on the θ scale")
    se: float = Field(description="Its standard error")


class PlacementStepPublic(PublicModel):
    """Where a placement session stands."""

    session: str
    learner: str
    status: str = Field(description="open | finished")
    item: PlacementItemPublic | None = Field(
        description="The item awaiting an answer; null when there is none"
    )
    finished: bool = Field(
        description="True when the test is over: finish it (or it is finished)"
    )
    stop: str | None = Field(
        description="Why the test is over: se | max_items | bank_exhausted"
    )
    answered: int
    abilities: dict[str, AbilityPublic]

    @classmethod
    def from_step(cls, step: placement.PlacementStep) -> PlacementStepPublic:
        """Build from the use case's step."""
        item = step.item
        return cls(
            session=step.session,
            learner=step.learner,
            status=step.status,
            item=None
            if item is None
            else PlacementItemPublic(
                id=item.id,
                knowledge_point=item.knowledge_point,
                dimension=item.dimension,
            ),
            finished=step.status == placement.FINISHED or step.stop is not None,
            stop=step.stop,
            answered=step.answered,
            abilities=_abilities(step.abilities),
        )


class PlacementEventPublic(PublicModel):
    """What ingest did with the ``placement.completed`` event."""

    id: str
    status: str = Field(description="accepted | duplicate | conflict | rejected")
    reason: str


class PlacementResultPublic(PublicModel):
    """A finished placement: abilities per dimension and the starting level."""

    session: str
    learner: str
    abilities: dict[str, AbilityPublic]
    items: int = Field(description="Items answered")
    level: str | None = Field(
        description="The highest starting level whose every cut is reached"
    )
    finished_at: str
    event: PlacementEventPublic

    @classmethod
    def from_result(cls, result: placement.PlacementResult) -> PlacementResultPublic:
        """Build from the use case's result."""
        return cls(
            session=result.session,
            learner=result.learner,
            abilities=_abilities(result.abilities),
            items=result.items,
            level=result.level,
            finished_at=result.finished_at,
            event=PlacementEventPublic(
                id=result.event_id,
                status=result.event_status,
                reason=result.event_reason,
            ),
        )


def _abilities(abilities: tuple[placement.Ability, ...]) -> dict[str, AbilityPublic]:
    return {a.dimension: AbilityPublic(theta=a.theta, se=a.se) for a in abilities}
