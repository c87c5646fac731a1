"""The plan's draft of a learner: expected gains of studying units, per model.

The planner asks the learner model, not a constant, how much a study moves a
point: with BKT the fitted learn (and forget) rate of that point applied to
the learner's current P(known); with the logistic model its own update, fed
the expected score (a mean-field step: ``p`` successes and ``1 - p``
failures). The running estimate is a measurement without a learning model, so
plans built on it assume the BKT model's parameters for points without fitted
ones (the same fallback the BKT model uses) until the school fits its own
(``levelwise fit --model bkt``).

Practice metrics stay as they are in the draft (study minutes do not predict
them); the draft counts the practice sessions it plans instead, which meet
the requirements on them (:mod:`levelwise.app.guidance.speaking`).

A test is not assumed passed: its expected score is the mean chance of a
correct answer over its questions, and :meth:`Draft.pass_chance` the chance
that the score reaches its pass mark (the number of correct answers is a sum
of independent draws, one per question, at the draft's chances). The draft
counts a planned test as passed (``passed``) only when that chance is at least
:data:`PASS_CHANCE`; the plan shows the chance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from levelwise.app.guidance.speaking import SESSIONS, speaking_units
from levelwise.app.guidance.study import (
    DAY_MINUTES,
    StudyYield,
    XpProfile,
    sitting_items,
    xp_profile,
    yield_of,
)
from levelwise.domain.fold import default_model, prior_for
from levelwise.domain.gates import (
    PRACTICE_VARIABLES,
    STATE_VARIABLES,
    passed_units,
    practice_metric,
)
from levelwise.domain.mastery import LogisticMastery, MasteryModel, dimension_abilities
from levelwise.domain.program import BktParams, Program, Unit
from levelwise.domain.state import KpMastery, LearnerState, as_changes, evolve

PASS_CHANCE = 0.7
"""The least chance to pass at which a plan takes a test (and counts it passed)."""
LAST_PASS_CHANCE = 0.9
"""The least chance to pass at which a plan takes a test's last allowed sitting
(a failed last sitting cannot be made good)."""


def chance_at_least(chances: Iterable[float], needed: int) -> float:
    """The chance that at least ``needed`` of independent draws succeed.

    Args:
        chances: Each draw's chance of success.
        needed: Successes needed.

    Examples:
        >>> round(chance_at_least([0.5, 0.5], 1), 2)
        0.75
    """
    dist = [1.0]
    for p in chances:
        nxt = [0.0] * (len(dist) + 1)
        for k, q in enumerate(dist):
            nxt[k] += q * (1.0 - p)
            nxt[k + 1] += q * p
        dist = nxt
    return min(1.0, max(0.0, sum(dist[max(needed, 0) :])))


class Gains:
    """Expected mastery after answers, for one learner and program.

    Args:
        program: Gives the mastery settings (fitted parameters).
        model: The fold's mastery model for the program.
        model_state: The learner's learner-level model numbers.
    """

    def __init__(
        self, program: Program, model: MasteryModel, model_state: tuple[float, ...]
    ) -> None:
        """Pick the gain model the program's mastery settings imply."""
        settings = program.mastery
        # A point-only copy of the logistic model: its update re-estimates
        # just the points it is given, not the whole program.
        self.logistic = (
            LogisticMastery(settings) if isinstance(model, LogisticMastery) else None
        )
        self.learner = model_state
        self.bkt = dict(settings.bkt)
        self.fallback = BktParams(settings.prior, 0.1, 0.2, 0.1)
        if self.logistic is not None:
            self.source = "logistic model (expected-score update)"
        elif settings.model == "bkt" and self.bkt:
            self.source = "fitted BKT learn rates"
        else:
            self.source = "BKT defaults (learn 0.1, guess 0.2, slip 0.1): not fitted"

    def p_correct(self, kp: str, value: float) -> float:
        """The chance of a correct answer on ``kp`` at mastery ``value``."""
        if self.logistic is not None:
            return value
        p = self.bkt.get(kp, self.fallback)
        return value * (1.0 - p.slip) + (1.0 - value) * p.guess

    def after(self, kp: str, current: KpMastery, answers: float) -> KpMastery:
        """Expected estimate of ``kp`` after ``answers`` more answers on it.

        Args:
            kp: The knowledge point.
            current: Its estimate now (its ``params`` carry the model's numbers).
            answers: How many answers (a homework counts as one).
        """
        if answers <= 0:
            return current
        if self.logistic is not None:
            return self._logistic(kp, current, answers)
        p = self.bkt.get(kp, self.fallback)
        value = current.value
        # E[posterior] = prior, so only the learning transition moves the
        # expected P(known): p <- p (1 - forget) + (1 - p) learn.
        for _ in range(round(answers)):
            value = value * (1.0 - p.forget) + (1.0 - value) * p.learn
        return KpMastery(value, current.sd, current.attempts + round(answers))

    def _logistic(self, kp: str, current: KpMastery, answers: float) -> KpMastery:
        assert self.logistic is not None  # noqa: S101 - narrowed by the caller
        model = self.logistic
        mastery: Mapping[str, KpMastery] = {kp: current}
        state = self.learner
        point = current
        for _ in range(round(answers)):
            score = point.value
            state, changed = model.observe(state, mastery, kp, score, None)
            point = changed[kp]
            mastery = {kp: point}
        return point


