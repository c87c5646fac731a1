"""What a plan must satisfy: the parts of the target's gates, and their measure.

A :class:`Part` is one thing the learner's numbers must reach: a part of a
gate of a level on the way to the target (:func:`requirements_of`), or a
planner's sub-goal, a prerequisite point to learn first (:func:`sub_goal`,
checked by a :class:`Floor`). A gate part on practice metrics is met by
practising, so the planner checks it with a :class:`Practised` (see
:mod:`levelwise.app.guidance.speaking`). :func:`measure` reads a part in an
environment of gate variables as a :class:`Requirement`: the value plans and
forecasts show.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from levelwise.domain.expr import BOOL, Comparison, Expr, ExprError, compile_expr
from levelwise.domain.gates import gate_schema
from levelwise.domain.practice import PRACTICE_METRICS
from levelwise.domain.program import Program


@dataclass(frozen=True)
class Requirement:
    """One part of a gate of the target level (or of a level on the way).

    Attributes:
        level: The level whose gate it is.
        source: The part's source, such as ``xp >= 1800``.
        current: Its value (for ``includes``: how many listed items are in).
        target: What it needs (for ``includes``: how many items are listed).
        progress: ``current / target`` in [0, 1]; 1 when met.
        met: Whether it holds.
    """

    level: str
    source: str
    current: float
    target: float
    progress: float
    met: bool


@dataclass(frozen=True)
class Floor:
    """The check of a sub-goal: the gate variable ``name`` reaches ``target``.

    Attributes:
        name: The gate variable, such as ``ready.en-a1-kp01``.
        target: The least value that meets the sub-goal.
    """

    name: str
    target: float

    def holds(self, env: dict[str, object]) -> bool:
        """Whether the variable reaches the target."""
        return self.value(env) >= self.target

    def value(self, env: dict[str, object]) -> float:
        """The variable's value (0 when absent)."""
        value = env.get(self.name, 0.0)
        return float(value) if isinstance(value, int | float) else 0.0

    def progress(self, env: dict[str, object]) -> tuple[float, float, float]:
        """``(current, target, fraction)``, as a gate comparison gives it."""
        value = self.value(env)
        return value, self.target, min(max(value / self.target, 0.0), 1.0)


@dataclass(frozen=True)
class Practised:
    """The check of a practice-metric requirement: enough practice sessions.

    The study model cannot predict a practice metric from minutes, so the plan
    counts the practice sessions it schedules (the gate variable ``name``) and
    takes the requirement as met after ``sessions`` of them (estimated from
    the learner's trend, see :func:`levelwise.app.guidance.speaking.practised`),
    its progress growing linearly from ``start`` to 1 on the way.

    Attributes:
        name: The draft's count of planned practice sessions.
        sessions: Sessions that meet the requirement (at least 1).
        start: Its progress now, in [0, 1).
        current: The metric's value now (None: never reported, or a part that
            is not one comparison of one metric).
        target: The value it needs (1.0 for any other part).
    """

    name: str
    sessions: int
    start: float
    current: float | None
    target: float

    def done(self, env: dict[str, object]) -> float:
        """The share of the sessions planned so far, in [0, 1]."""
        value = env.get(self.name, 0)
        count = float(value) if isinstance(value, int | float) else 0.0
        return min(count / self.sessions, 1.0)

    def holds(self, env: dict[str, object]) -> bool:
        """Whether the plan has scheduled the sessions it needs."""
        return self.done(env) >= 1.0

    def progress(self, env: dict[str, object]) -> tuple[float, float, float]:
        """``(value, target, fraction)``: the value expected after the sessions.

        The value moves linearly from the metric's value now to the target
        (an unknown one reads 0 until the requirement is met).
        """
        done = self.done(env)
        if self.current is None:
            value = self.target if done >= 1.0 else 0.0
        else:
            value = self.current + (self.target - self.current) * done
        return value, self.target, self.start + (1.0 - self.start) * done


@dataclass(frozen=True)
class Part:
    """One requirement to meet: a gate part, or a sub-goal on the way to one.

    Attributes:
        level: The level whose gate it is part of (``""`` for a sub-goal).
        source: Its source, such as ``xp >= 1800``; a plan names it by this.
        names: The gate variables it reads.
        check: What decides it: a comparison with a constant target (which
            gives progress toward it), any other gate part, a sub-goal's
            floor, or the practice sessions a practice-metric part needs.
    """

    level: str
    source: str
    names: frozenset[str]
    check: Comparison | Expr | Floor | Practised


