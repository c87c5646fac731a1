"""The simulator's report: medians with bootstrap intervals, a table and a plot.

Per policy and level-up the figure is the median, over learners, of the
weeks that level-up took: ``reach[k] - reach[k - 1]``, the weeks from the
previous level-up (from the start for the first one). "all" is the weeks per
level-up: each learner's weeks to the last followed level-up divided by the
number of level-ups (their mean cycle, so a learner's slow and quick levels
weigh as they took). Learners who miss a level-up within the cap count as
reaching it at the cap: its gap is then the weeks from the previous level-up
to the cap, and, when the previous level-up was missed as well, the cap
itself (the learner ranks among the slowest rather than at zero weeks). Such
figures are censored; the medians stay meaningful while fewer than half of
the learners are.
Intervals are 95 % percentile bootstraps over learners (resampled with a
seeded numpy generator); a policy's reduction against the fixed syllabus,
``1 - median(policy) / median(fixed)``, resamples the same learners for both
(a paired bootstrap).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
import numpy.typing as npt

from levelwise.app.simulate.simulator import LearnerRun, Simulation
from levelwise.app.simulate.teachable import Audit

FloatArray = npt.NDArray[np.float64]
BASELINE = "fixed"
GOAL = 0.375
"""The reduction claimed for better technology: from about 8 to about 5 weeks."""


@dataclass(frozen=True)
class Figure:
    """A median and its 95 % bootstrap interval.

    Attributes:
        policy: The policy.
        level: The level-up (``"all"``: the mean cycle to the last one).
        median: Median weeks.
        low: Lower end of the interval.
        high: Upper end of the interval.
        censored: Learners counted at the cap.
        learners: Learners.
    """

    policy: str
    level: str
    median: float
    low: float
    high: float
    censored: int
    learners: int


@dataclass(frozen=True)
class Reduction:
    """A policy's reduction of the median cycle against the fixed syllabus.

    Attributes:
        policy: The policy.
        level: As in :class:`Figure`.
        value: ``1 - median(policy) / median(fixed)``.
        low: Lower end of the paired 95 % interval.
        high: Upper end.
    """

    policy: str
    level: str
    value: float
    low: float
    high: float


@dataclass(frozen=True)
class Summary:
    """The figures and reductions of one simulation.

    Attributes:
        figures: Per policy and level-up.
        reductions: Per policy other than the fixed syllabus, and level-up.
        levels: Labels of the level-ups, then ``"all"``.
    """

    figures: tuple[Figure, ...]
    reductions: tuple[Reduction, ...]
    levels: tuple[str, ...]

    def figure(self, policy: str, level: str) -> Figure:
        """The figure of ``policy`` at ``level``."""
        return next(f for f in self.figures if (f.policy, f.level) == (policy, level))

    def reduction(self, policy: str, level: str = "all") -> Reduction | None:
        """The reduction of ``policy`` at ``level``, if any."""
        found = [r for r in self.reductions if (r.policy, r.level) == (policy, level)]
        return found[0] if found else None


def bootstrap_median(
    values: FloatArray, rng: np.random.Generator, resamples: int = 2000
) -> tuple[float, float, float]:
    """The median of ``values`` and its 95 % percentile bootstrap interval."""
    idx = rng.integers(0, len(values), size=(resamples, len(values)))
    medians = np.median(values[idx], axis=1)
    low, high = np.percentile(medians, [2.5, 97.5])
    return float(np.median(values)), float(low), float(high)


def paired_reduction(
    policy: FloatArray,
    base: FloatArray,
    rng: np.random.Generator,
    resamples: int = 2000,
) -> tuple[float, float, float]:
    """``1 - median(policy) / median(base)`` with a paired 95 % interval."""
    idx = rng.integers(0, len(base), size=(resamples, len(base)))
    ratio = np.median(policy[idx], axis=1) / np.median(base[idx], axis=1)
    low, high = np.percentile(1.0 - ratio, [2.5, 97.5])
    return 1.0 - float(np.median(policy) / np.median(base)), float(low), float(high)


def weeks_to(run: LearnerRun, cap: int) -> list[float]:
    """Weeks from the start to each followed level-up; censored ones at ``cap``."""
    return [cap if w is None else min(w, float(cap)) for w in run.reached]


def censored(runs: Sequence[LearnerRun]) -> int:
    """How many runs miss at least one followed level-up."""
    return sum(any(w is None for w in r.reached) for r in runs)


def gaps_of(run: LearnerRun, cap: int) -> list[float]:
    """Weeks each followed level-up took (module notes on censored ones)."""
    gaps = []
    previous: float | None = 0.0
    for w in run.reached:
        if previous is None:
            gaps.append(float(cap))
        else:
            gaps.append((cap if w is None else min(w, float(cap))) - previous)
        previous = w
    return gaps


def cycles(sim: Simulation) -> dict[str, dict[str, FloatArray]]:
    """Per policy and level-up label, each learner's weeks (learner order)."""
    ladder = [lvl.id for lvl in sim.calibration.program.levels]
    out: dict[str, dict[str, FloatArray]] = {}
    for policy, runs in sim.runs.items():
        shape = (len(runs), sim.levels)
        gaps = np.array([gaps_of(r, sim.weeks) for r in runs], dtype=np.float64)
        reach = np.array([weeks_to(r, sim.weeks) for r in runs], dtype=np.float64)
        gaps, reach = gaps.reshape(shape), reach.reshape(shape)
        per = {ladder[j + 1]: gaps[:, j] for j in range(sim.levels)}
        per["all"] = reach[:, -1] / sim.levels
        out[policy] = per
    return out


