"""What an expression over one event reads, the same for every reader.

XP rules, counting badges' ``where`` and team tasks read an event through
:func:`event_env`, and the program loader checks them against
:func:`event_schema`: the event type's own fields, the attributes the program
declares for it, the unit it concerns (``unit.id``, ``unit.kind``,
``unit.tags``, ``unit.minutes``, and the older ``unit_kind`` and
``unit_minutes``) and the learner's local calendar (``weekday``, ``weekend``,
``hour``).
"""

from __future__ import annotations

from datetime import datetime

from levelwise.domain.events import RULE_FIELD_TYPES, RULE_FIELDS_OPTIONAL, Event
from levelwise.domain.expr import Schema
from levelwise.domain.program import Program

UNIT_FIELDS = {"id": "string", "kind": "string", "tags": "set", "minutes": "number"}
"""The ``unit.`` fields an event expression reads (empty when no unit)."""
CALENDAR_FIELDS = {"weekday": "number", "weekend": "bool", "hour": "number"}
"""The learner's local calendar at the event: ISO weekday (1 = Monday,
7 = Sunday), whether that is Saturday or Sunday, and the hour (0..23)."""
LEGACY_FIELDS = {"unit_kind": "string", "unit_minutes": "number"}
"""Older names of ``unit.kind`` and ``unit.minutes``, still read."""
RESERVED = (
    frozenset(UNIT_FIELDS) | frozenset(CALENDAR_FIELDS) | frozenset(LEGACY_FIELDS)
)
"""Names an attribute may not take (besides the event type's own fields)."""


def event_schema(program: Program, on: str) -> Schema:
    """The variables an expression over an ``on`` event may read in ``program``.

    Args:
        program: The program (its declared attributes are part of the schema;
            its ``attributes`` must be set before this is called).
        on: The event type.
    """
    attrs = program.attributes_by_type.get(on, {})
    return Schema(
        variables={
            **RULE_FIELD_TYPES[on],
            **{name: a.type for name, a in attrs.items()},
            **CALENDAR_FIELDS,
            **LEGACY_FIELDS,
        },
        namespaces={"unit": UNIT_FIELDS},
        optional=RULE_FIELDS_OPTIONAL[on]
        | frozenset(name for name, a in attrs.items() if a.optional),
    )


def event_env(event: Event, program: Program, local: datetime) -> dict[str, object]:
    """The values an expression over ``event`` reads (see the module notes).

    Args:
        event: The event.
        program: The program its unit is looked up in.
        local: The event's time in the learner's zone (the calendar fields).
    """
    env = event.fields_for_rules()
    unit = program.unit_by_id.get(event.unit) if event.unit else None
    if unit is not None:
        env["unit.id"] = unit.id
        env["unit.kind"] = env["unit_kind"] = unit.kind
        env["unit.tags"] = frozenset(unit.tags)
        env["unit.minutes"] = env["unit_minutes"] = unit.minutes
    else:
        env["unit.id"] = env["unit.kind"] = env["unit_kind"] = ""
        env["unit.tags"] = frozenset()
        env["unit.minutes"] = env["unit_minutes"] = 0.0
    weekday = local.isoweekday()
    env["weekday"] = weekday
    env["weekend"] = weekday >= 6
    env["hour"] = local.hour
    return env
