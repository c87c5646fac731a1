"""xAPI statements as learning events, through the program's ``xapi`` mapping.

Pure and total: a statement is parsed JSON (a ``dict``), or its text in the
log; whatever it holds, these functions answer and never raise. Three
questions are answered:

* :func:`learner_of`: which learner a statement's actor is, by the declared
  identifier (an account, an e-mail address or an extension), or None;
* :func:`explain`: whether and how a statement maps (the event type and its
  fields), or why not (:class:`Explanation`);
* :func:`event_of`: the learning event an ``xapi.statement`` event of the log
  stands for, which the fold folds in its place.

The statement's parts read (xAPI 2.0.0 / 1.0.3, https://github.com/adlnet/xAPI-Spec):
``actor``, ``verb.id``, ``object`` (an activity: ``id``, ``definition.type``),
``result`` (``success``, ``score``, ``duration``, ``extensions``) and
``context.extensions``; the xAPI Video profile's ``played-segments``,
``time-from`` and ``time-to`` extensions
(https://liveaspankaj.gitbooks.io/xapi-video-profile/).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from levelwise.domain.events import (
    EVENT_TYPES,
    ID_PATTERN,
    MAX_SCORE,
    MAX_SECONDS,
    Event,
    XapiStatement,
)
from levelwise.domain.program import (
    Program,
    Unit,
    XapiActivity,
    XapiMapping,
    XapiRule,
    XapiSeconds,
)

PLAYED_SEGMENTS = "https://w3id.org/xapi/video/extensions/played-segments"
"""The Video profile's segments played so far: ``0[.]5.4[,]5.4[.]10.2``."""
TIME_FROM = "https://w3id.org/xapi/video/extensions/time-from"
TIME_TO = "https://w3id.org/xapi/video/extensions/time-to"

Problem = Literal[
    "statement", "actor", "verb", "activity_type", "activity", "unit_kind", "result"
]
"""Why a statement is unmapped: it is no statement of an activity, its actor
is no learner, no rule has its verb, none has its activity type, its activity
names nothing of the program, no rule fits its unit's kind, or its result
lacks what the event needs."""

_ID = re.compile(ID_PATTERN)
_NUMBER = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(
    rf"P(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?"
)
_SIZES = (0.0, 0.0, 7 * 86_400.0, 86_400.0, 3_600.0, 60.0, 1.0)
"""Seconds per ``Y M W D H M S``; years and months have no fixed length."""
_SOURCES: dict[XapiSeconds, str] = {
    "duration": "result.duration",
    "segment": "played-segments",
    "segments": "played-segments",
    "span": "time-from and time-to",
}


@dataclass(frozen=True)
class Explanation:
    """Whether and how a statement maps to a learning event.

    Attributes:
        verb: The statement's verb IRI ("" when it has none).
        activity: Its activity's id ("" when its object is no activity).
        activity_type: The activity's ``definition.type`` ("" when none).
        learner: The learner its actor is (None: no learner of the school).
        event_type: The event type it becomes; None when unmapped.
        unit: The event's unit, if any.
        fields: The event's own fields (``correct``, ``seconds``, ...),
            sorted by name.
        problem: Why it is unmapped; None when mapped.
        reason: The same in words (``no rule for verb
            http://adlnet.gov/expapi/verbs/attempted``); "" when mapped.
    """

    verb: str = ""
    activity: str = ""
    activity_type: str = ""
    learner: str | None = None
    event_type: str | None = None
    unit: str | None = None
    fields: tuple[tuple[str, float | str | bool], ...] = ()
    problem: Problem | None = None
    reason: str = ""

    @property
    def mapped(self) -> bool:
        """Whether the statement becomes an event."""
        return self.event_type is not None


def learner_of(mapping: XapiMapping | None, statement: Mapping[str, Any]) -> str | None:
    """The learner a statement's actor is, by the mapping's declared identifier.

    Args:
        mapping: The program's ``xapi`` mapping (None: no learner at all).
        statement: The statement, parsed.

    Returns:
        The learner's id, or None when the actor is no learner of the school:
        not an agent (for ``account`` and ``mbox``), another ``homePage`` or
        e-mail domain, no such identifier or extension, or a value that is no
        valid id (letters, digits and ``. _ : @ -``, up to 200).
    """
    if mapping is None:
        return None
    rule = mapping.learner
    found: object = None
    if rule.by == "extension":
        found = _extension(statement, rule.extension or "")
        if isinstance(found, int) and not isinstance(found, bool):
            found = str(found)
    else:
        actor = statement.get("actor")
        if not isinstance(actor, dict) or actor.get("objectType", "Agent") != "Agent":
            return None
        if rule.by == "account":
            account = actor.get("account")
            if not isinstance(account, dict):
                return None
            page = account.get("homePage")
            if rule.home_page is not None and (
                not isinstance(page, str)
                or page.rstrip("/") != rule.home_page.rstrip("/")
            ):
                return None
            found = account.get("name")
        else:
            found = _address(actor.get("mbox"), rule.domain, rule.keep)
    return found if isinstance(found, str) and _ID.fullmatch(found) else None