def summarize(sim: Simulation, *, resamples: int = 2000) -> Summary:
    """Medians, intervals and reductions (module notes), seeded by ``sim.seed``."""
    data = cycles(sim)
    labels = tuple(next(iter(data.values())).keys()) if data else ()
    figures: list[Figure] = []
    reductions: list[Reduction] = []
    for policy, per in data.items():
        runs = sim.runs[policy]
        for k, level in enumerate(labels):
            rng = np.random.default_rng([sim.seed, 9, k])
            median, low, high = bootstrap_median(per[level], rng, resamples)
            cut = _censored_at(runs, level, labels)
            figures.append(Figure(policy, level, median, low, high, cut, len(runs)))
            if policy != BASELINE and BASELINE in data:
                rng = np.random.default_rng([sim.seed, 10, k])
                value, low, high = paired_reduction(
                    per[level], data[BASELINE][level], rng, resamples
                )
                reductions.append(Reduction(policy, level, value, low, high))
    return Summary(tuple(figures), tuple(reductions), labels)


def _censored_at(runs: Any, level: str, labels: tuple[str, ...]) -> int:
    if level == "all":
        return censored(runs)
    j = labels.index(level)
    return sum(r.reached[j] is None for r in runs)


def verdict(summary: Summary, policy: str = "planner") -> str:
    """Whether the simulation supports the goal, in one sentence."""
    red = summary.reduction(policy)
    if red is None:
        return "no fixed-syllabus baseline to compare with"
    shown = (
        f"{100 * red.value:.1f} % "
        f"(95 % CI {100 * red.low:.1f} to {100 * red.high:.1f} %)"
    )
    if red.low > 0 and red.value >= GOAL:
        return f"supported: the {policy} cuts the median cycle by {shown}"
    if red.low > 0:
        return (
            f"not supported: the {policy} cuts the median cycle by {shown}, "
            f"short of the {100 * GOAL:.1f} % goal"
        )
    return (
        f"not supported: the {policy} changes the median cycle by {shown}; "
        "the interval does not exclude zero gain"
    )


def planner_line(summary: Summary) -> str:
    """What the planner did for its learners against the fixed syllabus, in words.

    The sentence ``levelwise simulate`` prints and ``table.md`` ends with:
    the reduction of the median weeks per level-up, with its interval.
    """
    red = summary.reduction("planner")
    if red is None:
        return "No fixed-syllabus learners to compare the planner with."
    ci = f"95 % CI {100 * red.low:.1f} to {100 * red.high:.1f} %"
    if round(100 * red.value, 1) == 0:
        return (
            "With the planner, learners levelled up as fast as with the fixed "
            f"syllabus (median weeks per level-up; {ci})."
        )
    faster = "faster" if red.value > 0 else "slower"
    return (
        f"With the planner, learners levelled up {abs(100 * red.value):.1f} % "
        f"{faster} than with the fixed syllabus (median weeks per level-up; {ci})."
    )


