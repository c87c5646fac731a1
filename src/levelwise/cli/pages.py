"""The ``levelwise pages link`` command: signed links to a learner page or dashboard.

The link is signed with ``LEVELWISE_PAGE_SECRET``, which must be the server's:
without it the command refuses, since a throwaway key would make a link no
server accepts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer

from levelwise.cli.options import (
    DbOpt,
    JsonOpt,
    TenantOpt,
    err,
    fail,
    open_school,
    out,
)
from levelwise.errors import LevelwiseError

app = typer.Typer(
    name="pages", no_args_is_help=True, help="Learner pages and dashboard."
)


@app.command("link")
def link(
    learner: Annotated[
        str | None, typer.Option("--learner", help="A learner's page.")
    ] = None,
    dashboard: Annotated[
        bool, typer.Option("--dashboard", help="The school's dashboard.")
    ] = False,
    tenant: TenantOpt = None,
    hours: Annotated[
        int, typer.Option("--hours", min=1, max=720, help="How long it works.")
    ] = 24,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="The server's address (default: LEVELWISE_PUBLIC_URL).",
        ),
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print a signed link to a learner's page or the dashboard."""
    from levelwise.app.links import PageGrant, link_path
    from levelwise.config import Settings

    if (learner is None) == (not dashboard):
        raise fail("give exactly one of --learner ID or --dashboard")
    settings = Settings()
    if settings.page_secret is None:
        raise fail(
            "set LEVELWISE_PAGE_SECRET to the server's value: links signed "
            "with any other key do not open"
        )
    engine, school = open_school(db, tenant, settings)
    try:
        if learner is not None:
            engine.learner(school, learner)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    now = datetime.fromisoformat(engine.clock.now_iso())
    expires = (now + timedelta(hours=hours)).replace(microsecond=0)
    grant = PageGrant(
        school, "learner" if learner else "dashboard", learner or "", expires
    )
    token = engine.links.sign(grant)  # with LEVELWISE_PAGE_SECRET, as checked
    base = (base_url or settings.public_url).rstrip("/")
    url = base + link_path(grant, token)
    if as_json:
        out().print_json(data={"url": url, "expires_at": expires.isoformat()})
        return
    out().print(url, highlight=False, markup=False, soft_wrap=True)
    err().print(f"expires {expires.isoformat()}", highlight=False)
