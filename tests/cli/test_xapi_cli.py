"""``levelwise xapi clients add/list/remove`` on a SQLite file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from levelwise import bootstrap
from levelwise.app.xapi.ports import Client
from levelwise.cli.main import app
from tests.support.factories import SMALL_PROGRAM

runner = CliRunner()


def invoke(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'lrs.db'}"


def client_for(db: str, key: str, secret: str) -> Client | None:
    """The client these credentials open in ``db``, read anew as a server would."""
    engine = bootstrap.build(db, create=False)
    try:
        assert engine.xapi is not None
        return engine.xapi.client_for(key, secret)
    finally:
        engine.log.engine.dispose()  # type: ignore[attr-defined]


def add(db: str, *extra: object) -> dict[str, Any]:
    result = invoke("xapi", "clients", "add", "--db", db, "--json", *extra)
    assert result.exit_code == 0, result.output
    made: dict[str, Any] = json.loads(result.stdout)
    return made


def listed(db: str, *extra: object) -> list[dict[str, Any]]:
    result = invoke("xapi", "clients", "list", "--db", db, "--json", *extra)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def test_an_added_clients_secret_opens_the_record_store(db):
    made = add(db, "--label", "moodle")

    client = client_for(db, made["key"], made["secret"])

    assert made["key"].startswith("lrs_") and made["label"] == "moodle"
    assert client is not None and client.label == "moodle"
    assert client.tenant == "default"  # a new database's only school
    assert client_for(db, made["key"], made["secret"] + "x") is None


def test_add_prints_the_key_and_the_secret_once(db):
    result = invoke("xapi", "clients", "add", "--db", db)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("key     lrs_")
    assert lines[1].startswith("secret  ")
    assert "shown once" in lines[2]
    key, secret = lines[0].split()[1], lines[1].split()[1]
    assert client_for(db, key, secret) is not None


def test_clients_are_listed_without_their_secrets(db):
    first = add(db, "--label", "[bold]lms[/]")
    second = add(db, "--label", "tablet")

    rows = listed(db)
    text = invoke("xapi", "clients", "list", "--db", db)

    by_key = {r["key"]: r for r in rows}
    assert set(by_key) == {first["key"], second["key"]}
    assert by_key[first["key"]]["label"] == "[bold]lms[/]"
    assert by_key[second["key"]]["label"] == "tablet"
    assert all(set(r) == {"key", "label", "created"} for r in rows)
    assert text.exit_code == 0
    assert f"{first['key']}  [bold]lms[/]" in text.stdout  # markup shown as is
    assert second["key"] in text.stdout
    for made in (first, second):
        assert made["secret"] not in text.stdout


def test_a_school_without_clients_says_so(db):
    assert add(db)  # makes the database
    key = listed(db)[0]["key"]
    assert invoke("xapi", "clients", "remove", key, "--db", db).exit_code == 0

    result = invoke("xapi", "clients", "list", "--db", db)

    assert result.exit_code == 0
    assert result.stdout.strip() == "no LRS clients"
    assert listed(db) == []


def test_a_removed_client_is_refused_at_once(db):
    gone, kept = add(db), add(db)

    result = invoke("xapi", "clients", "remove", gone["key"], "--db", db)
    again = invoke("xapi", "clients", "remove", gone["key"], "--db", db)

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"revoked {gone['key']}"
    assert client_for(db, gone["key"], gone["secret"]) is None
    assert client_for(db, kept["key"], kept["secret"]) is not None
    assert again.exit_code == 1
    assert f"no LRS client {gone['key']}" in again.stderr
    assert [r["key"] for r in listed(db)] == [kept["key"]]


def test_schools_are_kept_apart(db):
    ours = add(db, "--tenant", "school-a")
    theirs = add(db, "--tenant", "school-b")

    mine = listed(db, "--tenant", "school-a")
    refused = invoke(
        "xapi", "clients", "remove", theirs["key"], "--db", db, "--tenant", "school-a"
    )

    assert [r["key"] for r in mine] == [ours["key"]]
    assert refused.exit_code == 1
    assert "school 'school-a'" in refused.stderr
    client = client_for(db, theirs["key"], theirs["secret"])
    assert client is not None and client.tenant == "school-b"


def test_without_tenant_a_database_of_several_schools_asks_for_one(db, tmp_path):
    program = tmp_path / "program.yaml"
    program.write_text(SMALL_PROGRAM)
    for school in ("school-a", "school-b"):
        done = invoke("program", "set", program, "--db", db, "--tenant", school)
        assert done.exit_code == 0, done.output

    result = invoke("xapi", "clients", "list", "--db", db)

    assert result.exit_code == 2
    assert "--tenant" in result.stderr


def test_list_does_not_make_a_missing_database(tmp_path):
    missing = tmp_path / "nowhere.db"

    result = invoke("xapi", "clients", "list", "--db", f"sqlite:///{missing}")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert not missing.exists()