def reduction_text(summary: Summary, policy: str, level: str) -> str:
    """A policy's reduction against the fixed syllabus with its CI, or ``-``."""
    red = summary.reduction(policy, level)
    if not red:
        return "-"
    return f"{100 * red.value:.1f} % [{100 * red.low:.1f}, {100 * red.high:.1f}]"


def markdown(sim: Simulation, summary: Summary) -> str:
    """The figures as a Markdown table, with the run's settings and its result.

    The result is the sentence ``levelwise simulate`` prints
    (:func:`planner_line`), not the project's internal goal.
    """
    lines = [
        f"Simulated learners: {len(sim.learners)}, {sim.weekly_minutes:g} min/week "
        f"(nominal), cap {sim.weeks} weeks, first {sim.levels} level-up(s), "
        f"seed {sim.seed}; planner re-plans every {sim.replan_every} unit(s).",
        f"Calibration: {sim.calibration.source}.",
        "",
        "| policy | level-up | median weeks | 95 % CI | censored "
        "| reduction vs fixed |",
        "|---|---|---:|---|---:|---|",
    ]
    for f in summary.figures:
        shown = reduction_text(summary, f.policy, f.level)
        lines.append(
            f"| {f.policy} | {f.level} | {f.median:.2f} | "
            f"[{f.low:.2f}, {f.high:.2f}] | {f.censored}/{f.learners} | {shown} |"
        )
    lines += ["", planner_line(summary), "", teachability_line(sim, timed=False), ""]
    return "\n".join(lines)


def audit_of(sim: Simulation, policy: str = "planner") -> Audit | None:
    """The teachability audit of all plans ``policy`` made (None: it made none)."""
    found = [r.audit for r in sim.runs.get(policy, ()) if r.audit is not None]
    if not found:
        return None
    total = Audit()
    for audit in found:
        total = total.merged(audit)
    return total


def teachability_line(sim: Simulation, *, timed: bool = True) -> str:
    """The teachability check of the planner's plans (and their time), in words.

    ``table.md`` leaves the time out (``timed=False``), so that a second run
    writes the same table.
    """
    audit = audit_of(sim)
    if audit is None or not audit.plans:
        return "No plans to check for teachability."
    counts = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in audit.violations)
    line = (
        f"Teachability of the planner's {audit.plans} plans: {audit.flagged} with a "
        f"violation ({counts})"
    )
    if not timed:
        return line + "."
    mean = 1000 * audit.seconds / audit.plans
    return (
        f"{line}; {mean:.1f} ms a plan on average "
        f"({audit.seconds:.1f} s of planning in all)."
    )


_PATTERNS = {
    "fixed": ("white", "url(#hatch)"),
    "planner": ("#bbbbbb", "#bbbbbb"),
    "random": ("white", "url(#dots)"),
}


