"""xAPI record store benchmark: Levelwise against Ralph, same statements, same run.

Run from the repo root: ``.tools/bin/uv run --locked --no-sync python
benchmarks/xapi.py`` (``--quick``: a smoke run of 1,000 + 100 statements;
``--statements N`` batched, ``--singles M`` one per request, ``--batch B``
statements per POST, ``--concurrency C`` clients; ``--ralph-venv DIR`` keeps
Ralph's virtual environment there and reuses it; ``--no-ralph`` measures
Levelwise alone, ``--no-levelwise`` Ralph alone; ``--program FILE`` the
school's program; ``--profile FILE`` writes a cProfile of the Levelwise
server).

Ralph (``ralph-malph``, the Python LRS of France Université Numérique) is
installed by this script with pip into a virtual environment of its own, in a
temporary folder unless ``--ralph-venv`` is given; it is never a dependency
of the project. Its LRS backends are Elasticsearch, MongoDB, ClickHouse and
the file system (``fs``). The first two are not packaged for this machine,
and Debian's ClickHouse (18.16) predates the ``DateTime64`` column and the
``async_insert`` setting Ralph's ClickHouse backend uses, so Ralph runs with
its ``fs`` backend, as in its "first steps" tutorial. As shipped (5.1.0),
that backend writes statements with the ``create`` operation, which refuses
an existing file: every POST after the first fails with a 500. The launcher
below makes it ``append`` (one class attribute, nothing else changed).
Ralph's POST then reads the whole statements file to find duplicate ids and
rewrites its whole history file, so its cost per request grows with the
store: the table shows each side's rate over the first and the last tenth
of each phase's statements.

Both servers are one uvicorn process on loopback, started the way each
documents (Ralph: ``uvicorn ralph.api:app``, here through the launcher;
Levelwise: ``levelwise serve``), each on a fresh store, one after the other
so they never share the two cores. Levelwise's school has a program with an
``xapi:`` mapping (``tests/data/programs/xapi_school.yaml`` by default), so
every statement it stores is also mapped to learning events and folded.

The statements are generated deterministically (:func:`make_statements`):
learners identified by an account, answering questions (choice interactions
with scores, responses and durations), experiencing and completing lessons,
passing and failing unit tests, each with a registration, parent and grouping
context activities and a timestamp in the learner's time zone; they match the
mapping of ``tests/data/programs/xapi_school.yaml`` (:meth:`Catalogue.kana`).
The first ``N`` go in POSTs of ``B`` statements, the next ``M`` one per POST,
by ``C`` clients at once, each client on one kept-alive connection. Per phase
and server: statements per second (statements over wall time of the phase),
request latency p50 and p99, the rates over the first and last tenth, and the
ratio Levelwise/Ralph.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import math
import os
import platform
import random
import secrets
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from servers import free_port, wait_listening

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "tests/data/programs/xapi_school.yaml"
RALPH = "ralph-malph[cli,lrs]==5.1.0"
# Ralph's OIDC module imports requests, which none of its extras above brings.
RALPH_EXTRA = ["requests"]
SCHOOL = "bench"
XAPI_VERSION = "1.0.3"
ORIGIN = datetime(2026, 11, 2, 7, 30, tzinfo=UTC)

VERB_IDS = {
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "experienced": "http://adlnet.gov/expapi/verbs/experienced",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
}
ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "media": "http://adlnet.gov/expapi/activities/media",
    "module": "http://adlnet.gov/expapi/activities/module",
    "question": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
}
PLATFORM = "Kana Online LMS"
EXT_DEVICE = "https://kana.example/xapi/extensions/device"
EXT_SESSION = "https://kana.example/xapi/extensions/session"
ZONES = (UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5)))


# --------------------------------------------------------------------------
# Statements: deterministic, realistic, valid for 1.0.3 and 2.0.0.


@dataclass(frozen=True)
class Lesson:
    """One step of the course: a lesson, its questions and its assessment.

    Attributes:
        iri: The lesson's activity id.
        kind: Its activity type (a key of ``ACTIVITY_TYPES``).
        title: Its name.
        questions: Its questions' activity ids.
        assessment: The activity id of the test or homework that closes it.
    """

    iri: str
    kind: str
    title: str
    questions: tuple[str, ...]
    assessment: str


@dataclass(frozen=True)
class Catalogue:
    """The activities statements are about, and the learners' account home page.

    :meth:`kana` matches the ``xapi:`` mapping of
    ``tests/data/programs/xapi_school.yaml``: its video lessons, quiz and point
    items, its cmi5 test, its homework and listening drill by unit id.
    """

    course: str
    lessons: tuple[Lesson, ...]
    home_page: str

    @classmethod
    def kana(cls, items: int = 8) -> Catalogue:
        site = "https://kana.example"

        def quiz(base: str) -> tuple[str, ...]:
            return tuple(f"{base}/{i + 1}" for i in range(items))

        return cls(
            course=f"{site}/courses/kana",
            lessons=(
                Lesson(
                    f"{site}/video/hiragana",
                    "media",
                    "Hiragana in ten minutes",
                    quiz(f"{site}/quiz/hiragana"),
                    f"{site}/units/kana_homework",
                ),
                Lesson(
                    f"{site}/video/katakana",
                    "media",
                    "Katakana in ten minutes",
                    quiz(f"{site}/points/katakana/items"),
                    f"{site}/cmi5/kana-test",
                ),
                Lesson(
                    f"{site}/units/listening_drill",
                    "module",
                    "Listening drill",
                    quiz(f"{site}/points/kana_listening/items"),
                    f"{site}/cmi5/kana-test",
                ),
            ),
            home_page="https://lms.kana.example",
        )


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _duration(seconds: float) -> str:
    whole = int(seconds)
    minutes, secs = divmod(whole, 60)
    hundredths = round((seconds - whole) * 100) % 100
    frac = f".{hundredths:02d}" if hundredths else ""
    return f"PT{minutes}M{secs}{frac}S" if minutes else f"PT{secs}{frac}S"


def _name(text: str) -> dict[str, str]:
    return {"en-US": text}


def _activity(
    iri: str, kind: str, title: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "name": _name(title),
        "description": _name(f"{title}, Kana Online"),
        "type": ACTIVITY_TYPES[kind],
    }
    definition.update(extra or {})
    return {"objectType": "Activity", "id": iri, "definition": definition}


@dataclass
class _Learner:
    index: int
    registration: str
    zone: timezone
    lesson: int = 0
    step: int = 0
    session: str = ""


def make_statements(
    count: int,
    *,
    learners: int = 200,
    seed: int = 17,
    catalogue: Catalogue | None = None,
) -> list[dict[str, Any]]:
    """``count`` xAPI statements of ``learners`` learners, in time order.

    Each learner goes through the lessons in turn: experiences the lesson,
    answers its questions (choice interactions, 70 % right), completes it
    with the time spent, then passes or fails its assessment (a score out of
    100, 60 to pass). Every statement has an id, a registration per learner,
    parent and grouping context activities, platform, language, extensions
    and a timestamp in the learner's time zone. The same arguments always
    give the same statements, ids included.

    Args:
        count: How many statements.
        learners: How many learners (accounts ``learner-0001`` ...).
        seed: The random seed.
        catalogue: The activities (default: :meth:`Catalogue.kana`).
    """
    cat = catalogue or Catalogue.kana()
    rng = random.Random(seed)
    people = [
        _Learner(i, _uuid(rng), ZONES[i % len(ZONES)], lesson=i % len(cat.lessons))
        for i in range(learners)
    ]
    now = ORIGIN
    out: list[dict[str, Any]] = []
    while len(out) < count:
        now += timedelta(seconds=rng.randint(1, 40))
        person = people[rng.randrange(learners)]
        if not person.session:
            person.session = _uuid(rng)
        out.append(_next_statement(person, cat, now, rng))
    return out


def _next_statement(
    person: _Learner, cat: Catalogue, at: datetime, rng: random.Random
) -> dict[str, Any]:
    lesson = cat.lessons[person.lesson]
    lesson_object = _activity(lesson.iri, lesson.kind, lesson.title)
    step = person.step
    parents = [{"objectType": "Activity", "id": cat.course}]
    if step == 0:
        verb, obj = "experienced", lesson_object
        result = {"duration": _duration(rng.uniform(30, 600))}
    elif step <= len(lesson.questions):
        verb = "answered"
        obj = _question(lesson.questions[step - 1], step)
        correct = rng.random() < 0.7
        result = {
            "success": correct,
            "response": "b" if correct else rng.choice("acd"),
            "score": {"scaled": 1.0 if correct else 0.0, "raw": int(correct)},
            "duration": _duration(rng.uniform(4, 90)),
        }
        parents = [{"objectType": "Activity", "id": lesson.iri}]
    elif step == len(lesson.questions) + 1:
        verb, obj = "completed", lesson_object
        result = {"completion": True, "duration": _duration(rng.uniform(300, 1800))}
    else:
        raw = rng.randint(40, 100)
        verb = "passed" if raw >= 60 else "failed"
        obj = _activity(lesson.assessment, "assessment", "Kana test")
        result = {
            "success": raw >= 60,
            "completion": True,
            "score": {"scaled": raw / 100, "raw": raw, "min": 0, "max": 100},
            "duration": _duration(rng.uniform(300, 1200)),
        }
        parents = [{"objectType": "Activity", "id": lesson.iri}]
    person.step += 1
    if person.step > len(lesson.questions) + 2:
        person.step = 0
        person.lesson = (person.lesson + 1) % len(cat.lessons)
        person.session = ""
    return {
        "id": _uuid(rng),
        "actor": {
            "objectType": "Agent",
            "name": f"Learner {person.index + 1}",
            "account": {
                "homePage": cat.home_page,
                "name": f"learner-{person.index + 1:04d}",
            },
        },
        "verb": {"id": VERB_IDS[verb], "display": _name(verb)},
        "object": obj,
        "result": result,
        "context": {
            "registration": person.registration,
            "contextActivities": {
                "parent": parents,
                "grouping": [{"objectType": "Activity", "id": cat.course}],
            },
            "platform": PLATFORM,
            "language": "ja-JP",
            "extensions": {
                EXT_DEVICE: rng.choice(("web", "ios", "android")),
                EXT_SESSION: person.session,
            },
        },
        "timestamp": at.astimezone(person.zone).isoformat(timespec="milliseconds"),
    }


def _question(iri: str, number: int) -> dict[str, Any]:
    choices = [
        {"id": key, "description": _name(text)}
        for key, text in (("a", "ka"), ("b", "ki"), ("c", "ku"), ("d", "ke"))
    ]
    return _activity(
        iri,
        "question",
        f"Question {number}",
        {
            "interactionType": "choice",
            "correctResponsesPattern": ["b"],
            "choices": choices,
        },
    )


# --------------------------------------------------------------------------
# Statistics.


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by the nearest-rank method.

    Raises:
        ValueError: ``values`` is empty or ``q`` is outside [0, 1].
    """
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 1:
        raise ValueError(f"quantile {q} outside [0, 1]")
    ordered = sorted(values)
    # round() first: 0.99 * 100 is 99.00000000000001, whose ceiling is 100.
    rank = max(1, math.ceil(round(q * len(ordered), 9)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Request:
    """One timed request: when it started and ended, how many statements."""

    start: float
    end: float
    statements: int
    status: int


@dataclass(frozen=True)
class Phase:
    """The figures of one phase on one server."""

    statements: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    first_tenth: float
    last_tenth: float

    @property
    def rate(self) -> float:
        return self.statements / self.seconds if self.seconds > 0 else 0.0


def summarise(requests: Sequence[Request], seconds: float) -> Phase:
    """Statements per second over ``seconds`` and latency quantiles of ``requests``.

    A request that was not answered with 2xx counts as an error and its
    statements are not counted as stored. The rates over the first and the
    last tenth of the statements show a cost that grows with the store.
    """
    ok = [r for r in requests if 200 <= r.status < 300]
    latencies = [(r.end - r.start) * 1000 for r in requests] or [0.0]
    return Phase(
        statements=sum(r.statements for r in ok),
        requests=len(requests),
        seconds=seconds,
        p50_ms=percentile(latencies, 0.5),
        p99_ms=percentile(latencies, 0.99),
        errors=len(requests) - len(ok),
        first_tenth=window_rate(ok, first=True, share=0.1),
        last_tenth=window_rate(ok, first=False, share=0.1),
    )


def window_rate(requests: Sequence[Request], first: bool, share: float) -> float:
    """Statements per second over the first (or last) ``share`` of the statements.

    Requests are taken in order of completion until they hold ``share`` of
    all statements; the rate is their statements over the time from the
    first one's start to the last one's end.
    """
    ordered = sorted(requests, key=lambda r: r.end, reverse=not first)
    total = sum(r.statements for r in ordered)
    taken: list[Request] = []
    held = 0
    for r in ordered:
        taken.append(r)
        held += r.statements
        if held >= share * total:
            break
    if not taken:
        return 0.0
    span = max(r.end for r in taken) - min(r.start for r in taken)
    return held / span if span > 0 else 0.0


def chunks(items: Sequence[Any], size: int) -> list[list[Any]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


# --------------------------------------------------------------------------
# The load: C clients, each on one kept-alive connection.


@dataclass
class Target:
    """An LRS under test: its address, statements path and credentials."""

    name: str
    port: int
    statements_path: str
    user: str
    password: str
    extra_headers: dict[str, str] = field(default_factory=dict)
    settle: Callable[[int], float] | None = None
    events: Callable[[], int] | None = None
    """Waits until the server's work on ``n`` statements is done; seconds waited
    (our feed worker folds statements after they are answered)."""

    def headers(self) -> dict[str, str]:
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return {
            "Authorization": f"Basic {token}",
            "X-Experience-API-Version": XAPI_VERSION,
            "Content-Type": "application/json",
            **self.extra_headers,
        }


def drive(
    target: Target, bodies: Sequence[tuple[bytes, int]], concurrency: int
) -> tuple[list[Request], float, str]:
    """POST every body with ``concurrency`` clients.

    Returns:
        Every request, the wall time of all of them, and the first error seen.
    """
    results: list[Request] = []
    lock = threading.Lock()
    cursor = iter(range(len(bodies)))
    first_error: list[str] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=600)
        headers = target.headers()
        mine: list[Request] = []
        try:
            while True:
                with lock:
                    index = next(cursor, None)
                if index is None:
                    break
                body, n = bodies[index]
                start = time.perf_counter()
                conn.request("POST", target.statements_path, body, headers)
                response = conn.getresponse()
                data = response.read()
                end = time.perf_counter()
                mine.append(Request(start, end, n, response.status))
                if response.status >= 300 and not first_error:
                    first_error.append(f"{response.status} {data[:300]!r}")
        finally:
            conn.close()
            with lock:
                results.extend(mine)

    workers = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return results, time.perf_counter() - started, (first_error or [""])[0]


def get(target: Target, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=60)
    try:
        headers = {k: v for k, v in target.headers().items() if k != "Content-Type"}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --------------------------------------------------------------------------
# Servers.


@contextlib.contextmanager
def running(
    command: list[str], port: int, log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=log.parent
        )
        try:
            wait_listening(port, process, log)
            yield process
        finally:
            # SIGINT: uvicorn shuts down cleanly (and cProfile writes its file).
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


RALPH_LAUNCHER = textwrap.dedent(
    """\
    # Ralph's uvicorn app with its fs LRS backend appending to its file:
    # as shipped the backend "creates" the file on every write and so fails
    # from the second POST on.
    import sys

    import uvicorn
    from ralph.backends.data.base import BaseOperationType
    from ralph.backends.lrs.fs import FSLRSBackend

    FSLRSBackend.default_operation_type = BaseOperationType.APPEND
    uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), workers=1)
    """
)


def ralph_venv(folder: Path) -> tuple[Path, float | None]:
    """Ralph's virtual environment in ``folder`` (made when missing); its python."""
    python = folder / "bin" / "python"
    check = [str(python), "-c", "import ralph.api, uvicorn"]
    env = {**os.environ, "RALPH_RUNSERVER_BACKEND": "fs"}
    if python.exists() and subprocess.run(check, env=env).returncode == 0:
        return python, None
    started = time.perf_counter()
    print(f"installing {RALPH} into a virtual environment (a minute or so) ...")
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, RALPH, *RALPH_EXTRA], check=True)
    subprocess.run(check, env=env, check=True)
    return python, time.perf_counter() - started


