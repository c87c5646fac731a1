"""The simulator on a school with a mock test and level-locked classes.

The planner's plans are checked for teachability as they are made, and
simulated learners sit the test (scored like homework) and level up.
"""

from __future__ import annotations

from levelwise.app.simulate.report import audit_of, teachability_line
from levelwise.app.simulate.simulator import calibrate, simulate
from levelwise.app.simulate.teachable import KINDS
from tests.unit.test_plan_teachable import teachable_school


def test_simulated_plans_are_checked_and_teachable() -> None:
    calibration = calibrate(None, teachable_school(), 3)
    sim = simulate(
        calibration,
        learners=6,
        weeks=12,
        weekly_minutes=120,
        seed=4,
        levels=2,
        policies=("planner", "random"),
    )
    audit = audit_of(sim)
    assert audit is not None and audit.plans >= 6
    assert dict(audit.violations) == dict.fromkeys(KINDS, 0)
    assert audit.seconds > 0
    assert audit_of(sim, "random") is None  # random makes no plans
    assert f"{audit.plans} plans: 0 with a violation" in teachability_line(sim)
    # Learners pass the mock test and level up under the planner.
    reached = [r.reached[0] for r in sim.runs["planner"]]
    assert sum(r is not None for r in reached) >= 4