def requirements_of(program: Program, level: int, target: int) -> list[Part]:
    """The gate parts of the levels above ``level`` up to ``target``."""
    parts: list[Part] = []
    for lvl in program.levels[level + 1 : target + 1]:
        for gate in lvl.gates:
            for part in gate.expr.conjuncts():
                names = part.left.names if isinstance(part, Comparison) else part.names
                parts.append(Part(lvl.id, part.source, names, part))
    return parts


def sub_goal(kp: str, ready: float) -> Part:
    """The sub-goal that ``kp`` is learned: ``mastery.<kp> >= ready`` on evidence.

    It reads ``ready.<kp>``, the mastery that rests on evidence (answers or a
    placement test; see :meth:`levelwise.app.guidance.draft.Draft.value`).
    """
    name = f"ready.{kp}"
    return Part("", f"mastery.{kp} >= {ready}", frozenset({name}), Floor(name, ready))


def measure(part: Part, env: dict[str, object]) -> Requirement:
    """The requirement ``part`` as it stands in ``env``."""
    check = part.check
    if isinstance(check, Comparison | Floor | Practised):
        current, target, progress = check.progress(env)
        met = check.holds(env)
    else:
        met = bool(check.evaluate(env))
        current = target = 1.0
        progress = 1.0 if met else 0.0
    return Requirement(
        part.level,
        part.source,
        round(current, 6),
        round(target, 6),
        1.0 if met else round(min(progress, 0.999999), 6),
        met,
    )


# -- words --------------------------------------------------------------------------
#
# A requirement in plain words, for learners and their parents: pages, plans
# and forecasts show these instead of the expression (which teachers can still
# read). The engine's own words are kept here in each language the pages
# offer; the school's names come from the program (``Program.text``).


@dataclass(frozen=True)
class Facts:
    """What a learner has done, for the progress half of a requirement's words.

    Attributes:
        counters: Gate variables that are numbers (``homework_submitted``...).
        mastery: ``(value, attempts)`` per knowledge point with an estimate.
        placed: Dimensions a placement test measured (evidence too).
        scored: Units the learner has a score on.
    """

    counters: Mapping[str, float] = field(default_factory=dict)
    mastery: Mapping[str, tuple[float, int]] = field(default_factory=dict)
    placed: frozenset[str] = frozenset()
    scored: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Wording:
    """A requirement in words.

    Attributes:
        goal: What it asks ("Watch 120 minutes of lessons").
        progress: Where the learner is ("45 so far"); "" when not known.
        kind: What it measures: ``count``, ``share``, ``ability`` (a
            dimension or a knowledge point), ``units``, ``score``, ``metric``
            or ``other`` (a shape with no words of its own).
        evidence: Whether the learner has done anything it measures (an
            ability without answers has no evidence: its value is a prior).
    """

    goal: str
    progress: str = ""
    kind: str = "other"
    evidence: bool = True
    colon: str = ": "

    @property
    def text(self) -> str:
        """Goal and progress as one sentence."""
        return f"{self.goal}{self.colon}{self.progress}" if self.progress else self.goal


