"""Every kind of receipt the fold writes reads as one line on the learner page."""

from __future__ import annotations

import pytest

from levelwise.app.programs.loader import load_program
from levelwise.web.i18n import Lang
from levelwise.web.learner_page import _receipt
from tests.support.factories import SMALL_PROGRAM

AT = "2026-03-02T10:00:00Z"
ROWS = {
    "badge_earned": {"title": "Chatterbox", "tier": "silver", "badge": "chat"},
    "title_changed": {"title": "explorer", "name": "Explorer", "previous": ""},
    "streak_broken": {"length": 6, "reason": "no study on 2026-03-01"},
    "streak_frozen": {"days": 1, "freezes_left": 0, "reason": "missed 2026-03-01"},
    "pk_scored": {"pk": "pk-1", "team": "red", "round": 2, "points": 17},
    "level_reached": {"level": "zzz-unknown", "title": "?"},
    "ability_measured": {
        "measurement": "fluency",
        "dimension": "speaking",
        "title": "Speaking",
        "score": 0.75,
        "before": 0.4,
        "after": 0.43,
        "metrics": [{"metric": "speech_rate", "value": 112.0, "full": 120.0}],
    },
}


@pytest.mark.parametrize(
    ("kind", "english", "chinese"),
    [
        (
            "badge_earned",
            "Badge earned: Chatterbox (Silver)",
            "获得徽章：Chatterbox（白银）",
        ),
        ("title_changed", "New title: Explorer", "新称号：Explorer"),
        ("streak_broken", "Streak ended after 6 days", "连续学习 6 天后中断"),
        ("streak_frozen", "A streak freeze covered 1 day", "连胜保护卡补上了 1 天"),
        ("pk_scored", "+17 points for team red", "为 red 队赢得 +17 分"),
        ("level_reached", "Level reached: zzz-unknown", "zzz-unknown"),
        ("ability_measured", "Practice: speaking +0.03", "练习：speaking +0.03"),
    ],
    ids=lambda v: v if v in ROWS else None,
)
def test_each_receipt_kind_has_a_line_in_both_languages(kind, english, chinese):
    program = load_program(SMALL_PROGRAM, "small")
    row = {"kind": kind, "at": AT, "event_id": "e1", **ROWS[kind]}

    assert _receipt(row, program, Lang("en")).text == english
    shown = _receipt(row, program, Lang("zh-CN")).text
    assert chinese in shown
    assert kind == "level_reached" or shown != english


def test_a_measured_ability_shows_the_metrics_behind_it():
    program = load_program(SMALL_PROGRAM, "small")
    row = {"kind": "ability_measured", "at": AT, "event_id": "e1"}
    row |= ROWS["ability_measured"]
    row["metrics"] = [
        *row["metrics"],
        {"metric": "mean_length_of_run", "value": 6.2, "full": 8.0},
        {"metric": "retired_metric", "value": 1.0, "full": 2.0},  # not ours: left out
    ]
    row["after"] = 0.39  # a fall shows its sign

    shown = _receipt(row, program, Lang("en"))

    assert shown.text == "Practice: speaking -0.01"
    assert shown.detail == "speech rate 112 wpm, MLR 6.2"
    assert (shown.kind, shown.xp) == ("ability_measured", 0)
