"""Names of gates, kinds, tiers and zones; the school's own titles stay as written."""

from __future__ import annotations

import pytest

from levelwise.app.metrics.service import Comparison, Figure
from levelwise.app.programs.loader import load_program
from levelwise.web import labels
from levelwise.web.dashboard_page import format_difference
from levelwise.web.i18n import Lang
from tests.support.factories import SMALL_PROGRAM

PROGRAM = load_program(
    SMALL_PROGRAM.replace(
        "  - id: vocabulary\n", "  - id: vocabulary\n    title: Words\n"
    ),
    "tiny.yaml",
)
EN, ZH = Lang("en"), Lang("zh-CN")


@pytest.mark.parametrize(
    ("source", "label", "group", "kind"),
    [
        ("xp >= 100", "XP", "effort", "count"),
        ("homework_average >= 0.6", "Average homework score", "effort", "share"),
        ("dimension.vocabulary >= 0.5", "Words", "ability", "ability"),
        ("dimension.speaking >= 0.5", "speaking", "ability", "ability"),
        ("mastery.greetings >= 0.6", "greetings", "ability", "share"),
        ("units_completed includes [u1]", "Key units completed", "ability", "units"),
        ("xp + live_minutes >= 9", "XP", "effort", "count"),
        ("(xp >= 1) or (streak >= 2)", "(xp >= 1) or (streak >= 2)", "effort", "count"),
    ],
)
def test_gates_get_a_readers_name(source, label, group, kind):
    assert labels.gate_label(source, PROGRAM, EN) == labels.GateLabel(
        label, group, kind
    )


def test_gate_names_are_translated_but_school_titles_are_not():
    assert labels.gate_label("xp >= 1", PROGRAM, ZH).label == "经验值"
    assert labels.gate_label("dimension.vocabulary >= .5", PROGRAM, ZH).label == (
        "Words"
    )


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        (0.625, "share", "62%"),
        (0.4567, "ability", "0.46"),
        (1234.5, "count", "1,234.5"),
    ],
)
def test_gate_values_are_formatted_by_kind(value, kind, shown):
    assert labels.gate_value(value, kind, EN) == shown


def test_unknown_words_stay_as_written():
    assert labels.unit_kind("workshop", ZH) == "workshop"
    assert labels.unit_kind("live_class", ZH) == "直播课"
    assert labels.league_tier("mythril", ZH) == "mythril"
    assert labels.league_tier("gold", ZH) == "黄金"
    assert labels.zone("limbo", ZH) == "limbo"
    assert labels.zone("promotion", ZH) == "晋级区"


def test_differences_of_counts_have_no_points():
    figure = Figure(1.0, 1, 1, 1)
    comparison = Comparison(
        "interactions_per_class", figure, figure, -0.25, -1.5, None, True, ""
    )

    assert format_difference(comparison, EN) == ("−0.2", "[−1.5, –]")