_EN, _ZH = 0, 1
_WORDS: dict[str, tuple[str, str]] = {
    "xp": ("Earn {n} XP", "获得{n}经验值"),
    "watch_minutes": ("Watch {n} minutes of lessons", "观看{n}分钟录播课"),
    "live_minutes": ("Spend {n} minutes in live classes", "上{n}分钟直播课"),
    "practice_minutes": ("Practise speaking for {n} minutes", "口语练习{n}分钟"),
    "study_minutes": ("Study for {n} minutes", "学习{n}分钟"),
    "live_interactions": ("Take part {n} times in live classes", "直播课互动{n}次"),
    "homework_submitted": ("Hand in {n} homework", "提交{n}份作业"),
    "homework_average": ("Score {n} on average in homework", "作业平均得分{n}"),
    "questions_answered": ("Answer {n} questions", "回答{n}道题"),
    "questions_correct": ("Answer {n} questions correctly", "答对{n}道题"),
    "accuracy": ("Get {n} of your answers right", "答题正确率达到{n}"),
    "units_completed_count": ("Complete {n} units", "完成{n}个单元"),
    "active_days": ("Study on {n} days", "学习{n}天"),
    "streak": ("Keep a {n}-day streak", "连续学习{n}天"),
    "best_streak": ("Reach a {n}-day streak", "最长连续学习达到{n}天"),
    "badges_earned": ("Earn {n} badges", "获得{n}枚徽章"),
    "dimension": ("Answer {name} questions well", "{name}题目答得好"),
    "mastery": ("Learn {name} well", "学好{name}"),
    "complete": ("Complete {names}", "完成{names}"),
    "pass": ("Pass {names}", "通过{names}"),
    "pass_one": ("Pass the {names}", "通过{names}"),
    "score": ("Score {n} on the {name}", "{name}得分达到{n}"),
    "metric": ("{name} at {n} or more", "{name}达到{n}或以上"),
    "colon": (": ", "："),
    "other": ("Meet a requirement set by your school", "达到学校设定的一项要求"),
    "so_far": ("{n} so far", "目前{n}"),
    "of_done": ("{have} of {total} done", "已完成{have}/{total}"),
    "of_passed": ("{have} of {total} passed", "已通过{have}/{total}"),
    "skills": (
        "{have} of {total} skills strong enough",
        "{total}项技能中{have}项已达标",
    ),
    "no_answers": ("no answers yet", "还没有答题"),
    "best": ("best {n}", "最好成绩{n}"),
    "not_taken": ("not taken yet", "还没有参加"),
    "no_homework": ("no homework yet", "还没有作业"),
    "no_practice": ("no practice yet", "还没有练习"),
    "now": ("{n} now", "目前{n}"),
    "done": ("done", "已完成"),
    "not_yet": ("not yet", "还没有"),
    "and": (" and ", "和"),
    "comma": (", ", "、"),
}
"""The engine's words by key, in English and Chinese (``{n}`` and the others
are filled in with numbers and the school's names)."""
_SHARES = frozenset({"homework_average", "accuracy"})
_NEEDS_WORK = {
    "homework_average": ("homework_submitted", "no_homework"),
    "accuracy": ("questions_answered", "no_answers"),
}
"""Shares that mean nothing before the learner did the work they average."""
_PARSED = "requirements.parsed"


def _language(lang: str | None) -> int:
    return _ZH if lang and lang.split("-")[0].lower() == "zh" else _EN


def _say(key: str, lang: str | None, **values: str) -> str:
    return _WORDS[key][_language(lang)].format(**values)


def number_text(value: float) -> str:
    """A number as the pages show it: grouped, at most one decimal."""
    if math.isfinite(value) and value == round(value):
        return f"{round(value):,}"
    return f"{value:,.1f}"


def percent_text(value: float) -> str:
    """A share (0..1) as a whole percent."""
    return f"{round(value * 100)}%"


def humanised(name: str) -> str:
    """An id as words, when the school gave no title: ``st_quiz`` -> ``St quiz``."""
    words = name.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def school_name(program: Program, kind: str, key: str, lang: str | None) -> str:
    """The school's name of a dimension, knowledge point, unit, level or rule.

    Args:
        program: Gives the titles and their translations.
        kind: ``dimension``, ``kp``, ``unit``, ``level``, ``rule``, ``badge``,
            ``title`` or ``task``.
        key: The object's id.
        lang: The reader's language (None: the file's first language).

    Returns:
        ``program.text`` of it, falling back to its title, then its id in words.
    """
    title = _titles(program).get((kind, key), "")
    return program.text(f"{kind}:{key}", lang, title or humanised(key))


def _titles(program: Program) -> dict[tuple[str, str], str]:
    found = program.memo.get("requirements.titles")
    if isinstance(found, dict):
        return found
    titles: dict[tuple[str, str], str] = {}
    groups: list[tuple[str, Iterable[Any]]] = [
        ("dimension", program.dimensions),
        ("kp", program.knowledge_points),
        ("unit", program.units),
        ("level", program.levels),
        ("rule", program.xp_rules),
        ("badge", program.badges),
        ("task", program.team_tasks),
    ]
    for kind, items in groups:
        for item in items:
            titles[kind, item.id] = str(getattr(item, "title", "") or "")
    program.memo["requirements.titles"] = titles
    return titles


