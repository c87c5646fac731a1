"""Group PK benchmark: answer to live scoreboard over SSE, on a real server.

Run from the repo root: ``.venv/bin/python benchmarks/pk_latency.py``
(``--answers N``, default 500; ``--teams T``, default 4; ``--size S``, default 8
learners a team; ``--seed``).

A uvicorn server listens on loopback over the SQLite file store (WAL, in a
temporary folder removed after). A PK with T teams of S learners is started
over HTTP and a client subscribes to ``GET /v1/pk/{id}/stream``. Each of the N
answers is one ``POST /v1/events`` request, sent after the previous one's
scoreboard arrived. The latency of an answer is the time from sending its
request to receiving the scoreboard event whose ``new`` names it. The
reference, measured in the same run on the same requests, is the bare
``POST /v1/events`` round trip (request sent to response read). The goal is
a p99 under 100 ms.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import uvicorn

from levelwise.bootstrap import build, create_api

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "src/levelwise/examples/programs/english.yaml"
T0 = datetime(2026, 3, 2, 18, tzinfo=UTC)


def _serve(app: object) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", ws="none")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


class _Listener:
    """Reads the PK stream and notes when each answer's scoreboard arrived."""

    def __init__(self, base: str, headers: dict[str, str], pk: str) -> None:
        self.arrived: dict[str, float] = {}
        self.cond = threading.Condition()
        self.connected = threading.Event()
        self._args = (base, headers, pk)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        base, headers, pk = self._args
        with (
            httpx.Client(base_url=base, headers=headers, timeout=None) as client,
            client.stream("GET", f"/v1/pk/{pk}/stream") as response,
        ):
            for line in response.iter_lines():
                if not line.startswith("data: "):
                    continue
                now = time.perf_counter()
                data = orjson.loads(line[6:])
                with self.cond:
                    for event_id in data["new"]:
                        self.arrived[event_id] = now
                    self.cond.notify_all()
                self.connected.set()
                if data["finished"]:
                    return

    def wait_for(self, event_id: str, timeout: float = 10.0) -> float:
        with self.cond:
            if not self.cond.wait_for(lambda: event_id in self.arrived, timeout):
                msg = f"no scoreboard for {event_id} within {timeout} s"
                raise RuntimeError(msg)
            return self.arrived[event_id]


def _summary(name: str, ms: list[float]) -> None:
    ms = sorted(ms)
    q = statistics.quantiles(ms, n=100, method="inclusive")
    print(
        f"{name:<34} median {statistics.median(ms):6.2f}  p95 {q[94]:6.2f}  "
        f"p99 {q[98]:6.2f}  max {ms[-1]:6.2f}  (ms, n={len(ms)})"
    )


def run(answers: int, teams: int, size: int, seed: int) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        engine = build(f"sqlite:///{folder}/pk.db")
        engine.put_program("bench", PROGRAM.read_text())
        headers = {"Authorization": f"Bearer {engine.create_key('bench')}"}
        server, thread, base = _serve(create_api(engine))
        roster = {
            f"team-{t}": [f"learner-{t}-{i}" for i in range(size)] for t in range(teams)
        }
        try:
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                spec = {"id": "pk-bench", "teams": roster, "rounds": 5}
                client.post("/v1/pk", json=spec).raise_for_status()
                listener = _Listener(base, headers, "pk-bench")
                if not listener.connected.wait(10):
                    raise RuntimeError("the stream did not connect")
                push, reference = [], []
                for n in range(answers):
                    team = rng.choice(sorted(roster))
                    event = {
                        "id": f"answer-{n}",
                        "learner": rng.choice(roster[team]),
                        "type": "live.interaction",
                        "occurred_at": (T0 + timedelta(seconds=n)).isoformat(),
                        "kind": "pk",
                        "correct": rng.random() < 0.7,
                        "pk": "pk-bench",
                        "team": team,
                        "round": 1 + n * 5 // answers,
                        "response_ms": rng.randrange(0, 10_000),
                    }
                    sent = time.perf_counter()
                    response = client.post("/v1/events", json={"events": [event]})
                    answered = time.perf_counter()
                    response.raise_for_status()
                    arrived = listener.wait_for(event["id"])
                    push.append((arrived - sent) * 1000)
                    reference.append((answered - sent) * 1000)
                board = client.post("/v1/pk/pk-bench/finish").json()["scoreboard"]
                listener.thread.join(10)
        finally:
            server.should_exit = True
            thread.join()
    print(f"PK: {teams} teams x {size} learners, {answers} answers, SQLite file store")
    _summary("answer -> scoreboard event (SSE)", push)
    _summary("reference: POST /v1/events", reference)
    p99 = statistics.quantiles(sorted(push), n=100, method="inclusive")[98]
    print(f"goal p99 <= 100 ms: {'met' if p99 <= 100 else 'NOT met'} ({p99:.2f} ms)")
    top = board["teams"][0]
    print(f"final: {board['answers']} answers counted; {top['team']} won with "
          f"{top['points']} points")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=500)
    parser.add_argument("--teams", type=int, default=4)
    parser.add_argument("--size", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    run(args.answers, args.teams, args.size, args.seed)


if __name__ == "__main__":
    main()
