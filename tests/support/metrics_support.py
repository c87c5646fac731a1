"""A small school for the metrics tests, with every figure worked out by hand.

SMALL_PROGRAM's live class ``u3`` lasts 30 minutes, so 1,440 attended seconds
(80 %) complete it. Week of 2026-01-05 (a Monday) onwards:

- ana: enrolled 2026-01-05 (cohort 2026-01), class red; attends u3 for
  1,000 s on 01-06 and 500 s on 01-07 (completed), 2 interactions; reaches a1
  on 01-09 (0.57 weeks after enrolling); renews 03-05.
- bo: enrolled 2025-12-01, class blue; attends u3 600 s on 01-12 (not
  completed), 1 interaction; watches a lesson on 03-09.
- cy: enrolled 2025-12-10, class red; attends u3 100 s on 01-13 and the
  platform completes u3 on 01-14 (completed); renews 01-20.
- dee: no enrolment, no class; watches a lesson on 01-20.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.metrics import InMemoryMetricStore
from levelwise.adapters.sql.event_log import SqlEventLog
from levelwise.adapters.sql.metrics import SqlMetricStore
from levelwise.app.engine import Levelwise
from levelwise.app.links import PageLinks
from levelwise.app.metrics.ports import MetricStore
from levelwise.app.ports import EventLog
from tests.conftest import FixedClock
from tests.support.factories import SMALL_PROGRAM, event, homework, watched


def at(day: str, hour: int = 9) -> datetime:
    """A UTC moment on ``day`` (``MM-DD`` in 2026, or a full ISO date)."""
    full = day if len(day) > 5 else f"2026-{day}"
    return datetime.fromisoformat(f"{full}T{hour:02d}:00:00+00:00").astimezone(UTC)


def live(learner: str, day: str, seconds: float, **kw: Any) -> dict[str, Any]:
    """A ``live.attended`` event in ``u3``."""
    return event(
        "live.attended", learner=learner, at=at(day), unit="u3", seconds=seconds, **kw
    )


def interaction(learner: str, day: str) -> dict[str, Any]:
    """A ``live.interaction`` (mic) in ``u3``."""
    return event(
        "live.interaction", learner=learner, at=at(day, 10), unit="u3", kind="mic"
    )


def scenario() -> list[dict[str, Any]]:
    """The school's events (see the module docstring), in time order."""
    return [
        event("enrolment.started", learner="bo", at=at("2025-12-01")),
        event("profile.updated", learner="bo", at=at("2025-12-01"), cohort="blue"),
        event("enrolment.started", learner="cy", at=at("2025-12-10")),
        event("profile.updated", learner="cy", at=at("2025-12-10"), cohort="red"),
        event("enrolment.started", learner="ana", at=at("01-05")),
        event("profile.updated", learner="ana", at=at("01-05"), cohort="red"),
        live("ana", "01-06", 1000),
        live("ana", "01-07", 500),
        interaction("ana", "01-07"),
        interaction("ana", "01-07"),
        event("unit.completed", learner="ana", at=at("01-08"), unit="u1"),
        homework(10, learner="ana", at=at("01-08", 11)),
        homework(10, learner="ana", at=at("01-09")),
        live("bo", "01-12", 600),
        interaction("bo", "01-12"),
        live("cy", "01-13", 100),
        event("unit.completed", learner="cy", at=at("01-14"), unit="u3"),
        event("subscription.renewed", learner="cy", at=at("01-20")),
        watched(600, learner="dee", at=at("01-20")),
        event("subscription.renewed", learner="ana", at=at("03-05")),
        watched(600, learner="bo", at=at("03-09")),
    ]


def metrics_engine(
    log: EventLog, tenant: str, links: PageLinks | None = None
) -> Levelwise:
    """An engine over ``log`` with metrics beside it and SMALL_PROGRAM set."""
    store: MetricStore
    if isinstance(log, SqlEventLog):
        store = SqlMetricStore(log.engine)  # the log's database
    else:
        assert isinstance(log, InMemoryEventLog)
        store = InMemoryMetricStore(log)
    clock = FixedClock("2026-03-31T00:00:00+00:00")
    engine = Levelwise(log, clock, metrics=store, links=links)
    engine.put_program(tenant, SMALL_PROGRAM)
    return engine
