"""Page benchmark: the learner page and the operator dashboard at 10,000 learners.

Run from the repo root: ``.venv/bin/python benchmarks/pages.py``
(``--learners N``, default 10,000; ``--weeks W``, default 12; ``--samples S``,
default 30; ``--db PATH`` keeps the school in that SQLite file and reuses it
when it exists; ``--no-browser`` skips the Chromium timings).

The school is the demo's (``levelwise demo`` with the same seed), ingested
through the service into SQLite as ``make demo`` does, with the demo's A/B
experiment. After ingesting, the metrics projection is caught up once (timed
and printed: that is the one-off cost ``make demo`` pays). A uvicorn server
then serves the pages on loopback.

Two timings per page, each over ``S`` requests:

* **server**: from sending the GET to the last byte of the HTML (httpx over
  loopback). Learner pages go to ``S`` learners spread over the ranking;
  dashboard requests alternate between no filter, a class, a cohort and a
  time range.
* **browser**: Debian's Chromium through Playwright, from navigation start to
  the ``load`` event; for the dashboard, to its script having drawn every
  chart (it then sets ``data-ready`` on ``<body>``).

The reference, measured in the same run on the same learners and filters, is
the JSON API call the page stands on: ``GET /v1/learners/{id}`` for a learner
page, ``GET /v1/metrics`` for the dashboard. The goal is that both pages
render in under 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from levelwise.app.simulate.school import simulate, start_demo_experiment
from levelwise.bootstrap import build, create_api
from tests.support.live_server import serve

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "src/levelwise/examples/programs/english.yaml"
TENANT = "demo"
BATCH = 5000


def _school(db: Path, learners: int, weeks: int) -> tuple[Any, str]:
    fresh = not db.exists()
    engine = build(f"sqlite:///{db}")
    if fresh:
        engine.put_program(TENANT, PROGRAM.read_text(), str(PROGRAM))
        events = list(simulate(engine.program(TENANT), learners=learners, weeks=weeks))
        events.sort(key=lambda e: str(e["occurred_at"]))
        started = time.perf_counter()
        for start in range(0, len(events), BATCH):
            engine.ingest(TENANT, events[start : start + BATCH])
        took = time.perf_counter() - started
        print(
            f"ingested {len(events):,} events of {learners:,} learners in {took:.0f} s"
        )
        start_demo_experiment(engine, TENANT, learners)
    started = time.perf_counter()
    report = engine.metrics.catch_up(TENANT)
    took = time.perf_counter() - started
    print(f"metrics projection caught up in {took:.1f} s ({report})")
    return engine, engine.create_key(TENANT, "bench")


def _quantiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


def _time(get: Callable[[str], httpx.Response], urls: list[str]) -> list[float]:
    times = []
    for url in urls:
        started = time.perf_counter()
        response = get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return times


def _report(name: str, page: list[float], reference: list[float]) -> None:
    med, p95, top = _quantiles(page)
    ref = statistics.median(reference)
    print(
        f"{name:<22} median {med * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  "
        f"max {top * 1000:7.1f} ms  | reference median {ref * 1000:6.1f} ms  "
        f"ratio {med / ref:5.1f}x"
    )


def _browser_times(urls: list[str], ready: str | None) -> list[float]:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        for url in urls:
            tab.goto(url, wait_until="load")
            if ready:
                tab.wait_for_selector(ready, state="attached", timeout=10_000)
            took = tab.evaluate(
                "Math.max(performance.getEntriesByType('navigation')[0].loadEventEnd,"
                " ...performance.getEntriesByName('levelwise-charts-drawn')"
                ".map(m => m.startTime))"
            )
            times.append(float(took) / 1000)
        chromium.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or Path(folder) / "pages.db"
        engine, key = _school(db, args.learners, args.weeks)
        ranked = sorted(engine.snapshots(TENANT), key=lambda s: (-s.level, -s.xp))
        step = max(1, len(ranked) // args.samples)
        learners = [s.learner for s in ranked[::step]][: args.samples]
        filters = [
            "",
            "class=class-02",
            "cohort=2026-09",
            "start=2026-10-01&end=2026-10-31",
        ]
        queries = [filters[i % len(filters)] for i in range(args.samples)]
        headers = {"Authorization": f"Bearer {key}"}
        with (
            serve(create_api(engine)) as base,
            httpx.Client(base_url=base, headers=headers, timeout=60) as client,
        ):

            def link(body: dict[str, str]) -> str:
                url: str = client.post("/v1/pages/links", json=body).json()["url"]
                return url

            board = link({"page": "dashboard"})
            pages = [link({"page": "learner", "learner": x}) for x in learners]
            boards = [f"{board}&{q}" if q else board for q in queries]
            print(f"{len(ranked):,} learners; {args.samples} requests per timing")
            _report(
                "learner page (server)",
                _time(client.get, pages),
                _time(client.get, [f"/v1/learners/{x}" for x in learners]),
            )
            _report(
                "dashboard (server)",
                _time(client.get, boards),
                _time(client.get, [f"/v1/metrics?{q}" for q in queries]),
            )
            if not args.no_browser:
                _report(
                    "learner page (browser)",
                    _browser_times(pages, None),
                    _time(client.get, [f"/v1/learners/{x}" for x in learners]),
                )
                _report(
                    "dashboard (browser)",
                    _browser_times(boards, "body[data-ready]"),
                    _time(client.get, [f"/v1/metrics?{q}" for q in queries]),
                )


if __name__ == "__main__":
    main()
