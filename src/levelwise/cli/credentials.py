"""The ``levelwise credentials`` commands: issue, list, revoke, verify."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from levelwise.app.credentials.ports import StoredCredential
from levelwise.app.credentials.service import Credentials
from levelwise.cli.options import DbOpt, EngineFor, JsonOpt, TenantOpt, err, out
from levelwise.errors import LevelwiseError


def _run(action: Callable[[], None]) -> None:
    try:
        action()
    except LevelwiseError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False, markup=True)
        raise typer.Exit(1) from exc


def _row(c: StoredCredential, creds: Credentials) -> dict[str, object]:
    return {
        "id": c.credential_id,
        "learner": c.award.learner,
        "kind": c.kind,
        "title": c.title,
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
        out.print_json(json.dumps(rows))
        return
    if not rows:
        out.print("no credentials", highlight=False)
    for r in rows:
        state = " [red](revoked)[/]" if r["revoked"] else ""
        out.print(
            f"{r['id']}  {r['title']} ({r['kind']}) awarded {r['awarded_at']}{state}\n"
            f"    {r['assertion_url']}",
            highlight=False,
        )


def add_credential_commands(app: typer.Typer, engine_for: EngineFor) -> None:
    """Register ``levelwise credentials issue|list|revoke|issuer|verify``.

    Args:
        app: The root command.
        engine_for: Builds the engine over a store URL (None: from settings).
    """
    credentials_app = typer.Typer(
        no_args_is_help=True, help="Verifiable certificates (Open Badges 2.0 and 3.0)."
    )
    app.add_typer(credentials_app, name="credentials")

    def _credentials(db: str | None) -> Credentials:
        return engine_for(db).credentials

    @credentials_app.command("issue")
    def issue(
        learner: str,
        tenant: TenantOpt = "default",
        event_id: Annotated[
            str | None, typer.Option("--event", help="Only the award of this event.")
        ] = None,
        seq: Annotated[int | None, typer.Option("--seq", min=0)] = None,
        db: DbOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Certify a learner's awards (levels reached or placed, badges earned)."""

        def action() -> None:
            creds = _credentials(db)
            issued = creds.issue(tenant, learner, event_id, seq)
            _print([_row(i.credential, creds) for i in issued], as_json)

        _run(action)

    @credentials_app.command("list")
    def list_credentials(
        learner: str,
        tenant: TenantOpt = "default",
        db: DbOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """List a learner's credentials."""

        def action() -> None:
            creds = _credentials(db)
            _print([_row(c, creds) for c in creds.list(tenant, learner)], as_json)

        _run(action)

    @credentials_app.command("revoke")
    def revoke(
        credential_id: str,
        reason: Annotated[str, typer.Option("--reason", help="Published reason.")],
        tenant: TenantOpt = "default",
        db: DbOpt = None,
    ) -> None:
        """Revoke a credential of the school."""

        def action() -> None:
            found = _credentials(db).revoke(tenant, credential_id, reason)
            out.print(f"revoked {found.credential_id}: {found.revocation_reason}")

        _run(action)

    @credentials_app.command("issuer")
    def issuer(
        name: Annotated[str, typer.Option("--name")],
        url: Annotated[str, typer.Option("--url", help="The school's home page.")],
        email: Annotated[str, typer.Option("--email")] = "",
        tenant: TenantOpt = "default",
        db: DbOpt = None,
    ) -> None:
        """Set how the school appears as issuer in credentials issued from now on."""

        def action() -> None:
            profile = _credentials(db).set_issuer(tenant, name, url, email)
            out.print(f"issuer: {profile.name} <{profile.url}>", highlight=False)

        _run(action)

    @credentials_app.command("verify")
    def verify(
        file: Annotated[
            Path, typer.Argument(help="A JWT (OB 3.0) or an Assertion JSON (OB 2.0).")
        ],
        db: DbOpt = None,
    ) -> None:
        """Verify a credential; exits 1 when it is not valid."""

        def action() -> None:
            try:
                text = file.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                err.print(f"[red]error:[/] cannot read {file}: {exc}", highlight=False)
                raise typer.Exit(2) from exc
            document: str | dict[str, object] = text
            if text.startswith("{"):
                try:
                    document = json.loads(text)
                except ValueError as exc:
                    err.print(
                        f"[red]error:[/] {file} is not JSON: {exc}", highlight=False
                    )
                    raise typer.Exit(2) from exc
            result = _credentials(db).verify(document)
            for check in result.checks:
                mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
                out.print(f"{mark} {check.name}: {check.detail}", highlight=False)
            out.print("valid" if result.valid else "[red]not valid[/]")
            if not result.valid:
                raise typer.Exit(1)

        _run(action)
