"""Leaderboard benchmark: rank + top-100 + neighbourhood at 1M members.

Redis and SQLite.

Run from the repo root: ``.venv/bin/python benchmarks/boards.py``
(``--members N``, default 1,000,000; ``--queries Q``, default 2,000;
``--redis URL``, default ``redis://127.0.0.1:6379/0``; ``--skip-redis``;
``--skip-sqlite``; ``--seed``).

One board holds N members with XP drawn from a long-tailed distribution (many
ties, so the time tie-break matters) and distinct times. A query is what a
learner's board page needs: their rank, the top 100 and their neighbourhood
(5 above, 5 below), through the same ``BoardStore`` code the API uses. Members
are queried in random order. Each backend prints the median and p99 of a
query, and the same for a reference measured in the same run on the same data:
a bare ``ZREVRANK`` round trip on Redis, a primary-key lookup of one member on
SQLite. The ratio says how many reference operations a query costs.

Bulk loading uses Redis pipelines (the store's ``set`` script, 1,000 members a
call) and one SQLite ``executemany`` per 50,000 rows. The SQLite file lives in
a temporary folder (WAL, as the engine configures it) and is removed after.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from levelwise.adapters.redis.boards import RedisBoardStore
from levelwise.adapters.sql.boards import SqlBoardStore
from levelwise.adapters.sql.driver import insert_many
from levelwise.adapters.sql.engine import create_engine_for
from levelwise.adapters.sql.migrate import migrate
from levelwise.adapters.sql.tables.boards import board_members
from levelwise.app.recognition.ports import BoardReader, BoardStore, Entry

TENANT = "bench"
BOARD = "xp|all|all"


def members(n: int, seed: int) -> list[Entry]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        xp = int(rng.paretovariate(1.2) * 50)  # long tail, many equal scores
        second = rng.randrange(0, 86_400 * 365)
        day, rest = divmod(second, 86_400)
        month, date = 1 + day // 31 % 12, 1 + day % 28
        clock = f"{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}"
        reached = f"2026-{month:02d}-{date:02d}T{clock}.{i % 1_000_000:06d}Z"
        out.append(Entry(f"learner-{i:07d}", xp, reached))
    return out


def query(r: BoardReader, member: str) -> None:
    rank = r.rank(BOARD, member)
    top = r.range(BOARD, 0, 100)
    near = r.around(BOARD, member, 5)
    assert rank is not None and len(top) == 100 and near


def timed(fn: Callable[[str], None], picks: list[str]) -> list[float]:
    times = []
    for member in picks:
        start = time.perf_counter()
        fn(member)
        times.append(time.perf_counter() - start)
    return times


def summary(name: str, query_s: list[float], ref_s: list[float], ref: str) -> None:
    def p(xs: list[float], q: float) -> float:
        return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))] * 1000

    med, ref_med = statistics.median(query_s) * 1000, statistics.median(ref_s) * 1000
    print(
        f"{name:7} query (rank+top100+±5): median {med:.3f} ms, "
        f"p99 {p(query_s, 0.99):.3f} ms | "
        f"{ref}: median {ref_med:.3f} ms, p99 {p(ref_s, 0.99):.3f} ms | "
        f"ratio (median) {med / ref_med:.1f}x"
    )


def bench_redis(url: str, entries: list[Entry], picks: list[str]) -> None:
    store = RedisBoardStore.from_url(url, f"lwbench:{uuid.uuid4().hex}:")
    try:
        start = time.perf_counter()
        for i in range(0, len(entries), 50_000):
            with store.writer(TENANT) as w:
                for j in range(i, min(i + 50_000, len(entries)), 1000):
                    w.set(BOARD, entries[j : j + 1000])
        load = time.perf_counter() - start
        zset = f"{store.prefix}{{{TENANT}}}:b:{BOARD}"
        hashed = f"{store.prefix}{{{TENANT}}}:m:{BOARD}"
        member_of = dict(zip(picks, store.client.hmget(hashed, picks), strict=True))
        with store.reader(TENANT) as r:
            query(r, picks[0])  # load the scripts
            q = timed(lambda m: query(r, m), picks)
        ref = timed(lambda m: store.client.zrevrank(zset, member_of[m]), picks)
        print(f"redis   loaded {len(entries):,} members in {load:.1f} s")
        summary("redis", q, ref, "ZREVRANK")
    finally:
        keys = list(store.client.scan_iter(match=f"{store.prefix}*", count=1000))
        if keys:
            store.client.delete(*keys)
        store.client.close()


def bench_sqlite(entries: list[Entry], picks: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine_for(f"sqlite:///{Path(folder) / 'boards.db'}")
        try:
            migrate(engine)
            start = time.perf_counter()
            columns = ("tenant", "board", "member", "neg_xp", "reached")
            rows = [(TENANT, BOARD, e.member, -e.xp, e.reached) for e in entries]
            with engine.begin() as connection:
                for i in range(0, len(rows), 50_000):
                    insert_many(
                        connection, board_members, columns, rows[i : i + 50_000]
                    )
            with engine.begin() as connection:
                # The per-score counts ranks sum (as the store keeps them).
                connection.execute(
                    text(
                        "INSERT INTO board_scores (tenant, board, neg_xp, members)"
                        " SELECT tenant, board, neg_xp, COUNT(*) FROM board_members"
                        " GROUP BY tenant, board, neg_xp"
                    )
                )
                connection.execute(text("ANALYZE"))
            load = time.perf_counter() - start
            store: BoardStore = SqlBoardStore(engine)
            with store.reader(TENANT) as r:
                q = timed(lambda m: query(r, m), picks)
            lookup = text(
                "SELECT neg_xp, reached FROM board_members"
                " WHERE tenant = :t AND board = :b AND member = :m"
            )
            with engine.connect() as connection:
                ref = timed(
                    lambda m: connection.execute(
                        lookup, {"t": TENANT, "b": BOARD, "m": m}
                    ).one(),
                    picks,
                )
            print(f"sqlite  loaded {len(entries):,} members in {load:.1f} s")
            summary("sqlite", q, ref, "PK lookup")
        finally:
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--skip-redis", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    entries = members(args.members, args.seed)
    rng = random.Random(args.seed + 1)
    picks = [rng.choice(entries).member for _ in range(args.queries)]
    print(f"{args.members:,} members on one board, {args.queries:,} queries")
    if not args.skip_redis:
        bench_redis(args.redis, entries, picks)
    if not args.skip_sqlite:
        bench_sqlite(entries, picks)


if __name__ == "__main__":
    main()
