"""``levelwise credentials``: issue, list, revoke and verify from the shell."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from levelwise import bootstrap
from levelwise.cli.main import app
from tests.support.factories import SMALL_PROGRAM, completed, homework

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_issue_verify_revoke_round_trip(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    program = tmp_path / "program.yaml"
    program.write_text(SMALL_PROGRAM)
    events = tmp_path / "events.jsonl"
    rows = [
        completed("u1", minutes=1),
        homework(10, minutes=2),
        homework(10, minutes=3),
    ]
    events.write_text("\n".join(json.dumps(e) for e in rows))
    assert invoke("program", "set", program, "--db", db).exit_code == 0
    assert invoke("ingest", events, "--db", db).exit_code == 0
    issued = invoke("credentials", "issue", "ana", "--db", db, "--json")
    assert issued.exit_code == 0, issued.output
    [row] = json.loads(issued.output)
    listed = json.loads(
        invoke("credentials", "list", "ana", "--db", db, "--json").output
    )
    assert [r["id"] for r in listed] == [row["id"]]
    token = tmp_path / "vc.jwt"
    token.write_text(bootstrap.build(db).credentials.credential(row["id"]).jwt)
    ok = invoke("credentials", "verify", token, "--db", db)
    assert ok.exit_code == 0 and "valid" in ok.output
    revoked = invoke(
        "credentials", "revoke", row["id"], "--reason", "error", "--db", db
    )
    assert revoked.exit_code == 0, revoked.output
    bad = invoke("credentials", "verify", token, "--db", db)
    assert bad.exit_code == 1
    assert "FAIL revocation" in bad.output


def test_unknown_learner_fails_cleanly(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    program = tmp_path / "program.yaml"
    program.write_text(SMALL_PROGRAM)
    assert invoke("program", "set", program, "--db", db).exit_code == 0
    result = invoke("credentials", "issue", "nobody", "--db", db)
    assert result.exit_code == 1
    assert (
        json.loads(invoke("credentials", "list", "nobody", "--db", db, "--json").output)
        == []
    )


def test_issue_in_the_learners_language(tmp_path):
    from tests.support.factories import BILINGUAL_PROGRAM

    db = f"sqlite:///{tmp_path / 'cli.db'}"
    program = tmp_path / "program.yaml"
    program.write_text(BILINGUAL_PROGRAM, encoding="utf-8")
    events = tmp_path / "events.jsonl"
    rows = [
        completed("u1", minutes=1),
        homework(10, minutes=2),
        homework(10, minutes=3),
    ]
    events.write_text("\n".join(json.dumps(e) for e in rows))
    assert invoke("program", "set", program, "--db", db).exit_code == 0
    assert invoke("ingest", events, "--db", db).exit_code == 0
    issued = invoke("credentials", "issue", "ana", "--lang", "zh-CN", "--db", db)
    assert issued.exit_code == 0, issued.output
    assert "突破级 (level_reached)" in issued.output
    assert "完成者（铜牌） (badge_earned)" in issued.output
    listed = json.loads(
        invoke("credentials", "list", "ana", "--db", db, "--json").output
    )
    assert {r["language"] for r in listed} == {"zh-CN"}
    bad = invoke("credentials", "issue", "ana", "--lang", "zh_CN", "--db", db)
    assert bad.exit_code == 1
    assert "not a language tag" in bad.stderr
