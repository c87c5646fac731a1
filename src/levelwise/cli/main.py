"""The root ``levelwise`` app, the core commands and ``main()``.

The core commands are ``program check|set``, ``ingest``, ``learner show``,
``placement try``, ``replay``, ``fit``, ``keys create`` and ``serve``; every
other command lives in its group's module, mounted below with ``add_typer``
(see :mod:`levelwise.cli` for the one registration style).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from levelwise.cli import (
    boards,
    credentials,
    demo,
    guide,
    items,
    metrics,
    pages,
    pk,
    practice,
    quality,
    simulate,
    teams,
    webhooks,
    xapi,
)
from levelwise.cli import eval as evaluate
from levelwise.cli.options import (
    DbOpt,
    JsonOpt,
    LangOpt,
    TenantOpt,
    err,
    escape,
    fail,
    open_engine,
    open_school,
    out,
    progress,
    rate,
    read_input,
    receipt_line,
    school_names,
)
from levelwise.errors import Issue, LevelwiseError, ProgramError

if TYPE_CHECKING:
    from levelwise.app.views import ProgramSummary

MAX_BATCH = 5_000
"""The engine's ``MAX_BATCH``, repeated here so that ``--batch``'s range costs no
import of the engine at start-up (``tests/integration/test_cli_startup.py`` keeps
the two equal)."""

app = typer.Typer(
    no_args_is_help=True,
    help="Levelwise: exact levels with receipts.",
    # Plain help and usage errors: typer's rich help first imports rich,
    # markdown-it and pygments, which alone makes a two-command app's --help more
    # than twice as slow as importing typer (benchmarks/startup.py). The
    # commands' own output stays rich.
    rich_markup_mode=None,
)
program_app = typer.Typer(
    name="program", no_args_is_help=True, help="Check and set program files."
)
learner_app = typer.Typer(
    name="learner", no_args_is_help=True, help="Look at learners."
)
keys_app = typer.Typer(name="keys", no_args_is_help=True, help="Manage API keys.")
placement_app = typer.Typer(
    name="placement", no_args_is_help=True, help="Adaptive placement tests."
)

learner_app.add_typer(guide.app)  # learner plan | next | forecast
app.add_typer(simulate.app)
app.add_typer(demo.app)
app.add_typer(teams.app)
app.add_typer(xapi.app)
app.add_typer(program_app)
app.add_typer(learner_app)
app.add_typer(keys_app)
app.add_typer(placement_app)
app.add_typer(evaluate.app)
app.add_typer(items.app)
app.add_typer(webhooks.app)
app.add_typer(pk.app)
app.add_typer(boards.app)  # boards and leagues
app.add_typer(credentials.app)
app.add_typer(metrics.app)  # metrics and experiments
app.add_typer(pages.app)
app.add_typer(practice.app)
app.add_typer(quality.app)


def _print_summary(summary: ProgramSummary) -> None:
    from rich.table import Table

    out().print(
        f"[bold]{summary.title}[/] ({summary.id}, label {summary.label}): "
        f"{len(summary.dimensions)} dimensions, {summary.knowledge_points} knowledge "
        f"points, {summary.units} units, {len(summary.levels)} levels, "
        f"{len(summary.xp_rules)} XP rules",
        highlight=False,
    )
    out().print("dimensions: " + ", ".join(summary.dimensions), highlight=False)
    out().print(
        "units: "
        + ", ".join(f"{k} {v}" for k, v in sorted(summary.unit_kinds.items())),
        highlight=False,
    )
    table = Table("level", "title", "gates")
    for level in summary.levels:
        table.add_row(
            level["id"], level["title"], escape("\n".join(level["gates"])) or "-"
        )
    out().print(table)


def _print_warnings(warnings: tuple[Issue, ...]) -> None:
    """Each warning as ``file:line: warning: message (hint)``, then their count."""
    for warning in warnings:
        shown = replace(warning, message=f"warning: {warning.message}")
        err().print(str(shown), highlight=False, markup=False)
    if warnings:
        err().print(f"[yellow]{len(warnings)} warning(s)[/]")


@program_app.command("check")
def program_check(file: Path) -> None:
    """Validate a program file; print a summary, or every problem as file:line."""
    from levelwise.app.programs.loader import check_program_file
    from levelwise.app.views import summarize

    try:
        program, warnings = check_program_file(str(file))
    except ProgramError as exc:
        if len(exc.issues) == 1 and not exc.issues[0].line:  # no file to read
            raise fail(exc) from exc
        for issue in exc.issues:
            err().print(str(issue), highlight=False, markup=False)
        err().print(f"[red]{len(exc.issues)} problem(s)[/]: the program is invalid")
        raise typer.Exit(1) from exc
    _print_warnings(warnings)
    _print_summary(summarize(program))
    out().print("[green]valid[/]")


@program_app.command("set")
def program_set(file: Path, tenant: TenantOpt = None, db: DbOpt = None) -> None:
    """Store a new program version for a school and replay its learners.

    A file that is already the current version is not stored again: the
    command says so ("unchanged: version N is already this file") and exits 0.
    """
    from levelwise.app.programs.loader import read_program_file

    try:
        source = read_program_file(str(file))
    except LevelwiseError as exc:
        raise fail(exc) from exc
    engine, school = open_school(db, tenant, create=True)
    try:
        summary = engine.put_program(school, source, str(file))
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    _print_warnings(summary.warnings)
    _print_summary(summary)
    if not summary.changed:
        out().print(f"unchanged: version {summary.version} is already this file")
    elif summary.replay is not None:
        r = summary.replay
        out().print(
            f"stored as version {summary.version}; replayed {r.learners} learners "
            f"({r.events} events), {r.levels_changed} changed level"
        )


@app.command()
def ingest(
    file: Path,
    tenant: TenantOpt = None,
    db: DbOpt = None,
    batch: Annotated[int, typer.Option(min=1, max=MAX_BATCH)] = MAX_BATCH,
) -> None:
    """Ingest events from a JSON Lines file (one event per line).

    Prints the counts, then each refused line with its reason. Exit 0 when
    every event is in the log (accepted, or a duplicate of a stored one); 1
    when nothing of the file was stored (every event rejected or conflicted,
    or an error before the first batch); 3 when it was stored in part: some
    events are in the log, others were refused or an error stopped a later
    batch. Running the file again is safe: stored events come back as
    duplicates.
    """
    from levelwise.app.ingest.wire import loads  # marks repeated keys

    lines = read_input(file).splitlines()
    engine, school = open_school(db, tenant, create=True)
    counts = {"accepted": 0, "duplicate": 0, "conflict": 0, "rejected": 0}
    problems: list[str] = []
    items: list[tuple[int, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append((number, loads(line)))
        except json.JSONDecodeError as exc:
            counts["rejected"] += 1
            problems.append(f"{file}:{number}: invalid JSON: {exc.msg}")
    started = time.perf_counter()
    error: LevelwiseError | None = None
    with progress() as bar:
        task = bar.add_task("ingesting", total=len(items))
        for start in range(0, len(items), batch):
            chunk = items[start : start + batch]
            try:
                report = engine.ingest(school, [item for _, item in chunk])
            except LevelwiseError as exc:
                error = exc
                break
            for result in report.results:
                counts[result.status] += 1
                if result.reason:
                    problems.append(f"{file}:{chunk[result.index][0]}: {result.reason}")
            bar.advance(task, len(chunk))
    elapsed = time.perf_counter() - started
    out().print(
        f"accepted {counts['accepted']}, duplicates {counts['duplicate']}, "
        f"conflicts {counts['conflict']}, rejected {counts['rejected']} "
        f"in {elapsed:.1f} s"
    )
    for problem in problems[:50]:
        err().print(problem, highlight=False, markup=False)
    if len(problems) > 50:
        err().print(f"… and {len(problems) - 50} more")
    # The API's rule (POST /v1/events): refusals beside stored events are no
    # failure of the whole; the exit code still tells the two cases apart.
    in_log = counts["accepted"] + counts["duplicate"]
    code = 3 if in_log else 1
    if error is not None:
        raise fail(error, code, school=school) from error
    if counts["conflict"] or counts["rejected"]:
        raise typer.Exit(code)


@learner_app.command("show")
def learner_show(
    learner: str,
    tenant: TenantOpt = None,
    lang: LangOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a learner's level, XP, next-level gates and recent receipts.

    With ``--lang``, levels, badges and the rules and team tasks of XP
    receipts are named as the school names them in that language; each
    receipt keeps its exact formula.
    """
    from rich.table import Table

    engine, school = open_school(db, tenant)
    try:
        view = engine.learner(school, learner)
        receipts = engine.receipts(school, learner, limit=10)
        name = None if lang is None else school_names(engine.program(school), lang)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc

    def level(ident: str, title: str) -> str:
        return title if name is None else name(f"level:{ident}", title)

    if as_json:
        from levelwise.domain.codec import gate_to_dict

        gates = [gate_to_dict(g) for g in view.gates]  # `parts` only for `and` gates
        data = {**asdict(view), "gates": gates, "receipts": receipts}
        out().print_json(json.dumps(data))
        return
    nxt = (
        f" → next: {escape(level(view.next_level.id, view.next_level.title))}"
        if view.next_level
        else " (top level)"
    )
    out().print(
        f"[bold]{escape(view.learner)}[/]: "
        f"{escape(level(view.level.id, view.level.title))} "
        f"({escape(view.level.id)}), "
        f"{view.xp} XP{nxt}",
        highlight=False,
    )
    table = Table("gate", "current", "target", "progress")
    for gate in view.gates:
        # an `and` gate shows its furthest part, then each part on its own row
        rows = [(gate.gate, gate)] + [(f"  · {p.gate}", p) for p in gate.parts]
        for shown, g in rows:
            mark = "[green]✓[/]" if g.met else f"{g.progress:.0%}"
            table.add_row(escape(shown), f"{g.current:g}", f"{g.target:g}", mark)
    if view.gates:
        out().print(table)
    dims = ", ".join(f"{k} {v[0]:.2f}±{v[1]:.2f}" for k, v in view.dimensions.items())
    out().print(f"dimensions: {dims}", highlight=False)
    if view.placement is not None:
        placed = view.placement
        start = placed.level.title if placed.level is not None else "no level's cuts"
        abilities = ", ".join(
            f"{dim} θ {a.theta:.2f} ± {a.se:.2f} [{a.low:.2f}, {a.high:.2f}]"
            for dim, a in placed.abilities.items()
        )
        out().print(
            f"placement: {start} after {placed.items} items; {abilities}",
            highlight=False,
        )
    rec = view.recognition
    if rec is not None and (rec.streak or rec.badges or rec.title):
        held = ", ".join(
            f"{b.title} ({b.tier})"
            if name is None
            else f"{name(f'badge:{b.id}', b.title)} "
            f"({name(f'tier:{b.id}:{b.tier}', b.tier)})"
            for b in rec.badges
            if b.tier
        )
        called = rec.title_name
        if name is not None and rec.title:
            called = name(f"title:{rec.title}", rec.title_name)
        out().print(
            f"title: {called or '-'}; streak {rec.streak} day(s) "
            f"(best {rec.best_streak}, {rec.freezes} freeze(s)); badges: {held or '-'}",
            highlight=False,
        )
    practised = sorted(view.mastery.items(), key=lambda kv: (-kv[1][2], kv[0]))
    if practised:
        shown = ", ".join(
            f"{kp} {v:.2f}±{sd:.2f} ({n})" for kp, (v, sd, n) in practised[:8]
        )
        more = f" … {len(practised) - 8} more" if len(practised) > 8 else ""
        out().print(f"mastery (answers): {shown}{more}", highlight=False)
    for receipt in receipts:
        out().print("  " + receipt_line(receipt, name), highlight=False, markup=False)


