"""Credited live minutes: the ``live.credited`` event, its outcome and policy.

The call-quality service credits the minutes a network drop cost a learner in a
live class. The fold counts them as attended (``live_minutes``), runs the
program's XP rules ``on: live.credited`` and emits a ``minutes_credited``
receipt; the program's ``live_quality`` section says when credits are given.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from levelwise.app.ingest.projection import dumps
from levelwise.app.ingest.wire import (
    EVENT_ADAPTER,
    canonical_body,
    describe_errors,
    from_body,
    to_domain,
)
from levelwise.app.programs.loader import load_program, load_program_file
from levelwise.domain import codec
from levelwise.domain.events import RULE_FIELD_TYPES, LiveCredited
from levelwise.domain.fold import fold_all
from levelwise.domain.outcomes import MinutesCredited, XpAwarded, whole_minutes
from levelwise.domain.program import LiveQualityPolicy
from levelwise.errors import ProgramError
from tests.support.factories import SMALL_PROGRAM, event

REASON = "network broken 19:42–19:54"

CREDIT_RULE = """\
  - id: live_credit
    on: live.credited
    xp: 1.5 * seconds / 60
    daily_cap: 150
"""
"""The English example's rule: what attending the minutes would earn."""


def credit(seconds: float = 720, **fields: Any) -> dict[str, Any]:
    """A ``live.credited`` wire event on the live class unit u3 (None: left out)."""
    fields = {"unit": "u3", "reason": REASON, "live_class": "u3-2026-01-05", **fields}
    given = {k: v for k, v in fields.items() if v is not None}
    return event("live.credited", seconds=seconds, **given)


def run(program, raws):
    events = sorted(
        (to_domain(EVENT_ADAPTER.validate_python(r)) for r in raws),
        key=lambda e: e.sort_key,
    )
    return fold_all(events, program)


def reason_for(raw: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        EVENT_ADAPTER.validate_python(raw)
    return describe_errors(info.value)


# -- the fold ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raws", "live_seconds"),
    [
        # a credit alone counts as attended time
        ([credit(300)], 300),
        # attended and credited time add up
        ([event("live.attended", unit="u3", seconds=1500), credit(300)], 1800),
        # several credits of one class each count
        ([credit(120, minutes=1), credit(45.5, minutes=2)], 165.5),
        # a credit without a unit still counts
        ([credit(60, unit=None)], 60),
    ],
    ids=["alone", "with-attendance", "several", "no-unit"],
)
def test_a_credit_adds_its_seconds_to_live_time(program, raws, live_seconds):
    state, _ = run(program, raws)
    assert state.live_seconds == live_seconds


def test_credited_minutes_open_a_live_minutes_gate():
    source = SMALL_PROGRAM.replace("xp >= 100", "live_minutes >= 35").replace(
        "      - units_completed includes [u1]\n", ""
    )
    prog = load_program(source)
    attended = event("live.attended", unit="u3", seconds=30 * 60)

    before, _ = run(prog, [attended])
    after, outcomes = run(prog, [attended, credit(5 * 60, minutes=50)])

    assert before.level == 0  # 30 minutes attended: not yet
    assert after.level == 1  # 30 + 5 credited = 35
    (reached,) = [o for o in outcomes if type(o).__name__ == "LevelReached"]
    assert reached.gates[0].current == 35.0


def test_a_credit_emits_its_receipt(program):
    raw = credit(720, minutes=3, live_class="club-42")

    _, outcomes = run(program, [raw])

    (got,) = [o for o in outcomes if isinstance(o, MinutesCredited)]
    assert got == MinutesCredited(
        event_id=raw["id"],
        learner="ana",
        at="2026-01-05T09:03:00.000000Z",
        seconds=720.0,
        reason=REASON,
        live_class="club-42",
        unit="u3",
    )
    assert got.text == f"+12 live minutes credited: {REASON}"


def test_without_a_rule_on_credits_a_credit_earns_no_xp(program):
    # SMALL_PROGRAM rewards live.attended only: no magic XP for credits.
    _, outcomes = run(program, [credit(720)])
    assert not [o for o in outcomes if isinstance(o, XpAwarded)]


def test_the_programs_rule_on_credits_awards_xp_with_a_receipt():
    prog = load_program(SMALL_PROGRAM + CREDIT_RULE)

    _, outcomes = run(prog, [credit(720), credit(6000, minutes=30)])

    awards = [o for o in outcomes if isinstance(o, XpAwarded)]
    # 1.5 XP a minute: 12 minutes give 18; 100 minutes give 150, of which the
    # daily cap of 150 leaves 132 after the first 18.
    assert [a.xp for a in awards] == [18, 132]
    first, second = (a.receipt for a in awards)
    assert (first.rule, first.formula, first.inputs) == (
        "live_credit",
        "1.5 * seconds / 60",
        (("seconds", 720.0),),
    )
    assert (second.base, second.capped, second.earned_today) == (150.0, True, 18)
    assert (
        first.text == "+18 XP: live_credit (1.5 * seconds / 60 = 18 with seconds=720)"
    )


