"""A small demo school served on loopback, and Debian's Chromium driven by Playwright.

The school is the demo's simulation (classes, personas, renewals) at a size
that ingests in seconds, stored in SQLite as ``make demo`` does, with an A/B
experiment over its classes. It is built once per module: every test only
reads it. Screenshots go to a temporary folder, or to the folder named by
``LEVELWISE_SCREENSHOTS`` (``make screenshots`` uses ``docs/screenshots``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from levelwise.app.simulate.school import simulate, start_demo_experiment
from levelwise.bootstrap import build, create_api
from levelwise.config import Settings
from tests.conftest import FixedClock
from tests.support.live_server import serve

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ROOT / "src/levelwise/examples/programs/english.yaml"
TENANT = "demo"
NOW = "2026-11-12T12:00:00Z"
"""The school's clock: in its tenth week, so this week's board has members."""


@dataclass(frozen=True)
class School:
    """The served demo school.

    Attributes:
        base: The server's base URL.
        api: A client of the JSON API, with the school's key.
        learners: Learner ids, best placed first.
    """

    base: str
    api: httpx.Client
    learners: list[str]

    def link(self, page: str, learner: str | None = None) -> str:
        """A fresh signed link to a page of this school."""
        body: dict[str, Any] = {"page": page}
        if learner is not None:
            body["learner"] = learner
        response = self.api.post("/v1/pages/links", json=body)
        assert response.status_code == 201, response.text
        url: str = response.json()["url"]
        return url


def _chromium_or_skip() -> None:
    if CHROMIUM.exists():
        return
    msg = f"Debian's chromium is not installed at {CHROMIUM} (make browser)"
    if os.environ.get("LEVELWISE_REQUIRE_SERVICES") == "1":
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[School]:
    """The demo school (120 learners, 10 weeks) behind a real uvicorn server."""
    db = tmp_path_factory.mktemp("school") / "demo.db"
    settings = Settings(public_url="http://test", redis_url=None)
    engine = build(f"sqlite:///{db}", settings=settings, clock=FixedClock(NOW))
    engine.put_program(TENANT, PROGRAM.read_text(), str(PROGRAM))
    key = engine.create_key(TENANT, "browser")
    events = list(simulate(engine.program(TENANT), learners=120, weeks=10, seed=3))
    # A platform sends what has happened by the school's clock (later events
    # would be rejected as from the future).
    now = datetime.fromisoformat(NOW)
    events = [e for e in events if datetime.fromisoformat(str(e["occurred_at"])) <= now]
    events.sort(key=lambda e: str(e["occurred_at"]))
    for start in range(0, len(events), 2000):
        engine.ingest(TENANT, events[start : start + 2000])
    start_demo_experiment(engine, TENANT, 120)
    ranked = sorted(
        engine.snapshots(TENANT), key=lambda s: (-s.level, -s.xp, s.learner)
    )
    with serve(create_api(engine)) as base:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as api:
            yield School(base, api, [s.learner for s in ranked])


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's), closed after the module."""
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (1280×900, English browser) that fails on script errors."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    errors: list[str] = []
    tab = context.new_page()
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go."""
    folder = os.environ.get("LEVELWISE_SCREENSHOTS")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")
