"""Fit mastery parameters from a school's answers; a refit is a new program version."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from levelwise.domain.events import Event, QuestionAnswered
from levelwise.domain.program import BktParams, LogisticParams, LogisticPoint

Answer = tuple[str, str, bool]
"""``(learner, knowledge point, correct)``, in time order per learner."""


@dataclass(frozen=True)
class Fit:
    """Fitted BKT parameters and what they rest on.

    Attributes:
        params: Parameters per knowledge point (those with answers).
        answers: How many answers were used.
        learners: How many learners they came from.
        skipped: Answers on knowledge points the program does not have.
    """

    params: dict[str, BktParams]
    answers: int
    learners: int
    skipped: int


@dataclass(frozen=True)
class LogisticFit:
    """A fitted logistic model and what it rests on.

    Attributes:
        params: The weights the fold needs (points with answers only).
        answers: How many answers were used.
        learners: How many learners they came from.
        skipped: Answers on knowledge points the program does not have.
    """

    params: LogisticParams
    answers: int
    learners: int
    skipped: int


def answers_from_events(events: Iterable[Event]) -> list[Answer]:
    """The scored answers among ``events``, grouped by learner in time order."""
    scored = [e for e in events if isinstance(e, QuestionAnswered)]
    scored.sort(key=lambda e: (e.learner, e.sort_key))
    return [(e.learner, e.knowledge_point, e.correct) for e in scored]


def _responses(
    answers: Sequence[Answer], knowledge_points: Sequence[str]
) -> tuple[Any, list[int], int]:
    """Answers on known points as ``Responses``, the skills seen and learners."""
    from levelwise.learners.base import Responses

    index = {kp: i for i, kp in enumerate(knowledge_points)}
    learners: dict[str, int] = {}
    rows = [a for a in answers if a[1] in index]
    learner = [learners.setdefault(a[0], len(learners)) for a in rows]
    skill = [index[a[1]] for a in rows]
    correct = [int(a[2]) for a in rows]
    order = sorted(range(len(rows)), key=lambda i: learner[i])  # stable: keeps time
    data = Responses.from_arrays(
        [learner[i] for i in order],
        [skill[i] for i in order],
        [correct[i] for i in order],
        n_skills=len(knowledge_points),
    )
    return data, skill, len(learners)


def fit_bkt(
    answers: Sequence[Answer],
    knowledge_points: Sequence[str],
    *,
    forgetting: bool = False,
    random_state: int = 0,
) -> Fit:
    """Fit BKT per knowledge point on ``answers`` (grouped by learner, in order).

    Args:
        answers: ``(learner, knowledge point, correct)`` rows.
        knowledge_points: The program's knowledge points; answers on others
            are skipped and counted.
        forgetting: Also fit a forgetting rate.
        random_state: Seed of the EM restarts.
    """
    # Imported here: numpy and the models load only when fitting.
    from levelwise.learners.bkt import BKT

    data, skill, learners = _responses(answers, knowledge_points)
    model = BKT(forgetting=forgetting, random_state=random_state).fit(data)
    seen = set(skill)
    params = {
        kp: BktParams(
            prior=_p(model.prior_[i]),
            learn=_p(model.learn_[i]),
            guess=_p(model.guess_[i], top=0.4999),
            slip=_p(model.slip_[i], top=0.4999),
            forget=round(float(model.forget_[i]), 6),
        )
        for i, kp in enumerate(knowledge_points)
        if i in seen
    }
    return Fit(params, len(skill), learners, len(answers) - len(skill))


def fit_logistic(
    answers: Sequence[Answer], knowledge_points: Sequence[str]
) -> LogisticFit:
    """Fit the logistic model (``LogisticKT``) on ``answers`` without item ids.

    The model is fitted on knowledge points only, exactly as the fold uses it
    (a typical question of each point), with ``LogisticKT``'s default
    hyperparameters.

    Args:
        answers: ``(learner, knowledge point, correct)`` rows, grouped by
            learner in time order.
        knowledge_points: The program's knowledge points; answers on others
            are skipped and counted.
    """
    from levelwise.learners.logistic import LogisticKT

    data, skill, learners = _responses(answers, knowledge_points)
    if not skill:
        return LogisticFit(LogisticParams(), 0, 0, len(answers))
    model = LogisticKT().fit(data)
    return LogisticFit(
        logistic_params(model, knowledge_points, set(skill)),
        len(skill),
        learners,
        len(answers) - len(skill),
    )


def logistic_params(
    model: Any, knowledge_points: Sequence[str], seen: set[int] | None = None
) -> LogisticParams:
    """The fold's weights from a fitted ``LogisticKT`` (skill ``i`` = point ``i``).

    Args:
        model: A fitted ``LogisticKT``; item weights are left out.
        knowledge_points: The point of each skill index.
        seen: Skill indexes to keep (default: all); the others have zero
            weights and a 0.5 rate, the fold's fallback anyway.
    """
    w = [float(v) for v in model.coef_]
    m, k = int(model.n_items_), int(model.n_skills_)
    dense = w[m + 4 * k :]
    points = tuple(
        (
            kp,
            LogisticPoint(
                rate=float(model.skill_rate_[i]),
                intercept=w[m + i],
                successes=w[m + k + i],
                failures=w[m + 2 * k + i],
                ability=w[m + 3 * k + i],
            ),
        )
        for i, kp in enumerate(knowledge_points)
        if i < k and (seen is None or i in seen)
    )
    return LogisticParams(
        shrink=float(model.shrink),
        decay=float(model.decay),
        successes=dense[0],
        failures=dense[1],
        ability=dense[2],
        point_ability=dense[3],
        recent_successes=dense[4],
        recent_failures=dense[5],
        point_recent_successes=dense[6],
        point_recent_failures=dense[7],
        recent_residual=dense[8],
        point_recent_residual=dense[9],
        bias=dense[10],
        points=tuple(sorted(points)),
    )


def _p(value: float, top: float = 0.9999) -> float:
    return round(min(max(float(value), 0.0001), top), 6)


def mastery_section(fit: Fit | LogisticFit, *, note: str, prior: float = 0.2) -> str:
    """The program's ``mastery:`` section (YAML) for a fitted model."""
    model = "bkt" if isinstance(fit, Fit) else "logistic"
    lines = [
        "mastery:",
        f"  model: {model}",
        f"  prior: {prior}",
        f"  fitted: {_quote(note)}",
    ]
    if isinstance(fit, Fit):
        lines.append("  bkt:")
        for kp, p in sorted(fit.params.items()):
            lines.append(
                f"    {kp}: {{prior: {p.prior}, learn: {p.learn}, guess: {p.guess}, "
                f"slip: {p.slip}, forget: {p.forget}}}"
            )
    else:
        lines.extend(_logistic_lines(fit.params))
    return "\n".join(lines) + "\n"


