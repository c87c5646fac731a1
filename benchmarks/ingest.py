"""Ingest benchmark: the service against a raw bulk insert of the same rows.

Run: ``make bench`` (or ``python benchmarks/ingest.py --learners 600``). Point
``--pg-url`` at a fresh database of its own: figures taken on a database that
other runs have filled (and left without statistics) are not comparable.

For SQLite (and PostgreSQL when reachable) it measures, in one run:

* the service: validate + deduplicate + fold + store events, receipts and
  snapshots, in batches of 5,000 (``Levelwise.ingest``);
* reference A: the raw DBAPI ``executemany`` of the same event rows into the
  same ``events`` table (same indexes), in the same batches;
* reference B: the raw ``executemany`` of every row the service wrote
  (events + outcomes + snapshots + checkpoints) into the same tables;
* decision latency: single events, one request each, on the filled store
  (p50/p99), and the pure fold alone per event.
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy import text

from levelwise.adapters.clock import SystemClock
from levelwise.adapters.sql.boards import SqlBoardStore
from levelwise.adapters.sql.engine import create_engine_for
from levelwise.adapters.sql.event_log import SqlEventLog
from levelwise.adapters.sql.migrate import migrate
from levelwise.app.engine import MAX_BATCH, Levelwise
from levelwise.app.ingest.wire import EVENT_ADAPTER, to_domain
from levelwise.app.programs.loader import load_program
from levelwise.app.simulate.school import simulate
from levelwise.domain.fold import default_model, fold, initial_state

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "src/levelwise/examples/programs/english.yaml"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TABLES = {
    "events": "tenant, event_id, learner, type, version, occurred_at, body, digest",
    "outcomes": "tenant, learner, program_version, event_id, seq, kind, at, body",
    "snapshots": (
        "tenant, learner, program_version, level, xp, last_at, last_id, events, state"
    ),
    "checkpoints": (
        "tenant, learner, program_version, level, xp, last_at, last_id, events, state"
    ),
}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def make_events(
    learners: int, singles: int
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The simulated school in time order: the bulk, and the last ``singles``."""
    program = load_program(PROGRAM.read_text())
    events = list(simulate(program, learners=learners, weeks=12, seed=11))
    events.sort(key=lambda e: utc(str(e["occurred_at"])))
    return events[:-singles], events[-singles:]


def utc(stamp: str) -> str:
    return datetime.fromisoformat(stamp).astimezone(UTC).isoformat()


def service_run(url: str, events: list[dict[str, object]], tenant: str) -> float:
    engine = create_engine_for(url)
    migrate(engine)
    # As the service is wired: SQL boards in the log's transaction.
    lw = Levelwise(SqlEventLog(engine), SystemClock(), SqlBoardStore(engine))
    lw.put_program(tenant, PROGRAM.read_text())
    start = time.perf_counter()
    for i in range(0, len(events), MAX_BATCH):
        report = lw.ingest(tenant, events[i : i + MAX_BATCH])
        assert report.count("accepted") == len(events[i : i + MAX_BATCH])
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def stored_rows(url: str, tenant: str) -> dict[str, list[tuple[object, ...]]]:
    engine = create_engine_for(url)
    rows = {}
    with engine.connect() as conn:
        for table, cols in TABLES.items():
            result = conn.execute(
                text(f"SELECT {cols} FROM {table} WHERE tenant = :t"), {"t": tenant}
            )
            rows[table] = [tuple(r) for r in result]
    engine.dispose()
    return rows


