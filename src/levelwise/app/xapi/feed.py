"""From the record store to the event log: statements become learning events.

Every statement newly stored whose actor is a learner of the school (by the
program's ``xapi:`` mapping) enters the school's event log as an
``xapi.statement`` event with the statement's id and text, so a statement sent
twice is one event. The fold translates it through the program's mapping (a
mapping change replays like any rule change). A voiding statement enters as
an ``event.voided`` event for the learner of the statement it voids, and the
fold takes that statement's effect away.

What arrives without a mapping is counted by :meth:`StatementFeed.unmapped`,
so a school sees which verbs and activity types it has not mapped yet.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from levelwise.app import views
from levelwise.app.xapi.ports import (
    FeedStore,
    StatementQuery,
    StatementStore,
    StoredStatement,
)
from levelwise.domain.program import Program
from levelwise.domain.xapi import explain, learner_of, parse_statement
from levelwise.errors import ProgramNotFoundError

DRAIN_BATCH = 1_000
"""Statements a feed worker ingests in one transaction."""
UNMAPPED_WINDOW = 10_000
"""How many of a school's latest statements :meth:`StatementFeed.unmapped` reads."""

ProgramOf = Callable[[str], Program]
Ingest = Callable[[str, Sequence[object]], views.IngestReport]


class _Statements(StatementStore, FeedStore, Protocol):
    """The record store as the feed reads it."""


@dataclass(frozen=True)
class Unmapped:
    """Statements of one verb and activity type that map to no event.

    Attributes:
        verb: The verb IRI.
        activity_type: The activity's ``definition.type`` ('' when none).
        reason: Why the latest of them is unmapped (``no rule for verb ...``).
        count: How many of the statements read.
        example: The id of the latest.
    """

    verb: str
    activity_type: str
    reason: str
    count: int
    example: str


@dataclass(frozen=True)
class UnmappedReport:
    """What arrives without a mapping, most frequent first."""

    read: int
    unmapped: int
    kinds: list[Unmapped]


class StatementFeed:
    """Hands newly stored statements to the engine's ingest.

    Args:
        program_of: The school's current program (raises
            ``ProgramNotFoundError`` when it has none).
        ingest: The engine's ingest of raw events.
        statements: The record store, to find what a voiding statement voids.
    """

    def __init__(
        self, program_of: ProgramOf, ingest: Ingest, statements: _Statements
    ) -> None:
        """Keep the program reader, the ingest and the record store."""
        self._program_of = program_of
        self._ingest = ingest
        self._statements = statements

    def __call__(
        self, tenant: str, fresh: Sequence[StoredStatement]
    ) -> views.IngestReport | None:
        """Ingest the events of ``fresh`` statements; None when none is a learner's.

        Statements of a school without a program, or without a mapping, stay
        in the record store only.
        """
        try:
            program = self._program_of(tenant)
        except ProgramNotFoundError:
            return None
        if program.xapi is None:
            return None
        raw = [
            event
            for s in fresh
            if (event := self._event(tenant, program, s)) is not None
        ]
        return self._ingest(tenant, raw) if raw else None

    def _event(
        self, tenant: str, program: Program, stored: StoredStatement
    ) -> dict[str, Any] | None:
        record = stored.record
        at = record.timestamp
        target = record.voids
        if target is None:
            learner = learner_of(program.xapi, _parsed(record.body))
            if learner is None:
                return None
            return {
                "id": record.id,
                "type": "xapi.statement",
                "learner": learner,
                "occurred_at": at,
                "statement": record.body,
            }
        voided = self._statements.statement(tenant, target, voided=True)
        if voided is None:
            return None  # not held, or itself a voiding statement
        learner = learner_of(program.xapi, _parsed(voided.record.body))
        if learner is None:
            return None
        return {
            "id": record.id,
            "type": "event.voided",
            "learner": learner,
            "occurred_at": at,
            "target": target,
        }

    def drain(self, tenant: str, batch: int = DRAIN_BATCH) -> int:
        """Feed a school's statements stored since its cursor, oldest first.

        The feed of a record store that answers before the fold (a feed
        worker, ``LEVELWISE_XAPI_FEED=worker``) drains each school in large
        batches in the order statements were stored, so learners are folded
        in time order far more often than when every request folds its own
        statements. Feeding is idempotent (an event's id is its statement's),
        so a worker stopped between an ingest and its cursor feeds the same
        statements again as duplicates, harmlessly. A statement voided before
        it was fed is passed over, and its voiding then voids nothing.

        Returns:
            How many statements were read.
        """
        read = 0
        while True:
            cursor = self._statements.feed_cursor(tenant)
            query = StatementQuery(since=cursor, ascending=True, limit=batch)
            page = self._statements.statements(tenant, query)
            if not page.statements:
                return read
            self(tenant, page.statements)
            self._statements.set_feed_cursor(tenant, page.statements[-1].stored)
            read += len(page.statements)
            if page.more is None:
                return read

    def drain_all(self, batch: int = DRAIN_BATCH) -> int:
        """Drain every school with statements not fed yet; how many were read."""
        return sum(self.drain(t, batch) for t in self._statements.feed_pending())

    def unmapped(self, tenant: str, window: int = UNMAPPED_WINDOW) -> UnmappedReport:
        """Which verbs and activity types of the latest statements map to nothing.

        Reads the school's ``window`` latest statements (voiding statements
        aside) and explains each under the current program.
        """
        try:
            program: Program | None = self._program_of(tenant)
        except ProgramNotFoundError:
            program = None
        counts: Counter[tuple[str, str]] = Counter()
        latest: dict[tuple[str, str], tuple[str, str]] = {}
        read = 0
        query = StatementQuery(limit=min(window, 500))
        while read < window:
            page = self._statements.statements(tenant, query)
            for s in page.statements:
                if s.record.voids is not None:
                    continue
                read += 1
                data = json.loads(s.record.body)
                key, reason = _why(program, data)
                if reason is None:
                    continue
                counts[key] += 1
                latest.setdefault(key, (reason, s.id))
            if page.more is None or not page.statements:
                break
            query = StatementQuery(limit=query.limit, after=page.more)
        kinds = [
            Unmapped(verb, kind, latest[(verb, kind)][0], n, latest[(verb, kind)][1])
            for (verb, kind), n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))
        ]
        return UnmappedReport(read, sum(counts.values()), kinds)


def _parsed(body: str) -> dict[str, Any]:
    """A stored statement's body, parsed once for the feed and the fold."""
    parsed = parse_statement(body)
    return parsed if isinstance(parsed, dict) else {}


def _why(
    program: Program | None, data: dict[str, Any]
) -> tuple[tuple[str, str], str | None]:
    """The statement's (verb, activity type) and why it is unmapped (None: mapped)."""
    verb = str(data.get("verb", {}).get("id", ""))
    obj = data.get("object", {})
    definition = obj.get("definition") if isinstance(obj, dict) else None
    kind = str(definition.get("type", "")) if isinstance(definition, dict) else ""
    if program is None:
        return (verb, kind), "the school has no program"
    if program.xapi is None:
        return (verb, kind), "the program has no xapi: mapping"
    found = explain(program, data)
    return (verb, kind), None if found.mapped else found.reason