def _address(mbox: object, domain: str | None, keep: str) -> str | None:
    """The learner id an ``mailto:`` IRI gives: the address or its local part."""
    if not isinstance(mbox, str) or mbox[:7].lower() != "mailto:":
        return None
    address = mbox[7:]
    local, at, host = address.rpartition("@")
    if not at or not local:
        return None
    if domain is not None and host.lower() != domain.lower():
        return None
    return local if keep == "local" else address


def explain(program: Program, statement: Mapping[str, Any]) -> Explanation:
    """Whether and how ``statement`` maps to a learning event under ``program``.

    Args:
        program: The school's current program; its ``xapi`` mapping decides.
        statement: The statement, parsed.

    Returns:
        The event type and fields it becomes, or the problem and reason why
        not, checked in this order: the statement's shape (an activity as
        object, a verb), the actor (:func:`learner_of`), the verb's rules, the
        activity type, the activity's id, the unit's kind, the result.
    """
    return _interpret(program, statement, None)


def event_of(
    program: Program, event: XapiStatement
) -> tuple[Event | None, Explanation]:
    """The learning event an ``xapi.statement`` event stands for, if any.

    The learner is the event's own (the one :func:`learner_of` gave when it was
    stored), whatever the mapping now says of the actor; the event's id and
    time are the statement event's.

    Returns:
        The event (None when unmapped) and the :class:`Explanation`.
    """
    memo = program.xapi.explained if program.xapi is not None else None
    key = (event.statement, event.learner)
    found = memo.get(key) if memo is not None else None
    if found is None:
        parsed = parse_statement(event.statement)
        if isinstance(parsed, str):
            return None, Explanation(problem="statement", reason=parsed)
        found = _interpret(program, parsed, event.learner)
        if memo is not None:
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            memo[key] = found
    if found.event_type is None:
        return None, found
    return _build(found, event), found


MEMO_SIZE = 50_000
"""How many statements' explanations a mapping keeps (re-folds read them again)."""


@lru_cache(maxsize=4096)
def parse_statement(text: str) -> Mapping[str, Any] | str:
    """A statement's JSON text parsed, or why it cannot be read.

    The log keeps a statement as text; the ingest checks it, the feed reads its
    actor and every fold of it reads it again. The parse is kept for the most
    recent texts, so a statement is parsed once on its way in. The object is
    shared: callers read it and never change it.

    Returns:
        The JSON object, or ``"not JSON"`` / ``"not a JSON object"``.
    """
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return "not JSON"
    if not isinstance(value, dict):
        return "not a JSON object"
    return value


def verb_name(verb: str) -> str:
    """A verb IRI's last segment (``answered``), as receipts show it."""
    return re.split(r"[/#]", verb.rstrip("/#"))[-1] or verb


def _interpret(
    program: Program, statement: Mapping[str, Any], learner: str | None
) -> Explanation:
    """The explanation; ``learner`` given: the actor is that learner."""
    verb_part = statement.get("verb")
    verb = verb_part.get("id") if isinstance(verb_part, dict) else None
    obj = statement.get("object")
    if not isinstance(verb, str) or not verb:
        return Explanation(problem="statement", reason="the statement has no verb")
    if not isinstance(obj, dict) or obj.get("objectType", "Activity") != "Activity":
        kind = obj.get("objectType") if isinstance(obj, dict) else None
        return Explanation(
            verb=verb,
            problem="statement",
            reason=f"object is a {kind if isinstance(kind, str) else 'non-object'}, "
            "not an activity",
        )
    activity = obj.get("id")
    if not isinstance(activity, str):
        return Explanation(verb=verb, problem="statement", reason="object has no id")
    definition = obj.get("definition")
    kind = definition.get("type") if isinstance(definition, dict) else None
    seen = Explanation(
        verb=verb,
        activity=activity,
        activity_type=kind if isinstance(kind, str) else "",
        learner=learner,
    )
    mapping = program.xapi
    if learner is None:
        learner = learner_of(mapping, statement)
        if learner is None:
            return _unmapped(seen, "actor", "actor not a learner")
        seen = _with(seen, learner=learner)
    rules = mapping.rules_by_verb.get(verb, ()) if mapping is not None else ()
    if mapping is None or not rules:
        return _unmapped(seen, "verb", f"no rule for verb {verb}")
    typed = [
        r
        for r in rules
        if r.activity_type is None or r.activity_type == seen.activity_type
    ]
    if not typed:
        shown = seen.activity_type or "(none)"
        return _unmapped(
            seen, "activity_type", f"activity type {shown} unknown for verb {verb}"
        )
    target = _target(program, mapping, activity)
    if isinstance(target, str):
        return _unmapped(seen, "activity", target)
    unit, kp, item = target
    fitting = [
        r for r in typed if not r.unit_kinds or (unit and unit.kind in r.unit_kinds)
    ]
    if not fitting:
        what = f"a unit of kind {unit.kind}" if unit else "an activity without a unit"
        return _unmapped(seen, "unit_kind", f"no rule for verb {verb} on {what}")
    rule = fitting[0]
    seen = _with(seen, unit=unit.id if unit else None)
    made = _fields(rule, statement, seen, unit, kp, item)
    if isinstance(made, Explanation):
        return made
    return _with(seen, event_type=rule.event, fields=tuple(sorted(made.items())))