def svg(summary: Summary, title: str) -> str:
    """Bars of the medians with CI whiskers, by level-up; patterns tell policies."""
    policies = list(dict.fromkeys(f.policy for f in summary.figures))
    groups = list(summary.levels)
    top = max((f.high for f in summary.figures), default=1.0) * 1.15 or 1.0
    width, height, left, bottom, plot_h = 720, 420, 70, 360, 290
    group_w = (width - left - 20) / max(len(groups), 1)
    bar_w = group_w * 0.8 / max(len(policies), 1)

    def y(v: float) -> float:
        return bottom - plot_h * v / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        "<defs>",
        '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" '
        'stroke="#333" stroke-width="2"/></pattern>',
        '<pattern id="dots" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<circle cx="3" cy="3" r="1.3" fill="#333"/></pattern>',
        "</defs>",
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">'
        f"{escape(title)}</text>",
        f'<line x1="{left}" y1="{bottom}" x2="{width - 20}" y2="{bottom}" '
        'stroke="#000"/>',
        f'<line x1="{left}" y1="{bottom}" x2="{left}" y2="{bottom - plot_h}" '
        'stroke="#000"/>',
        f'<text x="16" y="{bottom - plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {bottom - plot_h / 2})">median weeks per '
        "level-up (95 % CI)</text>",
    ]
    for tick in np.linspace(0, top, 6):
        parts.append(
            f'<line x1="{left - 4}" y1="{y(tick):.1f}" x2="{left}" y2="{y(tick):.1f}" '
            f'stroke="#000"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{tick:.1f}</text>'
        )
    for g, level in enumerate(groups):
        x0 = left + g * group_w + group_w * 0.1
        label = "mean cycle" if level == "all" else f"to {level}"
        parts.append(
            f'<text x="{x0 + group_w * 0.4:.1f}" y="{bottom + 34}" '
            f'text-anchor="middle" font-weight="bold">{escape(label)}</text>'
        )
        for p, policy in enumerate(policies):
            f = summary.figure(policy, level)
            x = x0 + p * bar_w
            fill, pattern = _PATTERNS.get(policy, ("#999999", "#999999"))
            top_y = y(f.median)
            parts += [
                f'<rect x="{x:.1f}" y="{top_y:.1f}" width="{bar_w * 0.9:.1f}" '
                f'height="{bottom - top_y:.1f}" fill="{fill}" stroke="#000"/>',
                f'<rect x="{x:.1f}" y="{top_y:.1f}" width="{bar_w * 0.9:.1f}" '
                f'height="{bottom - top_y:.1f}" fill="{pattern}" stroke="#000"/>',
                f'<line x1="{x + bar_w * 0.45:.1f}" y1="{y(f.low):.1f}" '
                f'x2="{x + bar_w * 0.45:.1f}" y2="{y(f.high):.1f}" stroke="#000" '
                'stroke-width="1.5"/>',
                f'<line x1="{x + bar_w * 0.3:.1f}" y1="{y(f.low):.1f}" '
                f'x2="{x + bar_w * 0.6:.1f}" y2="{y(f.low):.1f}" stroke="#000"/>',
                f'<line x1="{x + bar_w * 0.3:.1f}" y1="{y(f.high):.1f}" '
                f'x2="{x + bar_w * 0.6:.1f}" y2="{y(f.high):.1f}" stroke="#000"/>',
                f'<text x="{x + bar_w * 0.45:.1f}" y="{y(f.high) - 5:.1f}" '
                f'text-anchor="middle">{f.median:.1f}</text>',
                f'<text x="{x + bar_w * 0.45:.1f}" y="{bottom + 15}" '
                f'text-anchor="middle">{escape(policy)}</text>',
            ]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def as_json(sim: Simulation, summary: Summary) -> dict[str, Any]:
    """Settings, calibration, figures and every learner's level-up weeks."""
    return {
        "settings": {
            "learners": len(sim.learners),
            "weeks": sim.weeks,
            "weekly_minutes": sim.weekly_minutes,
            "levels": sim.levels,
            "seed": sim.seed,
            "replan_every": sim.replan_every,
            "seconds": sim.seconds,
        },
        "calibration": {
            "source": sim.calibration.source,
            "skills": sim.calibration.skills,
            "params": {
                kp: {
                    "prior": p.prior,
                    "learn": p.learn,
                    "guess": p.guess,
                    "slip": p.slip,
                }
                for kp, p in sim.calibration.params
            },
        },
        "figures": [f.__dict__ for f in summary.figures],
        "reductions": [r.__dict__ for r in summary.reductions],
        "verdict": verdict(summary),
        "teachability": _audit_json(audit_of(sim)),
        "learners": [
            {
                "learner": person.index,
                "multiplier": round(person.multiplier, 6),
                "weekly_minutes": round(person.weekly_minutes, 3),
                "sessions": person.sessions,
                "reached": {
                    p: list(runs[person.index].reached) for p, runs in sim.runs.items()
                },
                "units": {p: runs[person.index].units for p, runs in sim.runs.items()},
            }
            for person in sim.learners
        ],
    }


def _audit_json(audit: Audit | None) -> dict[str, Any] | None:
    if audit is None:
        return None
    return {
        "plans": audit.plans,
        "flagged": audit.flagged,
        "violations": dict(audit.violations),
        "planning_seconds": round(audit.seconds, 3),
        "ms_per_plan": round(1000 * audit.seconds / max(audit.plans, 1), 3),
    }
