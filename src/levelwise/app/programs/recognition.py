"""The program file's ``badges:``, ``titles:`` and ``recognition:`` sections."""

from __future__ import annotations

from dataclasses import replace

from levelwise.app.programs._checker import Checker
from levelwise.app.programs.schema import BadgeIn, ProgramIn
from levelwise.app.programs.xapi import refuse_indirect
from levelwise.app.programs.yaml_lines import Path, shorten
from levelwise.domain.events import EVENT_TYPES
from levelwise.domain.expr import Expr
from levelwise.domain.fields import event_schema
from levelwise.domain.gates import gate_schema
from levelwise.domain.program import (
    Badge,
    BadgeTier,
    Program,
    Recognition,
    Title,
)
from levelwise.domain.recognition import study_day_schema

TIERS = ("bronze", "silver", "gold")


def compile_recognition(
    check: Checker, spec: ProgramIn, program: Program
) -> tuple[tuple[Badge, ...], tuple[Title, ...], Recognition]:
    """Check and compile badges, titles and the recognition settings.

    Args:
        check: The loader, which collects every problem with its line.
        spec: The validated file.
        program: The program compiled so far (levels included).
    """
    badges = []
    for i, raw in enumerate(spec.badges):
        # Names first: a badge that fails to compile still has its maps checked.
        title, tier_titles = _names(check, ("badges", i), raw)
        badge = _badge(check, ("badges", i), raw, program)
        if badge is not None:
            named = tuple(
                replace(t, title=tier_titles.get(t.tier, "")) for t in badge.tiers
            )
            badges.append(replace(badge, title=title, tiers=named))
    # Titles are checked against the badges declared, not those that compiled:
    # a badge with a bad expression is reported once, not again as unknown.
    declared = {b.id: b for b in spec.badges}
    levels = {lvl.id: lvl for lvl in program.levels}
    titles = []
    for i, t in enumerate(spec.titles):
        path: Path = ("titles", i)
        if t.level is None and t.badge is None:
            check.issue(
                path, f"title '{t.id}' has no requirement", "give a level or a badge"
            )
            continue
        ok = t.level is None or check.known((*path, "level"), "level", t.level, levels)
        if t.badge is not None:
            ok = check.known((*path, "badge"), "badge", t.badge, declared) and ok
            tiers = _tier_names(declared[t.badge]) if t.badge in declared else []
            if t.tier is not None and tiers and t.tier not in tiers:
                check.issue(
                    (*path, "tier"),
                    f"badge '{t.badge}' has no tier '{t.tier}'",
                    "tiers: " + ", ".join(tiers),
                )
                ok = False
        name = check.name((*path, "name"), t.name, f"title:{t.id}", t.id)
        if ok:
            titles.append(Title(t.id, name, t.level, t.badge, t.tier))
    r = spec.recognition
    study_day = None
    if r.study_day is not None:
        schema = study_day_schema()
        path = ("recognition", "study_day")
        study_day = check.compile(path, r.study_day, schema, "bool")
    settings = Recognition(
        r.day_start,
        r.freeze_every,
        r.max_freezes,
        r.burst_events,
        r.repeat_hours,
        study_day,
    )
    return tuple(badges), tuple(titles), settings


def _names(check: Checker, path: Path, b: BadgeIn) -> tuple[str, dict[str, str]]:
    """A badge's title and its tiers' titles (by tier), translations kept."""
    title = check.name((*path, "title"), b.title, f"badge:{b.id}", b.id)
    tiers = {
        t.tier: check.name(
            (*path, "tiers", j, "title"), t.title, f"tier:{b.id}:{t.tier}", ""
        )
        for j, t in enumerate(b.tiers)
    }
    return title, tiers


def _tier_names(b: BadgeIn) -> list[str]:
    return [t.tier for t in b.tiers] or [TIERS[0]]


