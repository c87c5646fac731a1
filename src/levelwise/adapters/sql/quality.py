"""SQL store of call quality (SQLite and PostgreSQL) over the ``quality_*`` tables.

A batch is one transaction of one bulk statement per table: the raw graded
intervals go in with one DBAPI ``executemany``; roll-ups merge in the database
with ``INSERT ... ON CONFLICT DO UPDATE`` (sums add, maxima by ``CASE``), so two
writers of one class never lose each other's seconds and nothing is read first.
Rows are sent in key order, so that concurrent PostgreSQL writers lock shared
rows in the same order instead of deadlocking.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Insert,
    Row,
    Select,
    Table,
    and_,
    case,
    delete,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from levelwise.adapters.sql.driver import chunks, insert_many, store_errors, upsert
from levelwise.adapters.sql.engine import reader, writing
from levelwise.adapters.sql.tables.quality import (
    quality_buckets,
    quality_classes,
    quality_cursors,
    quality_episodes,
    quality_graded,
    quality_presences,
)
from levelwise.app.quality.ports import (
    Bucket,
    ClassState,
    Cursor,
    Episode,
    Graded,
    Measures,
    Presence,
    Recorded,
)

_UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

_MEASURES = (
    "media",
    "start_at",
    "end_at",
    "rtt_ms",
    "transport_ms",
    "jitter_buffer_ms",
    "playout_ms",
    "jitter_ms",
    "loss",
    "send_loss",
    "concealment",
    "freeze_share",
    "paused",
    "limitation",
    "reported_mos",
    "network_quality",
    "connection",
)
_GRADED = ("klass", "participant", "role", *_MEASURES, "delay_ms", "band", "r", "mos")
_BANDS = ("band_good", "band_acceptable", "band_degraded", "band_broken")
_BUCKET_SUMS = (
    "seconds",
    *_BANDS,
    "delay_sum",
    "mos_sum",
    "mos_seconds",
    "loss_sum",
    "loss_seconds",
    "freeze_seconds",
    "paused_seconds",
)
_BUCKET = (
    "klass",
    "participant",
    "media",
    "start_at",
    "role",
    *_BUCKET_SUMS,
    "delay_max",
)
_PRESENCE_SUMS = ("seconds", *_BANDS, "delay_sum", "mos_sum", "mos_seconds")
_PRESENCE = (
    "klass",
    "participant",
    "role",
    "unit",
    "first_at",
    "last_at",
    *_PRESENCE_SUMS,
    "delay_max",
    "drops",
)
_EPISODE = (
    "klass",
    "participant",
    "start_at",
    "role",
    "end_at",
    "band",
    "worst_ms",
    "cause",
    "side",
    "broken_seconds",
)
_CURSOR_VALUES = ("at", "snapshot", "track")
_STATE = ("klass", "first_at", "last_at", "alerted", "ended")

_g = quality_graded.c
_b = quality_buckets.c
_p = quality_presences.c
_e = quality_episodes.c
_u = quality_cursors.c
_s = quality_classes.c


def _key(at: datetime) -> str:
    """A time as a UTC sort key (a naive time is taken as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime(_UTC_FORMAT)


def _at(key: str) -> datetime:
    """A UTC sort key as an aware time."""
    return datetime.fromisoformat(key)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _insert(dialect: str, table: Table) -> Any:
    """The dialect's ``INSERT`` (with ``on_conflict_do_update`` and ``excluded``)."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def _greater(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    """The larger of two values (``GREATEST``/``MAX(a, b)`` differ by backend)."""
    return case((b > a, b), else_=a)


def _lesser(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    """The smaller of two values."""
    return case((b < a, b), else_=a)


@lru_cache(maxsize=4)
def _add_buckets(dialect: str) -> Insert:
    """Insert buckets, adding to a stored one (role kept, ``delay_max`` by max)."""
    insert = _insert(dialect, quality_buckets)
    new, old = insert.excluded, quality_buckets.c
    updates: dict[str, Any] = {k: old[k] + new[k] for k in _BUCKET_SUMS}
    updates["delay_max"] = _greater(old.delay_max, new.delay_max)
    result: Insert = insert.on_conflict_do_update(
        index_elements=list(quality_buckets.primary_key.columns), set_=updates
    )
    return result


@lru_cache(maxsize=4)
def _add_presences(dialect: str) -> Insert:
    """Insert presences, merging into a stored one (see ``SqlQualityStore``)."""
    insert = _insert(dialect, quality_presences)
    new, old = insert.excluded, quality_presences.c
    updates: dict[str, Any] = {k: old[k] + new[k] for k in _PRESENCE_SUMS}
    updates["delay_max"] = _greater(old.delay_max, new.delay_max)
    updates["unit"] = func.coalesce(old.unit, new.unit)
    updates["first_at"] = _lesser(old.first_at, new.first_at)
    updates["last_at"] = _greater(old.last_at, new.last_at)
    # Two JSON lists as one: the old without its "]", a comma, the new
    # without its "[" (substr and length count characters on both backends).
    updates["drops"] = case(
        (new.drops == "[]", old.drops),
        (old.drops == "[]", new.drops),
        else_=func.substr(old.drops, 1, func.length(old.drops) - 1)
        + ","
        + func.substr(new.drops, 2),
    )
    result: Insert = insert.on_conflict_do_update(
        index_elements=list(quality_presences.primary_key.columns), set_=updates
    )
    return result


@lru_cache(maxsize=4)
def _merge_state(dialect: str) -> Insert:
    """Insert a class state; first sample by min, last by max, flags replaced."""
    insert = _insert(dialect, quality_classes)
    new, old = insert.excluded, quality_classes.c
    updates = {
        "first_at": _lesser(old.first_at, new.first_at),
        "last_at": _greater(old.last_at, new.last_at),
        "alerted": new.alerted,
        "ended": new.ended,
    }
    result: Insert = insert.on_conflict_do_update(
        index_elements=list(quality_classes.primary_key.columns), set_=updates
    )
    return result


def _graded_row(tenant: str, g: Graded) -> tuple[Any, ...]:
    m = g.measures
    return (
        tenant,
        g.klass,
        g.participant,
        g.role,
        m.media,
        _key(m.start),
        _key(m.end),
        m.rtt_ms,
        m.transport_ms,
        m.jitter_buffer_ms,
        m.playout_ms,
        m.jitter_ms,
        m.loss,
        m.send_loss,
        m.concealment,
        m.freeze_share,
        m.paused,
        m.limitation,
        m.reported_mos,
        m.network_quality,
        m.connection,
        g.delay_ms,
        g.band,
        g.r,
        g.mos,
    )


def _bucket_row(tenant: str, b: Bucket) -> dict[str, Any]:
    good, acceptable, degraded, broken = b.band_seconds
    return {
        "tenant": tenant,
        "klass": b.klass,
        "participant": b.participant,
        "media": b.media,
        "start_at": _key(b.start),
        "role": b.role,
        "seconds": b.seconds,
        "band_good": good,
        "band_acceptable": acceptable,
        "band_degraded": degraded,
        "band_broken": broken,
        "delay_sum": b.delay_sum,
        "delay_max": b.delay_max,
        "mos_sum": b.mos_sum,
        "mos_seconds": b.mos_seconds,
        "loss_sum": b.loss_sum,
        "loss_seconds": b.loss_seconds,
        "freeze_seconds": b.freeze_seconds,
        "paused_seconds": b.paused_seconds,
    }


def _presence_row(tenant: str, p: Presence) -> dict[str, Any]:
    good, acceptable, degraded, broken = p.band_seconds
    return {
        "tenant": tenant,
        "klass": p.klass,
        "participant": p.participant,
        "role": p.role,
        "unit": p.unit,
        "first_at": _key(p.first_at),
        "last_at": _key(p.last_at),
        "seconds": p.seconds,
        "band_good": good,
        "band_acceptable": acceptable,
        "band_degraded": degraded,
        "band_broken": broken,
        "delay_sum": p.delay_sum,
        "delay_max": p.delay_max,
        "mos_sum": p.mos_sum,
        "mos_seconds": p.mos_seconds,
        "drops": _json([[_key(a), _key(b)] for a, b in p.drops]),
    }


def _episode_row(tenant: str, e: Episode) -> dict[str, Any]:
    return {
        "tenant": tenant,
        "klass": e.klass,
        "participant": e.participant,
        "start_at": _key(e.start),
        "role": e.role,
        "end_at": _key(e.end),
        "band": e.band,
        "worst_ms": e.worst_ms,
        "cause": e.cause,
        "side": e.side,
        "broken_seconds": e.broken_seconds,
    }


def _state_row(tenant: str, s: ClassState) -> dict[str, Any]:
    return {
        "tenant": tenant,
        "klass": s.klass,
        "first_at": _key(s.first_at),
        "last_at": _key(s.last_at),
        "alerted": s.alerted,
        "ended": s.ended,
    }


def _graded(row: Row[Any]) -> Graded:
    measures = Measures(
        media=row.media,
        start=_at(row.start_at),
        end=_at(row.end_at),
        rtt_ms=row.rtt_ms,
        transport_ms=row.transport_ms,
        jitter_buffer_ms=row.jitter_buffer_ms,
        playout_ms=row.playout_ms,
        jitter_ms=row.jitter_ms,
        loss=row.loss,
        send_loss=row.send_loss,
        concealment=row.concealment,
        freeze_share=row.freeze_share,
        paused=bool(row.paused),
        limitation=row.limitation,
        reported_mos=row.reported_mos,
        network_quality=row.network_quality,
        connection=row.connection,
    )
    return Graded(
        row.klass,
        row.participant,
        row.role,
        measures,
        row.delay_ms,
        row.band,
        row.r,
        row.mos,
    )


def _bucket(row: Row[Any]) -> Bucket:
    return Bucket(
        klass=row.klass,
        participant=row.participant,
        role=row.role,
        media=row.media,
        start=_at(row.start_at),
        seconds=row.seconds,
        band_seconds=(
            row.band_good,
            row.band_acceptable,
            row.band_degraded,
            row.band_broken,
        ),
        delay_sum=row.delay_sum,
        delay_max=row.delay_max,
        mos_sum=row.mos_sum,
        mos_seconds=row.mos_seconds,
        loss_sum=row.loss_sum,
        loss_seconds=row.loss_seconds,
        freeze_seconds=row.freeze_seconds,
        paused_seconds=row.paused_seconds,
    )


def _presence(row: Row[Any]) -> Presence:
    return Presence(
        klass=row.klass,
        participant=row.participant,
        role=row.role,
        unit=row.unit,
        first_at=_at(row.first_at),
        last_at=_at(row.last_at),
        seconds=row.seconds,
        band_seconds=(
            row.band_good,
            row.band_acceptable,
            row.band_degraded,
            row.band_broken,
        ),
        delay_sum=row.delay_sum,
        delay_max=row.delay_max,
        mos_sum=row.mos_sum,
        mos_seconds=row.mos_seconds,
        drops=tuple((_at(a), _at(b)) for a, b in json.loads(row.drops)),
    )


def _episode(row: Row[Any]) -> Episode:
    return Episode(
        klass=row.klass,
        participant=row.participant,
        role=row.role,
        start=_at(row.start_at),
        end=_at(row.end_at),
        band=row.band,
        worst_ms=row.worst_ms,
        cause=row.cause,
        side=row.side,
        broken_seconds=row.broken_seconds,
    )


def _state(row: Row[Any]) -> ClassState:
    return ClassState(
        klass=row.klass,
        first_at=_at(row.first_at),
        last_at=_at(row.last_at),
        alerted=bool(row.alerted),
        ended=bool(row.ended),
    )


def _first_in(
    query: Select[Any], since: datetime | None, until: datetime | None
) -> Select[Any]:
    """``query`` limited to classes whose first sample is in ``[since, until)``."""
    if since is not None:
        query = query.where(_s.first_at >= _key(since))
    if until is not None:
        query = query.where(_s.first_at < _key(until))
    return query


class SqlQualityStore:
    """Call quality of every tenant in the event log's database.

    Semantics (shared with ``InMemoryQualityStore``; the contract suite checks
    both):

    * Every read is scoped by tenant: a class id of one tenant is invisible
      to another.
    * ``record`` writes a batch in one transaction: graded intervals are
      inserted (the raw tier, ``Measures`` as columns); buckets are added to
      the stored bucket of the same ``(class, participant, media, start)``
      (sums add, ``delay_max`` by max, the stored role kept); presences merge
      by ``(class, participant)`` (``first_at`` min, ``last_at`` max, sums
      add, ``delay_max`` max, the unit kept if set, drops appended); episodes
      replace the stored one of the same ``(class, participant, start)``;
      cursors replace by ``(class, participant)`` (``snapshot`` and ``track``
      as JSON); the class state takes ``first_at`` by min, ``last_at`` by max
      and ``alerted``/``ended`` from the batch.
    * ``set_state`` replaces the class's state as given (creating it if new).
    * Orders: ``graded`` by participant then start (then insertion),
      ``buckets`` by participant, medium, start; ``presences`` by class then
      participant; ``episodes`` by start then participant; ``classes`` by
      first sample then class.
    * ``presences`` selects one class and/or the classes whose first sample
      is in ``[since, until)``.
    * ``purge`` deletes graded intervals that ended before a time, for every
      tenant; roll-ups, episodes, presences and cursors stay.

    Times come back aware, in UTC, to the microsecond.

    Args:
        engine: The event log's engine (migrated); the caller owns it.
    """

    def __init__(self, engine: Engine) -> None:
        """Keep the engine; reads use its read-only twin."""
        self._engine = engine
        self._reader = reader(engine)
        self._dialect = engine.dialect.name

    # -- writes ----------------------------------------------------------------------

    def record(self, tenant: str, batch: Recorded) -> None:
        """Write one batch in one transaction (see the class docstring).

        Raises:
            ConcurrencyError: PostgreSQL aborted the transaction (deadlock or
                serialization failure); retrying can succeed.
            StoreError: The database failed.
        """
        graded = [_graded_row(tenant, g) for g in batch.graded]
        buckets = sorted(
            (_bucket_row(tenant, b) for b in batch.buckets),
            key=lambda r: (r["klass"], r["participant"], r["media"], r["start_at"]),
        )
        presences = sorted(
            (_presence_row(tenant, p) for p in batch.presences),
            key=lambda r: (r["klass"], r["participant"]),
        )
        episodes = sorted(
            (_episode_row(tenant, e) for e in batch.episodes),
            key=lambda r: (r["klass"], r["participant"], r["start_at"]),
        )
        cursors = [
            {
                "tenant": tenant,
                "klass": batch.klass,
                "participant": participant,
                "at": _key(c.at),
                "snapshot": _json(dict(c.snapshot)),
                "track": _json(dict(c.track)),
            }
            for participant, c in sorted(batch.cursors.items())
        ]
        with store_errors(), writing(self._engine) as conn:
            insert_many(conn, quality_graded, ("tenant", *_GRADED), graded)
            if buckets:
                conn.execute(_add_buckets(self._dialect), buckets)
            if presences:
                conn.execute(_add_presences(self._dialect), presences)
            if episodes:
                conn.execute(
                    upsert(self._dialect, quality_episodes, _EPISODE[3:]), episodes
                )
            if cursors:
                conn.execute(
                    upsert(self._dialect, quality_cursors, _CURSOR_VALUES), cursors
                )
            conn.execute(_merge_state(self._dialect), _state_row(tenant, batch.state))

    def set_state(self, tenant: str, state: ClassState) -> None:
        """Replace a class's state as given (alerts, end, first and last).

        Raises:
            StoreError: The database failed.
        """
        statement = upsert(self._dialect, quality_classes, _STATE[1:])
        with store_errors(), writing(self._engine) as conn:
            conn.execute(statement, _state_row(tenant, state))

    def purge(self, before: datetime) -> int:
        """Delete graded intervals that ended before ``before`` (every tenant).

        Returns:
            How many were deleted.

        Raises:
            StoreError: The database failed.
        """
        statement = delete(quality_graded).where(_g.end_at < _key(before))
        with store_errors(), writing(self._engine) as conn:
            return int(conn.execute(statement).rowcount)

    # -- reads -----------------------------------------------------------------------

    def cursors(
        self, tenant: str, klass: str, participants: Sequence[str]
    ) -> dict[str, Cursor]:
        """The cursors of the given participants of a class that have one."""
        found: dict[str, Cursor] = {}
        with store_errors(), self._reader.connect() as conn:
            for chunk in chunks(participants):
                query = select(_u.participant, *(_u[k] for k in _CURSOR_VALUES)).where(
                    _u.tenant == tenant, _u.klass == klass, _u.participant.in_(chunk)
                )
                for row in conn.execute(query):
                    found[row.participant] = Cursor(
                        _at(row.at), json.loads(row.snapshot), json.loads(row.track)
                    )
        return found

    def class_state(self, tenant: str, klass: str) -> ClassState | None:
        """A class's state; None for a class never seen (in this school)."""
        query = select(*(_s[k] for k in _STATE)).where(
            _s.tenant == tenant, _s.klass == klass
        )
        with store_errors(), self._reader.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _state(row)

    def graded(
        self, tenant: str, klass: str, participant: str | None = None
    ) -> list[Graded]:
        """Raw graded intervals still kept, by participant then start."""
        query = select(*(_g[k] for k in _GRADED)).where(
            _g.tenant == tenant, _g.klass == klass
        )
        if participant is not None:
            query = query.where(_g.participant == participant)
        query = query.order_by(_g.participant, _g.start_at, _g.id)
        with store_errors(), self._reader.connect() as conn:
            return [_graded(row) for row in conn.execute(query)]

    def buckets(self, tenant: str, klass: str) -> list[Bucket]:
        """A class's 10 s roll-ups, by participant, medium, then start."""
        query = (
            select(*(_b[k] for k in _BUCKET))
            .where(_b.tenant == tenant, _b.klass == klass)
            .order_by(_b.participant, _b.media, _b.start_at)
        )
        with store_errors(), self._reader.connect() as conn:
            return [_bucket(row) for row in conn.execute(query)]

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
        query = select(*(_p[k] for k in _PRESENCE)).where(_p.tenant == tenant)
        if klass is not None:
            query = query.where(_p.klass == klass)
        if since is not None or until is not None:
            same = and_(_s.tenant == _p.tenant, _s.klass == _p.klass)
            query = _first_in(
                query.select_from(quality_presences.join(quality_classes, same)),
                since,
                until,
            )
        query = query.order_by(_p.klass, _p.participant)
        with store_errors(), self._reader.connect() as conn:
            return [_presence(row) for row in conn.execute(query)]

    def episodes(self, tenant: str, klass: str) -> list[Episode]:
        """A class's episodes, by start then participant."""
        query = (
            select(*(_e[k] for k in _EPISODE))
            .where(_e.tenant == tenant, _e.klass == klass)
            .order_by(_e.start_at, _e.participant)
        )
        with store_errors(), self._reader.connect() as conn:
            return [_episode(row) for row in conn.execute(query)]

    def classes(
        self,
        tenant: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[ClassState]:
        """Classes whose first sample falls in ``[since, until)``, by first sample."""
        query = _first_in(
            select(*(_s[k] for k in _STATE)).where(_s.tenant == tenant), since, until
        ).order_by(_s.first_at, _s.klass)
        with store_errors(), self._reader.connect() as conn:
            return [_state(row) for row in conn.execute(query)]
