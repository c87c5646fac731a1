"""The ``levelwise demo`` command: a simulated school, ingested, summarised, served.

It simulates the school (:mod:`levelwise.app.simulate.school`), ingests it through the
service in batches as a platform would, posts call-quality statistics of some of
its live classes and ends them (:mod:`levelwise.app.simulate.calls`), starts the
demo's A/B experiment, catches the metrics projection up, prints a summary
(with call quality and drop-out by band) and example receipts,
then serves the API and the pages and prints signed links to the dashboard
and to a learner's page (opened in a browser when the machine has one).
"""

from __future__ import annotations

import gc
import os
import time
import webbrowser
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from levelwise.cli.examples import PROGRAM_HELP, program_file
from levelwise.cli.options import (
    escape,
    fail,
    open_engine,
    out,
    progress,
    rate,
    read_input,
    receipt_line,
)
from levelwise.errors import LevelwiseError

if TYPE_CHECKING:
    from collections.abc import Callable

    from levelwise.app.engine import Levelwise
    from levelwise.app.practice.service import Finished
    from levelwise.app.simulate.calls import CallPlan
    from levelwise.app.views import ProgramSummary

TENANT = "demo"

app = typer.Typer()
"""Nameless: ``demo`` is a command of ``levelwise`` itself."""


