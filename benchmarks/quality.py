"""Live-class call quality benchmark: sustained statistics ingest on one node.

Run from the repo root: ``python benchmarks/quality.py`` (about five minutes;
``--participants``, ``--seconds`` and ``--sizes`` shorten it). The issue's
goal: one sample a second per participant, 10,000 concurrent participants on
one node, with the CPU share left for learner events.

Processes, as in production:

* the Levelwise API: ``--workers`` uvicorn processes (default 2, one per core
  of the node) serving ``create_api`` on one loopback port (``SO_REUSEPORT``)
  over the SQL store: a fresh SQLite file (default), or ``--db
  postgresql://127.0.0.1:5432/test`` with a fresh tenant (only that tenant's
  rows are deleted at the end);
* the load generator: ``--clients`` processes (asyncio) simulating the
  participants in classes of ``--sizes`` (4: 1 teacher + 3 learners; 2: one to
  one). Every participant takes one WebRTC ``getStats()`` sample a second (W3C
  names, cumulative counters, as ``tests/support/quality_calls.py`` builds
  them; 5 % of the classes have a learner whose path breaks for 35 s of every
  120 s); each class posts its samples every ``--batch`` seconds (default 10:
  10,000 participants in classes of 4 are 250 requests a second of 40 samples),
  the classes spread evenly over the period. Each process sends over a fixed
  pool of keep-alive connections (``--connections`` in all) with a lean
  HTTP/1.1 client (``--client httpx`` for httpx, which cost 5 ms of CPU a
  request here: the load must leave the node's CPU to the server); a batch
  that waits more than ``--max-wait`` seconds for a connection is dropped and
  counted as an error. Latency runs from the batch's scheduled time, so
  waiting for a connection counts (no coordinated omission);
* a learner-event client: closed-loop ``POST /v1/events`` batches of
  ``lesson.watched`` events.

Phases of one run, all against the same server:

1. reference: learner events alone (``--events-seconds``): events/s;
2. per class size: a warm-up (``--warmup``), then the window
   (``--seconds``): samples/s achieved against offered, request latency from
   the scheduled send to the response (p50/p99), errors, the CPU of the
   server, the load generator and the database, and the node's busy share;
3. the same load, plus the learner-event client (``--events-seconds``):
   events/s under load against the reference: the CPU share left for learner
   events.

Sustained means: samples accepted in the window at least 99 % of offered, no
error and a p99 latency at most ``--max-p99`` ms. ``--find-max`` then
searches (bisection over whole classes, a fresh server and database each
probe) for the most participants sustained. ``--profile`` samples the server
workers with py-spy (``--py-spy PATH``, else on PATH) during the window, else
profiles them with cProfile on thread CPU time, and prints where the time
goes; a profiled run's figures are not the benchmark's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import math
import multiprocessing as mp
import os
import pstats
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "src/levelwise/examples/programs/english.yaml"
UNIT = "st_lesson_hello"
PACKETS = 50  # audio packets a second (20 ms frames)
RATE = 48_000  # audio samples a second
VIDEO_PACKETS = 100
FPS = 30
CLK = os.sysconf("SC_CLK_TCK")
DRAIN = 30.0  # seconds the load waits for its last responses
DROPPED = -3  # a batch not sent: it waited longer than --max-wait to be sent
UNFINISHED = -2  # no response within DRAIN after the load ended
CPUS = os.cpu_count() or 1


# -- the server (its own processes) --------------------------------------------


def setup(db: str, tenant: str) -> None:
    """Migrate the store, put the example program, print an API key."""
    from levelwise.bootstrap import build

    engine = build(db)
    engine.put_program(tenant, PROGRAM.read_text(encoding="utf-8"))
    print(engine.create_key(tenant, "quality-benchmark"), flush=True)


def serve_worker(port: int, db: str, profile: str) -> None:
    """One uvicorn worker on ``port`` (shared with the others: SO_REUSEPORT)."""
    import uvicorn

    from levelwise.bootstrap import build, create_api
    from levelwise.config import Settings

    settings = Settings(db=db)
    app = create_api(build(settings=settings, create=False), settings)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(
        app,
        # A client that gives up mid-request makes uvicorn log a traceback at
        # shutdown; the load counts every non-200 answer itself.
        log_level="critical",
        lifespan="off",
        ws="none",
        access_log=False,
        backlog=4096,
        timeout_graceful_shutdown=10,
    )
    profiles: list[cProfile.Profile] = []
    if profile:
        # cProfile sees only the thread that enables it: give every thread
        # (the event loop, anyio's worker threads) its own, on thread CPU time.
        lock = threading.Lock()

        def start(*_: object) -> None:
            p = cProfile.Profile(time.thread_time)
            with lock:
                profiles.append(p)
            p.enable()

        threading.setprofile(start)
        start()
    # SIGINT stops it: uvicorn shuts down, then raises KeyboardInterrupt.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])
    if profiles:
        stats = pstats.Stats(profiles[0])
        for p in profiles[1:]:
            stats.add(p)
        stats.dump_stats(profile)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _self(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *args]


def _pg_url(db: str) -> str:
    """``postgresql://host/db`` as a psycopg 3 URL (user ``postgres`` if none)."""
    url = re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", db)
    head, _, rest = url.partition("://")
    if "@" not in rest.split("/", 1)[0]:
        rest = f"postgres@{rest}"
    return f"{head}://{rest}"


