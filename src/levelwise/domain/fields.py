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
from typing import cast

from levelwise.domain.events import RULE_FIELD_TYPES, RULE_FIELDS_OPTIONAL, Event
from levelwise.domain.expr import Schema
from levelwise.domain.program import Program, Unit

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


def unit_fields(unit: Unit | None) -> dict[str, object]:
    """The ``unit.`` fields (and their older names) an expression reads of ``unit``.

    Args:
        unit: The unit an event concerns (None: no unit, or one the program
            lacks; the fields are then empty).
    """
    if unit is None:
        return {
            "unit.id": "",
            "unit.kind": "",
            "unit_kind": "",
            "unit.tags": frozenset(),
            "unit.minutes": 0.0,
            "unit_minutes": 0.0,
        }
    return {
        "unit.id": unit.id,
        "unit.kind": unit.kind,
        "unit_kind": unit.kind,
        "unit.tags": frozenset(unit.tags),
        "unit.minutes": unit.minutes,
        "unit_minutes": unit.minutes,
    }


def _program_unit_fields(program: Program, unit_id: str | None) -> dict[str, object]:
    """:func:`unit_fields` of ``program``'s unit ``unit_id``, kept in its memo.

    Readers copy the result and never change it.
    """
    found = program.memo.get(_program_unit_fields)
    if found is None:
        found = {}
        program.memo[_program_unit_fields] = found
    parts = cast("dict[str | None, dict[str, object]]", found)
    unit = program.unit_by_id.get(unit_id) if unit_id else None
    key = unit.id if unit is not None else None
    part = parts.get(key)
    if part is None:
        part = parts[key] = unit_fields(unit)
    return part


def event_env(event: Event, program: Program, local: datetime) -> dict[str, object]:
    """The values an expression over ``event`` reads (see the module notes).

    Args:
        event: The event.
        program: The program its unit is looked up in.
        local: The event's time in the learner's zone (the calendar fields).
    """
    env = event.fields_for_rules()
    env.update(_program_unit_fields(program, event.unit))
    weekday = local.isoweekday()
    env["weekday"] = weekday
    env["weekend"] = weekday >= 6
    env["hour"] = local.hour
    return env
