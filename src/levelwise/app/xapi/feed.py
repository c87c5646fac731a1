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
from typing import Any

from levelwise.app import views
from levelwise.app.xapi.ports import StatementQuery, StatementStore, StoredStatement
from levelwise.domain.program import Program
from levelwise.domain.xapi import explain, learner_of, parse_statement
from levelwise.errors import ProgramNotFoundError

UNMAPPED_WINDOW = 10_000
"""How many of a school's latest statements :meth:`StatementFeed.unmapped` reads."""

ProgramOf = Callable[[str], Program]
Ingest = Callable[[str, Sequence[object]], views.IngestReport]


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
        self, program_of: ProgramOf, ingest: Ingest, statements: StatementStore
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
