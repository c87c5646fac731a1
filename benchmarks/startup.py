"""Start-up benchmark: how long ``levelwise`` takes to answer, against ``import typer``.

Run from the repo root: ``.venv/bin/python benchmarks/startup.py`` (``--repeats
N``, default 15; ``--cold`` to time without a bytecode cache).

Each timing is one fresh subprocess, from spawn to exit:

* **reference**: ``python -c "import typer"``, the floor of any typer command;
* a two-command typer app's ``--help`` with typer's default rich help, for
  scale: what rich help alone costs (``levelwise`` prints plain help);
* ``levelwise --help`` and ``levelwise learner --help``: what must start at once;
* ``levelwise learner show ana``: a command that really reads, against a small
  SQLite database made in a temporary folder (the packaged example
  ``src/levelwise/examples/programs/english.yaml`` set and a few events of one
  learner ingested, both through the CLI).

The commands run in interleaved rounds, so that load on the machine falls on
each alike; the table gives the median and the fastest run of each, and the
ratio of the medians to the reference. The goal is ``levelwise --help`` within
2x the reference.

Bytecode: by default the subprocesses share a bytecode cache in the temporary
folder (``PYTHONPYCACHEPREFIX``), warmed by one untimed run of each command, so
the figures are an installed CLI's, not the compiling of every imported source
file (which happens on every run where ``PYTHONDONTWRITEBYTECODE`` is set and no
``__pycache__`` exists). ``--cold`` keeps the environment as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "src/levelwise/examples/programs/english.yaml"
LEARNER = "ana"
RICH_HELP_APP = """
import typer
app = typer.Typer()
app.command("one", help="One.")(lambda: None)
app.command("two", help="Two.")(lambda: None)
app()
"""


def _levelwise() -> list[str]:
    """The installed console script next to this interpreter, else ``main()``."""
    script = Path(sys.executable).parent / "levelwise"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from levelwise.cli import main; main()"]


def _events() -> list[dict[str, Any]]:
    """A week of one learner on the English program's first units."""
    start = datetime(2026, 1, 5, 17, 0, tzinfo=UTC)
    events: list[dict[str, Any]] = []

    def add(type_: str, day: int, **fields: Any) -> None:
        at = start + timedelta(days=day, minutes=len(events))
        events.append(
            {
                "id": f"bench-{len(events)}",
                "learner": LEARNER,
                "type": type_,
                "occurred_at": at.isoformat(),
                **fields,
            }
        )

    for day in range(5):
        add("lesson.watched", day, unit="st_lesson_hello", seconds=600)
        for i in range(4):
            add(
                "question.answered",
                day,
                knowledge_point="greetings",
                item=f"q-{day}-{i}",
                correct=i != 3,
                seconds=20,
            )
    add("homework.submitted", 5, unit="st_homework_about_me", score=8, max_score=10)
    add("unit.completed", 5, unit="st_lesson_hello")
    return events


def _run(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} exited {done.returncode}:\n{done.stderr.decode()}"
        )
    return elapsed


def _school(folder: Path, env: dict[str, str]) -> str:
    db = f"sqlite:///{folder / 'startup.db'}"
    events = folder / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in _events()))
    _run([*_levelwise(), "program", "set", str(PROGRAM), "--db", db], env)
    _run([*_levelwise(), "ingest", str(events), "--db", db], env)
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--cold", action="store_true", help="no bytecode cache")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = dict(os.environ)
        if not args.cold:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        db = _school(folder, env)
        commands = {
            'python -c "import typer"': [sys.executable, "-c", "import typer"],
            "typer app --help (rich)": [sys.executable, "-c", RICH_HELP_APP, "--help"],
            "levelwise --help": [*_levelwise(), "--help"],
            "levelwise learner --help": [*_levelwise(), "learner", "--help"],
            f"levelwise learner show {LEARNER}": [
                *_levelwise(),
                "learner",
                "show",
                LEARNER,
                "--db",
                db,
            ],
        }
        for command in commands.values():  # warm the bytecode and file caches
            _run(command, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, command in commands.items():
                times[name].append(_run(command, env))

    cache = "cold (no bytecode cache)" if args.cold else "warm bytecode cache"
    print(f"{args.repeats} runs each, interleaved; {cache}; {sys.version.split()[0]}")
    reference = statistics.median(next(iter(times.values())))
    width = max(len(name) for name in times)
    print(f"{'command':<{width}}  {'median s':>8}  {'fastest s':>9}  {'ratio':>5}")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:<{width}}  {median:8.3f}  {min(values):9.3f}  "
            f"{median / reference:4.1f}x"
        )


if __name__ == "__main__":
    main()
