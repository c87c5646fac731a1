"""The ``levelwise credentials`` commands: issue, list, revoke, verify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from levelwise.cli.options import (
    DbOpt,
    JsonOpt,
    LangOpt,
    TenantOpt,
    fail,
    open_engine,
    open_school,
    out,
)
from levelwise.errors import LevelwiseError

if TYPE_CHECKING:
    from levelwise.app.credentials.ports import StoredCredential
    from levelwise.app.credentials.service import Credentials

app = typer.Typer(
    name="credentials",
    no_args_is_help=True,
    help="Verifiable certificates (Open Badges 2.0 and 3.0).",
)


def _credentials(
    db: str | None, tenant: str | None, *, create: bool = False
) -> tuple[Credentials, str]:
    engine, school = open_school(db, tenant, create=create)
    return engine.credentials, school


def _row(c: StoredCredential, creds: Credentials) -> dict[str, object]:
    return {
        "id": c.credential_id,
        "learner": c.award.learner,
        "kind": c.kind,
        "title": c.title,
        "language": creds.language_of(c),
        "event_id": c.award.event_id,
        "awarded_at": c.awarded_at,
        "issued_at": c.issued_at,
        "revoked": c.revoked,
        "revocation_reason": c.revocation_reason or None,
        "assertion_url": creds.urls.assertion(c.credential_id),
        "credential_url": creds.urls.credential(c.credential_id),
        "certificate_url": creds.urls.certificate(c.credential_id),
    }


def _print(rows: list[dict[str, object]], as_json: bool) -> None:
    if as_json:
        out().print_json(json.dumps(rows))
        return
    if not rows:
        out().print("no credentials", highlight=False)
    for r in rows:
        state = " [red](revoked)[/]" if r["revoked"] else ""
        out().print(
            f"{r['id']}  {r['title']} ({r['kind']}) awarded {r['awarded_at']}{state}\n"
            f"    {r['assertion_url']}",
            highlight=False,
        )


@app.command("issue")
def issue(
    learner: str,
    tenant: TenantOpt = None,
    event_id: Annotated[
        str | None, typer.Option("--event", help="Only the award of this event.")
    ] = None,
    seq: Annotated[int | None, typer.Option("--seq", min=0)] = None,
    lang: LangOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Certify a learner's awards (levels reached or placed, badges earned).

    ``--lang`` writes new credentials in the learner's language (the school's
    names from the program file; default: the program's first language).
    """
    creds, school = _credentials(db, tenant)
    try:
        issued = creds.issue(school, learner, event_id, seq, lang)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    _print([_row(i.credential, creds) for i in issued], as_json)


@app.command("list")
def list_credentials(
    learner: str,
    tenant: TenantOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List a learner's credentials."""
    creds, school = _credentials(db, tenant)
    try:
        rows = [_row(c, creds) for c in creds.list(school, learner)]
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    _print(rows, as_json)


@app.command("revoke")
def revoke(
    credential_id: str,
    reason: Annotated[str, typer.Option("--reason", help="Published reason.")],
    tenant: TenantOpt = None,
    db: DbOpt = None,
) -> None:
    """Revoke a credential of the school."""
    creds, school = _credentials(db, tenant)
    try:
        found = creds.revoke(school, credential_id, reason)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    out().print(f"revoked {found.credential_id}: {found.revocation_reason}")


@app.command("issuer")
def issuer(
    name: Annotated[str, typer.Option("--name")],
    url: Annotated[str, typer.Option("--url", help="The school's home page.")],
    email: Annotated[str, typer.Option("--email")] = "",
    tenant: TenantOpt = None,
    db: DbOpt = None,
) -> None:
    """Set how the school appears as issuer in credentials issued from now on."""
    creds, school = _credentials(db, tenant, create=True)
    try:
        profile = creds.set_issuer(school, name, url, email)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    out().print(f"issuer: {profile.name} <{profile.url}>", highlight=False)


@app.command("verify")
def verify(
    file: Annotated[
        Path, typer.Argument(help="A JWT (OB 3.0) or an Assertion JSON (OB 2.0).")
    ],
    db: DbOpt = None,
) -> None:
    """Verify a credential; exits 1 when it is not valid."""
    try:
        text = file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {file}: {exc}", code=2) from exc
    document: str | dict[str, object] = text
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise fail(f"{file} is not JSON: {exc}", code=2) from exc
    creds = open_engine(db).credentials
    try:
        result = creds.verify(document)
    except LevelwiseError as exc:
        raise fail(exc) from exc
    for check in result.checks:
        mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
        out().print(f"{mark} {check.name}: {check.detail}", highlight=False)
    out().print("valid" if result.valid else "[red]not valid[/]")
    if not result.valid:
        raise typer.Exit(1)
