"""JSON-ready forms of learner state and outcomes, and back (exact round trips)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from levelwise.domain.outcomes import (
    AbilityMeasured,
    BadgeEarned,
    GateValue,
    LevelLost,
    LevelPlaced,
    LevelReached,
    MinutesCredited,
    Outcome,
    PkScored,
    Receipt,
    StreakBroken,
    StreakFrozen,
    TitleChanged,
    UnitCompleted,
    Voided,
    XpAwarded,
)
from levelwise.domain.state import (
    BadgeHold,
    DayTally,
    KpMastery,
    LearnerState,
    LevelStamp,
    PlacementRecord,
    Profile,
    Streak,
)

JsonObject = dict[str, Any]
"""A JSON object as the codec reads and writes it (stored bodies, API views)."""

OUTCOME_KINDS: dict[type, str] = {
    XpAwarded: "xp",
    LevelReached: "level_reached",
    LevelPlaced: "level_placed",
    LevelLost: "level_lost",
    UnitCompleted: "unit_completed",
    BadgeEarned: "badge_earned",
    TitleChanged: "title_changed",
    StreakBroken: "streak_broken",
    StreakFrozen: "streak_frozen",
    PkScored: "pk_scored",
    AbilityMeasured: "ability_measured",
    MinutesCredited: "minutes_credited",
    Voided: "voided",
}
_PLAIN: dict[str, type] = {
    "unit_completed": UnitCompleted,
    "badge_earned": BadgeEarned,
    "title_changed": TitleChanged,
    "streak_broken": StreakBroken,
    "streak_frozen": StreakFrozen,
    "pk_scored": PkScored,
    "minutes_credited": MinutesCredited,
    "voided": Voided,
}
"""Outcomes whose fields are all plain values (a credit's text follows from them)."""
_PLAIN_TYPES = (
    UnitCompleted,
    BadgeEarned,
    TitleChanged,
    StreakBroken,
    StreakFrozen,
    PkScored,
    MinutesCredited,
    Voided,
)


def state_to_dict(state: LearnerState) -> JsonObject:
    """A plain, JSON-ready dict of ``state``.

    ``model_state`` is written only when the mastery model keeps learner-level
    numbers, and ``placement`` only for placed learners, so the snapshots of
    other learners are as before; so are recognition, practice metrics, unit
    scores and the day's tallies (written only when set).
    """
    data: JsonObject = {
        "learner": state.learner,
        "level": state.level,
        "xp": state.xp,
        "watch_seconds": state.watch_seconds,
        "live_seconds": state.live_seconds,
        "practice_seconds": state.practice_seconds,
        "live_interactions": state.live_interactions,
        "homework_submitted": state.homework_submitted,
        "homework_score_sum": state.homework_score_sum,
        "questions_answered": state.questions_answered,
        "questions_correct": state.questions_correct,
        "units_completed": sorted(state.units_completed),
        "mastery": {
            k: [m.value, m.sd, m.attempts, list(m.params)]
            for k, m in state.mastery.items()
        },
        "abilities": {k: list(v) for k, v in state.abilities.items()},
        "day": state.day,
        "xp_today": dict(state.xp_today),
        "repeats": dict(state.repeats),
        "active_days": state.active_days,
        "events": state.events,
        "last_key": list(state.last_key),
        "enrolled_at": state.enrolled_at,
        "history": [[h.level, h.at, h.event_id, h.direction] for h in state.history],
    }
    if state.model_state:
        data["model_state"] = list(state.model_state)
    if state.placement is not None:
        data["placement"] = _placement_to_dict(state.placement)
    # Recognition: written only when set, so other snapshots are as before.
    if state.profile != Profile():
        profile = state.profile.__dict__.copy()
        if profile["display_name"] is None:
            del profile["display_name"]  # as snapshots were before it existed
        data["profile"] = profile
    if state.streak != Streak():
        data["streak"] = state.streak.__dict__.copy()
    if state.badges:
        data["badges"] = {
            k: [h.tier, h.times, h.count] for k, h in state.badges.items()
        }
    if state.title:
        data["title"] = state.title
    if state.recent:
        data["recent"] = list(state.recent)
    if state.correct_items:
        data["correct_items"] = dict(state.correct_items)
    if state.clean:
        data["clean"] = {k: list(v) for k, v in state.clean.items()}
    if state.practice_metrics:
        data["practice_metrics"] = {
            k: list(v) for k, v in state.practice_metrics.items()
        }
    if state.unit_scores:
        data["unit_scores"] = {k: list(v) for k, v in state.unit_scores.items()}
    if state.day_tally != DayTally():
        data["day_tally"] = state.day_tally.__dict__.copy()
    if state.voided:
        data["voided"] = {k: list(v) for k, v in state.voided.items()}
    return data


def _placement_to_dict(record: PlacementRecord) -> JsonObject:
    return {
        "level": record.level,
        "event_id": record.event_id,
        "at": record.at,
        "items": record.items,
        "abilities": [list(a) for a in record.abilities],
        "priors": [list(p) for p in record.priors],
        "session": record.session,
    }


def _placement_from_dict(data: JsonObject | None) -> PlacementRecord | None:
    if data is None:
        return None
    return PlacementRecord(
        level=data["level"],
        event_id=data["event_id"],
        at=data["at"],
        items=data["items"],
        abilities=tuple((a[0], a[1], a[2]) for a in data["abilities"]),
        priors=tuple((p[0], p[1]) for p in data["priors"]),
        session=data["session"],
    )


def state_from_dict(data: JsonObject) -> LearnerState:
    """Rebuild a state from :func:`state_to_dict` output."""
    return LearnerState(
        learner=data["learner"],
        level=data["level"],
        xp=data["xp"],
        watch_seconds=data["watch_seconds"],
        live_seconds=data["live_seconds"],
        practice_seconds=data["practice_seconds"],
        live_interactions=data["live_interactions"],
        homework_submitted=data["homework_submitted"],
        homework_score_sum=data["homework_score_sum"],
        questions_answered=data["questions_answered"],
        questions_correct=data["questions_correct"],
        units_completed=frozenset(data["units_completed"]),
        mastery=MappingProxyType(
            {
                k: KpMastery(v[0], v[1], v[2], tuple(v[3]))
                for k, v in data["mastery"].items()
            }
        ),
        abilities=MappingProxyType(
            {k: (v[0], v[1]) for k, v in data["abilities"].items()}
        ),
        day=data["day"],
        xp_today=MappingProxyType(data["xp_today"]),
        repeats=MappingProxyType(data["repeats"]),
        active_days=data["active_days"],
        events=data["events"],
        last_key=(data["last_key"][0], data["last_key"][1]),
        enrolled_at=data["enrolled_at"],
        history=tuple(LevelStamp(*h) for h in data["history"]),
        # Absent for models without learner-level numbers.
        model_state=tuple(data.get("model_state", ())),
        # Absent for learners who took no placement test.
        placement=_placement_from_dict(data.get("placement")),
        profile=Profile(**data.get("profile", {})),
        streak=Streak(**data.get("streak", {})),
        badges=MappingProxyType(
            {k: BadgeHold(*v) for k, v in data.get("badges", {}).items()}
        ),
        title=data.get("title", ""),
        recent=tuple(data.get("recent", ())),
        correct_items=MappingProxyType(data.get("correct_items", {})),
        clean=MappingProxyType(
            {k: (v[0], v[1]) for k, v in data.get("clean", {}).items()}
        ),
        # Absent from snapshots of learners without practice metrics, and from
        # every snapshot written before they existed.
        practice_metrics=MappingProxyType(
            {k: tuple(v) for k, v in data.get("practice_metrics", {}).items()}
        ),
        # Absent until a unit is scored, and from older snapshots.
        unit_scores=MappingProxyType(
            {k: (v[0], v[1]) for k, v in data.get("unit_scores", {}).items()}
        ),
        # Absent unless the program says what makes a study day.
        day_tally=DayTally(**data.get("day_tally", {})),
        # Absent unless an event of the learner was voided.
        voided=MappingProxyType(
            {k: tuple(v) for k, v in data.get("voided", {}).items()}
        ),
    )


def gate_to_dict(gate: GateValue) -> JsonObject:
    """A JSON-ready dict of a gate value; ``parts`` only when it has some."""
    data: JsonObject = {
        "gate": gate.gate,
        "current": gate.current,
        "target": gate.target,
        "progress": gate.progress,
        "met": gate.met,
    }
    if gate.parts:  # a gate of one part is written as before parts existed
        data["parts"] = [gate_to_dict(part) for part in gate.parts]
    return data


def _gate_from_dict(data: JsonObject) -> GateValue:
    # Receipts stored before gates had parts have no "parts".
    parts = tuple(_gate_from_dict(part) for part in data.get("parts", ()))
    return GateValue(**{**data, "parts": parts})


def _gates(gates: tuple[GateValue, ...]) -> list[JsonObject]:
    return [gate_to_dict(g) for g in gates]


def outcome_to_dict(outcome: Outcome) -> JsonObject:
    """A JSON-ready dict of an outcome, with its ``kind``."""
    data: JsonObject = {
        "kind": OUTCOME_KINDS[type(outcome)],
        "event_id": outcome.event_id,
        "learner": outcome.learner,
        "at": outcome.at,
    }
    if isinstance(outcome, XpAwarded):
        _xp_fields(outcome, data, text=True)
    elif isinstance(outcome, _PLAIN_TYPES):
        fields = outcome.__dict__
        data.update({k: v for k, v in fields.items() if k not in data})
        if isinstance(outcome, Voided):
            data["removed"] = list(outcome.removed)
        if isinstance(outcome, MinutesCredited | Voided):
            data["text"] = outcome.text
    elif isinstance(outcome, AbilityMeasured):
        _measured_fields(outcome, data)
        data["text"] = outcome.text
    elif isinstance(outcome, LevelPlaced):
        data["level"] = outcome.level
        data["title"] = outcome.title
        data["previous"] = outcome.previous
        data["evidence"] = [
            {"dimension": d, "theta": t, "se": se, "cut": cut}
            for d, t, se, cut in outcome.evidence
        ]
    elif isinstance(outcome, LevelReached):
        data["level"] = outcome.level
        data["title"] = outcome.title
        data["previous"] = outcome.previous
        data["gates"] = _gates(outcome.gates)
    else:
        data["level"] = outcome.level
        data["previous"] = outcome.previous
        data["gates"] = _gates(outcome.gates)
    return data


def _xp_fields(outcome: XpAwarded, data: JsonObject, *, text: bool) -> None:
    """Add an award's fields to ``data``; the receipt's text only if ``text``."""
    r = outcome.receipt
    data["xp"] = outcome.xp
    data["total"] = outcome.total
    receipt = {
        "rule": r.rule,
        "formula": r.formula,
        "inputs": {k: _input_to_json(v) for k, v in r.inputs},
        "base": r.base,
        "factor": r.factor,
        "repeat": r.repeat,
        "daily_cap": r.daily_cap,
        "earned_today": r.earned_today,
        "capped": r.capped,
        "xp": r.xp,
    }
    if r.source:  # written only when set, as bodies were before
        receipt["source"] = r.source
    if text:
        receipt["text"] = r.text
    data["receipt"] = receipt
    if outcome.flags:  # written only when flagged, as bodies were before
        data["flags"] = list(outcome.flags)


def _measured_fields(outcome: AbilityMeasured, data: JsonObject) -> None:
    """Add a measurement's fields to ``data`` (not its text)."""
    data["measurement"] = outcome.measurement
    data["dimension"] = outcome.dimension
    data["title"] = outcome.title
    data["score"] = outcome.score
    data["before"] = outcome.before
    data["after"] = outcome.after
    data["metrics"] = [
        {"metric": name, "value": value, "full": full}
        for name, value, full in outcome.metrics
    ]


def _measured(data: JsonObject) -> AbilityMeasured:
    fields = {k: v for k, v in data.items() if k not in ("kind", "text")}
    fields["metrics"] = tuple(
        (m["metric"], m["value"], m["full"]) for m in fields["metrics"]
    )
    return AbilityMeasured(**fields)


def outcome_from_dict(data: JsonObject) -> Outcome:
    """Rebuild an outcome from :func:`outcome_to_dict` output."""
    kind = data["kind"]
    # A credit's or a measurement's text follows from its other fields.
    fields = {k: v for k, v in data.items() if k not in ("kind", "text")}
    if kind == "xp":
        fields["receipt"] = _receipt(fields["receipt"])
        fields["flags"] = tuple(fields.get("flags", ()))
        return XpAwarded(**fields)
    if kind == "voided":
        fields["removed"] = tuple(fields["removed"])
    plain = _PLAIN.get(kind)
    if plain is not None:
        made: Outcome = plain(**fields)
        return made
    if kind == "ability_measured":
        return _measured(fields)
    if kind == "level_placed":
        fields["evidence"] = tuple(
            (e["dimension"], e["theta"], e["se"], e["cut"]) for e in fields["evidence"]
        )
        return LevelPlaced(**fields)
    fields["gates"] = tuple(_gate_from_dict(g) for g in fields["gates"])
    return LevelReached(**fields) if kind == "level_reached" else LevelLost(**fields)


ENVELOPE = ("kind", "event_id", "learner", "at")
"""Outcome fields a store keeps in columns, so the stored body leaves them out."""


def outcome_body(outcome: Outcome) -> JsonObject:
    """The part of an outcome a store keeps as its body.

    The envelope (:data:`ENVELOPE`) lives in the store's columns and a receipt's
    text follows from its other fields, so neither is stored twice.
    """
    if isinstance(outcome, XpAwarded):  # the common case, built directly
        data: JsonObject = {}
        _xp_fields(outcome, data, text=False)
        return data
    data = outcome_to_dict(outcome)
    for key in ENVELOPE:
        del data[key]
    data.pop("text", None)  # a measurement's or a credit's text follows
    return data


def outcome_view(
    body: JsonObject, *, kind: str, event_id: str, learner: str, at: str
) -> JsonObject:
    """The full outcome dict (as :func:`outcome_to_dict` gives) from a stored body."""
    data = {**body, "kind": kind, "event_id": event_id, "learner": learner, "at": at}
    if kind == "xp":
        text = _receipt(body["receipt"]).text
        data["receipt"] = {**body["receipt"], "text": text}
    elif kind == "ability_measured":
        data["text"] = _measured(data).text
    elif kind == "minutes_credited":
        fields = {k: v for k, v in data.items() if k not in ("kind", "text")}
        data["text"] = MinutesCredited(**fields).text
    elif kind == "voided":
        fields = {k: v for k, v in data.items() if k not in ("kind", "text")}
        data["text"] = Voided(**{**fields, "removed": tuple(fields["removed"])}).text
    return data


def _input_to_json(value: object) -> object:
    """A receipt input as JSON: a set (``unit.tags``) as a sorted list."""
    return sorted(value) if isinstance(value, frozenset) else value


def _receipt(data: JsonObject) -> Receipt:
    fields = {k: v for k, v in data.items() if k != "text"}
    # A list is a set input (no other input is one): back to a frozenset.
    fields["inputs"] = tuple(
        sorted(
            (k, frozenset(v) if isinstance(v, list) else v)
            for k, v in fields["inputs"].items()
        )
    )
    return Receipt(**fields)