@placement_app.command("try")
def placement_try(
    learner: Annotated[str, typer.Option("--learner", help="The learner's id.")],
    tenant: TenantOpt = None,
    db: DbOpt = None,
) -> None:
    """Take the placement test in the terminal: answer each item right or wrong."""
    engine, school = open_school(db, tenant)
    try:
        step = engine.placements.start(school, learner)
        out().print(f"placement session {step.session}", highlight=False)
        while (item := step.item) is not None:
            out().print(
                f"item {item.id} (knowledge point {item.knowledge_point}, "
                f"dimension {item.dimension})",
                highlight=False,
                markup=False,
            )
            right = typer.confirm("right? [y/n]", show_default=False)
            engine.placements.answer(school, step.session, item.id, right)
            step = engine.placements.next(school, step.session)
        result = engine.placements.finish(school, step.session)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    out().print(f"stopped: {step.stop}, {result.items} items", highlight=False)
    for ability in result.abilities:
        out().print(
            f"{ability.dimension}: θ {ability.theta:+.2f} ± {ability.se:.2f}",
            highlight=False,
        )
    out().print(f"starting level: {result.level or '(none)'}", highlight=False)
    reason = f" ({result.event_reason})" if result.event_reason else ""
    out().print(
        f"event {result.event_id}: {result.event_status}{reason}",
        highlight=False,
        markup=False,
    )


