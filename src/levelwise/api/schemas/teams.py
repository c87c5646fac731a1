"""Wire models of team tasks: a team's standing in a task's window."""

from __future__ import annotations

from pydantic import BaseModel, Field

from levelwise.app.teams.service import TaskProgress


class ContributorPublic(BaseModel):
    """A member's part of a team's total."""

    learner: str
    given: float


class TaskProgressPublic(BaseModel):
    """A task as a team stands in one window ("your class: 31 of 40, you gave 6").

    ``total`` and ``goal`` count members for every-member tasks (``every``).
    ``given`` is the asking learner's part (0 on a team's page). ``met`` stays
    true once the goal was met: rewards are never taken back.
    """

    task: str
    title: str
    every: bool
    team: str
    window: str
    total: float
    goal: float
    given: float
    members: int
    met: bool
    met_at: str | None
    reward_xp: int
    contributors: list[ContributorPublic]
    previous: TaskProgressPublic | None = Field(
        default=None,
        description="A learner's view: the same team in the window before "
        "(last week, yesterday, last month); none for all-time tasks",
    )

    @classmethod
    def of(cls, p: TaskProgress) -> TaskProgressPublic:
        """From a task's progress."""
        return cls(
            task=p.task,
            title=p.title,
            every=p.every,
            team=p.team,
            window=p.window,
            total=p.total,
            goal=p.goal,
            given=p.given,
            members=p.members,
            met=p.met,
            met_at=p.met_at,
            reward_xp=p.reward_xp,
            contributors=[
                ContributorPublic(learner=k, given=v) for k, v in p.contributors
            ],
            previous=cls.of(p.previous) if p.previous is not None else None,
        )


class TeamTasksPublic(BaseModel):
    """Every team task as one learner's class or team stands, or one team's."""

    tasks: list[TaskProgressPublic]