def raw_run(
    url: str, rows: dict[str, list[tuple[object, ...]]], tables: list[str], batches: int
) -> float:
    """Insert ``rows`` of ``tables`` with the DBAPI executemany, in ``batches``."""
    engine = create_engine_for(url)
    migrate(engine)
    tenant = f"raw-{uuid.uuid4().hex[:8]}"
    prepared = {t: [(tenant, *r[1:]) for r in rows[t]] for t in tables}
    engine.dispose()
    # A plain DBAPI connection with the driver's own transaction handling:
    # one transaction per batch, as the service uses.
    if url.startswith("sqlite"):
        raw = sqlite3.connect(url.removeprefix("sqlite:///"))
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=NORMAL")
        marker = "?"
    else:
        raw = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
        marker = "%s"
    cursor = raw.cursor()
    start = time.perf_counter()
    for b in range(batches):
        for table in tables:
            part = prepared[table]
            size = -(-len(part) // batches)
            chunk = part[b * size : (b + 1) * size]
            if chunk:
                cols = TABLES[table]
                marks = ", ".join([marker] * len(cols.split(",")))
                cursor.executemany(
                    f"INSERT INTO {table} ({cols}) VALUES ({marks})", chunk
                )
        raw.commit()
    elapsed = time.perf_counter() - start
    cursor.close()
    raw.close()
    return elapsed


def latency(url: str, tenant: str, singles: list[dict[str, object]]) -> list[float]:
    engine = create_engine_for(url)
    # As the service is wired: SQL boards in the log's transaction.
    lw = Levelwise(SqlEventLog(engine), SystemClock(), SqlBoardStore(engine))
    took = []
    for event in singles:
        start = time.perf_counter()
        lw.ingest(tenant, [event])
        took.append((time.perf_counter() - start) * 1000)
    engine.dispose()
    return took


def fold_latency(events: list[dict[str, object]]) -> list[float]:
    program = load_program(PROGRAM.read_text())
    model = default_model(program)
    states = {}
    took = []
    for raw in events:
        event = to_domain(EVENT_ADAPTER.validate_python(raw))
        state = states.get(event.learner) or initial_state(
            event.learner, program, model
        )
        start = time.perf_counter()
        states[event.learner], _ = fold(state, event, program, model)
        took.append((time.perf_counter() - start) * 1e6)
    return took


def bench(name: str, url: str, events, singles) -> None:
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    n = len(events)
    batches = -(-n // MAX_BATCH)
    service = service_run(url, events, tenant)
    rows = stored_rows(url, tenant)
    ref_a = raw_run(url, rows, ["events"], batches)
    ref_b = raw_run(url, rows, list(TABLES), batches)
    lat = latency(url, tenant, singles)
    written = sum(len(v) for v in rows.values())
    print(
        f"\n== {name}: {n:,} events, {written:,} rows written "
        f"({len(rows['outcomes']):,} outcomes, "
        f"{len(rows['checkpoints']):,} checkpoints, "
        f"{len(rows['snapshots']):,} snapshots)"
    )
    print(f"service (validate+fold+store+projection): {n / service:>10,.0f} events/s")
    print(
        f"raw executemany, event rows only (A):     {n / ref_a:>10,.0f} events/s"
        f"   ratio service/A = {ref_a / service:.2f}"
    )
    print(
        f"raw executemany, all rows written (B):    {n / ref_b:>10,.0f} events/s"
        f"   ratio service/B = {ref_b / service:.2f}"
    )
    print(
        f"single-event ingest latency: p50 {pct(lat, 0.5):.2f} ms, "
        f"p99 {pct(lat, 0.99):.2f} ms (n={len(lat)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=600)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--pg-url",
        default=PG_URL,
        help="PostgreSQL URL; measure on a fresh database (default: %(default)s)",
    )
    args = parser.parse_args()
    events, singles = make_events(args.learners, 2000)
    # The generated events stay in memory for the whole run; a service does
    # not hold such a heap, so keep the cyclic collector from walking it.
    gc.collect()
    gc.freeze()
    folds = fold_latency(events)
    print(
        f"python {sys.version.split()[0]}; {len(events):,} events "
        f"of {args.learners} learners; singles {len(singles)}"
    )
    print(
        f"pure fold per event: p50 {pct(folds, 0.5):.1f} µs, "
        f"p99 {pct(folds, 0.99):.1f} µs, mean {statistics.fmean(folds):.1f} µs"
    )
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            bench("SQLite (WAL, file)", f"sqlite:///{tmp}/bench.db", events, singles)
    if not args.no_postgres:
        try:
            bench("PostgreSQL", args.pg_url, events, singles)
        except Exception as exc:  # report and go on
            print(f"\n== PostgreSQL skipped: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
