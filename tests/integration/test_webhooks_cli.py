"""``levelwise webhooks``: add, list, log, replay, deliver and remove endpoints."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from levelwise.cli.main import app
from tests.support.factories import SMALL_PROGRAM
from tests.support.notifications import level_up

runner = CliRunner()


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'cli.db'}"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_the_webhook_commands(tmp_path, db, monkeypatch):
    # The operator allows the loopback address the test delivers to.
    monkeypatch.setenv("LEVELWISE_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
    program = tmp_path / "program.yaml"
    program.write_text(SMALL_PROGRAM)
    assert invoke("program", "set", program, "--db", db).exit_code == 0
    added = invoke(
        "webhooks",
        "add",
        "http://127.0.0.1:9/h",
        "--kinds",
        "level_reached",
        "--db",
        db,
    )
    assert added.exit_code == 0, added.output
    endpoint, secret = added.output.split()
    assert endpoint.startswith("ep_") and secret.startswith("whsec_")
    listed = invoke("webhooks", "list", "--db", db)
    assert endpoint in listed.output and "level_reached" in listed.output
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(json.dumps(e) for e in level_up()))
    assert invoke("ingest", events, "--db", db).exit_code == 0
    # Nothing listens on port 9: the attempt fails and is scheduled again.
    sent = invoke("webhooks", "deliver", "--once", "--db", db)
    assert "0 delivered, 1 to retry" in sent.output, sent.output
    log = invoke("webhooks", "log", endpoint, "--db", db)
    assert "status - " in log.output and log.output.rstrip().endswith(" connect")
    assert "msg_" in log.output
    replayed = invoke("webhooks", "replay", "--since", "2000-01-01", "--db", db)
    assert "queued 1 deliveries" in replayed.output
    refused = invoke("webhooks", "replay", "--db", db)
    assert refused.exit_code == 1 and "since" in refused.output
    assert invoke("webhooks", "remove", endpoint, "--db", db).exit_code == 0
    again = invoke("webhooks", "remove", endpoint, "--db", db)
    assert again.exit_code == 1 and "does not exist" in again.output
    bad = invoke("webhooks", "add", "nope", "--db", db)
    assert bad.exit_code == 1 and "not an http or https URL" in bad.output


def test_a_private_target_is_refused_unless_the_operator_allows_it(db, monkeypatch):
    monkeypatch.setenv("LEVELWISE_WEBHOOK_ALLOW_HOSTS", "10.0.0.8")
    refused = invoke("webhooks", "add", "http://10.0.0.9:8080/h", "--db", db)
    assert refused.exit_code == 1
    assert "10.0.0.9 is a private address" in refused.output
    assert invoke("webhooks", "list", "--db", db).output == ""
    allowed = invoke("webhooks", "add", "http://10.0.0.8:8080/h", "--db", db)
    assert allowed.exit_code == 0, allowed.output