HTTP_STACK = """\
import importlib.metadata as m
import importlib.util as u
parts = ["httptools" if u.find_spec("httptools") else "h11"]
parts.append("uvloop" if u.find_spec("uvloop") else "asyncio")
print(f"uvicorn {m.version('uvicorn')} ({', '.join(parts)})")
"""


def http_stack(python: Path | str) -> str:
    """The uvicorn version and the HTTP parser and event loop it picks there."""
    return subprocess.run(
        [str(python), "-c", HTTP_STACK], capture_output=True, text=True, check=True
    ).stdout.strip()


def ralph_version(python: Path) -> str:
    code = "import importlib.metadata as m; print(m.version('ralph-malph'))"
    return subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


@contextlib.contextmanager
def ralph_server(python: Path, folder: Path) -> Iterator[Target]:
    app_dir = folder / "ralph-app"
    store = folder / "ralph-fs"
    app_dir.mkdir()
    store.mkdir()
    env = {
        **os.environ,
        "RALPH_APP_DIR": str(app_dir),
        "RALPH_RUNSERVER_BACKEND": "fs",
        "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(store),
    }
    password = secrets.token_urlsafe(18)
    subprocess.run(
        [
            str(python.parent / "ralph"),
            "auth",
            "--username",
            "bench",
            "--password",
            password,
            "--scope",
            "all",
            "--agent-ifi-mbox",
            "mailto:bench@school.example",
            "--write-to-disk",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    launcher = folder / "ralph_launcher.py"
    launcher.write_text(RALPH_LAUNCHER)
    port = free_port()
    log = folder / "ralph.log"
    with running([str(python), str(launcher), str(port)], port, log, env):
        yield Target("Ralph (fs)", port, "/xAPI/statements", "bench", password)


LEVELWISE_RUNNER = "import sys\nfrom levelwise.cli import main\n\nsys.exit(main())\n"


def levelwise(*args: str) -> str:
    """Run the ``levelwise`` command of this checkout; its output."""
    command = [sys.executable, "-c", LEVELWISE_RUNNER, *args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"levelwise {' '.join(args)}: {done.stderr or done.stdout}")
    return done.stdout


def lrs_credentials(db: Path | str, school: str = SCHOOL) -> tuple[str, str]:
    """A new LRS client of the school: its key and secret (HTTP Basic)."""
    out = levelwise(
        "xapi", "clients", "add", "--tenant", school, "--db", str(db), "--json"
    )
    made = json.loads(out)
    return str(made["key"]), str(made["secret"])


@contextlib.contextmanager
def levelwise_server(
    folder: Path,
    program: Path,
    profile: Path | None,
    feed: str = "worker",
    url: str | None = None,
) -> Iterator[Target]:
    db: Path | str = url or folder / "levelwise.db"
    school = SCHOOL if url is None else f"{SCHOOL}-{uuid.uuid4().hex[:8]}"
    levelwise("program", "set", str(program), "--tenant", school, "--db", str(db))
    key, secret = lrs_credentials(db, school)
    port = free_port()
    runner = folder / "levelwise_runner.py"
    runner.write_text(LEVELWISE_RUNNER)
    command = [sys.executable]
    if profile is not None:
        command += ["-m", "cProfile", "-o", str(profile.resolve())]
    command += [str(runner), "serve", "--db", str(db), "--port", str(port)]
    env = {**os.environ, "LEVELWISE_XAPI_FEED": feed}

    def settle(expected: int) -> float:
        """Wait until the log holds ``expected`` events (what the feed made)."""
        start = time.perf_counter()
        last, idle = -1, start
        while True:
            now = levelwise_events(db, school)
            if now >= expected:
                return time.perf_counter() - start
            if now != last:
                last, idle = now, time.perf_counter()
            elif time.perf_counter() - idle > 30:
                tail = (folder / "levelwise.log").read_text()[-3000:]
                msg = f"the feed stopped at {now} of {expected} events:\n{tail}"
                raise RuntimeError(msg)
            time.sleep(0.02)

    with running(command, port, folder / "levelwise.log", env):
        yield Target(
            "Levelwise",
            port,
            "/xapi/statements",
            key,
            secret,
            settle=settle,
            events=lambda: levelwise_events(db, school),
        )


def levelwise_events(db: Path | str, school: str = SCHOOL) -> int:
    """Learning events in the school's log (what the mapping made)."""
    if isinstance(db, str):  # a PostgreSQL URL
        import psycopg

        dsn = db.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as conn:
            found = conn.execute(
                "SELECT count(*) FROM events WHERE tenant = %s", (school,)
            ).fetchone()
        return int(found[0]) if found else 0
    with contextlib.closing(sqlite3.connect(db)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM events WHERE tenant = ?", (school,)
        ).fetchone()
    return int(row[0])


# --------------------------------------------------------------------------
# One server's run.


@dataclass
class Run:
    """A server's figures: batches and singles."""

    name: str
    batches: Phase
    singles: Phase | None
    stored_check: str


def bodies_of(
    statements: Sequence[dict[str, Any]], batch: int
) -> list[tuple[bytes, int]]:
    if batch == 1:
        return [(json.dumps(s).encode(), 1) for s in statements]
    return [(json.dumps(c).encode(), len(c)) for c in chunks(statements, batch)]


def measure(
    target: Target,
    batched: Sequence[tuple[bytes, int]],
    singles: Sequence[tuple[bytes, int]],
    concurrency: int,
    last_id: str,
) -> Run:
    # One warm-up request each, of a statement of its own (not timed).
    warm = make_statements(1, learners=1, seed=999)
    requests, _, error = drive(target, [(json.dumps(warm).encode(), 1)], 1)
    if error:
        raise RuntimeError(f"{target.name}: warm-up failed: {error}")
    done = 1
    if target.settle is not None:
        target.settle(done)
    requests, seconds, error = drive(target, batched, concurrency)
    if error:
        print(f"  {target.name}: first error (batches): {error}")
    done += sum(n for _, n in batched)
    if target.settle is not None:  # the phase ends when its events are folded
        waited = target.settle(done)
        print(
            f"  {target.name}: batches answered in {seconds:.1f} s, "
            f"their events folded {waited:.1f} s later"
        )
        seconds += waited
    batches = summarise(requests, seconds)
    single_phase = None
    if singles:
        requests, seconds, error = drive(target, singles, concurrency)
        if error:
            print(f"  {target.name}: first error (singles): {error}")
        done += sum(n for _, n in singles)
        if target.settle is not None:
            seconds += target.settle(done)
        single_phase = summarise(requests, seconds)
    status, _ = get(target, f"{target.statements_path}?statementId={last_id}")
    check = "last statement read back" if status == 200 else f"GET gave {status}"
    return Run(target.name, batches, single_phase, check)


# --------------------------------------------------------------------------
# Report.


def print_table(runs: Sequence[Run], batch: int) -> None:
    head = (
        f"{'phase':<17}{'server':<12}{'statements/s':>13}{'p50 ms':>9}"
        f"{'p99 ms':>9}{'requests':>9}{'errors':>7}{'first 10%':>11}"
        f"{'last 10%':>10}"
    )
    print(head)
    print("-" * len(head))
    phases: list[tuple[str, list[tuple[str, Phase]]]] = [
        (f"batches of {batch}", [(r.name, r.batches) for r in runs]),
        ("singles", [(r.name, r.singles) for r in runs if r.singles is not None]),
    ]
    for label, rows in phases:
        for name, p in rows:
            print(
                f"{label:<17}{name:<12}{p.rate:>13,.0f}{p.p50_ms:>9.1f}"
                f"{p.p99_ms:>9.1f}{p.requests:>9,}{p.errors:>7}"
                f"{p.first_tenth:>11,.0f}{p.last_tenth:>10,.0f}"
            )
        by = dict(rows)
        if "Levelwise" in by and "Ralph (fs)" in by:
            ours, theirs = by["Levelwise"], by["Ralph (fs)"]
            print(
                f"{'':<17}{'ratio':<12}{_ratio(ours.rate, theirs.rate):>13}"
                f"{_ratio(theirs.p50_ms, ours.p50_ms):>9}"
                f"{_ratio(theirs.p99_ms, ours.p99_ms):>9}{'':>16}"
                f"{_ratio(ours.first_tenth, theirs.first_tenth):>11}"
                f"{_ratio(ours.last_tenth, theirs.last_tenth):>10}"
            )
    if len(runs) > 1:
        print(
            "ratio: Levelwise/Ralph for rates, Ralph/Levelwise for latencies "
            "(above 1: Levelwise is better)"
        )
    for r in runs:
        print(f"{r.name}: {r.stored_check}")


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=10_000, help="batched")
    parser.add_argument("--singles", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--program", type=Path, default=PROGRAM)
    parser.add_argument("--ralph-venv", type=Path, default=None)
    parser.add_argument("--no-ralph", action="store_true")
    parser.add_argument("--no-levelwise", action="store_true")
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument(
        "--db",
        default=None,
        help="our store: a PostgreSQL URL (a new school each run); default: a "
        "fresh SQLite file",
    )
    parser.add_argument(
        "--feed",
        choices=["worker", "inline"],
        default="worker",
        help="LEVELWISE_XAPI_FEED of our server (worker: a feed process folds "
        "the statements; each phase is timed until its last event is folded)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1,000 + 100 statements"
    )
    args = parser.parse_args()
    if args.quick:
        args.statements, args.singles = 1_000, 100
    statements = make_statements(
        args.statements + args.singles, learners=args.learners, seed=args.seed
    )
    batched = bodies_of(statements[: args.statements], args.batch)
    singles = bodies_of(statements[args.statements :], 1)
    size = statistics.fmean(len(json.dumps(s)) for s in statements)
    last_id = statements[-1]["id"]
    program_text = args.program.read_text() if args.program.exists() else ""
    mapped = "with its xapi: mapping" if "\nxapi:" in program_text else "NO xapi: map"
    print(
        f"python {platform.python_version()}; {os.cpu_count()} cores; "
        f"{datetime.now(UTC):%Y-%m-%d}"
    )
    print(
        f"{args.statements:,} statements in POSTs of {args.batch}, then "
        f"{args.singles:,} one per POST; {args.learners} learners; "
        f"{args.concurrency} clients; mean statement {size:,.0f} bytes; "
        f"X-Experience-API-Version {XAPI_VERSION}"
    )
    print(
        f"Levelwise program: {args.program.name} ({mapped}), "
        f"{http_stack(sys.executable)}, LEVELWISE_XAPI_FEED={args.feed}"
    )
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="xapi-bench-") as tmp:
        folder = Path(tmp)
        if not args.no_ralph:
            venv = args.ralph_venv or folder / "ralph-venv"
            python, took = ralph_venv(venv)
            setup = f", installed in {took:.0f} s" if took else ""
            print(
                f"Ralph {ralph_version(python)}, fs backend, "
                f"{http_stack(python)}{setup}"
            )
            with ralph_server(python, folder) as target:
                runs.append(
                    measure(target, batched, singles, args.concurrency, last_id)
                )
        if not args.no_levelwise:
            with levelwise_server(
                folder, args.program, args.profile, args.feed, args.db
            ) as target:
                runs.append(
                    measure(target, batched, singles, args.concurrency, last_id)
                )
                counted = target.events() if target.events else 0
        print()
        print_table(runs, args.batch)
        if not args.no_levelwise:
            print(f"Levelwise: {counted:,} learning events mapped from the statements")
        if args.profile:
            print(f"cProfile of the Levelwise server: {args.profile}")


if __name__ == "__main__":
    main()
