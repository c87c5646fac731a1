"""``levelwise pages link``: signed links from the command line."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from typer.testing import CliRunner

from levelwise.app.links import PageLinks
from levelwise.cli.main import app
from levelwise.errors import InvalidLinkError

runner = CliRunner()
SECRET = "cli-secret"


@pytest.fixture
def secret(monkeypatch) -> PageLinks:
    monkeypatch.setenv("LEVELWISE_PAGE_SECRET", SECRET)
    return PageLinks(SECRET.encode())


def test_a_dashboard_link_opens_with_the_servers_key(secret):
    result = runner.invoke(
        app,
        [
            "pages",
            "link",
            "--dashboard",
            "--tenant",
            "s",
            "--db",
            "memory",
            "--base-url",
            "https://levels.school.test/",
            "--hours",
            "2",
        ],
    )

    assert result.exit_code == 0, result.output
    url = result.stdout.strip()
    assert url.startswith("https://levels.school.test/pages/dashboard?t=")
    grant = secret.verify(url.split("t=")[1], datetime.now().astimezone())
    assert (grant.tenant, grant.page) == ("s", "dashboard")
    with pytest.raises(InvalidLinkError):
        PageLinks(b"other").verify(url.split("t=")[1], datetime.now().astimezone())


def test_json_output(secret):
    result = runner.invoke(
        app, ["pages", "link", "--dashboard", "--db", "memory", "--json"]
    )

    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["url"].startswith("http://127.0.0.1:8000/pages/dashboard?t=")
    assert body["expires_at"]


@pytest.mark.parametrize(
    "args",
    [["--dashboard", "--learner", "ana"], []],
    ids=["both", "neither"],
)
def test_exactly_one_page_is_asked_for(secret, args):
    result = runner.invoke(app, ["pages", "link", "--db", "memory", *args])

    assert result.exit_code == 1
    assert "exactly one" in result.output


def test_an_unknown_learner_is_an_error(secret):
    result = runner.invoke(app, ["pages", "link", "--learner", "ana", "--db", "memory"])

    assert result.exit_code == 1
    assert "error" in result.output


def test_without_the_servers_secret_no_link_is_made(monkeypatch):
    monkeypatch.delenv("LEVELWISE_PAGE_SECRET", raising=False)
    result = runner.invoke(app, ["pages", "link", "--dashboard", "--db", "memory"])

    assert result.exit_code == 1
    assert "LEVELWISE_PAGE_SECRET" in result.output


def test_a_learner_link(secret, tmp_path):
    from levelwise import bootstrap
    from tests.support.factories import SMALL_PROGRAM, watched

    db = f"sqlite:///{tmp_path / 'pages.db'}"
    engine = bootstrap.build(db)
    engine.put_program("s", SMALL_PROGRAM)
    learner = "ana@school.example"  # "@" is quoted in a path segment
    engine.ingest("s", [watched(600, learner=learner)])

    result = runner.invoke(
        app, ["pages", "link", "--learner", learner, "--tenant", "s", "--db", db]
    )

    assert result.exit_code == 0, result.output
    url = result.stdout.strip()
    assert "/pages/learner/ana%40school.example?t=" in url
    grant = secret.verify(url.split("t=")[1], datetime.now().astimezone())
    assert (grant.page, grant.learner) == ("learner", learner)
