"""Fit mastery parameters from a school's answers; a refit is a new program version."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from levelwise.domain.events import Event, QuestionAnswered
from levelwise.domain.program import BktParams

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


def answers_from_events(events: Iterable[Event]) -> list[Answer]:
    """The scored answers among ``events``, grouped by learner in time order."""
    scored = [e for e in events if isinstance(e, QuestionAnswered)]
    scored.sort(key=lambda e: (e.learner, e.sort_key))
    return [(e.learner, e.knowledge_point, e.correct) for e in scored]


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
    from levelwise.learners.base import Responses
    from levelwise.learners.bkt import BKT

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
        for kp, i in index.items()
        if i in seen
    }
    return Fit(params, len(rows), len(learners), len(answers) - len(rows))


def _p(value: float, top: float = 0.9999) -> float:
    return round(min(max(float(value), 0.0001), top), 6)


def mastery_section(fit: Fit, *, note: str, prior: float = 0.2) -> str:
    """The program's ``mastery:`` section (YAML) for fitted BKT parameters."""
    lines = [
        "mastery:",
        "  model: bkt",
        f"  prior: {prior}",
        f"  fitted: {_quote(note)}",
        "  bkt:",
    ]
    for kp, p in sorted(fit.params.items()):
        lines.append(
            f"    {kp}: {{prior: {p.prior}, learn: {p.learn}, guess: {p.guess}, "
            f"slip: {p.slip}, forget: {p.forget}}}"
        )
    return "\n".join(lines) + "\n"


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