def _names(program: Program, kind: str, ids: Iterable[str], lang: str | None) -> str:
    order = {u.id: n for n, u in enumerate(program.units)}
    ranked = sorted(ids, key=lambda i: (order.get(i, len(order)), i))
    names = [school_name(program, kind, i, lang) for i in ranked]
    if len(names) <= 1:
        return "".join(names)
    return _say("comma", lang).join(names[:-1]) + _say("and", lang) + names[-1]


def _parts(program: Program, source: str) -> tuple[Comparison | Expr, ...]:
    """The parts of a gate's source, compiled against the program (cached)."""
    memo = program.memo.setdefault(_PARSED, {})
    assert isinstance(memo, dict)  # noqa: S101 - only this module writes it
    found = memo.get(source)
    if found is None:
        try:
            found = compile_expr(source, gate_schema(program), expect=BOOL).conjuncts()
        except ExprError:
            found = ()
        memo[source] = found
    return tuple(found)


def describe(
    requirement: str | Comparison | Expr | Part,
    program: Program,
    lang: str | None,
    *,
    current: float | None = None,
    met: bool | None = None,
    facts: Facts | None = None,
) -> Wording:
    """A requirement (one part of a gate) in plain words, in ``lang``.

    Shapes with words of their own: a counter or share compared with a
    constant (``watch_minutes >= 120``), ``dimension.X``, ``mastery.X``,
    ``unit_score.X`` and practice metrics compared with a constant,
    ``units_completed includes [...]`` and ``passed includes [...]``, and a
    planner's sub-goal. Any other shape gets a general sentence, never its
    expression.

    Args:
        requirement: A gate part's source, compiled part, or plan part (a
            source of several ``and`` parts is described by its first).
        program: Gives the school's names (in ``lang`` where it has them).
        lang: The reader's language tag (``en``, ``zh-CN``); others read English.
        current: The learner's value (for ``includes``: items done), as a
            gate's progress gives it; None: the words say no progress.
        met: Whether it holds (for shapes whose progress is only done/not yet).
        facts: What the learner has done, to tell "nothing yet" from a value
            and to count strong skills of a dimension.

    Returns:
        The words; ``progress`` is "" without ``current`` and ``met``.
    """
    said = _describe(requirement, program, lang, current, met, facts)
    return replace(said, colon=_say("colon", lang))


def _describe(
    requirement: str | Comparison | Expr | Part,
    program: Program,
    lang: str | None,
    current: float | None,
    met: bool | None,
    facts: Facts | None,
) -> Wording:
    part: Comparison | Expr | Floor | None
    if isinstance(requirement, Part):
        part = requirement.check if isinstance(requirement.check, Floor) else None
        if part is None:
            requirement = requirement.source
    if isinstance(requirement, str):
        parts = _parts(program, requirement)
        part = parts[0] if parts else None
    elif not isinstance(requirement, Part):
        part = requirement
    if isinstance(part, Floor):
        kp = part.name.split(".", 1)[1]
        return _ability("mastery", kp, part.target, program, lang, met, facts)
    if isinstance(part, Comparison):
        return _comparison(part, program, lang, current, met, facts)
    progress = "" if met is None else _say("done" if met else "not_yet", lang)
    return Wording(_say("other", lang), progress)