class Server:
    """A fresh tenant (and SQLite file) served by ``workers`` uvicorn processes."""

    def __init__(self, db: str, workers: int, profile_dir: str = "") -> None:
        self.tenant = f"bench-quality-{uuid.uuid4().hex[:10]}"
        self.folder = tempfile.TemporaryDirectory(prefix="lw-quality-")
        self.url = (
            _pg_url(db)
            if db.startswith("postgres")
            else f"sqlite:///{self.folder.name}/quality.db"
        )
        out = subprocess.run(
            _self("--setup", self.url, self.tenant),
            check=True,
            capture_output=True,
            text=True,
        )
        self.key = out.stdout.strip().splitlines()[-1]
        self.port = _free_port()
        self.profiles = [
            f"{profile_dir}/worker-{i}.prof" if profile_dir else ""
            for i in range(workers)
        ]
        self.procs = [
            subprocess.Popen(
                _self("--serve-worker", str(self.port), self.url, prof),
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            for prof in self.profiles
        ]
        self.base = f"http://127.0.0.1:{self.port}"
        self._wait()

    @property
    def pids(self) -> list[int]:
        """The workers' process ids."""
        return [p.pid for p in self.procs]

    def _wait(self) -> None:
        # Every worker must be up: connections land on a worker by hash, so
        # wait for each to listen (its socket) and answer through the port.
        deadline = time.monotonic() + 240
        ok = 0
        while ok < 8 * len(self.procs):
            if time.monotonic() > deadline or any(
                p.poll() is not None for p in self.procs
            ):
                raise RuntimeError("the server did not start")
            try:
                httpx.get(f"{self.base}/health", timeout=5).raise_for_status()
                ok += 1
            except httpx.HTTPError:
                time.sleep(0.2)

    def stop(self) -> None:
        """Stop the workers (SIGINT: uvicorn shuts down, profiles are written)."""
        for p in self.procs:
            p.send_signal(signal.SIGINT)
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if self.url.startswith("postgresql"):
            _delete_tenant(self.url, self.tenant)
        self.folder.cleanup()


def _delete_tenant(url: str, tenant: str) -> None:
    """Delete this run's tenant's rows (and nothing else) from PostgreSQL."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                text(
                    "SELECT table_name FROM information_schema.columns "
                    "WHERE column_name = 'tenant' AND table_schema = current_schema()"
                )
            ).scalars()
            pending = sorted(tables)
        for _ in range(len(pending) + 1):
            left = []
            for table in pending:
                try:
                    with engine.begin() as conn:
                        conn.execute(
                            text(f'DELETE FROM "{table}" WHERE tenant = :t'),
                            {"t": tenant},
                        )
                except Exception:  # a foreign key: try again after the others
                    left.append(table)
            if not left:
                return
            pending = left
        print(f"  (could not delete tenant {tenant} from {', '.join(pending)})")
    finally:
        engine.dispose()


# -- CPU accounting from /proc ------------------------------------------------------


def _proc_cpu() -> dict[int, tuple[str, float]]:
    """Every process: its name and CPU seconds (user + system) so far."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.find("(") + 1 : stat.rfind(")")]
        fields = stat[stat.rfind(")") + 2 :].split()
        found[int(entry.name)] = (name, (int(fields[11]) + int(fields[12])) / CLK)
    return found


def _node_busy() -> tuple[float, float]:
    """CPU seconds the node spent busy (all cores), and of them in interrupts."""
    with open("/proc/stat", encoding="ascii") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / CLK, (values[5] + values[6]) / CLK


@dataclass
class CpuMark:
    """A reading of every process's CPU and the node's at one moment."""

    at: float = field(default_factory=time.monotonic)
    procs: dict[int, tuple[str, float]] = field(default_factory=_proc_cpu)
    busy: tuple[float, float] = field(default_factory=_node_busy)


def cpu_between(
    a: CpuMark, b: CpuMark, groups: dict[str, list[int]]
) -> dict[str, float]:
    """CPU seconds per group between two marks.

    Returns:
        Seconds per group; ``database`` (postgres processes); ``interrupts``
        (the kernel's irq and softirq time: loopback networking, mostly);
        ``other`` (the rest of the node's busy time: other processes);
        ``node`` (all of it); ``wall`` (the interval); and ``other: NAME``
        for the three busiest other processes.
    """
    used = {
        pid: b.procs[pid][1] - a.procs.get(pid, (name, 0.0))[1]
        for pid, (name, _) in b.procs.items()
    }
    out: dict[str, float] = {}
    seen: set[int] = set()
    for group, pids in groups.items():
        out[group] = sum(used.get(p, 0.0) for p in pids)
        seen.update(pids)
    out["database"] = sum(
        v for p, v in used.items() if p not in seen and b.procs[p][0] == "postgres"
    )
    out["interrupts"] = b.busy[1] - a.busy[1]
    node = b.busy[0] - a.busy[0]
    out["other"] = max(0.0, node - sum(out.values()))
    busiest = Counter[str]()
    for p, v in used.items():
        if p not in seen and b.procs[p][0] != "postgres":
            busiest[b.procs[p][0]] += v
    for name, v in busiest.most_common(3):
        out[f"other: {name}"] = v
    out["node"] = node
    out["wall"] = b.at - a.at
    return out


# -- the participants ------------------------------------------------------------


@dataclass
class Participant:
    """One participant's cumulative getStats() counters."""

    id: str
    role: str
    bad: bool
    received: int = 0
    lost: int = 0
    jb_total: float = 0.0
    emitted: int = 0
    sent: int = 0
    v_received: int = 0
    v_jb_total: float = 0.0
    v_frames: int = 0
    v_sent: int = 0

    def sample(self, at: float, second: int, video: bool) -> dict[str, Any]:
        """The sample of one second: what ``getStats()`` returns, W3C names."""
        broken = self.bad and 20 <= second % 120 < 55
        rtt = 1.8 if broken else 0.04 + 0.002 * (second % 7)
        jb = 0.03
        loss = 0.04 if broken else 0.0
        lost = round(PACKETS * loss)
        self.received += PACKETS - lost
        self.lost += lost
        self.emitted += RATE
        self.jb_total += jb * RATE
        self.sent += PACKETS
        ts = at * 1000
        stats: list[dict[str, Any]] = [
            {
                "id": "T1",
                "type": "transport",
                "timestamp": ts,
                "selectedCandidatePairId": "CP1",
            },
            {
                "id": "CP1",
                "type": "candidate-pair",
                "timestamp": ts,
                "state": "succeeded",
                "nominated": True,
                "currentRoundTripTime": rtt,
            },
            {
                "id": "IA1",
                "type": "inbound-rtp",
                "timestamp": ts,
                "kind": "audio",
                "packetsReceived": self.received,
                "packetsLost": self.lost,
                "jitter": 0.004,
                "jitterBufferDelay": self.jb_total,
                "jitterBufferEmittedCount": self.emitted,
                "totalSamplesReceived": self.emitted,
                "concealedSamples": 0,
                "silentConcealedSamples": 0,
            },
            {
                "id": "OA1",
                "type": "outbound-rtp",
                "timestamp": ts,
                "kind": "audio",
                "packetsSent": self.sent,
                "qualityLimitationReason": "bandwidth" if broken else "none",
            },
            {
                "id": "RIA1",
                "type": "remote-inbound-rtp",
                "timestamp": ts,
                "kind": "audio",
                "localId": "OA1",
                "roundTripTime": rtt,
                "fractionLost": 0.0,
                "packetsLost": 0,
            },
        ]
        if video:
            self.v_received += VIDEO_PACKETS
            self.v_frames += FPS
            self.v_jb_total += 0.05 * FPS
            self.v_sent += VIDEO_PACKETS
            stats += [
                {
                    "id": "IV1",
                    "type": "inbound-rtp",
                    "timestamp": ts,
                    "kind": "video",
                    "packetsReceived": self.v_received,
                    "packetsLost": 0,
                    "jitter": 0.006,
                    "jitterBufferDelay": self.v_jb_total,
                    "jitterBufferEmittedCount": self.v_frames,
                    "framesReceived": self.v_frames,
                    "framesDecoded": self.v_frames,
                    "freezeCount": 0,
                    "totalFreezesDuration": 0.0,
                    "pauseCount": 0,
                    "totalPausesDuration": 0.0,
                },
                {
                    "id": "OV1",
                    "type": "outbound-rtp",
                    "timestamp": ts,
                    "kind": "video",
                    "packetsSent": self.v_sent,
                    "qualityLimitationReason": "none",
                },
            ]
        return {
            "participant": self.id,
            "role": self.role,
            "at": datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds"),
            "unit": "a1_live_family_club",
            "webrtc": stats,
        }


@dataclass(frozen=True)
class Load:
    """What the quality load generator offers."""

    base: str
    key: str
    prefix: str
    participants: int
    size: int
    batch: int
    video: bool
    start: float  # time.monotonic() of second 0
    wall: float  # time.time() at ``start``
    stop: float  # no request is scheduled at or after this (monotonic)
    connections: int  # keep-alive connections of one load process
    max_wait: float  # seconds a batch may wait for a connection before it is lost
    client: str  # "raw" (Connection) or "httpx"

    @property
    def classes(self) -> int:
        """Whole classes of ``size``."""
        return self.participants // self.size


class Connection:
    """One keep-alive HTTP/1.1 connection: POST JSON, read the answer.

    The load generator shares the node with the server, so it must be cheap:
    with httpx it spent about 5 ms of CPU per request here (1.3 cores at 250
    requests a second); ``--client httpx`` compares.
    """

    def __init__(self, base: str, key: str) -> None:
        """Keep where to connect; connect on first use."""
        host, _, port = base.removeprefix("http://").partition(":")
        self.host, self.port = host, int(port)
        self.head = (
            f"Host: {host}:{port}\r\nAuthorization: Bearer {key}\r\n"
            "Content-Type: application/json\r\n"
        )
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """POST ``body``; the status and the response body."""
        try:
            return await self._post(path, body)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            await self.close()
            raise

    async def _post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        head = f"POST {path} HTTP/1.1\r\n{self.head}Content-Length: {len(body)}\r\n\r\n"
        writer.write(head.encode() + body)
        await writer.drain()
        status = int((await reader.readline()).split()[1])
        length, chunked, close = 0, False, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value
            elif name == b"connection":
                close = value == b"close"
        if chunked:
            parts = []
            while size := int((await reader.readline()).split(b";")[0], 16):
                parts.append(await reader.readexactly(size + 2))
            await reader.readline()
            data = b"".join(p[:-2] for p in parts)
        else:
            data = await reader.readexactly(length)
        if close:
            await self.close()
        return status, data

    async def close(self) -> None:
        """Close the connection (the next post opens another)."""
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def quality_client(load: Load, index: int, clients: int, out: Any) -> None:
    """One load-generator process: its share of the classes (``k % clients``)."""
    out.put(asyncio.run(_quality_client(load, index, clients)))


async def _quality_client(load: Load, index: int, clients: int) -> list[tuple]:
    mine = range(index, load.classes, clients)
    classes: dict[int, list[Participant]] = {}
    for k in mine:
        bad = k % 20 == 7
        people = [Participant(f"{load.prefix}-c{k}-t", "teacher", False)]
        people += [
            Participant(f"{load.prefix}-c{k}-l{i}", "learner", bad and i == 1)
            for i in range(1, load.size)
        ]
        classes[k] = people
    # Class k posts at offset + j * batch, j = 1, 2, ...: the samples of seconds
    # [(j - 1) * batch, j * batch) after its offset, the last one a second old.
    schedule = sorted(
        (load.start + k * load.batch / load.classes + j * load.batch, k, j)
        for k in mine
        for j in range(1, 1 + math.ceil((load.stop - load.start) / load.batch))
        if load.start + k * load.batch / load.classes + j * load.batch < load.stop
    )
    records: list[tuple] = []
    headers = {
        "Authorization": f"Bearer {load.key}",
        "Content-Type": "application/json",
    }
    # A fixed pool of keep-alive connections takes the batches in order, as a
    # platform's HTTP client would; a batch that waited longer than
    # ``max_wait`` for a connection is dropped (an error), as a bounded buffer
    # would. httpx's own pool grows costly with hundreds of open requests.
    limits = httpx.Limits(
        max_connections=load.connections, max_keepalive_connections=load.connections
    )
    queue: asyncio.Queue[tuple[float, int, int] | None] = asyncio.Queue()
    async with httpx.AsyncClient(
        base_url=load.base, headers=headers, timeout=120, limits=limits
    ) as client:

        async def post(at: float, k: int, j: int, raw: Connection | None) -> None:
            offset = k * load.batch / load.classes
            samples = [
                p.sample(load.wall + offset + s, s, load.video)
                for s in range((j - 1) * load.batch, j * load.batch)
                for p in classes[k]
            ]
            body = orjson.dumps({"samples": samples})
            path = f"/v1/live/{load.prefix}-c{k}/stats"
            sent = time.monotonic()
            status, accepted = 0, 0
            try:
                if raw is not None:
                    status, content = await raw.post(path, body)
                else:
                    r = await client.post(path, content=body)
                    status, content = r.status_code, r.content
                if status == 200:
                    accepted = orjson.loads(content)["accepted"]
            except (httpx.HTTPError, OSError, ValueError, asyncio.IncompleteReadError):
                status = -1
            records.append((at, sent, time.monotonic(), status, len(samples), accepted))

        async def connection() -> None:
            raw = Connection(load.base, load.key) if load.client == "raw" else None
            while (item := await queue.get()) is not None:
                at, k, j = item
                if time.monotonic() - at > load.max_wait:
                    records.append((at, at, at, DROPPED, load.size * load.batch, 0))
                    continue
                await post(at, k, j, raw)
            if raw is not None:
                await raw.close()

        workers = [asyncio.create_task(connection()) for _ in range(load.connections)]
        for item in schedule:
            delay = item[0] - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait(item)
        for _ in workers:
            queue.put_nowait(None)
        _, pending = await asyncio.wait(workers, timeout=load.max_wait + DRAIN)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    done = {(r[0]) for r in records}
    records.extend(
        (at, 0.0, math.nan, UNFINISHED, 0, 0) for at, _, _ in schedule if at not in done
    )
    return records


@dataclass(frozen=True)
class Events:
    """What the learner-event client does, from ``begin`` to ``until``."""

    base: str
    key: str
    phase: str  # a prefix of its ids and learners
    loops: int  # concurrent posters
    size: int  # events a request
    begin: float  # time.monotonic()
    until: float


def events_client(spec: Events, out: Any) -> None:
    """Closed-loop learner events: ``loops`` posters of ``size`` events a batch."""
    out.put(asyncio.run(_events_client(spec)))


async def _events_client(spec: Events) -> list[tuple[float, float, int, int]]:
    base, key, phase, size = spec.base, spec.key, spec.phase, spec.size
    records: list[tuple[float, float, int, int]] = []
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    t0 = datetime(2026, 12, 7, 8, tzinfo=UTC).timestamp()
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as c:

        async def loop(n: int) -> None:
            done = 0
            while time.monotonic() < spec.until:
                events = [
                    {
                        "id": f"{phase}-{n}-{done + i}",
                        "learner": f"{phase}-learner-{n}-{(done + i) % 500}",
                        "type": "lesson.watched",
                        "occurred_at": datetime.fromtimestamp(
                            t0 + done + i, UTC
                        ).isoformat(),
                        "unit": UNIT,
                        "seconds": 60,
                    }
                    for i in range(size)
                ]
                sent = time.monotonic()
                try:
                    r = await c.post(
                        "/v1/events", content=orjson.dumps({"events": events})
                    )
                    accepted = orjson.loads(r.content).get("accepted", 0)
                    status = r.status_code
                except httpx.HTTPError:
                    accepted, status = 0, -1
                records.append((sent, time.monotonic(), status, accepted))
                done += size

        await c.get("/health")
        await asyncio.sleep(max(0.0, spec.begin - time.monotonic()))
        await asyncio.gather(*(loop(n) for n in range(spec.loops)))
    return records


# -- running a probe ---------------------------------------------------------------


def _q(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return math.nan
    return values[min(len(values) - 1, math.ceil(q * len(values)) - 1)]


@dataclass
class Window:
    """What the quality load did in one window."""

    name: str
    seconds: float
    offered: float  # samples a second
    achieved: float  # samples accepted a second (responses received in it)
    requests: int
    errors: int  # every request without a 200, dropped ones included
    dropped: int  # batches not sent: they waited longer than --max-wait
    latency: list[float]  # ms, scheduled send -> response
    lag: list[float]  # ms, scheduled send -> sent (waiting for a connection)
    cpu: dict[str, float]
    events_rate: float = math.nan

    @property
    def p99(self) -> float:
        """The p99 request latency, ms."""
        return _q(self.latency, 0.99)


def window_of(
    name: str,
    records: list[tuple],
    lo: float,
    hi: float,
    offered: float,
    cpu: dict[str, float],
) -> Window:
    """The figures of requests scheduled in ``[lo, hi)``."""
    sched = [r for r in records if lo <= r[0] < hi]
    done = [r for r in records if lo <= r[2] < hi and r[3] == 200]
    return Window(
        name=name,
        seconds=hi - lo,
        offered=offered,
        achieved=sum(r[5] for r in done) / (hi - lo),
        requests=len(sched),
        errors=sum(1 for r in sched if r[3] != 200),
        dropped=sum(1 for r in sched if r[3] == DROPPED),
        latency=[(r[2] - r[0]) * 1000 for r in sched if r[3] == 200],
        lag=[(r[1] - r[0]) * 1000 for r in sched if r[3] not in (DROPPED, UNFINISHED)],
        cpu=cpu,
    )


def _sleep_until(t: float) -> None:
    while (left := t - time.monotonic()) > 0:
        time.sleep(min(left, 0.5))


def _collect(procs: list[Any], queue: Any) -> list[Any]:
    results = []
    for _ in procs:
        results.extend(queue.get(timeout=600))
    for p in procs:
        p.join()
    return results


def events_alone(server: Server, args: argparse.Namespace) -> tuple[float, dict]:
    """The reference: learner events alone, events/s and CPU."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    start = time.monotonic() + 3
    until = start + args.events_seconds
    spec = Events(
        server.base, server.key, "ref", args.workers, args.events_batch, start, until
    )
    proc = ctx.Process(target=events_client, args=(spec, queue))
    proc.start()
    _sleep_until(start)
    a = CpuMark()
    _sleep_until(until)
    b = CpuMark()
    records = _collect([proc], queue)
    cpu = cpu_between(a, b, {"server": server.pids, "events client": [proc.pid]})
    rate = sum(r[3] for r in records if start <= r[1] < until) / (until - start)
    return rate, cpu


def quality_probe(
    server: Server,
    args: argparse.Namespace,
    participants: int,
    size: int,
    *,
    events: bool,
    profile: bool = False,
) -> list[Window]:
    """Offer the load; measure the window, then (``events``) the mixed window."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    classes = participants // size
    offered = classes * size  # samples a second
    start = time.monotonic() + 3 + classes / 2000
    window = (start + args.warmup, start + args.warmup + args.seconds)
    mixed = (window[1], window[1] + (args.events_seconds if events else 0))
    load = Load(
        base=server.base,
        key=server.key,
        prefix=f"q{size}-{uuid.uuid4().hex[:6]}",
        participants=participants,
        size=size,
        batch=args.batch,
        video=args.video,
        start=start,
        wall=time.time() + (start - time.monotonic()),
        stop=mixed[1],
        connections=max(1, args.connections // args.clients),
        max_wait=args.max_wait,
        client=args.client,
    )
    clients = [
        ctx.Process(target=quality_client, args=(load, i, args.clients, queue))
        for i in range(args.clients)
    ]
    for c in clients:
        c.start()
    ev_queue = ctx.Queue()
    ev = None
    if events:
        spec = Events(
            server.base,
            server.key,
            f"load{size}-{uuid.uuid4().hex[:4]}",
            args.workers,
            args.events_batch,
            *mixed,
        )
        ev = ctx.Process(target=events_client, args=(spec, ev_queue))
        ev.start()
    spy = []
    _sleep_until(window[0])
    if profile:
        spy = _start_spy(server, args)
    marks = [CpuMark()]
    _sleep_until(window[1])
    marks.append(CpuMark())
    if ev is not None:
        _sleep_until(mixed[1])
        marks.append(CpuMark())
    records = _collect(clients, queue)
    events_records = _collect([ev], ev_queue) if ev is not None else []
    for s in spy:
        s.wait()
    groups = {
        "server": server.pids,
        "load generator": [c.pid for c in clients if c.pid is not None],
    }
    if ev is not None and ev.pid is not None:
        groups["events client"] = [ev.pid]
    found = [
        window_of(
            "quality alone",
            records,
            *window,
            offered,
            cpu_between(marks[0], marks[1], groups),
        )
    ]
    if ev is not None:
        w = window_of(
            "quality + learner events",
            records,
            *mixed,
            offered,
            cpu_between(marks[1], marks[2], groups),
        )
        w.events_rate = sum(
            r[3] for r in events_records if mixed[0] <= r[1] < mixed[1]
        ) / (mixed[1] - mixed[0])
        found.append(w)
    return found


def sustained(w: Window, max_p99: float) -> bool:
    """At least 99 % of the offered samples, no error, p99 within bounds."""
    return w.achieved >= 0.99 * w.offered and w.errors == 0 and w.p99 <= max_p99


# -- profiles ----------------------------------------------------------------------


def _py_spy(args: argparse.Namespace) -> str | None:
    return args.py_spy or shutil.which("py-spy")


def _start_spy(
    server: Server, args: argparse.Namespace
) -> list[subprocess.Popen[bytes]]:
    spy = _py_spy(args)
    if spy is None:
        return []
    return [
        subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(args.seconds)),
                "--rate",
                "100",
                "--nonblocking",
                "--format",
                "raw",
                "--output",
                f"{args.profile_dir}/spy-{pid}.txt",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in server.pids
    ]


WAITING = "waiting (locks, sockets)"
# Where a stack's time goes: the innermost frame matching a rule decides.
RULES: list[tuple[str, str]] = [
    (
        r"^(Condition\.wait|Event\.wait|Thread\.join|\w*Selector\.select|"
        r"writing|_wait_for_tstate_lock|worker) \(",
        WAITING,
    ),
    (r"do_(execute\w*|commit) \(.*sqlalchemy/engine/default\.py", "SQL: database"),
    (r"sqlite3|psycopg/|psycopg_", "SQL: database"),
    (r"sqlalchemy/", "SQL: SQLAlchemy"),
    (r"levelwise/adapters/sql/", "SQL: rows (levelwise adapter)"),
    (r"json/(decoder|encoder|__init__)\.py", "JSON (stdlib json)"),
    (r"levelwise/app/quality/_webrtc\.py", "grading: getStats() snapshots"),
    (r"levelwise/app/quality/(_grade|_emodel)\.py", "grading: delay, band, E-model"),
    (r"levelwise/app/quality/_track\.py", "grading: episodes (tracker)"),
    (r"levelwise/app/quality/_rollup\.py", "grading: roll-ups"),
    (r"levelwise/app/quality/_samples\.py", "grading: envelopes"),
    (r"levelwise/app/quality/", "grading: service"),
    (r"levelwise/app/(ingest|engine|notify)|levelwise/domain", "learner events"),
    (r"pydantic|fastapi/_compat|fastapi/encoders", "validation (pydantic)"),
    (r"h11/|uvicorn/|starlette/|fastapi/|anyio/|asyncio/|selectors", "HTTP (ASGI)"),
    (r"datetime|_strptime", "datetime"),
]
_RULES = [(re.compile(p), name) for p, name in RULES]


def _category(frames: list[str]) -> str:
    for pattern, name in _RULES[:1]:
        if pattern.search(frames[-1]):
            return name
    for frame in reversed(frames):
        for pattern, name in _RULES[1:]:
            if pattern.search(frame):
                return name
    return "other"


def spy_profile(folder: str) -> tuple[Counter[str], Counter[str]]:
    """Samples per category and per innermost frame, from py-spy's raw files."""
    by_category: Counter[str] = Counter()
    by_leaf: Counter[str] = Counter()
    for path in Path(folder).glob("spy-*.txt"):
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames = stack.split(";")
            category = _category(frames)
            by_category[category] += int(count)
            if category != WAITING:
                by_leaf[re.sub(r":\d+\)", ")", frames[-1])] += int(count)
    return by_category, by_leaf


def cprofile_profile(folder: str) -> tuple[Counter[str], Counter[str]]:
    """Own CPU seconds per category and per function, from the workers' cProfile.

    A built-in's time (``isinstance``, ``dict.get``, ``<frozen abc>``) goes to
    its callers, in proportion, until a caller matches a rule.
    """
    by_category: Counter[str] = Counter()
    by_leaf: Counter[str] = Counter()
    files = [str(p) for p in Path(folder).glob("worker-*.prof")]
    if not files:
        return by_category, by_leaf
    table = pstats.Stats(*files).stats  # type: ignore[attr-defined]

    def frame(func: tuple[str, int, str]) -> str:
        return f"{func[2]} ({func[0]}:{func[1]})"

    shares: dict[tuple[str, int, str], dict[str, float]] = {}

    def share(func: tuple[str, int, str], depth: int = 0) -> dict[str, float]:
        """How a function's own time splits into categories (memoised)."""
        if func in shares:
            return shares[func]
        matched = _category([frame(func)])
        callers = table.get(func, (0, 0, 0, 0, {}))[4]
        if matched != "other" or depth > 8 or not callers:
            return shares.setdefault(func, {matched: 1.0})
        shares[func] = {"other": 1.0}  # a cycle stops here
        total = sum(v[2] for v in callers.values()) or 1.0
        found: Counter[str] = Counter()
        for caller, v in callers.items():
            for category, part in share(caller, depth + 1).items():
                found[category] += part * v[2] / total
        shares[func] = dict(found)
        return shares[func]

    for func, value in table.items():
        by_leaf[frame(func)] += value[2]
        for category, part in share(func).items():
            by_category[category] += value[2] * part
    return by_category, by_leaf


def print_profile(by_category: Counter[str], by_leaf: Counter[str], unit: str) -> None:
    waiting = by_category.pop(WAITING, 0)
    total = sum(by_category.values()) or 1
    print(f"\nwhere the server's time goes ({unit}, all workers):")
    for name, v in by_category.most_common():
        print(f"  {name:<36} {100 * v / total:5.1f} %")
    print(f"  (besides: {WAITING} {100 * waiting / total:.1f} %, left out)")
    print("  top functions (own time):")
    for name, v in by_leaf.most_common(25):
        print(f"    {100 * v / total:5.1f} %  {name[:110]}")


# -- reporting ---------------------------------------------------------------------


def print_window(w: Window, workers: int) -> None:
    cpu = w.cpu
    wall = cpu["wall"]
    ratio = w.achieved / w.offered if w.offered else math.nan
    print(
        f"  {w.name}: {w.seconds:.0f} s, {w.requests} requests, {w.errors} errors "
        f"({w.dropped} batches dropped after waiting over --max-wait)\n"
        f"    samples/s achieved {w.achieved:,.0f} of {w.offered:,.0f} offered "
        f"({ratio:.3f} x offered)\n"
        f"    request latency (scheduled send -> response) p50 "
        f"{_q(w.latency, 0.5):,.0f} ms  p90 {_q(w.latency, 0.9):,.0f} ms  p99 "
        f"{w.p99:,.0f} ms  max {max(w.latency, default=math.nan):,.0f} ms; of it "
        f"waiting for a connection p99 {_q(w.lag, 0.99):,.0f} ms"
    )
    parts = [
        f"{k} {cpu[k] / wall:.2f}"
        for k in (
            "server",
            "load generator",
            "events client",
            "database",
            "interrupts",
            "other",
        )
        if k in cpu and (cpu[k] > 0.005 * wall or k == "server")
    ]
    print(
        f"    CPU (cores): {', '.join(parts)}; node busy {cpu['node'] / wall:.2f} of "
        f"{CPUS} ({100 * cpu['node'] / wall / CPUS:.0f} %); server "
        f"{100 * cpu['server'] / wall / CPUS:.0f} % of the node's {CPUS} cores "
        f"({workers} workers)"
    )
    if cpu["other"] > 0.05 * wall:
        busiest = ", ".join(
            f"{k[7:]} {v / wall:.2f}" for k, v in cpu.items() if k.startswith("other: ")
        )
        print(f"    other processes, busiest: {busiest}")
    if cpu["server"] > 0 and w.achieved > 0 and math.isnan(w.events_rate):
        print(
            f"    server CPU per 1,000 samples: "
            f"{1000 * cpu['server'] / (w.achieved * wall):.3f} s"
        )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--setup":
        setup(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-worker":
        serve_worker(int(sys.argv[2]), sys.argv[3], sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument(
        "--sizes", default="4,2", help="class sizes to measure (4: 1 + 3; 2: 1:1)"
    )
    parser.add_argument("--batch", type=int, default=10, help="seconds a request")
    parser.add_argument("--seconds", type=float, default=60.0, help="the window")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--events-seconds", type=float, default=20.0)
    parser.add_argument("--events-batch", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--clients", type=int, default=2, help="load processes")
    parser.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL URL")
    parser.add_argument("--video", action="store_true", help="video stats too")
    parser.add_argument("--max-p99", type=float, default=1000.0, help="ms")
    parser.add_argument(
        "--connections", type=int, default=64, help="of all load processes"
    )
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="the load's HTTP client (raw: a lean keep-alive HTTP/1.1 client)",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=30.0,
        help="seconds a batch may wait for a connection; past it, it is lost",
    )
    parser.add_argument("--find-max", action="store_true")
    parser.add_argument("--step", type=int, default=250, help="search resolution")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--py-spy", default=None, help="py-spy's path")
    parser.add_argument(
        "--probe-seconds", type=float, default=30.0, help="--find-max's windows"
    )
    args = parser.parse_args()
    # The first requests leave a batch after the start: warm up at least that.
    args.warmup = max(args.warmup, args.batch)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    run(args, sizes)


def run(args: argparse.Namespace, sizes: list[int]) -> None:
    db = "PostgreSQL" if args.db.startswith("postgres") else "SQLite file (WAL)"
    print(
        f"call quality: {args.participants:,} participants, one sample a second "
        f"each ({'audio + video' if args.video else 'audio'} getStats()), a request "
        f"per class every {args.batch} s; {db}; {args.workers} server workers, "
        f"{args.clients} load processes; {CPUS} cores"
    )
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="lw-prof-"))
        args.profile_dir = folder
        if args.profile:
            cprof = _py_spy(args) is None
            server = Server(args.db, args.workers, folder if cprof else "")
            try:
                windows = quality_probe(
                    server,
                    args,
                    args.participants,
                    sizes[0],
                    events=False,
                    profile=True,
                )
                print(
                    f"\nclasses of {sizes[0]} (profiled: not the benchmark's figures)"
                )
                print_window(windows[0], args.workers)
            finally:
                server.stop()
            if cprof:
                print_profile(*cprofile_profile(folder), "cProfile, thread CPU time")
            else:
                print_profile(*spy_profile(folder), "py-spy samples, active threads")
            return
        if args.find_max:
            for size in sizes:
                find_max(args, size)
            return
        server = Server(args.db, args.workers)
        try:
            reference, ref_cpu = events_alone(server, args)
            print(
                f"\nreference: learner events alone ({args.events_batch} "
                f"lesson.watched a request, {args.workers} posters): "
                f"{reference:,.0f} events/s; server "
                f"{ref_cpu['server'] / ref_cpu['wall']:.2f} cores, other "
                f"{ref_cpu['other'] / ref_cpu['wall']:.2f}"
            )
            for size in sizes:
                windows = quality_probe(
                    server, args, args.participants, size, events=True
                )
                classes = args.participants // size
                print(
                    f"\nclasses of {size} ({classes:,} classes, "
                    f"{classes / args.batch:,.0f} requests/s of {size * args.batch} "
                    "samples):"
                )
                for w in windows:
                    print_window(w, args.workers)
                mixed = windows[-1]
                print(
                    f"    learner events under this load: {mixed.events_rate:,.0f} "
                    f"events/s = {mixed.events_rate / reference:.2f} x alone "
                    "(the CPU share left for learner events)"
                )
                ok = sustained(windows[0], args.max_p99)
                print(
                    f"    sustained (>= 99 % of offered, no errors, p99 <= "
                    f"{args.max_p99:,.0f} ms): {'yes' if ok else 'NO'}"
                )
        finally:
            server.stop()


def find_max(args: argparse.Namespace, size: int) -> None:
    """Bisect the most participants sustained (whole classes, fresh servers).

    ``--participants`` is probed first; then the bisection, to ``--step``.
    """
    print(f"\nsearching the most participants sustained, classes of {size}:")
    args = argparse.Namespace(**{**vars(args), "seconds": args.probe_seconds})
    step = max(1, args.step // size)  # in classes
    lo, hi = 0, args.participants // size

    def probe(classes: int) -> bool:
        server = Server(args.db, args.workers)
        try:
            w = quality_probe(server, args, classes * size, size, events=False)[0]
        finally:
            server.stop()
        ok = sustained(w, args.max_p99)
        cpu = {k: v / w.cpu["wall"] for k, v in w.cpu.items()}
        print(
            f"  {classes * size:>6,} participants: {w.achieved:,.0f} of "
            f"{w.offered:,.0f} samples/s, p50 {_q(w.latency, 0.5):,.0f} ms, p99 "
            f"{w.p99:,.0f} ms, {w.errors} errors; cores: server {cpu['server']:.2f}, "
            f"load {cpu['load generator']:.2f}, database {cpu['database']:.2f}, "
            f"other {cpu['other']:.2f}: {'sustained' if ok else 'not'}"
        )
        return ok

    if probe(hi):
        print(f"  most sustained: at least {hi * size:,} participants")
        return
    while hi - lo > step:
        mid = lo + max(step, (hi - lo) // 2 // step * step)
        lo, hi = (mid, hi) if probe(mid) else (lo, mid)
    print(
        f"  most sustained: {lo * size:,} participants ({hi * size:,} not), "
        f"classes of {size}"
    )


if __name__ == "__main__":
    main()