def test_a_badge_may_count_credits():
    badge = (
        "badges:\n  - {id: unlucky, title: Unlucky, on: live.credited, "
        "where: seconds >= 300, count: 2}\n"
    )
    prog = load_program(SMALL_PROGRAM + badge)

    state, _ = run(prog, [credit(600, minutes=0), credit(60, minutes=1)])
    held = state.badges["unlucky"]
    assert (held.count, held.times) == (1, 0)  # the second is under 300 s
    state, _ = run(prog, [credit(600, minutes=0), credit(300, minutes=1)])
    held = state.badges["unlucky"]
    assert (held.count, held.times) == (2, 1)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (720, "+12 live minutes credited"),
        (60, "+1 live minute credited"),  # singular
        (20, "+1 live minute credited"),  # a few seconds show as 1 minute
        (89, "+1 live minute credited"),  # 1.48 minutes: the nearest is 1
        (90, "+2 live minutes credited"),  # 1.5: halves round up
        (150, "+3 live minutes credited"),  # 2.5: up, not to the even 2
        (749.9, "+12 live minutes credited"),  # 12.498
        (750, "+13 live minutes credited"),  # 12.5
        (86_400, "+1440 live minutes credited"),  # a whole day
    ],
    ids=[
        "12",
        "one",
        "seconds",
        "below-half",
        "half",
        "half-even",
        "12.49",
        "12.5",
        "day",
    ],
)
def test_the_receipt_rounds_to_whole_minutes(seconds, text):
    outcome = MinutesCredited("e1", "ana", "t", seconds, REASON, "c1", "u3")
    assert outcome.text == f"{text}: {REASON}"
    assert whole_minutes(seconds) == int(text.split()[0][1:])


def test_rules_may_read_a_credits_seconds_only():
    assert RULE_FIELD_TYPES["live.credited"] == {"seconds": "number"}
    bad = SMALL_PROGRAM + CREDIT_RULE.replace("xp: 1.5 * seconds / 60", "xp: reason")
    with pytest.raises(ProgramError, match="unknown variable 'reason'"):
        load_program(bad)


# -- the wire ------------------------------------------------------------------


def test_a_credit_is_accepted_and_replays_from_its_stored_body():
    raw = credit(720.5, id_="e1")

    model = EVENT_ADAPTER.validate_python(raw)
    body = canonical_body(model)

    got = to_domain(model)
    assert isinstance(got, LiveCredited)
    assert (got.seconds, got.reason, got.live_class, got.unit) == (
        720.5,
        REASON,
        "u3-2026-01-05",
        "u3",
    )
    assert got.type == "live.credited"
    assert from_body(body) == got
    assert json.loads(body)["reason"] == REASON  # the en dash kept as text
    assert got.fields_for_rules()["seconds"] == 720.5


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"seconds": 0}, "seconds: Input should be greater than 0"),
        ({"seconds": -60}, "seconds: Input should be greater than 0"),
        ({"seconds": 86_401}, "seconds: Input should be less than or equal to 86400"),
        ({"seconds": True}, "seconds: Input should be a valid number"),
        ({"seconds": "60"}, "seconds: Input should be a valid number"),
        ({"reason": "x" * 201}, "reason: String should have at most 200 characters"),
        ({"reason": ""}, "reason: String should have at least 1 character"),
        ({"reason": "   "}, "reason: must not be blank"),
        ({"reason": "drop\u202e"}, "reason: must not contain control characters"),
        (
            {"reason": "a\nb"},
            "reason: must not contain control characters (found U+000A)",
        ),
        ({"live_class": "a b"}, "live_class: must be 1 to 200 characters"),
        ({"unit": "u/3"}, "unit: must be 1 to 200 characters"),
        ({"extra": 1}, "extra: Extra inputs are not permitted"),
    ],
    ids=[
        "zero",
        "negative",
        "over-a-day",
        "bool",
        "text-number",
        "long-reason",
        "empty-reason",
        "blank-reason",
        "bidi-override",
        "newline",
        "bad-class-id",
        "bad-unit-id",
        "extra-key",
    ],
)
def test_a_bad_credit_is_refused_naming_the_field(fields, expected):
    assert expected in reason_for(credit(**fields))


@pytest.mark.parametrize("missing", ["seconds", "reason", "live_class"])
def test_a_credit_without_a_required_field_is_refused_naming_it(missing):
    raw = credit()
    del raw[missing]
    assert reason_for(raw) == f"{missing}: Field required"


def test_a_reason_of_200_characters_is_accepted():
    model = EVENT_ADAPTER.validate_python(credit(reason="é" * 200))
    assert to_domain(model).reason == "é" * 200


# -- the codec -----------------------------------------------------------------