def _with(seen: Explanation, **changes: Any) -> Explanation:
    return Explanation(**{**seen.__dict__, **changes})


def _unmapped(seen: Explanation, problem: Problem, reason: str) -> Explanation:
    return _with(seen, problem=problem, reason=reason)


def _target(
    program: Program, mapping: XapiMapping, activity: str
) -> tuple[Unit | None, str | None, str] | str:
    """What an activity id names: its unit, knowledge point and item.

    The exact ids first, then each pattern in order; a pattern whose captured
    unit or point the program lacks is passed over. Returns the reason when
    none names it.
    """
    entry = mapping.activity_by_id.get(activity)
    candidates: list[tuple[XapiActivity, dict[str, str]]] = []
    if entry is not None:
        candidates.append((entry, {}))
    else:
        for pattern in mapping.patterns:
            found = pattern.regex.fullmatch(activity)
            if found is not None:
                candidates.append((pattern, found.groupdict()))
    first_problem = f"activity {activity} not mapped"
    for number, (entry, captured) in enumerate(candidates):
        unit_id = entry.unit or captured.get("unit")
        kp = entry.knowledge_point or captured.get("knowledge_point")
        item = entry.item or captured.get("item") or activity
        unit = program.unit_by_id.get(unit_id) if unit_id is not None else None
        problem = None
        if unit_id is not None and unit is None:
            problem = f"activity {activity}: unknown unit {unit_id!r}"
        elif kp is not None and kp not in program.kp_by_id:
            problem = f"activity {activity}: unknown knowledge point {kp!r}"
        if problem is None:
            return unit, kp, item
        if number == 0:
            first_problem = problem
    return first_problem


def _fields(
    rule: XapiRule,
    statement: Mapping[str, Any],
    seen: Explanation,
    unit: Unit | None,
    kp: str | None,
    item: str,
) -> dict[str, float | str | bool] | Explanation:
    """The mapped event's own fields, or why the statement lacks them."""
    result = statement.get("result")
    result = result if isinstance(result, dict) else {}
    success = result.get("success")
    success = success if isinstance(success, bool) else None
    kind = rule.event
    if kind == "question.answered":
        if kp is None and unit is not None and len(unit.knowledge_points) == 1:
            kp = unit.knowledge_points[0]
        if kp is None:
            return _unmapped(
                seen, "activity", f"activity {seen.activity} names no knowledge point"
            )
        if success is None:
            return _unmapped(seen, "result", "no result.success")
        seconds = _seconds(statement, "duration")
        return {
            "item": item,
            "knowledge_point": kp,
            "correct": success,
            "seconds": seconds if isinstance(seconds, float) else 0.0,
        }
    if kind in ("lesson.watched", "live.attended"):
        seconds = _seconds(statement, rule.seconds)
        if isinstance(seconds, str):
            return _unmapped(seen, "result", seconds)
        return {"seconds": seconds}
    if kind == "live.interaction":
        made: dict[str, float | str | bool] = {"kind": rule.kind}
        if success is not None:
            made["correct"] = success
        return made
    if kind == "homework.submitted":
        scored = _score(result, success)
        if scored is None:
            return _unmapped(seen, "result", "no result.score or result.success")
        return {"score": scored[0], "max_score": scored[1]}
    # unit.completed
    if unit is None:
        return _unmapped(seen, "activity", f"activity {seen.activity} names no unit")
    return {}


