"""``levelwise webhooks``: endpoints, the delivery worker, the delivery log, replays."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated

import typer

from levelwise.cli.options import (
    DbOpt,
    TenantOpt,
    fail,
    open_engine,
    open_school,
    out,
)
from levelwise.errors import LevelwiseError

if TYPE_CHECKING:
    from levelwise.app.notify.webhooks import WebhookWorker

app = typer.Typer(
    name="webhooks", no_args_is_help=True, help="Webhook endpoints and deliveries."
)


def start_delivery(worker: WebhookWorker, idle_seconds: float = 1.0) -> threading.Event:
    """Run ``worker`` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run, args=(stop, idle_seconds), name="webhooks", daemon=True
    )
    thread.start()
    return stop


@app.command("add")
def add(
    url: str,
    kinds: Annotated[
        str, typer.Option(help="Comma-separated kinds (default: every kind).")
    ] = "",
    tenant: TenantOpt = None,
    db: DbOpt = None,
) -> None:
    """Add an endpoint; prints its id and signing secret (shown once)."""
    wanted = [k.strip() for k in kinds.split(",") if k.strip()]
    engine, school = open_school(db, tenant, create=True)
    try:
        endpoint = engine.webhooks.add(school, url, wanted)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    out().print(f"{endpoint.id} {endpoint.secret}", highlight=False)


@app.command("list")
def list_(tenant: TenantOpt = None, db: DbOpt = None) -> None:
    """List the school's endpoints."""
    engine, school = open_school(db, tenant)
    try:
        endpoints = engine.webhooks.endpoints(school)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    for e in endpoints:
        kinds = ",".join(e.kinds) or "all"
        out().print(f"{e.id} {e.url} {kinds} {e.created_at}", highlight=False)


@app.command("remove")
def remove(endpoint: str, tenant: TenantOpt = None, db: DbOpt = None) -> None:
    """Remove an endpoint (its queued deliveries go too)."""
    engine, school = open_school(db, tenant)
    try:
        engine.webhooks.remove(school, endpoint)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    out().print(f"removed {endpoint}", highlight=False)


@app.command("log")
def log(
    endpoint: str,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    tenant: TenantOpt = None,
    db: DbOpt = None,
) -> None:
    """Show an endpoint's delivery log, newest first."""
    engine, school = open_school(db, tenant)
    try:
        attempts = engine.webhooks.attempts(school, endpoint, limit)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    for a in attempts:
        status = "-" if a.status_code is None else str(a.status_code)
        out().print(
            f"{a.at} {a.notification_id} attempt {a.attempt} status {status} "
            f"{a.duration_ms} ms {a.error}",
            highlight=False,
            markup=False,
        )


@app.command("deliver")
def deliver(
    once: Annotated[
        bool, typer.Option("--once", help="One pass over what is due, then exit.")
    ] = False,
    idle: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait when nothing is due.")
    ] = 1.0,
    db: DbOpt = None,
) -> None:
    """Send due webhooks of every school, retrying failures with backoff."""
    from levelwise import bootstrap

    worker = bootstrap.webhook_worker(open_engine(db))
    try:
        if once:
            report = worker.deliver_due()
            out().print(
                f"{report.delivered} delivered, {report.retrying} to retry, "
                f"{report.failed} failed for good"
            )
            return
        worker.run(threading.Event(), idle)
    except LevelwiseError as exc:
        raise fail(exc) from exc


@app.command("replay")
def replay(
    since: Annotated[
        str | None, typer.Option(help="Notifications committed from (ISO).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="... until (ISO).")] = None,
    ids: Annotated[
        list[str] | None, typer.Option("--id", help="A notification id.")
    ] = None,
    endpoint: Annotated[str | None, typer.Option(help="Only to this endpoint.")] = None,
    tenant: TenantOpt = None,
    db: DbOpt = None,
) -> None:
    """Queue notifications again with their original webhook-id."""
    engine, school = open_school(db, tenant)
    try:
        queued = engine.webhooks.replay(
            school, ids=ids or (), since=since, until=until, endpoint_id=endpoint
        )
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    out().print(f"queued {queued} deliveries; `levelwise webhooks deliver` sends them")