def test_a_credit_round_trips_through_the_codec():
    outcome = MinutesCredited(
        "e1", "ana", "2026-01-05T09:00:00.000000Z", 720.0, REASON, "c-1", "u3"
    )

    data = codec.outcome_to_dict(outcome)

    assert data == {
        "kind": "minutes_credited",
        "event_id": "e1",
        "learner": "ana",
        "at": "2026-01-05T09:00:00.000000Z",
        "seconds": 720.0,
        "reason": REASON,
        "live_class": "c-1",
        "unit": "u3",
        "text": f"+12 live minutes credited: {REASON}",
    }
    assert codec.outcome_from_dict(json.loads(dumps(data))) == outcome
    body = json.loads(dumps(codec.outcome_body(outcome)))
    assert body == {
        "seconds": 720.0,
        "reason": REASON,
        "live_class": "c-1",
        "unit": "u3",
    }
    envelope = {k: data[k] for k in codec.ENVELOPE}
    assert codec.outcome_view(body, **envelope) == data


def test_a_credit_without_a_unit_round_trips():
    outcome = MinutesCredited("e1", "ana", "t", 30.0, "drop", "c-1", None)
    data = json.loads(dumps(codec.outcome_to_dict(outcome)))
    assert data["unit"] is None and data["text"] == "+1 live minute credited: drop"
    assert codec.outcome_from_dict(data) == outcome


# -- the program's live_quality section ----------------------------------------

QUALITY = """\
live_quality:
  credit: drops
  drop_within: 45
  up_to: none
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ProgramError) as info:
        load_program(text, "school.yaml")
    return [str(i) for i in info.value.issues]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_section_is_read():
    got = load_program(SMALL_PROGRAM + QUALITY).live_quality
    assert got == LiveQualityPolicy(credit="drops", drop_within=45.0, up_to="none")


@pytest.mark.parametrize(
    "section",
    ["", "live_quality: {}\n"],
    ids=["absent", "empty"],
)
def test_without_settings_credits_are_off(section):
    got = load_program(SMALL_PROGRAM + section).live_quality
    assert (got.credit, got.drop_within, got.up_to) == ("none", 60.0, "scheduled")


def test_settings_left_out_keep_their_defaults():
    got = load_program(SMALL_PROGRAM + "live_quality: {credit: drops}\n").live_quality
    assert (got.credit, got.drop_within, got.up_to) == ("drops", 60.0, "scheduled")


def test_the_english_example_credits_drops_and_rewards_credits_like_attendance():
    prog = load_program_file("src/levelwise/examples/programs/english.yaml")
    assert prog.live_quality == LiveQualityPolicy(credit="drops")
    (attend,) = prog.rules_by_type["live.attended"]
    (rule,) = prog.rules_by_type["live.credited"]
    assert rule.id == "live_credit" and rule.daily_cap == 150
    assert rule.xp.source == attend.xp.source == "1.5 * seconds / 60"


@pytest.mark.parametrize(
    ("old", "new", "expected", "hint"),
    [
        (
            "credit: drops",
            "credit: maybe",
            "live_quality.credit: input should be 'none' or 'drops'",
            "use one of the listed values",
        ),
        (
            "drop_within: 45",
            "drop_within: -5",
            "live_quality.drop_within: input should be greater than or equal to 0",
            "",
        ),
        (
            "drop_within: 45",
            "drop_within: 7200",
            "live_quality.drop_within: input should be less than or equal to 3600",
            "",
        ),
        (
            "up_to: none",
            "up_to: always",
            "live_quality.up_to: input should be 'scheduled' or 'none'",
            "use one of the listed values",
        ),
        (
            "up_to: none",
            "up_to_minutes: 50",
            "live_quality.up_to_minutes: extra inputs are not permitted",
            "remove it or check the spelling of the key",
        ),
    ],
    ids=[
        "credit-maybe",
        "negative-window",
        "window-over-an-hour",
        "bad-cap",
        "unknown-key",
    ],
)
def test_bad_settings_are_errors_at_their_line(old, new, expected, hint):
    text = SMALL_PROGRAM + QUALITY.replace(old, new)
    found = problems(text)
    line = line_of(text, new)
    wanted = f"school.yaml:{line}: {expected}"
    assert any(p.startswith(wanted) for p in found), found
    if hint:
        assert any(p.startswith(wanted) and hint in p for p in found), found


def test_a_credit_on_a_later_day_makes_no_day_of_study():
    program = load_program(SMALL_PROGRAM)
    attended = event("live.attended", unit="u3", seconds=1800)
    state, _ = run(program, [attended, credit(minutes=24 * 60)])
    assert (state.streak.length, state.streak.day) == (1, state.streak.day)
    study, _ = run(
        program,
        [attended, event("live.attended", unit="u3", seconds=60, minutes=24 * 60)],
    )
    assert study.streak.length == 2  # a real class the next day does count
    assert state.streak.day < study.streak.day