def _comparison(
    part: Comparison,
    program: Program,
    lang: str | None,
    current: float | None,
    met: bool | None,
    facts: Facts | None,
) -> Wording:
    names = sorted(part.left.names)
    name = names[0] if len(names) == 1 else ""
    source = part.left.source.strip()
    if isinstance(part.target, frozenset):
        if source not in ("units_completed", "passed"):
            progress = "" if met is None else _say("done" if met else "not_yet", lang)
            return Wording(_say("other", lang), progress)
        kind, done = ("complete", "of_done")
        if source == "passed":
            kind = "pass_one" if len(part.target) == 1 else "pass"
            done = "of_passed"
        goal = _say(kind, lang, names=_names(program, "unit", part.target, lang))
        progress = ""
        if current is not None:
            total = str(len(part.target))
            progress = _say(done, lang, have=number_text(current), total=total)
        return Wording(goal, progress, "units")
    if source != name:  # arithmetic over variables: no words of its own
        progress = "" if met is None else _say("done" if met else "not_yet", lang)
        return Wording(_say("other", lang), progress)
    target = part.target
    if name.startswith(("dimension.", "mastery.")):
        space, key = name.split(".", 1)
        return _ability(space, key, target, program, lang, met, facts)
    if name.startswith("unit_score."):
        unit = name.split(".", 1)[1]
        title = school_name(program, "unit", unit, lang)
        goal = _say("score", lang, n=percent_text(target), name=title)
        taken = facts is None or unit in facts.scored or bool(current)
        if not taken:
            return Wording(goal, _say("not_taken", lang), "score", False)
        progress = (
            "" if current is None else _say("best", lang, n=percent_text(current))
        )
        return Wording(goal, progress, "score")
    if name in PRACTICE_METRICS:
        spec = PRACTICE_METRICS[name]

        def shown(value: float) -> str:
            if spec.unit == "share":
                return percent_text(value)
            unit = spec.unit if spec.unit in ("wpm", "s") else ""
            return f"{number_text(value)} {unit}".strip()

        title = metric_title(name, lang)
        goal = _say("metric", lang, name=title, n=shown(target))
        if current is None:
            return Wording(goal, _say("no_practice", lang), "metric", False)
        return Wording(goal, _say("now", lang, n=shown(current)), "metric")
    if name not in _WORDS:
        progress = "" if met is None else _say("done" if met else "not_yet", lang)
        return Wording(_say("other", lang), progress)
    if name in _SHARES:
        goal = _say(name, lang, n=percent_text(target))
        work, nothing = _NEEDS_WORK[name]
        if facts is not None and not facts.counters.get(work):
            return Wording(goal, _say(nothing, lang), "share", False)
        progress = "" if current is None else percent_text(current)
        return Wording(goal, progress and _say("so_far", lang, n=progress), "share")
    if part.op == ">" and target == round(target):
        target += 1  # counts are whole: "more than 3" is 4
    goal = _say(name, lang, n=number_text(target))
    if current is None:
        return Wording(goal, "", "count")
    # Whole units done so far: 124.7 minutes of 125 is not yet 125.
    whole = float(math.floor(current + 1e-9)) if current >= 0 else current
    return Wording(goal, _say("so_far", lang, n=number_text(whole)), "count")


def _ability(
    space: str,
    key: str,
    target: float,
    program: Program,
    lang: str | None,
    met: bool | None,
    facts: Facts | None,
) -> Wording:
    """A dimension's or knowledge point's requirement: evidence, then skills."""
    kind = "dimension" if space == "dimension" else "kp"
    goal = _say(space, lang, name=school_name(program, kind, key, lang))
    if facts is None:
        progress = "" if met is None else _say("done" if met else "not_yet", lang)
        return Wording(goal, progress, "ability")
    if kind == "kp":
        points: tuple[str, ...] = (key,)
    else:
        points = tuple(kp for kp, _ in program.dimension_weights.get(key, ()))
    tried = [kp for kp in points if facts.mastery.get(kp, (0.0, 0))[1] > 0]
    evidence = bool(tried) or (kind == "dimension" and key in facts.placed)
    if not evidence:
        return Wording(goal, _say("no_answers", lang), "ability", False)
    if kind == "kp":
        progress = _say("done" if met else "not_yet", lang) if met is not None else ""
        return Wording(goal, progress, "ability")
    strong = max(target, program.planning.ready_mastery)
    have = sum(1 for kp in tried if facts.mastery[kp][0] >= strong)
    progress = _say("skills", lang, have=str(have), total=str(len(points)))
    return Wording(goal, progress, "ability")


_METRIC_ZH = {
    "speech_rate": "语速",
    "articulation_rate": "发音速度",
    "phonation_time_ratio": "说话时间占比",
    "mean_length_of_run": "停顿间的词数",
    "mid_clause_pause_rate": "句中停顿",
    "end_clause_pause_rate": "句间停顿",
    "mean_pause_duration": "平均停顿时长",
    "tokens": "说出的词数",
    "mtld": "词汇多样性 (MTLD)",
    "mattr": "词汇多样性 (MATTR)",
    "target_words_used": "用到的目标词",
}


def metric_title(name: str, lang: str | None) -> str:
    """A practice metric's name in words, in Chinese for ``zh*``, else English."""
    if _language(lang) == _ZH and name in _METRIC_ZH:
        return _METRIC_ZH[name]
    label = PRACTICE_METRICS[name].label
    return label[:1].upper() + label[1:]
