"""The ``levelwise xapi`` commands: the record store's clients."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from levelwise.cli.options import (
    DbOpt,
    JsonOpt,
    TenantOpt,
    escape,
    fail,
    open_school,
    out,
)
from levelwise.errors import XapiNotFoundError

if TYPE_CHECKING:
    from levelwise.app.xapi.service import RecordStore

app = typer.Typer(name="xapi", no_args_is_help=True, help="The xAPI record store.")
clients_app = typer.Typer(
    name="clients",
    no_args_is_help=True,
    help="LRS clients: the HTTP Basic credentials of /xapi/.",
)
app.add_typer(clients_app)


def _records(
    db: str | None, tenant: str | None, *, create: bool = False
) -> tuple[RecordStore, str]:
    engine, school = open_school(db, tenant, create=create)
    if engine.xapi is None:
        error = XapiNotFoundError("this store keeps no xAPI record store")
        raise fail(error, school=school)
    return engine.xapi, school


@clients_app.command("add")
def add_cmd(
    label: Annotated[str, typer.Option("--label", help="What the client is.")] = "",
    db: DbOpt = None,
    tenant: TenantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an LRS client: its key (Basic user) and secret (shown once)."""
    records, school = _records(db, tenant, create=True)
    made = records.add_client(school, label)
    if as_json:
        data = {"key": made.client.key, "secret": made.secret, "label": label}
        out().print_json(json.dumps(data))
        return
    out().print(f"key     {made.client.key}", highlight=False)
    out().print(f"secret  {made.secret}", highlight=False)
    out().print("the secret is shown once: keep it now", highlight=False)


@clients_app.command("list")
def list_cmd(
    db: DbOpt = None, tenant: TenantOpt = None, as_json: JsonOpt = False
) -> None:
    """The school's LRS clients (never their secrets)."""
    records, school = _records(db, tenant)
    found = records.clients(school)
    if as_json:
        rows = [{"key": c.key, "label": c.label, "created": c.created} for c in found]
        out().print_json(json.dumps(rows))
        return
    if not found:
        out().print("no LRS clients")
    for c in found:
        out().print(f"{c.key}  {escape(c.label)}  {c.created}", highlight=False)


@clients_app.command("remove")
def remove_cmd(key: str, db: DbOpt = None, tenant: TenantOpt = None) -> None:
    """Revoke an LRS client: its credentials stop working at once."""
    records, school = _records(db, tenant)
    if not records.remove_client(school, key):
        raise fail(XapiNotFoundError(f"no LRS client {key}"), school=school)
    out().print(f"revoked {key}", highlight=False)


def feed_forever(db: str | None, interval: float = 0.2) -> None:
    """Drain every school's new statements into the log until stopped."""
    import time

    from levelwise.cli.options import open_engine

    engine = open_engine(db)
    feed = engine.statement_feed
    if feed is None:
        return
    while True:
        if feed.drain_all() == 0:
            time.sleep(interval)


_FEED_MAIN = (
    "import sys\n"
    "from levelwise.cli.xapi import feed_forever\n"
    "feed_forever(sys.argv[1] or None)\n"
)


def start_feed(db: str | None) -> Callable[[], None]:
    """Run :func:`feed_forever` in a process of its own; return its stop.

    A process, not a thread: the feed folds on the machine's other core while
    this one answers requests.
    """
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", _FEED_MAIN, db or ""])  # noqa: S603 - our own interpreter and code

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()

    return stop


@app.command("feed")
def feed_cmd(
    once: Annotated[
        bool, typer.Option("--once", help="Drain what is there, then stop.")
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", help="Seconds between idle looks.")
    ] = 0.2,
    db: DbOpt = None,
) -> None:
    """Feed stored statements into the event log (for LEVELWISE_XAPI_FEED=worker).

    ``levelwise serve`` starts this itself in worker mode; run it alone to
    feed a record store another process fills.
    """
    if not once:
        feed_forever(db, interval)
        return
    from levelwise.cli.options import open_engine

    engine = open_engine(db)
    feed = engine.statement_feed
    if feed is None:
        raise fail(XapiNotFoundError("this store keeps no xAPI record store"))
    out().print(f"fed {feed.drain_all()} statement(s)", highlight=False)
