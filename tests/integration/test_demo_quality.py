"""``levelwise demo``: its live classes' call quality and drop-out by band."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from levelwise.cli.main import app

runner = CliRunner()


def demo(tmp_path, *args: str):
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    return runner.invoke(
        app,
        ["demo", "--learners", "60", "--weeks", "4", "--db", db, "--no-serve", *args],
    )


def test_the_demo_grades_some_live_classes_and_prints_dropout_by_band(tmp_path):
    result = demo(tmp_path, "--live-classes", "6")

    assert result.exit_code == 0, result.output
    posted = re.search(
        r"live classes: 6 with call quality, ([\d,]+) samples at 1 Hz", result.output
    )
    assert posted and int(posted.group(1).replace(",", "")) > 6 * 240
    line = next(x for x in result.output.splitlines() if x.startswith("call quality"))
    counts = [
        int(n)
        for n in re.findall(
            r"(?:good|acceptable|degraded|broken) (\d+)", line.split(";")[0]
        )
    ]
    assert len(counts) == 4 and sum(counts) == 6
    assert "drop-out during class:" in line and "(n=" in line


def test_no_live_classes_no_call_quality(tmp_path):
    result = demo(tmp_path, "--live-classes", "0")

    assert result.exit_code == 0, result.output
    assert "live classes: 0 with call quality, 0 samples" in result.output
    assert "call quality:" not in result.output