def _seconds(statement: Mapping[str, Any], source: XapiSeconds) -> float | str:
    """The seconds ``source`` gives, or why there are none."""
    wanted = _SOURCES[source]
    if source == "duration":
        result = statement.get("result")
        text = result.get("duration") if isinstance(result, dict) else None
        if text is None:
            return f"no {wanted}"
        seconds = duration_seconds(text)
        if seconds is None:
            return (
                f"{wanted} {str(text)[:40]!r} is no duration in days, hours, "
                "minutes and seconds"
            )
    elif source == "span":
        start = _number(_extension(statement, TIME_FROM))
        end = _number(_extension(statement, TIME_TO))
        if start is None or end is None:
            return f"no {wanted}"
        if end < start or start < 0:
            return f"time-to {end:g} is before time-from {start:g}"
        seconds = end - start
    else:
        segments = played_segments(_extension(statement, PLAYED_SEGMENTS))
        if not segments:
            return f"no {wanted}"
        if source == "segment":
            seconds = segments[-1][1] - segments[-1][0]
        else:
            seconds = _covered(segments)
    if seconds > MAX_SECONDS:
        return f"{wanted}: {seconds:g} seconds is more than a day"
    return round(seconds, 3)


def duration_seconds(text: object) -> float | None:
    """An ISO 8601 duration (``PT1M30.5S``, ``P1DT2H``) in seconds.

    Returns:
        The seconds, or None for no such duration or one in years or months
        (which have no fixed length).
    """
    if not isinstance(text, str):
        return None
    found = _DURATION.fullmatch(text)
    if found is None or text in ("P", "PT") or text.endswith("T"):
        return None
    seconds = 0.0
    for value, size in zip(found.groups(), _SIZES, strict=True):
        if value is None:
            continue
        if not size:
            return None
        seconds += float(value.replace(",", ".")) * size
    return seconds


def played_segments(value: object) -> list[tuple[float, float]]:
    """The Video profile's ``played-segments`` (``0[.]5.4[,]5.4[.]10.2``).

    Returns:
        ``(start, end)`` pairs in the order given; empty when the value is
        no list of segments (not text, a segment without an end, an end
        before its start, a negative time).
    """
    if not isinstance(value, str) or not value:
        return []
    found: list[tuple[float, float]] = []
    for part in value.split("[,]"):
        ends = part.split("[.]")
        if len(ends) != 2:  # a start and an end
            return []
        try:
            start, end = float(ends[0]), float(ends[1])
        except ValueError:
            return []
        if not (math.isfinite(start) and math.isfinite(end)) or not 0 <= start <= end:
            return []
        found.append((start, end))
    return found


def _covered(segments: list[tuple[float, float]]) -> float:
    """The seconds the segments cover, overlaps counted once."""
    total = 0.0
    reach = -1.0
    for start, end in sorted(segments):
        if end <= reach:
            continue
        total += end - max(start, reach)
        reach = end
    return total


def _score(
    result: Mapping[str, Any], success: bool | None
) -> tuple[float, float] | None:
    """``(score, max_score)``: raw within min and max, else scaled, else success.

    ``raw`` counts from ``min`` (0 when absent) up to ``max``; a negative
    ``scaled`` counts as 0; a result with only ``success`` scores 1 of 1 when
    it passed and 0 of 1 when not.
    """
    score = result.get("score")
    score = score if isinstance(score, dict) else {}
    raw, low, high = (_number(score.get(k)) for k in ("raw", "min", "max"))
    low = low if low is not None else 0.0
    if raw is not None and high is not None and low <= raw <= high and low < high:
        if high - low <= MAX_SCORE:
            return raw - low, high - low
    scaled = _number(score.get("scaled"))
    if scaled is not None:
        return min(max(scaled, 0.0), 1.0), 1.0
    if success is not None:
        return (1.0 if success else 0.0), 1.0
    return None


def _number(value: object) -> float | None:
    """A finite JSON number as a float (never a boolean)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _extension(statement: Mapping[str, Any], iri: str) -> object:
    """An extension's value: the result's, else the context's (None: absent)."""
    for part in ("result", "context"):
        holder = statement.get(part)
        extensions = holder.get("extensions") if isinstance(holder, dict) else None
        if isinstance(extensions, dict) and iri in extensions:
            return extensions[iri]
    return None


def _build(found: Explanation, event: XapiStatement) -> Event:
    """The domain event an explanation describes, in ``event``'s envelope."""
    values: dict[str, Any] = {
        "id": event.id,
        "learner": event.learner,
        "occurred_at": event.occurred_at,
        "unit": found.unit,
        **dict(found.fields),
    }
    made: Event = EVENT_TYPES[found.event_type or ""](**values)
    return made