_SHARED = (
    "bias",
    "successes",
    "failures",
    "ability",
    "point_ability",
    "recent_successes",
    "recent_failures",
    "point_recent_successes",
    "point_recent_failures",
    "recent_residual",
    "point_recent_residual",
)
_PER_POINT = ("rate", "intercept", "successes", "failures", "ability")


def _logistic_lines(params: LogisticParams) -> list[str]:
    lines = [
        "  logistic:",
        f"    shrink: {_num(params.shrink)}",
        f"    decay: {_num(params.decay)}",
        "    weights:",
    ]
    lines += [f"      {name}: {_num(getattr(params, name))}" for name in _SHARED]
    lines.append("    points:")
    for kp, point in params.points:
        values = ", ".join(f"{n}: {_num(getattr(point, n))}" for n in _PER_POINT)
        lines.append(f"      {kp}: {{{values}}}")
    return lines


def _num(value: float) -> str:
    """A float with 9 decimals, without an exponent (YAML 1.1 needs a dot)."""
    text = f"{value:.9f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_BLOCK_END = re.compile(r"^\S")  # the next unindented line: a key or a comment


def with_mastery(source: str, section: str) -> str:
    """``source`` with its top-level ``mastery:`` block replaced by ``section``.

    The rest of the file, comments included, is kept as written; without a
    ``mastery:`` block the section is appended.
    """
    lines = source.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.startswith("mastery:")), None)
    if start is None:
        text = source if source.endswith("\n") or not source else source + "\n"
        return text + section
    end = next(
        (j for j in range(start + 1, len(lines)) if _BLOCK_END.match(lines[j])),
        len(lines),
    )
    return "".join(lines[:start]) + section + "".join(lines[end:])
