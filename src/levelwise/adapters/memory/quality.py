"""In-memory call quality: same contract as the SQL store."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from levelwise.app.quality.ports import (
    Bucket,
    ClassState,
    Cursor,
    Episode,
    Graded,
    Presence,
    Recorded,
)

_Class = tuple[str, str]
"""``(tenant, class)``."""


def _within(at: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or at >= since) and (until is None or at < until)


class InMemoryQualityStore:
    """Every tenant's call quality in dictionaries.

    Semantics (shared with ``SqlQualityStore``; the contract suite checks both):

    * Every read is scoped by tenant: a class id of one tenant is invisible
      to another.
    * ``record`` writes a batch at once: graded intervals are appended (the
      raw tier); buckets are added to the stored bucket of the same
      ``(class, participant, media, start)`` (sums add, ``delay_max`` by max,
      the stored role kept); presences merge by ``(class, participant)``
      (``first_at`` min, ``last_at`` max, sums add, ``delay_max`` max, the
      unit kept if set, drops appended); episodes replace the stored one of the
      same ``(class, participant, start)``; cursors replace by ``(class,
      participant)``; the class state takes ``first_at`` by min, ``last_at``
      by max and ``alerted``/``ended`` from the batch.
    * ``set_state`` replaces the class's state as given (creating it if new).
    * Orders: ``graded`` by participant then start (then insertion),
      ``buckets`` by participant, medium, start; ``presences`` by class then
      participant; ``episodes`` by start then participant; ``classes`` by
      first sample then class.
    * ``presences`` selects one class and/or the classes whose first sample
      is in ``[since, until)``.
    * ``purge`` drops graded intervals that ended before a time, for every
      tenant; roll-ups, episodes, presences and cursors stay.
    """

    def __init__(self) -> None:
        """Start empty."""
        self._graded: dict[_Class, list[Graded]] = {}
        self._buckets: dict[_Class, dict[tuple[str, str, datetime], Bucket]] = {}
        self._presences: dict[_Class, dict[str, Presence]] = {}
        self._episodes: dict[_Class, dict[tuple[str, datetime], Episode]] = {}
        self._cursors: dict[_Class, dict[str, Cursor]] = {}
        self._classes: dict[str, dict[str, ClassState]] = {}
        self._lock = threading.Lock()

    def cursors(
        self, tenant: str, klass: str, participants: Sequence[str]
    ) -> dict[str, Cursor]:
        """The cursors of the given participants of a class that have one."""
        with self._lock:
            stored = self._cursors.get((tenant, klass), {})
            return {p: stored[p] for p in participants if p in stored}

    def class_state(self, tenant: str, klass: str) -> ClassState | None:
        """A class's state; None for a class never seen (in this school)."""
        with self._lock:
            return self._classes.get(tenant, {}).get(klass)

    def record(self, tenant: str, batch: Recorded) -> None:
        """Write one batch at once (see the class docstring for the merges)."""
        with self._lock:
            for g in batch.graded:
                self._graded.setdefault((tenant, g.klass), []).append(g)
            for b in batch.buckets:
                buckets = self._buckets.setdefault((tenant, b.klass), {})
                key = (b.participant, b.media, b.start)
                old_b = buckets.get(key)
                buckets[key] = b if old_b is None else old_b.merged(b)
            for p in batch.presences:
                presences = self._presences.setdefault((tenant, p.klass), {})
                old_p = presences.get(p.participant)
                presences[p.participant] = p if old_p is None else old_p.merged(p)
            for e in batch.episodes:
                episodes = self._episodes.setdefault((tenant, e.klass), {})
                episodes[(e.participant, e.start)] = e
            if batch.cursors:
                cursors = self._cursors.setdefault((tenant, batch.klass), {})
                cursors.update(batch.cursors)
            classes = self._classes.setdefault(tenant, {})
            new = batch.state
            old = classes.get(new.klass)
            if old is not None:
                new = replace(
                    new,
                    first_at=min(old.first_at, new.first_at),
                    last_at=max(old.last_at, new.last_at),
                )
            classes[new.klass] = new

    def set_state(self, tenant: str, state: ClassState) -> None:
        """Replace a class's state as given (alerts, end, first and last)."""
        with self._lock:
            self._classes.setdefault(tenant, {})[state.klass] = state

    def graded(
        self, tenant: str, klass: str, participant: str | None = None
    ) -> list[Graded]:
        """Raw graded intervals still kept, by participant then start."""
        with self._lock:
            rows = [
                g
                for g in self._graded.get((tenant, klass), [])
                if participant is None or g.participant == participant
            ]
        # A stable sort: intervals of one start stay in insertion order.
        return sorted(rows, key=lambda g: (g.participant, g.measures.start))

    def buckets(self, tenant: str, klass: str) -> list[Bucket]:
        """A class's 10 s roll-ups, by participant, medium, then start."""
        with self._lock:
            stored = self._buckets.get((tenant, klass), {})
            return [stored[k] for k in sorted(stored)]

    def presences(
        self,
        tenant: str,
        *,
        klass: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Presence]:
        """Per participant roll-ups, by class then participant.

        Args:
            tenant: The school.
            klass: Only this class, if given.
            since: Only classes whose first sample is at or after this.
            until: Only classes whose first sample is before this.

        Returns:
            The presences; a class without a state has none when ``since`` or
            ``until`` is given.
        """
        with self._lock:
            states = self._classes.get(tenant, {})
            found: list[Presence] = []
            for (owner, name), rows in self._presences.items():
                if owner != tenant or (klass is not None and name != klass):
                    continue
                if since is not None or until is not None:
                    state = states.get(name)
                    if state is None or not _within(state.first_at, since, until):
                        continue
                found.extend(rows.values())
        return sorted(found, key=lambda p: (p.klass, p.participant))

    def episodes(self, tenant: str, klass: str) -> list[Episode]:
        """A class's episodes, by start then participant."""
        with self._lock:
            rows = list(self._episodes.get((tenant, klass), {}).values())
        return sorted(rows, key=lambda e: (e.start, e.participant))

    def classes(
        self,
        tenant: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[ClassState]:
        """Classes whose first sample falls in ``[since, until)``, by first sample."""
        with self._lock:
            rows = [
                s
                for s in self._classes.get(tenant, {}).values()
                if _within(s.first_at, since, until)
            ]
        return sorted(rows, key=lambda s: (s.first_at, s.klass))

    def purge(self, before: datetime) -> int:
        """Drop graded intervals that ended before ``before`` (every tenant).

        Returns:
            How many were dropped.
        """
        dropped = 0
        with self._lock:
            for key, rows in list(self._graded.items()):
                kept = [g for g in rows if g.measures.end >= before]
                dropped += len(rows) - len(kept)
                if kept:
                    self._graded[key] = kept
                else:
                    del self._graded[key]
        return dropped