@app.command()
def replay(tenant: TenantOpt = None, db: DbOpt = None) -> None:
    """Rebuild every learner's state and receipts from the log.

    Shows a progress bar of the learners replayed on a terminal, then one line:
    learners, events, seconds and events per second.
    """
    engine, school = open_school(db, tenant)
    started = time.perf_counter()
    try:
        with progress() as bar:
            task = bar.add_task(f"replaying school '{escape(school)}'", total=None)

            def advance(done: int, learners: int) -> None:
                bar.update(task, completed=done, total=learners)

            report = engine.replay(school, on_progress=advance)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    took = time.perf_counter() - started
    out().print(
        f"school '{school}': replayed {report.learners} learners "
        f"({report.events} events) with program v{report.program_version} in "
        f"{took:.1f} s ({rate(report.events, took)}); "
        f"{report.levels_changed} changed level",
        highlight=False,
        markup=False,
    )


class FitModel(StrEnum):
    """Mastery models ``levelwise fit`` can fit."""

    logistic = "logistic"
    bkt = "bkt"


@app.command()
def fit(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Events (.jsonl) or answers (.csv: learner,knowledge_point,correct);"
            " default: the school's own log.",
        ),
    ] = None,
    tenant: TenantOpt = None,
    db: DbOpt = None,
    model: Annotated[
        FitModel,
        typer.Option(help="The mastery model: logistic (best evaluated) or bkt."),
    ] = FitModel.logistic,
    forgetting: Annotated[
        bool, typer.Option(help="BKT only: also fit forgetting.")
    ] = False,
) -> None:
    """Fit mastery parameters (logistic or BKT) and store them as a new version."""
    from rich.table import Table

    from levelwise.app.modelling.answers import read_answers
    from levelwise.app.modelling.fitting import Fit

    try:
        answers = read_answers(data) if data is not None else None
    except LevelwiseError as exc:
        raise fail(exc) from exc
    engine, school = open_school(db, tenant)
    try:
        summary, result = engine.fit_mastery(
            school, answers, model=model.value, forgetting=forgetting
        )
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    if isinstance(result, Fit):
        points = len(result.params)
        table = Table("knowledge point", "prior", "learn", "guess", "slip", "forget")
        for kp, p in sorted(result.params.items()):
            values = (p.prior, p.learn, p.guess, p.slip, p.forget)
            table.add_row(kp, *(f"{v:.3f}" for v in values))
    else:
        points = len(result.params.points)
        table = Table(
            "knowledge point", "rate", "intercept", "successes", "failures", "ability"
        )
        for kp, w in result.params.points:
            values = (w.rate, w.intercept, w.successes, w.failures, w.ability)
            table.add_row(kp, *(f"{v:.3f}" for v in values))
    name = "BKT" if isinstance(result, Fit) else "logistic"
    out().print(
        f"fitted {name} on {result.answers:,} answers of {result.learners:,} learners "
        f"({points} knowledge points; {result.skipped:,} answers on "
        "points the program lacks were skipped)"
    )
    out().print(table)
    done = f"stored as program version {summary.version}"
    if summary.replay is not None:
        r = summary.replay
        done += f"; replayed {r.learners} learners, {r.levels_changed} changed level"
    out().print(done)


@keys_app.command("create")
def keys_create(tenant: TenantOpt = None, label: str = "", db: DbOpt = None) -> None:
    """Create an API key for a school (shown once)."""
    engine, school = open_school(db, tenant, create=True)
    try:
        key = engine.create_key(school, label)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    out().print(key, highlight=False)


@app.command()
def serve(
    db: DbOpt = None,
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
) -> None:
    """Serve the HTTP API."""
    import uvicorn

    from levelwise import bootstrap
    from levelwise.config import Settings

    settings = Settings()
    engine = open_engine(db, settings, create=True)
    api = bootstrap.create_api(engine, settings)
    stop = webhooks.start_delivery(bootstrap.webhook_worker(engine))  # meanwhile
    feeding = (
        settings.xapi_feed == "worker"
        and bootstrap.store_url(db or settings.db) != "memory"
    )
    stop_feed = xapi.start_feed(db) if feeding else None
    uvicorn.run(api, host=host or settings.host, port=port or settings.port)
    stop.set()
    if stop_feed is not None:
        stop_feed()


def main() -> None:
    """Entry point of the ``levelwise`` command."""
    app()
