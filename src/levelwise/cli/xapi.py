"""The ``levelwise xapi`` commands: the record store's clients."""

from __future__ import annotations

import json
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