@app.command()
def demo(
    learners: Annotated[int, typer.Option(min=1)] = 2000,
    weeks: Annotated[int, typer.Option(min=1, max=52)] = 12,
    seed: int = 7,
    program: Annotated[
        Path | None, typer.Option("--program", help=PROGRAM_HELP)
    ] = None,
    db: Annotated[
        str,
        typer.Option(
            "--db", help="The demo's store (a SQLite file is made afresh each run)."
        ),
    ] = "sqlite:///levelwise-demo.db",
    serve_api: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
    open_browser: Annotated[bool, typer.Option("--open/--no-open")] = True,
    port: int = 8000,
    live_classes: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Live classes simulated with call-quality statistics at 1 Hz "
            "(default: one for every 16 learners, at most 120).",
        ),
    ] = None,
) -> None:
    """Simulate an online school, ingest it, summarise, serve API and pages."""
    from levelwise.app.simulate.school import START, start_demo_experiment
    from levelwise.bootstrap import store_url

    with program_file(program) as path:
        source, name = read_input(path), str(path)
    url = store_url(db)
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            file = url.removeprefix("sqlite:///") + suffix
            if os.path.exists(file):
                os.remove(file)
    engine = open_engine(url, create=True)
    try:
        compiled = engine.put_program(TENANT, source, name)
    except LevelwiseError as exc:
        raise fail(exc, school=TENANT) from exc
    key = engine.create_key(TENANT, "demo")
    out().print(f"program: {compiled.title} ({compiled.units} units); simulating…")
    if live_classes is None:
        live_classes = min(120, max(4, learners // 16))
    plan = _ingest(engine, learners, weeks, seed, live_classes)
    _calls(engine, plan)
    start_demo_experiment(engine, TENANT, learners)
    started = time.perf_counter()
    engine.metrics.catch_up(TENANT)
    took = time.perf_counter() - started
    out().print(f"metrics projection built in {took:.1f} s")
    _quality_summary(engine)
    _teams_summary(engine)
    best = _summary(engine, compiled, START + timedelta(weeks=weeks))
    _practice(engine, best, url)
    if serve_api:
        _serve(engine, best, key, port, open_browser)


def _ingest(
    engine: Levelwise, learners: int, weeks: int, seed: int, classes: int
) -> CallPlan:
    """Simulate the school and its calls; ingest the events as the calls went."""
    from levelwise.app.engine import MAX_BATCH
    from levelwise.app.simulate.calls import plan_calls
    from levelwise.app.simulate.school import simulate

    program = engine.program(TENANT)
    simulated = list(simulate(program, learners=learners, weeks=weeks, seed=seed))
    plan = plan_calls(simulated, classes, seed=seed)
    events = plan.events
    del simulated
    events.sort(key=lambda e: str(e["occurred_at"]))
    # The simulated school lives in memory until ingested: keep the cyclic
    # garbage collector from walking it again and again.
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    with progress() as bar:
        task = bar.add_task("ingesting", total=len(events))
        for start in range(0, len(events), MAX_BATCH):
            engine.ingest(TENANT, events[start : start + MAX_BATCH])
            bar.advance(task, min(MAX_BATCH, len(events) - start))
    elapsed = time.perf_counter() - started
    out().print(
        f"ingested {len(events):,} events of {learners:,} learners in {elapsed:.1f} s "
        f"({rate(len(events), elapsed)})"
    )
    return plan


def _calls(engine: Levelwise, plan: CallPlan) -> None:
    """Post the planned classes' call-quality samples and end the classes."""
    from levelwise.app.simulate.calls import run_calls

    started = time.perf_counter()
    run = run_calls(engine.quality, TENANT, plan)
    elapsed = time.perf_counter() - started
    per_second = run.samples / max(elapsed, 1e-6)
    out().print(
        f"live classes: {run.classes:,} with call quality, {run.samples:,} samples "
        f"at 1 Hz graded in {elapsed:.1f} s ({per_second:,.0f} samples/s); "
        f"{run.credited_seconds / 60:.1f} live minutes lost to drops credited "
        f"({run.credits} credits)",
        highlight=False,
    )


def _quality_summary(engine: Levelwise) -> None:
    """Print the classes per band and the drop-out by band the dashboard shows."""
    from functools import partial

    from levelwise.app.metrics.service import MetricFilter

    panel = engine.quality.panel(TENANT)
    if not panel.classes:
        return
    bands = engine.metrics.quality_bands(
        TENANT, MetricFilter(), partial(engine.quality.participations, TENANT)
    )
    names = ("good", "acceptable", "degraded", "broken")
    classes = ", ".join(f"{n} {c}" for n, c in zip(names, panel.bands, strict=True))
    dropout = ", ".join(
        f"{r.band} {r.dropout.value:.0%} (n={r.dropout.n})"
        for r in bands.rows
        if r.dropout.value is not None
    )
    out().print(
        f"call quality: classes {classes}; drop-out during class: {dropout}",
        highlight=False,
    )


def _teams_summary(engine: Levelwise, top: int = 3) -> None:
    """Print each team task's rewards and its best window's leading classes."""
    from levelwise.cli.teams import progress_line

    program = engine.program(TENANT)
    for task in program.team_tasks:
        met = engine.teams.goals_met(TENANT, task.id)
        rewarded = sum(m.rewarded for m in met)
        out().print(
            f"team task {task.id}: goal met {len(met)} times, "
            f"{rewarded} learners rewarded (+{task.reward_xp} XP each)",
            highlight=False,
        )
        windows = engine.teams.windows(TENANT, task.id)
        if task.every is not None or not windows:
            continue
        # The week whose leading class came closest to the goal.
        tables = [engine.teams.standings(TENANT, task.id, w) for w in windows]
        best = max(tables, key=lambda rows: rows[0].total if rows else 0.0)
        for p in best[:top]:
            out().print("  " + progress_line(p), highlight=False, markup=False)


def _summary(engine: Levelwise, compiled: ProgramSummary, now: datetime) -> str:
    """Print the summary; return the best placed learner (for the page link)."""
    from rich.table import Table

    from levelwise.app.metrics.analytics import level_summary

    states = engine.snapshots(TENANT)
    summary = level_summary(states, engine.program(TENANT), now)
    table = Table("level", "learners")
    for level, count in summary.distribution.items():
        table.add_row(level, str(count))
    out().print(table)
    out().print(
        f"level-ups: {summary.level_ups}; median weeks per level-up: "
        f"{summary.median_weeks_per_level_up}; levelled up in the last week: "
        f"{summary.levelled_up_this_week}"
    )
    best = max(states, key=lambda s: (s.level, s.xp, s.learner))
    out().print(f"\nexample receipts of {best.learner} ({compiled.title}):")
    levels = engine.receipts(TENANT, best.learner, limit=3, kinds=["level_reached"])
    seen: set[str] = set()
    varied = []
    for row in engine.receipts(TENANT, best.learner, limit=500, kinds=["xp"]):
        if row["receipt"]["rule"] not in seen:
            seen.add(row["receipt"]["rule"])
            varied.append(row)
    for row in [*levels, *varied[:6]]:
        out().print("  " + receipt_line(row), highlight=False, markup=False)
    return best.learner


def _practice(engine: Levelwise, learner: str, url: str) -> None:
    """Hold one text session with the scripted partner and show what it recorded.

    The demo learner answers each line of the unit's scenario with the
    scenario's own example answer (its first branch's first, else the line's
    own first; else a sentence with the line's keywords), as a learner on
    topic would, so the dialogue runs its course; the session is then scored
    and its ``practice.completed`` event ingested like any other.
    """
    import asyncio

    from levelwise.cli.practice import report_session

    try:
        opened = engine.practice.start(TENANT, learner)
    except LevelwiseError as exc:
        out().print(f"no practice session: {exc}", highlight=False)
        return
    record = opened.record
    scenario = engine.program(TENANT).practice.scenario_by_unit.get(record.unit)
    out().print(
        f"\na practice session of {learner} with the scripted partner "
        f"({record.scenario or record.unit}):",
        highlight=False,
    )
    lines = scenario.line_by_id if scenario is not None else {}

    def answer(partner: str) -> str:
        for line in lines.values():
            if line.say != partner:
                continue
            first = line.branches[0].examples if line.branches else ()
            examples = (*first, *line.examples)
            if examples:
                return examples[0]
            if line.branches:
                words = ", ".join(line.branches[0].keywords[:2])
                return f"Well, {words}. I think that is right for me."
        return "Yes, thank you. That sounds good to me."

    finished = asyncio.run(_converse(engine, record.session, answer))
    report_session(engine, TENANT, finished, indent="  ")
    out().print(
        f"  talk to the partner yourself: levelwise practice try --learner "
        f"{learner} --db {url}",
        highlight=False,
    )


async def _converse(
    engine: Levelwise, session: str, answer: Callable[[str], str], turns: int = 6
) -> Finished:
    from levelwise.cli.practice import Transcript

    shown = Transcript(indent="  ")
    live = engine.practice.connect(TENANT, session, shown, voice=False)
    await live.begin()
    await live.idle()
    for _ in range(turns):
        said = answer(live.turns[-1].text)
        out().print(f"  [bold]learner>[/] {escape(said)}", highlight=False)
        await live.text(said)
        await live.idle()
        if getattr(live.script, "ended", False):
            break
    await live.close()
    return engine.practice.finish(TENANT, session)


def _serve(engine: Levelwise, best: str, key: str, port: int, browse: bool) -> None:
    import uvicorn

    from levelwise import bootstrap
    from levelwise.app.links import PageGrant, link_path

    api = bootstrap.create_api(engine)
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    base = f"http://127.0.0.1:{port}"
    urls = []
    for grant in (
        PageGrant(TENANT, "dashboard", "", expires),
        PageGrant(TENANT, "learner", best, expires),
    ):
        urls.append(base + link_path(grant, engine.links.sign(grant)))
    out().print(
        f"\nAPI on {base} (docs: /docs). Try:\n"
        f'  curl -H "Authorization: Bearer {key}" {base}/v1/learners/{best}\n'
        f"Practice: POST {base}/v1/practice, then the WebSocket it names "
        "(docs/practice.md)\n"
        f"\nDashboard:      {urls[0]}\nA learner page: {urls[1]}\n"
        "(links work for 7 days while this server runs; add &lang=zh-CN for Chinese)",
        highlight=False,
        soft_wrap=True,
    )
    if browse:
        webbrowser.open(urls[0])  # a no-op on a machine without a browser
    uvicorn.run(api, host="127.0.0.1", port=port)