def _badge(check: Checker, path: Path, b: BadgeIn, program: Program) -> Badge | None:
    if b.start is not None and b.end is not None and b.end < b.start:
        check.issue((*path, "end"), "end is before start", "swap the dates")
        return None
    if not _fields_apply(check, path, b):
        return None
    if b.on is not None:
        return _counting(check, path, b, program)
    schema = gate_schema(program)
    raw = [(t.tier, t.when) for t in b.tiers] or [(TIERS[0], b.when)]
    tiers = []
    for j, (tier, when) in enumerate(raw):
        where: Path = (*path, "tiers", j, "when") if b.tiers else (*path, "when")
        if when is None:
            check.issue(where, f"badge '{b.id}' needs a condition", "e.g. streak >= 7")
            return None
        expr = check.compile(where, when, schema, "bool")
        if expr is None:
            return None
        tiers.append(BadgeTier(tier, when=expr))
    return _made(b, tuple(tiers))


def _fields_apply(check: Checker, path: Path, b: BadgeIn) -> bool:
    """Whether every field given applies to the badge's kind (else reported).

    A field of the other kind of badge, or a badge-wide ``count`` (``when``)
    beside ``tiers``, would otherwise be silently ignored.
    """
    own = "count" if b.on is not None else "when"
    wrong: list[tuple[Path, str, str]] = []
    if b.tiers and getattr(b, own) is not None:
        what = "count" if own == "count" else "condition"
        hint = f"give the {what} of each tier in 'tiers'"
        wrong.append(
            ((*path, own), f"badge '{b.id}' has both '{own}' and 'tiers'", hint)
        )
    if b.on is not None:
        message = (
            f"badge '{b.id}' counts {shorten(b.on)} events, so 'when' does not apply"
        )
        hint = "choose the events with 'where', or drop 'on' for a state badge"
        places = [(*path, "when")] if b.when is not None else []
        places += [
            (*path, "tiers", j, "when")
            for j, t in enumerate(b.tiers)
            if t.when is not None
        ]
    else:
        message = f"badge '{b.id}' uses where/count/repeatable without 'on'"
        hint = "a counting badge names the event type it counts in 'on'"
        extra = b.where is not None or b.count is not None or b.repeatable
        places = [path] if extra else []
        places += [
            (*path, "tiers", j, "count")
            for j, t in enumerate(b.tiers)
            if t.count is not None
        ]
    wrong += [(where, message, hint) for where in places]
    # Later checks: a stored version with such fields compiles as it did (the
    # fields ignored), with a warning.
    failed = [check.newer_rule(where, text, fix) for where, text, fix in wrong]
    return not any(failed)


def _counting(check: Checker, path: Path, b: BadgeIn, program: Program) -> Badge | None:
    on = b.on or ""
    if on not in EVENT_TYPES:
        check.issue(
            (*path, "on"),
            f"unknown event type '{shorten(on)}'",
            "known: " + ", ".join(EVENT_TYPES),
        )
        return None
    if refuse_indirect(check, (*path, "on"), on):
        return None
    where = None
    if b.where is not None:
        schema = event_schema(program, on)
        where = check.compile((*path, "where"), b.where, schema, "bool")
        if where is None:
            return None
    raw = [(t.tier, t.count) for t in b.tiers] or [(TIERS[0], b.count or 1)]
    counts = [c for _, c in raw if c is not None]
    if len(counts) < len(raw) or counts != sorted(counts):
        check.issue(
            (*path, "tiers"),
            f"badge '{b.id}': every tier needs a count, rising from tier to tier",
            "e.g. bronze 10, silver 50, gold 200",
        )
        return None
    tiers = tuple(BadgeTier(t, count=c) for (t, _), c in zip(raw, counts, strict=True))
    return _made(b, tiers, on, where)


def _made(
    b: BadgeIn,
    tiers: tuple[BadgeTier, ...],
    on: str | None = None,
    where: Expr | None = None,
) -> Badge:
    return Badge(
        id=b.id,
        title=b.id,  # the caller sets the title from its names
        tiers=tiers,
        on=on,
        where=where,
        repeatable=b.repeatable,
        secret=b.secret,
        start=b.start.isoformat() if b.start else None,
        end=b.end.isoformat() if b.end else None,
    )
