"""Why a plan step is there, as data and in plain words (English and Chinese).

A :class:`Reason` is what the planner knows about a step: what kind of work it
is and what it is for. :func:`describe_reason` says it in the learner's
language with the school's own names (``program.text``); :func:`variable_words`
names a gate variable in words, so a step's before and after say what they
measure. The requirement expression stays on the step for teachers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from levelwise.app.guidance.requirements import metric_title
from levelwise.domain.practice import PRACTICE_METRICS
from levelwise.domain.program import Program

ReasonKind = Literal[
    "teaches", "fills", "completes", "unlocks", "prepares", "test", "keeps"
]
"""What a step is for:

* ``teaches``: it raises an ability or a knowledge point a gate needs;
* ``fills``: it adds to an effort counter a gate needs (minutes, XP, ...);
* ``completes``: it is a unit a gate lists;
* ``unlocks``: it teaches a prerequisite of a unit the plan needs;
* ``prepares``: it gets the learner ready for a test the plan needs;
* ``test``: it is that test (with the chance to pass it);
* ``keeps``: none of these, it keeps the rest moving.
"""


@dataclass(frozen=True)
class Reason:
    """Why a step is in a plan.

    Attributes:
        kind: See :data:`ReasonKind`.
        subject: What it is for: a dimension or knowledge point (``teaches``),
            a gate variable (``fills``), a unit (``unlocks``: the unit it opens;
            ``prepares`` and ``test``: the test), "" otherwise.
        level: The level whose requirement it serves ("" when none).
        chance: ``test``: the chance to pass it, in expectation.
    """

    kind: ReasonKind
    subject: str = ""
    level: str = ""
    chance: float | None = None


_VARIABLES: dict[str, tuple[str, str]] = {
    "xp": ("XP", "经验值"),
    "watch_minutes": ("minutes of recorded lessons", "录播课学习分钟数"),
    "live_minutes": ("minutes in live classes", "直播课分钟数"),
    "practice_minutes": ("minutes of speaking practice", "口语练习分钟数"),
    "study_minutes": ("study minutes", "学习分钟数"),
    "live_interactions": ("turns in live classes", "直播课互动次数"),
    "homework_submitted": ("homework handed in", "提交的作业"),
    "homework_average": ("average homework score", "作业平均分"),
    "questions_answered": ("questions answered", "答题数"),
    "questions_correct": ("correct answers", "答对的题数"),
    "accuracy": ("share of correct answers", "正确率"),
    "units_completed": ("units completed", "完成的单元"),
    "units_completed_count": ("units completed", "完成的单元数"),
    "active_days": ("study days", "学习天数"),
    "streak": ("days in a row", "连续学习天数"),
    "best_streak": ("longest run of days", "最长连续学习天数"),
    "badges_earned": ("badges earned", "获得的徽章"),
    "passed": ("tests passed", "通过的测试"),
}


def _zh(lang: str | None) -> bool:
    return bool(lang) and str(lang).lower().startswith("zh")


def variable_words(name: str, program: Program, lang: str | None = None) -> str:
    """A gate variable in words: ``dimension.vocabulary`` -> "vocabulary ability".

    Args:
        name: The variable (``xp``, ``dimension.ID``, ``mastery.ID``,
            ``ready.ID``, ``unit_score.ID``, a practice metric, ...).
        program: Gives the school's names.
        lang: A language tag (``zh-CN`` for Chinese); None: English.
    """
    zh = _zh(lang)
    head, _, rest = name.partition(".")
    if rest and head == "dimension":
        title = _title(program, f"dimension:{rest}", rest, lang)
        return f"{title}能力" if zh else f"{title} ability"
    if rest and head in ("mastery", "ready"):
        title = _title(program, f"kp:{rest}", rest, lang)
        return f"对“{title}”的掌握" if zh else f"how well you know {title}"
    if rest and head == "unit_score":
        title = _title(program, f"unit:{rest}", rest, lang)
        return f"“{title}”的得分" if zh else f"your score on {title}"
    if rest and head == "practice":
        return "口语练习次数" if zh else "practice sessions"
    words = _VARIABLES.get(name)
    if words is not None:
        return words[1] if zh else words[0]
    if name in PRACTICE_METRICS:
        title = metric_title(name, lang)
        return title if zh else title[:1].lower() + title[1:]
    return name.replace("_", " ")


def _title(program: Program, key: str, ident: str, lang: str | None) -> str:
    kind, _, _ = key.partition(":")
    default = ident
    if kind == "dimension":
        found = next((d for d in program.dimensions if d.id == ident), None)
        default = getattr(found, "title", "") or ident
    elif kind == "kp" and ident in program.kp_by_id:
        default = program.kp_by_id[ident].title or ident
    elif kind == "unit" and ident in program.unit_by_id:
        default = program.unit_by_id[ident].title or ident
    elif kind == "level":
        found_level = next((lv for lv in program.levels if lv.id == ident), None)
        default = getattr(found_level, "title", "") or ident
    return program.text(key, lang, default)


def describe_reason(reason: Reason, program: Program, lang: str | None = None) -> str:
    """``reason`` in plain words, with the school's names.

    Args:
        reason: The step's reason.
        program: Gives the names (``program.text``).
        lang: A language tag; Chinese for ``zh*``, English otherwise.

    Examples: "gets you ready for the N4 mock test", "为N4模拟考试做准备".
    """
    zh = _zh(lang)
    level = _title(program, f"level:{reason.level}", reason.level, lang)
    subject = reason.subject
    kind = reason.kind
    if kind in ("prepares", "test", "unlocks"):
        unit = _title(program, f"unit:{subject}", subject, lang)
        if kind == "prepares":
            return f"为{unit}做准备" if zh else f"gets you ready for the {unit}"
        if kind == "unlocks":
            if zh:
                return f"为开始学习“{unit}”打基础"
            return f"prepares you to start {unit}"
        test = program.unit_by_id.get(subject)
        if reason.chance is None or test is None or test.pass_mark is None:
            # No pass mark: nothing to pass, it shows what was learned.
            if zh:
                return f"参加{unit}，检验学过的内容"
            return f"takes the {unit} to check what you have learned"
        chance = round(100 * reason.chance)
        if zh:
            return f"参加{unit}（通过的可能性约{chance}%）"
        return f"takes the {unit} (about {chance} % chance to pass)"
    if kind == "teaches":
        what = variable_words(subject, program, lang)
        if zh:
            return f"提升{what}，达到{level}的要求" if level else f"提升{what}"
        return f"builds your {what} for {level}" if level else f"builds your {what}"
    if kind == "fills":
        what = variable_words(subject, program, lang)
        if zh:
            return f"为{level}累计{what}" if level else f"累计{what}"
        return f"adds to your {what} for {level}" if level else f"adds to your {what}"
    if kind == "completes":
        if zh:
            return f"是{level}要求完成的单元"
        return f"is a unit {level} asks you to finish"
    return "让其他要求继续推进" if zh else "keeps the other requirements moving"


@dataclass(frozen=True)
class StepWords:
    """A plan step in words: why, and what each move it makes measures.

    Attributes:
        reason: :func:`describe_reason` of the step.
        measures: For each requirement the step moves (its ``serves``, in
            order), the variable it measures in words ("minutes in live
            classes").
    """

    reason: str
    measures: tuple[str, ...]


_NAME = re.compile(r"[A-Za-z_][\w.]*")


def requirement_words(source: str, program: Program, lang: str | None = None) -> str:
    """What requirement ``source`` measures, in words (its first variable)."""
    found = _NAME.search(source)
    return variable_words(found.group(0), program, lang) if found else source


def step_words(
    why: Reason,
    serves: tuple[tuple[str, float, float], ...],
    program: Program,
    lang: str | None = None,
) -> StepWords:
    """A step's reason and measures in words (see :class:`StepWords`).

    Args:
        why: The step's reason.
        serves: The step's ``(requirement, before, after)`` moves.
        program: Gives the names.
        lang: A language tag; None: English.
    """
    return StepWords(
        describe_reason(why, program, lang),
        tuple(requirement_words(src, program, lang) for src, _, _ in serves),
    )
