"""Placement tests: adaptive diagnostic sessions that place a new learner.

A session runs the program's ``placement`` item bank through the CAT engine
(``learners.cat``): one θ per dimension, content-balanced across dimensions,
randomesque selection seeded from the session id (deterministic per session),
and the tenant's exposure history for the exposure cap. The loop is
``start`` → ``next`` → ``answer`` → ``next`` … → ``finish``; every step is
stored, so a session survives a restart. ``finish`` records exposure, closes the
session and ingests a ``placement.completed`` event through the normal ingest
use case (its id is ``placement-<session>``, so finishing again is a no-op).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from levelwise.app.ports import Clock, EventLog, LogSession, StoredPlacement
from levelwise.app.views import IngestReport
from levelwise.domain.program import Placement, PlacementItem, Program
from levelwise.errors import CatError, PlacementError, PlacementNotFoundError
from levelwise.learners import cat

OPEN = "open"
FINISHED = "finished"
EVENT_TYPE = "placement.completed"


@dataclass(frozen=True)
class Ability:
    """A dimension's ability estimate.

    Attributes:
        dimension: The dimension's id.
        theta: The estimate (θ).
        se: Its standard error.
    """

    dimension: str
    theta: float
    se: float


@dataclass(frozen=True)
class PlacementStep:
    """Where a placement session stands.

    Attributes:
        session: The session id.
        learner: The learner taking the test.
        status: ``open`` or ``finished``.
        item: The item awaiting an answer, or None.
        answered: How many items were answered.
        abilities: The current estimate per dimension.
        stop: Why the test is over (``se``, ``max_items``, ``bank_exhausted``),
            or None while it goes on.
    """

    session: str
    learner: str
    status: str
    item: PlacementItem | None
    answered: int
    abilities: tuple[Ability, ...]
    stop: str | None


@dataclass(frozen=True)
class PlacementResult:
    """A finished placement.

    Attributes:
        session: The session id.
        learner: The learner.
        abilities: The final estimate per dimension.
        items: How many items were answered.
        level: The highest starting level whose every cut the estimate
            reaches, or None.
        finished_at: When the session finished (Clock time).
        event_id: The ``placement.completed`` event's id.
        event_status: What ingest did with it (``accepted``, ``duplicate``,
            ``rejected``, ...).
        event_reason: Why it was not accepted, if it was not.
    """

    session: str
    learner: str
    abilities: tuple[Ability, ...]
    items: int
    level: str | None
    finished_at: str
    event_id: str
    event_status: str
    event_reason: str


@dataclass(frozen=True, eq=False)
class _Test:
    placement: Placement
    dimensions: tuple[str, ...]
    bank: cat.ItemBank
    settings: cat.CatSettings
    index: dict[str, int]


@contextmanager
def _cat_errors() -> Iterator[None]:
    try:
        yield
    except CatError as exc:
        raise PlacementError(f"placement test error: {exc}") from exc


@lru_cache(maxsize=64)
def _build(placement: Placement, order: tuple[str, ...]) -> _Test:
    used = {i.dimension for i in placement.items}
    dims = tuple(d for d in order if d in used) + tuple(sorted(used - set(order)))
    slot = {d: k for k, d in enumerate(dims)}
    items = placement.items
    with _cat_errors():
        bank = cat.ItemBank.from_arrays(
            a=[i.a for i in items],
            b=[i.b for i in items],
            c=[i.c for i in items],
            dimension=[slot[i.dimension] for i in items],
            ids=tuple(i.id for i in items),
        )
    settings = cat.CatSettings(
        se_target=placement.se_target,
        max_items=placement.max_items,
        min_items=placement.min_items,
        max_exposure=placement.max_exposure,
        content_targets=(1 / len(dims),) * len(dims),
        multidimensional=True,
    )
    index = {i.id: k for k, i in enumerate(items)}
    return _Test(placement, dims, bank, settings, index)


def _test(program: Program) -> _Test:
    if program.placement is None or not program.placement.items:
        msg = "the school's program has no placement test"
        raise PlacementError(msg)
    return _build(program.placement, tuple(d.id for d in program.dimensions))


def _exposure(text: str | None, test: _Test) -> cat.Exposure:
    if text is None:
        return cat.Exposure.empty(test.bank)
    raw = json.loads(text)
    counts = [int(raw["counts"].get(i, 0)) for i in test.bank.ids]
    return cat.Exposure(np.asarray(counts, np.int64), int(raw["sessions"]))


def _exposure_json(old: str | None, exposure: cat.Exposure, test: _Test) -> str:
    # Counts of items no longer in the bank (older program versions) are kept.
    counts: dict[str, int] = {} if old is None else dict(json.loads(old)["counts"])
    counts.update(zip(test.bank.ids, (int(n) for n in exposure.counts), strict=True))
    body = {"version": 1, "sessions": exposure.sessions, "counts": counts}
    return json.dumps(body, sort_keys=True)


def _abilities(test: _Test, state: cat.CatState) -> tuple[Ability, ...]:
    return tuple(
        Ability(d, float(t), float(s))
        for d, t, s in zip(test.dimensions, state.theta, state.se, strict=True)
    )


class Placements:
    """The placement test use cases of one store.

    Args:
        log: Where sessions, exposure and the program live.
        clock: Session times and the ``placement.completed`` event's time.
        program: The compiled program of a store session (newest, or a version).
        ingest: The ingest use case, for the ``placement.completed`` event.
    """

    def __init__(
        self,
        log: EventLog,
        clock: Clock,
        program: Callable[[LogSession, int | None], Program],
        ingest: Callable[[str, Sequence[object]], IngestReport],
    ) -> None:
        """Keep the store, the clock and the use cases it builds on."""
        self.log = log
        self.clock = clock
        self._program = program
        self._ingest = ingest

    def start(self, tenant: str, learner: str) -> PlacementStep:
        """Open a session for ``learner`` and ask its first item.

        Raises:
            ProgramNotFoundError: The school has no program.
            PlacementError: The program has no (valid) placement test.
        """
        session = uuid.uuid4().hex
        now = self.clock.now_iso()
        with self.log.session(tenant) as s:
            program = self._program(s, None)
            test = _test(program)
            with _cat_errors():
                state = cat.start(test.bank, test.settings)
            row = StoredPlacement(
                session, learner, program.version, OPEN, cat.to_json(state), now, now
            )
            s.put_placement(row)
            return self._advance(s, test, row, state)

    def next(self, tenant: str, session: str) -> PlacementStep:
        """The item to answer now (asked once, then repeated until answered).

        The step's ``item`` is None when the test is over (``stop`` says why)
        or the session is finished.

        Raises:
            PlacementNotFoundError: No such session in this school.
        """
        with self.log.session(tenant) as s:
            row, test, state = self._load(s, session)
            if row.status == FINISHED:
                return self._step(row, test, state)
            return self._advance(s, test, row, state)

    def answer(
        self, tenant: str, session: str, item_id: str, correct: bool
    ) -> PlacementStep:
        """Record the answer to the asked item and re-estimate.

        Raises:
            PlacementNotFoundError: No such session in this school.
            PlacementError: The session is finished, or the item is unknown,
                not asked, or already answered.
        """
        with self.log.session(tenant) as s:
            row, test, state = self._load(s, session)
            if row.status == FINISHED:
                msg = f"placement session {session} is finished; start a new one"
                raise PlacementError(msg)
            index = test.index.get(item_id)
            if index is None:
                msg = f"item {item_id!r} is not in this placement test"
                raise PlacementError(msg)
            if index in state.items:
                msg = f"item {item_id!r} was already answered in this session"
                raise PlacementError(msg)
            if state.pending != index:
                msg = f"item {item_id!r} was not asked; " + (
                    "ask for the next item first"
                    if state.pending is None
                    else f"item {test.bank.ids[state.pending]!r} awaits its answer"
                )
                raise PlacementError(msg)
            with _cat_errors():
                state = cat.answer(test.bank, test.settings, state, index, correct)
            now = self.clock.now_iso()
            row = replace(row, state=cat.to_json(state), updated_at=now)
            s.put_placement(row)
            return self._step(row, test, state)

    def finish(self, tenant: str, session: str) -> PlacementResult:
        """Close the session, record exposure and ingest ``placement.completed``.

        Finishing a finished session returns the same result again (the event
        is then a duplicate). An unanswered asked item is dropped.

        Raises:
            PlacementNotFoundError: No such session in this school.
            PlacementError: No item was answered yet.
        """
        with self.log.session(tenant) as s:
            row, test, state = self._load(s, session)
            if row.status == OPEN:
                if not state.items:
                    msg = "answer at least one item before finishing the placement"
                    raise PlacementError(msg)
                state = replace(state, pending=None)
                old = s.placement_exposure()
                exposure = cat.record(_exposure(old, test), state)
                s.put_placement_exposure(_exposure_json(old, exposure, test))
                row = replace(
                    row,
                    status=FINISHED,
                    state=cat.to_json(state),
                    updated_at=self.clock.now_iso(),
                )
                s.put_placement(row)
        abilities = _abilities(test, state)
        event_id = f"placement-{session}"
        body = {
            "id": event_id,
            "learner": row.learner,
            "type": EVENT_TYPE,
            "occurred_at": row.updated_at,
            "abilities": {
                a.dimension: {"theta": a.theta, "se": a.se} for a in abilities
            },
            "items": len(state.items),
            "session": session,
        }
        outcome = self._ingest(tenant, [body]).results[0]
        theta = {a.dimension: (a.theta, a.se) for a in abilities}
        return PlacementResult(
            session,
            row.learner,
            abilities,
            len(state.items),
            test.placement.level_for(theta)[0],
            row.updated_at,
            event_id,
            outcome.status,
            outcome.reason,
        )

    # -- helpers ----------------------------------------------------------------

    def _load(
        self, s: LogSession, session: str
    ) -> tuple[StoredPlacement, _Test, cat.CatState]:
        row = s.placement(session)
        if row is None:
            msg = f"placement session {session!r} does not exist in this school"
            raise PlacementNotFoundError(msg)
        test = _test(self._program(s, row.program_version))
        with _cat_errors():
            state = cat.from_json(row.state)
        return row, test, state

    def _advance(
        self, s: LogSession, test: _Test, row: StoredPlacement, state: cat.CatState
    ) -> PlacementStep:
        if state.pending is None:
            exposure = _exposure(s.placement_exposure(), test)
            rng = np.random.default_rng([int(row.session_id, 16), len(state.items)])
            picked = cat.next_item(test.bank, test.settings, state, rng, exposure)
            if picked is not None:
                state = cat.ask(test.bank, state, picked)
                row = replace(
                    row, state=cat.to_json(state), updated_at=self.clock.now_iso()
                )
                s.put_placement(row)
        return self._step(row, test, state)

    def _step(
        self, row: StoredPlacement, test: _Test, state: cat.CatState
    ) -> PlacementStep:
        pending = state.pending
        return PlacementStep(
            row.session_id,
            row.learner,
            row.status,
            None if pending is None else test.placement.items[pending],
            len(state.items),
            _abilities(test, state),
            cat.should_stop(test.bank, test.settings, state),
        )
