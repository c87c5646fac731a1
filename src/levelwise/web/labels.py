"""Names of the engine's own vocabulary on pages, marked for translation.

Program data (level, unit, dimension and knowledge point titles) is the
school's, in the page's language where the program has it
(``Program.text``); the engine's words (gate variables, practice metrics and
their units, unit kinds, league tiers, zones) get a translatable name here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from levelwise.domain.practice import PRACTICE_METRICS
from levelwise.domain.program import Program
from levelwise.web.i18n import N_, Lang

VARIABLES = {
    "xp": N_("XP"),
    "watch_minutes": N_("Minutes of recorded lessons"),
    "live_minutes": N_("Minutes in live classes"),
    "practice_minutes": N_("Minutes of speaking practice"),
    "study_minutes": N_("Minutes of study"),
    "live_interactions": N_("Interactions in live classes"),
    "homework_submitted": N_("Homework handed in"),
    "homework_average": N_("Average homework score"),
    "questions_answered": N_("Questions answered"),
    "questions_correct": N_("Questions answered correctly"),
    "accuracy": N_("Share of correct answers"),
    "units_completed": N_("Key units completed"),
    "units_completed_count": N_("Units completed"),
    "active_days": N_("Days with study"),
    "streak": N_("Streak (days)"),
    "best_streak": N_("Best streak (days)"),
    "badges_earned": N_("Badges earned"),
}
"""Gate variables by name."""
METRICS = {
    "speech_rate": N_("Speech rate"),
    "articulation_rate": N_("Articulation rate"),
    "phonation_time_ratio": N_("Share of time speaking"),
    "mean_length_of_run": N_("Words between pauses"),
    "mid_clause_pause_rate": N_("Pauses inside sentences"),
    "end_clause_pause_rate": N_("Pauses between sentences"),
    "mean_pause_duration": N_("Mean pause length"),
    "tokens": N_("Words spoken"),
    "mtld": N_("Word variety (MTLD)"),
    "mattr": N_("Word variety (MATTR)"),
    "cefr_a1": N_("Share of A1 words"),
    "cefr_a2": N_("Share of A2 words"),
    "cefr_b1": N_("Share of B1 words"),
    "cefr_b2": N_("Share of B2 words"),
    "cefr_beyond": N_("Share of words above B2"),
    "zipf_mean": N_("Mean word frequency"),
    "target_words": N_("Target words"),
    "target_words_used": N_("Target words used"),
    "learner_turns": N_("Your turns"),
    "interrupted_turns": N_("Interruptions"),
}
"""Practice metrics by name (``levelwise.domain.practice``; a test keeps them equal)."""
METRIC_UNITS = {
    "wpm": N_("%(value)s wpm"),
    "per minute": N_("%(value)s a minute"),
    "s": N_("%(value)s s"),
}
"""Practice metric units shown after the value; other units show the number only."""
SHARES = frozenset({"homework_average", "accuracy"})
"""Variables that are shares (0..1), shown as percentages."""
UNIT_KINDS = {
    "lesson": N_("Lesson"),
    "exercise": N_("Exercise"),
    "live_class": N_("Live class"),
    "homework": N_("Homework"),
    "practice": N_("Practice"),
    "quiz": N_("Quiz"),
    "test": N_("Mock test"),
}
LEAGUE_TIERS = {
    "bronze": N_("Bronze"),
    "silver": N_("Silver"),
    "gold": N_("Gold"),
    "sapphire": N_("Sapphire"),
    "ruby": N_("Ruby"),
    "emerald": N_("Emerald"),
    "amethyst": N_("Amethyst"),
    "pearl": N_("Pearl"),
    "obsidian": N_("Obsidian"),
    "diamond": N_("Diamond"),
}
ZONES = {
    "promotion": N_("Promotion zone"),
    "stay": N_("Safe zone"),
    "demotion": N_("Demotion zone"),
}
QUALITY_BANDS = {
    "good": N_("Good"),
    "acceptable": N_("Acceptable"),
    "degraded": N_("Degraded"),
    "broken": N_("Broken"),
}
"""Call-quality bands by name, best first (``levelwise.app.quality.ports.BANDS``)."""
ACTIVITIES = {
    "lesson.watched": N_("Watching a lesson"),
    "live.attended": N_("Live class"),
    "live.credited": N_("Live minutes credited"),
    "live.interaction": N_("Taking part in class"),
    "homework.submitted": N_("Homework handed in"),
    "question.answered": N_("Answering questions"),
    "unit.completed": N_("Unit completed"),
    "practice.completed": N_("Speaking practice"),
    "pk.finished": N_("Team challenge"),
    "team.rewarded": N_("Team task"),
}
"""What learners did, by event type: an XP rule's name when the school gave it
no title in the page's language."""
_GATE = re.compile(r"^\s*([A-Za-z_][\w]*(?:\.[\w-]+)?)")


