"""The program file's ``attributes:`` section: what the platform may send.

Per event type, the attributes a school lets its platform send in an event's
``attributes`` object (a teacher's ``rating`` of a co-mic turn), with their
types and ranges. XP rules, badges and team tasks read them by name, so a
name may not be one of the event type's own fields or of the names every
event expression reads (``unit``, ``weekday``, ...).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import fields

from levelwise.app.programs._checker import Checker
from levelwise.app.programs.schema import AttributeIn, ProgramIn
from levelwise.app.programs.xapi import refuse_indirect
from levelwise.app.programs.yaml_lines import Path, shorten
from levelwise.domain.events import EVENT_TYPES, RULE_FIELD_TYPES
from levelwise.domain.fields import RESERVED
from levelwise.domain.program import ATTRIBUTE_NAME, MAX_ATTRIBUTES, Attribute

NOT_NAMES = frozenset(
    {"and", "or", "not", "in", "includes", "true", "false", "if", "min", "max"}
    | {"id", "learner", "occurred_at", "unit", "type", "attributes", "unit_id"}
)
"""Words an attribute cannot be called: the expression language's words and
the envelope's fields."""


def compile_attributes(
    check: Checker, spec: ProgramIn
) -> tuple[tuple[str, tuple[Attribute, ...]], ...]:
    """Check and compile the declared attributes, by event type.

    Args:
        check: The loader, which collects every problem with its line.
        spec: The validated file.
    """
    found: list[tuple[str, tuple[Attribute, ...]]] = []
    for on, declared in spec.attributes.items():
        path: Path = ("attributes", on)
        if on not in EVENT_TYPES:
            close = difflib.get_close_matches(on, list(EVENT_TYPES), n=1)
            hint = (
                f"did you mean '{close[0]}'?"
                if close
                else "known: " + ", ".join(EVENT_TYPES)
            )
            check.issue(path, f"unknown event type '{shorten(on)}'", hint)
            continue
        if refuse_indirect(check, path, on):
            continue
        if len(declared) > MAX_ATTRIBUTES:
            check.issue(
                path,
                f"{on} declares {len(declared)} attributes",
                f"an event type takes at most {MAX_ATTRIBUTES}",
            )
        own = {f.name for f in fields(EVENT_TYPES[on])} | set(RULE_FIELD_TYPES[on])
        attrs = []
        for name, raw in declared.items():
            attr = _attribute(check, (*path, name), on, name, raw, own)
            if attr is not None:
                attrs.append(attr)
        found.append((on, tuple(attrs)))
    return tuple(found)


def _attribute(
    check: Checker, path: Path, on: str, name: str, raw: AttributeIn, own: set[str]
) -> Attribute | None:
    if not re.match(ATTRIBUTE_NAME, name):
        check.issue(
            path,
            f"attribute name '{shorten(name)}' is not a plain name",
            "use lower-case letters, digits and _, starting with a letter",
        )
        return None
    if name in own or name in RESERVED or name in NOT_NAMES:
        check.issue(
            path,
            f"attribute '{name}' clashes with a field {on} events already have",
            "rules read both by name: choose another name",
        )
        return None
    ok = True
    if raw.type != "number" and (raw.min is not None or raw.max is not None):
        where = (*path, "min" if raw.min is not None else "max")
        check.issue(where, f"attribute '{name}' is a {raw.type}: no min or max", "")
        ok = False
    if raw.type != "string" and raw.values:
        where = (*path, "values")
        hint = "only a string attribute lists its values"
        check.issue(where, f"attribute '{name}' is a {raw.type}: no values", hint)
        ok = False
    if raw.min is not None and raw.max is not None and raw.min > raw.max:
        check.issue((*path, "max"), f"attribute '{name}': max is below min", "")
        ok = False
    if len(set(raw.values)) < len(raw.values):
        check.issue((*path, "values"), f"attribute '{name}' repeats a value", "")
        ok = False
    title = check.name((*path, "title"), raw.title, f"attribute:{on}:{name}", "")
    if not ok:
        return None
    return Attribute(
        name=name,
        type=raw.type,
        minimum=raw.min,
        maximum=raw.max,
        values=tuple(raw.values),
        optional=raw.optional,
        title=title,
    )
