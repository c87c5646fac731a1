"""What a school accepts at ingest beyond the wire format: its policy, now.

An event that fits the wire models must still fit the school's program (its
units, knowledge points, dimensions and declared attributes) and its time
window. These checks run at ingest only: a stored event is read back whatever
the program or the window later say, so the log always replays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel

from levelwise.app.ingest.wire import clip
from levelwise.config import DEFAULT_EVENT_EARLIEST, DEFAULT_EVENT_MAX_SKEW_SECONDS
from levelwise.domain.program import Attribute, Program


@dataclass(frozen=True)
class TimeWindow:
    """When an event may have happened, as a school sees it at ingest.

    Not part of the models: stored events are read back whatever the window
    was when they came in.

    Attributes:
        earliest: The first local day (in the event's own offset) accepted.
            One setting for every school for now.
        max_skew: How far ahead of the server's clock an event may be (clocks
            of platforms drift).
    """

    earliest: date = DEFAULT_EVENT_EARLIEST
    max_skew: timedelta = timedelta(seconds=DEFAULT_EVENT_MAX_SKEW_SECONDS)

    def check(self, model: BaseModel, now: datetime) -> str | None:
        """Why the event's ``occurred_at`` is outside the window, or None."""
        at: datetime = model.__dict__["occurred_at"]
        if at > now + self.max_skew:
            clock = now.astimezone(UTC).isoformat(timespec="seconds")
            return (
                f"occurred_at: {at.isoformat()} is more than {_span(self.max_skew)} "
                f"ahead of the server's clock ({clock}); send an event once it "
                "has happened"
            )
        if at.date() < self.earliest:
            return (
                f"occurred_at: {at.isoformat()} is before {self.earliest}, the "
                "earliest date this school accepts"
            )
        return None


def _span(delta: timedelta) -> str:
    """``10 minutes``, ``1 hour``, ``90 seconds``."""
    seconds = int(delta.total_seconds())
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def check_references(model: BaseModel, program: Program) -> str | None:
    """Why the event does not fit the program.

    An unknown unit, knowledge point, dimension or team task, or attributes
    the program does not declare for the event type (or a declared one out
    of its type, range or values, or a required one missing).
    """
    fields = model.__dict__  # plain dict: no pydantic __getattr__ on a miss
    problem = check_attributes(fields["type"], fields.get("attributes"), program)
    if problem is not None:
        return problem
    task = fields.get("task")
    if task is not None and task not in program.task_by_id:
        return f"task: unknown team task {task!r} in program {program.id}"
    for dim in fields.get("abilities") or ():
        if dim not in program.dimension_weights:
            known = ", ".join(d.id for d in program.dimensions)
            return (
                f"abilities: unknown dimension {dim!r} in program {program.id}; "
                f"known: {known}"
            )
    unit = fields.get("unit")
    if unit is not None and unit not in program.unit_by_id:
        return f"unit: unknown unit {unit!r} in program {program.id} v{program.version}"
    kp = fields.get("knowledge_point")
    if kp is not None and kp not in program.kp_by_id:
        return (
            f"knowledge_point: unknown knowledge point {kp!r} in program {program.id}"
        )
    return None


def check_attributes(
    kind: str, given: dict[str, bool | float | str] | None, program: Program
) -> str | None:
    """Why an event's attributes do not fit what the program declares, or None.

    Args:
        kind: The event's type.
        given: Its attributes (None: none).
        program: The school's program.
    """
    declared = program.attributes_by_type.get(kind, {})
    for name, value in (given or {}).items():
        attr = declared.get(name)
        if attr is None:
            known = ", ".join(declared) or "none"
            return (
                f"attributes.{name}: program {program.id} does not declare "
                f"attribute {name!r} for {kind} events (declared: {known})"
            )
        problem = _attribute_problem(attr, value)
        if problem is not None:
            return f"attributes.{name}: {problem}"
    for name, attr in declared.items():
        if not attr.optional and name not in (given or {}):
            return (
                f"attributes.{name}: program {program.id} requires attribute "
                f"{name!r} on {kind} events"
            )
    return None


def _attribute_problem(attr: Attribute, value: bool | float | str) -> str | None:
    """Why ``value`` does not fit ``attr`` (its type, range or values), or None."""
    found = (
        "bool"
        if isinstance(value, bool)
        else "string"
        if isinstance(value, str)
        else "number"
    )
    if found != attr.type:
        return f"must be a {attr.type}, not a {found}"
    if isinstance(value, float):
        if attr.minimum is not None and value < attr.minimum:
            return f"{value:g} is below the minimum {attr.minimum:g}"
        if attr.maximum is not None and value > attr.maximum:
            return f"{value:g} is above the maximum {attr.maximum:g}"
    if isinstance(value, str) and attr.values and value not in attr.values:
        return f"{clip(value)!r} is not one of {', '.join(attr.values)}"
    return None