@dataclass(frozen=True)
class GateLabel:
    """How a gate is named on a page.

    Attributes:
        label: Its name for the reader.
        group: ``effort`` (time, XP, work) or ``ability`` (dimensions,
            mastery, key units).
        kind: ``count``, ``share``, ``ability`` or ``units`` (how to show values).
    """

    label: str
    group: str
    kind: str


def gate_label(source: str, program: Program, lang: Lang) -> GateLabel:
    """The reader's name of a gate such as ``xp >= 1800`` or ``dimension.x >= .3``.

    Dimension and knowledge point titles come from the program; unknown
    expressions keep their source text.
    """
    match = _GATE.match(source)
    name = match.group(1) if match else ""
    if name.startswith("dimension."):
        key = name.split(".", 1)[1]
        titles = {d.id: d.title for d in program.dimensions}
        title = program.text(f"dimension:{key}", lang.code, titles.get(key) or key)
        return GateLabel(title, "ability", "ability")
    if name.startswith("mastery."):
        key = name.split(".", 1)[1]
        titles = {k.id: k.title for k in program.knowledge_points}
        title = program.text(f"kp:{key}", lang.code, titles.get(key) or key)
        return GateLabel(title, "ability", "share")
    if name.startswith("unit_score.") or name == "passed":
        return GateLabel(source, "ability", "share" if name != "passed" else "units")
    if name == "units_completed":
        return GateLabel(lang.gettext(VARIABLES[name]), "ability", "units")
    if name in METRICS:
        unit = PRACTICE_METRICS[name].unit
        kind = "share" if unit == "share" else "count"
        return GateLabel(lang.gettext(METRICS[name]), "ability", kind)
    if name in VARIABLES:
        kind = "share" if name in SHARES else "count"
        return GateLabel(lang.gettext(VARIABLES[name]), "effort", kind)
    return GateLabel(source, "effort", "count")


def gate_value(value: float, kind: str, lang: Lang) -> str:
    """A gate's current or target value as the reader sees it."""
    if kind == "share":
        return lang.percent(value)
    if kind == "ability":
        return lang.number(value, 2)
    return lang.number(value, 1)


def metric_label(name: str, lang: Lang) -> str:
    """A practice metric's name (an unknown one stays as written)."""
    return lang.gettext(METRICS[name]) if name in METRICS else name


def metric_value(name: str, value: float, lang: Lang) -> str:
    """A practice metric's value with its unit: ``112 wpm``, ``45%``, ``6.2``."""
    spec = PRACTICE_METRICS.get(name)
    if spec is None:
        return lang.number(value, 2)
    if spec.unit == "share":
        return lang.percent(value)
    digits = 0 if spec.integral or spec.unit == "wpm" else 1
    if spec.unit == "s" or spec.unit == "zipf":
        digits = 2
    shown = lang.number(value, digits)
    unit = METRIC_UNITS.get(spec.unit)
    return lang.gettext(unit) % {"value": shown} if unit else shown


def unit_kind(kind: str, lang: Lang) -> str:
    """A unit kind's name (an unknown kind stays as written)."""
    return lang.gettext(UNIT_KINDS[kind]) if kind in UNIT_KINDS else kind


def league_tier(tier: str, lang: Lang) -> str:
    """A league tier's name."""
    return lang.gettext(LEAGUE_TIERS[tier]) if tier in LEAGUE_TIERS else tier


def tier(name: str, lang: Lang) -> str:
    """A badge tier's name when the school gave none: ``bronze`` reads Bronze."""
    if name in LEAGUE_TIERS:
        return lang.gettext(LEAGUE_TIERS[name])
    return name[:1].upper() + name[1:]


def activity(event_type: str, lang: Lang) -> str:
    """What an event type's learner did, in words (an unknown one: "Activity")."""
    return lang.gettext(ACTIVITIES.get(event_type, N_("Activity")))


def zone(name: str, lang: Lang) -> str:
    """A league zone's name."""
    return lang.gettext(ZONES[name]) if name in ZONES else name


def quality_band(band: str, lang: Lang) -> str:
    """A call-quality band's name (any other name stays as written)."""
    return lang.gettext(QUALITY_BANDS[band]) if band in QUALITY_BANDS else band
