"""The program file's ``xapi:`` section: from xAPI statements to learning events.

It declares how actors name learners (``learner``), which activity ids name
which units, knowledge points and items (``activities``: exact ids and
``{unit}``-style patterns), and which statements become which events
(``rules``: by verb, activity type and unit kind). Unknown verbs and activity
types are fine (statements with them stay unmapped); unknown units and
knowledge points are errors. The mapping itself is read by
:mod:`levelwise.domain.xapi`.
"""

from __future__ import annotations

import difflib
import re

from levelwise.app.programs._checker import Checker
from levelwise.app.programs.schema import (
    ProgramIn,
    XapiActivityIn,
    XapiLearnerIn,
    XapiRuleIn,
)
from levelwise.app.programs.yaml_lines import Path, shorten
from levelwise.domain.events import INDIRECT_TYPES
from levelwise.domain.program import (
    XAPI_EVENT_TYPES,
    XAPI_PLACEHOLDERS,
    Program,
    XapiActivity,
    XapiLearner,
    XapiMapping,
    XapiRule,
)

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_SECONDS_TYPES = ("lesson.watched", "live.attended")


def refuse_indirect(check: Checker, path: Path, on: str) -> bool:
    """Report an event type no rule may name (``xapi.statement``); whether it is.

    A statement folds as the event its mapping gives and a voiding removes
    another event, so an XP rule, badge, team task or attribute on either
    would never apply.
    """
    if on not in INDIRECT_TYPES:
        return False
    check.issue(
        path,
        f"'{on}' events are never folded as themselves",
        "a statement counts as the event its xapi mapping gives: name that "
        "event type (question.answered, lesson.watched, ...)",
    )
    return True


def compile_xapi(
    check: Checker, spec: ProgramIn, program: Program
) -> XapiMapping | None:
    """Check and compile the ``xapi`` section (None when the file has none).

    Args:
        check: The loader, which collects every problem with its line.
        spec: The validated file.
        program: The program compiled so far (units and knowledge points).
    """
    raw = spec.xapi
    if raw is None:
        return None
    learner = _learner(check, ("xapi", "learner"), raw.learner)
    activities = _activities(check, raw.activities, program)
    rules = [
        rule
        for i, r in enumerate(raw.rules)
        if (rule := _rule(check, ("xapi", "rules", i), r)) is not None
    ]
    if learner is None:
        return None
    return XapiMapping(learner, tuple(activities), tuple(rules))


def _learner(check: Checker, path: Path, raw: XapiLearnerIn) -> XapiLearner | None:
    given = [k for k in ("account", "mbox", "extension") if getattr(raw, k)]
    if len(given) != 1:
        check.issue(
            path,
            "xapi.learner needs exactly one of account, mbox and extension"
            + (f" (not {' and '.join(given)})" if given else ""),
            "say which identifier of a statement's actor is the learner's id",
        )
        return None
    if raw.account is not None:
        return XapiLearner("account", home_page=raw.account.home_page)
    if raw.mbox is not None:
        return XapiLearner("mbox", domain=raw.mbox.domain, keep=raw.mbox.keep)
    return XapiLearner("extension", extension=raw.extension)


def _activities(
    check: Checker, raw: list[XapiActivityIn], program: Program
) -> list[XapiActivity]:
    found: list[XapiActivity] = []
    first: dict[str, int] = {}
    for i, a in enumerate(raw):
        path: Path = ("xapi", "activities", i)
        if (a.id is None) == (a.pattern is None):
            check.issue(
                path,
                "an xapi activity needs exactly one of id and pattern",
                "give the activity's id, or a pattern such as "
                "https://school.example/units/{unit}",
            )
            continue
        ok = True
        if a.id is not None:
            if a.id in first:
                line = check.line(("xapi", "activities", first[a.id]))
                check.issue(
                    (*path, "id"),
                    f"duplicate xapi activity id '{shorten(a.id)}'",
                    f"first given at line {line}",
                )
                ok = False
            first.setdefault(a.id, i)
        else:
            ok = _pattern(check, path, a)
        if a.unit is not None:
            ok = check.known((*path, "unit"), "unit", a.unit, program.unit_by_id) and ok
        if a.knowledge_point is not None:
            ok = (
                check.known(
                    (*path, "knowledge_point"),
                    "knowledge_point",
                    a.knowledge_point,
                    program.kp_by_id,
                )
                and ok
            )
        if ok:
            found.append(
                XapiActivity(a.id, a.pattern, a.unit, a.knowledge_point, a.item)
            )
    return found


def _pattern(check: Checker, path: Path, a: XapiActivityIn) -> bool:
    """Check a pattern's placeholders: known, once each, not also fixed."""
    names = _PLACEHOLDER.findall(a.pattern or "")
    where: Path = (*path, "pattern")
    known = ", ".join(f"{{{n}}}" for n in XAPI_PLACEHOLDERS)
    if not names:
        check.issue(
            where,
            f"pattern '{shorten(a.pattern or '')}' has no placeholder",
            f"use {known}, or give an exact id with 'id'",
        )
        return False
    for name in names:
        if name not in XAPI_PLACEHOLDERS:
            check.issue(
                where, f"unknown placeholder {{{shorten(name)}}}", f"use {known}"
            )
            return False
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        check.issue(where, f"placeholder {{{repeated[0]}}} appears twice", "")
        return False
    fixed = [n for n in names if getattr(a, n) is not None]
    if fixed:
        check.issue(
            (*path, fixed[0]),
            f"'{fixed[0]}' is both fixed and taken from the pattern",
            f"drop '{fixed[0]}:' or the placeholder {{{fixed[0]}}}",
        )
        return False
    rest = _PLACEHOLDER.sub("", a.pattern or "")
    if "{" in rest or "}" in rest:
        check.issue(where, "a brace outside a placeholder", f"use {known}")
        return False
    return True


def _rule(check: Checker, path: Path, raw: XapiRuleIn) -> XapiRule | None:
    if raw.event not in XAPI_EVENT_TYPES:
        close = difflib.get_close_matches(raw.event, XAPI_EVENT_TYPES, n=1)
        hint = (
            f"did you mean '{close[0]}'?"
            if close
            else "a statement may become " + ", ".join(XAPI_EVENT_TYPES)
        )
        check.issue(
            (*path, "event"), f"statements cannot become '{shorten(raw.event)}'", hint
        )
        return None
    if raw.seconds is not None and raw.event not in _SECONDS_TYPES:
        check.issue(
            (*path, "seconds"),
            f"'seconds' does not apply to {raw.event}",
            "only lesson.watched and live.attended read seconds from a statement",
        )
        return None
    if raw.kind is not None and raw.event != "live.interaction":
        check.issue(
            (*path, "kind"),
            f"'kind' does not apply to {raw.event}",
            "only live.interaction has an interaction kind",
        )
        return None
    return XapiRule(
        verb=raw.verb,
        event=raw.event,
        activity_type=raw.activity_type,
        unit_kinds=tuple(raw.unit_kinds),
        seconds=raw.seconds or "duration",
        kind=raw.kind or "answer",
    )
