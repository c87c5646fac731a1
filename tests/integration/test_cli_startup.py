"""Start-up: ``levelwise --help`` and every group's help import nothing heavy.

Each check runs in a fresh interpreter, since this test process has long
imported numpy, SQLAlchemy and the rest.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

HEAVY = ("numpy", "scipy", "fastapi", "sqlalchemy")
GROUPS = (
    "program",
    "learner",
    "keys",
    "placement",
    "eval",
    "items",
    "webhooks",
    "pk",
    "boards",
    "leagues",
    "credentials",
    "metrics",
    "experiments",
    "pages",
)
COMMANDS = ("ingest", "replay", "fit", "serve", "simulate", "demo")

ROOT_HELP = """
import json, sys
from levelwise.cli import main
heavy_names = json.loads(sys.argv[-1])
sys.argv = ["levelwise", "--help"]
try:
    main()
except SystemExit as exc:
    code = exc.code
heavy = [name for name in heavy_names if name in sys.modules]
print(json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""

EVERY_HELP = """
import json, sys
import typer
from typer.testing import CliRunner
from levelwise.cli.main import app
heavy_names = json.loads(sys.argv[-1])
runner = CliRunner()
report = []
def walk(command, path):
    result = runner.invoke(app, [*path, "--help"])
    heavy = [name for name in heavy_names if name in sys.modules]
    report.append({"path": path, "code": result.exit_code, "heavy": heavy})
    for name, sub in getattr(command, "commands", {}).items():
        walk(sub, [*path, name])
walk(typer.main.get_command(app), [])
print(json.dumps(report))
"""


def run(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_help_lists_every_group_and_imports_nothing_heavy():
    done = run(ROOT_HELP)

    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report == {"code": 0, "heavy": []}, done.stderr
    # A command's name starts its line of the listing, its help two spaces on.
    listed = set(re.findall(r"^[\s│]*([a-z]+)  ", done.stdout, re.MULTILINE))
    assert set(GROUPS) | set(COMMANDS) <= listed, done.stdout


def test_no_help_of_any_group_or_command_imports_anything_heavy():
    done = run(EVERY_HELP)

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    paths = {" ".join(r["path"]) for r in report}
    assert set(GROUPS) | {"learner show", "learner plan", "eval graph"} <= paths
    assert len(report) > 40  # every group and every command was asked
    assert [r for r in report if r["code"] != 0 or r["heavy"]] == []


def test_the_cli_copies_of_service_constants_match():
    # The CLI repeats these so that defining its options imports no service.
    from levelwise.app.engine import MAX_BATCH
    from levelwise.app.metrics.service import TABLES
    from levelwise.cli.main import MAX_BATCH as CLI_MAX_BATCH
    from levelwise.cli.metrics import TABLES as CLI_TABLES

    assert CLI_MAX_BATCH == MAX_BATCH
    assert CLI_TABLES == TABLES