class Draft:
    """The learner's numbers as the plan goes: counters, mastery, abilities."""

    def __init__(
        self, program: Program, state: LearnerState, model: MasteryModel
    ) -> None:
        """Start from the learner's state; points without evidence at their prior."""
        self.program = program
        self.state = state
        self.gains = Gains(program, model, state.model_state)
        prior = prior_for(state, model)
        self.mastery: dict[str, KpMastery] = {}
        for kp in program.knowledge_points:
            m = state.mastery.get(kp.id)
            if m is None:
                m = KpMastery(prior(kp.id), 0.0, 0)
            self.mastery[kp.id] = m
        self.placed = frozenset(dict(state.placement.priors)) if state.placement else ()
        self.ready = program.planning.ready_mastery
        self.abilities = {d: v[0] for d, v in state.abilities.items()}
        self.repeats = dict(state.repeats)
        self.speakers = speaking_units(program)
        self.sessions = 0
        self.scores = {u: best for u, (best, _) in state.unit_scores.items()}
        self.passed = set(passed_units(state, program))
        # XP profiles depend on the program, the unit and its repeats only:
        # they are kept with the compiled program, for every plan.
        profiles = program.memo.setdefault("plan.xp_profiles", {})
        self._profiles: dict[tuple[str, tuple[int, ...]], XpProfile] = profiles  # type: ignore[assignment]
        self._yields: dict[str, StudyYield] = {}

    def learned(self, kp: str) -> bool:
        """Whether ``kp`` is in the learner's knowledge state.

        Its mastery reaches ``planning.ready_mastery`` and rests on evidence:
        answers on it (real or planned), or a placement test. A prior alone
        does not count, so a new learner starts at the roots of the graph.
        """
        m = self.mastery[kp]
        return m.value >= self.ready and (m.attempts > 0 or kp in self.placed)

    def value(self, name: str) -> object:
        """The gate variable ``name`` in the draft."""
        if name.startswith("dimension."):
            return self.abilities.get(name[10:], 0.0)
        if name.startswith("ready."):  # mastery once it rests on evidence, else 0
            kp = name[6:]
            point = self.mastery[kp]
            return point.value if point.attempts > 0 or kp in self.placed else 0.0
        if name.startswith("mastery."):
            m = self.mastery.get(name[8:])
            return m.value if m is not None else 0.0
        if name == SESSIONS:
            return self.sessions
        if name == "passed":
            return frozenset(self.passed)
        if name.startswith("unit_score."):
            return self.scores.get(name[11:])
        if name in PRACTICE_VARIABLES:
            return practice_metric(self.state, name)
        return STATE_VARIABLES[name][1](self.state)

    def p(self, kp: str) -> float:
        """The chance of a correct answer on ``kp`` in the draft."""
        return self.gains.p_correct(kp, self.mastery[kp].value)

    def test_chances(self, unit: Unit) -> list[float]:
        """The chance of a correct answer on each question of test ``unit``."""
        kps = unit.knowledge_points
        if not kps:
            return []
        return [self.p(kps[i % len(kps)]) for i in range(sitting_items(unit))]

    def pass_chance(self, unit: Unit) -> float:
        """The chance that a study of test ``unit`` now reaches its pass mark.

        1 for a unit without a pass mark; 0 for a test without questions.
        """
        if unit.pass_mark is None:
            return 1.0
        chances = self.test_chances(unit)
        if not chances:
            return 0.0
        needed = math.ceil(unit.pass_mark * len(chances) - 1e-9)
        return chance_at_least(chances, needed)

    def yield_of(self, unit: Unit) -> StudyYield:
        """What one study of ``unit`` gives (cached)."""
        got = self._yields.get(unit.id)
        if got is None:
            got = self._yields[unit.id] = yield_of(unit)
        return got

    def effect(self, unit: Unit) -> tuple[dict[str, object], dict[str, object]]:
        """The state changes and the gate variables one study of ``unit`` sets."""
        got = self.yield_of(unit)
        s = self.state
        counts: dict[str, float] = {}
        for kp in got.answers:
            counts[kp] = counts.get(kp, 0) + 1
        mastery = {
            kp: self.gains.after(kp, self.mastery[kp], n) for kp, n in counts.items()
        }
        abilities: dict[str, float] = {}
        for kp, after in mastery.items():
            delta = after.value - self.mastery[kp].value
            for dim, weight in self.program.kp_by_id[kp].dimensions:
                total = self.program.dimension_totals[dim]
                base = abilities.get(dim, self.abilities.get(dim, 0.0))
                abilities[dim] = base + weight * delta / total
        key = tuple(
            self.repeats.get(f"{r.id}|{unit.id}", 0) for r in self.program.xp_rules
        )
        profile = self._profiles.get((unit.id, key))
        if profile is None:
            profile = xp_profile(self.program, unit, self.repeats)
            self._profiles[(unit.id, key)] = profile
        kps = unit.knowledge_points
        chances = {k: self.p(k) for k in kps}
        chance = sum(chances.values()) / len(kps) if kps else 0.0
        scored = got.live_seconds or got.homework or got.test
        questions = 0 if scored else len(got.answers)
        correct = sum(n * chances[k] for k, n in counts.items()) if questions else 0.0
        changes: dict[str, object] = {
            "xp": s.xp + profile.expected(chances.__getitem__),
            "watch_seconds": s.watch_seconds + got.watch_seconds,
            "live_seconds": s.live_seconds + got.live_seconds,
            "practice_seconds": s.practice_seconds + got.practice_seconds,
            "live_interactions": s.live_interactions + len(got.interactions),
            "questions_answered": s.questions_answered + questions,
            "questions_correct": s.questions_correct + correct,
            "units_completed": s.units_completed | {unit.id},
            "active_days": s.active_days + unit.minutes / DAY_MINUTES,
        }
        if got.homework:
            changes["homework_submitted"] = s.homework_submitted + 1
            changes["homework_score_sum"] = s.homework_score_sum + chance
        env: dict[str, object] = {f"mastery.{k}": m.value for k, m in mastery.items()}
        env.update({f"ready.{k}": m.value for k, m in mastery.items()})
        env.update({f"dimension.{d}": v for d, v in abilities.items()})
        if unit.id in self.speakers:
            env[SESSIONS] = self.sessions + 1
        if got.test:
            tests = self.test_chances(unit)
            expected = sum(tests) / len(tests) if tests else 0.0
            env[f"unit_score.{unit.id}"] = max(expected, self.scores.get(unit.id, 0.0))
            if self.pass_chance(unit) >= PASS_CHANCE:
                env["passed"] = frozenset(self.passed | {unit.id})
        changes["_mastery"] = mastery
        changes["_abilities"] = abilities
        return changes, env

    def to_state(self, model: MasteryModel) -> LearnerState:
        """The draft as a learner state, abilities computed afresh."""
        mastery = MappingProxyType(dict(self.mastery))
        abilities = dimension_abilities(self.program, mastery, model)
        return evolve(
            self.state,
            {
                "mastery": mastery,
                "abilities": MappingProxyType(abilities),
                "repeats": MappingProxyType(dict(self.repeats)),
            },
        )

    def apply(self, unit: Unit, changes: dict[str, object]) -> None:
        """Study ``unit``: take the ``changes`` :meth:`effect` computed."""
        if unit.kind == "test":  # before the mastery moves: the chances of now
            tests = self.test_chances(unit)
            expected = sum(tests) / len(tests) if tests else 0.0
            self.scores[unit.id] = max(expected, self.scores.get(unit.id, 0.0))
            if self.pass_chance(unit) >= PASS_CHANCE:
                self.passed.add(unit.id)
        mastery = changes.pop("_mastery")
        abilities = changes.pop("_abilities")
        assert isinstance(mastery, dict) and isinstance(abilities, dict)  # noqa: S101
        self.mastery.update(mastery)
        self.abilities.update(abilities)
        self.state = evolve(self.state, as_changes(changes))
        if unit.id in self.speakers:
            self.sessions += 1
        for rule in self.program.xp_rules:
            if rule.repeat_decay != 1.0:
                key = f"{rule.id}|{unit.id}"
                self.repeats[key] = self.repeats.get(key, 0) + 1


def expected_state(
    program: Program,
    state: LearnerState,
    units: Iterable[str],
    model: MasteryModel | None = None,
) -> LearnerState:
    """The learner's expected state after studying ``units`` in order.

    The same expectation a plan is built on (see the module notes); the
    abilities are recomputed from the expected mastery, so gates read it as
    they read a folded state.
    """
    model = model or default_model(program)
    draft = Draft(program, state, model)
    for uid in units:
        unit = program.unit_by_id[uid]
        changes, _ = draft.effect(unit)
        draft.apply(unit, changes)
    return draft.to_state(model)
