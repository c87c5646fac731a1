"""``levelwise quality grade`` and ``report``: a file of samples, a stored class."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path as FilePath

import pytest
from typer.testing import CliRunner

from levelwise.cli.main import app
from tests.support.quality_calls import Path, expected_delay, one_to_one, steady

runner = CliRunner()
ENGLISH = resources.files("levelwise.examples") / "programs" / "english.yaml"
GOOD = Path(rtt_ms=60, jb_ms=30)
SLOW = Path(rtt_ms=700, jb_ms=80)  # 350 + 80 + 40 = 470 ms: degraded


def _write(path: FilePath, lines: list[dict]) -> FilePath:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_grade_prints_each_participants_delay_bands_mos_and_verdict(tmp_path):
    lines = one_to_one("club-1", 20, steady(GOOD), steady(SLOW))
    lines += one_to_one("club-2", 20, steady(GOOD), steady(GOOD))
    result = runner.invoke(
        app, ["quality", "grade", str(_write(tmp_path / "s.jsonl", lines))]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "class club-1" in out and "class club-2" in out
    assert out.index("club-1") < out.index("club-2")
    assert "learner-1" in out and "teacher-1" in out
    assert f"{expected_delay(SLOW):.0f}" in out  # the learner's mean delay
    assert "degraded" in out and "good" in out


def test_grade_json_is_the_report_for_each_class(tmp_path):
    lines = one_to_one("club-1", 20, steady(GOOD), steady(SLOW))
    path = _write(tmp_path / "s.jsonl", lines)
    result = runner.invoke(app, ["quality", "grade", str(path), "--json"])
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.output)
    assert report["class"] == "club-1"
    assert report["band"] == "degraded"
    by = {p["participant"]: p for p in report["participants"]}
    assert by["learner-1"]["mean_delay_ms"] == pytest.approx(
        expected_delay(SLOW), abs=1
    )
    assert by["teacher-1"]["band"] == "good"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "s.jsonl:2: not JSON"),
        ('{"class": "c", "participant": "p", "role": "x"}', "s.jsonl:2: role:"),
    ],
)
def test_a_bad_line_is_reported_with_its_file_and_line(tmp_path, line, message):
    [first] = one_to_one("c", 1, steady(GOOD), steady(GOOD))[:1]
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(first) + "\n" + line + "\n")
    result = runner.invoke(app, ["quality", "grade", str(path)])
    assert result.exit_code == 1
    assert message in result.output


def test_a_sample_out_of_order_in_a_file_names_its_line(tmp_path):
    lines = one_to_one("c", 3, steady(GOOD), steady(GOOD))
    lines.append(lines[0])
    path = _write(tmp_path / "s.jsonl", lines)
    result = runner.invoke(app, ["quality", "grade", str(path)])
    assert result.exit_code == 1
    assert "s.jsonl:7: out of order or duplicate" in result.output


def test_report_reads_a_stored_class(tmp_path):
    db = f"sqlite:///{tmp_path / 'q.db'}"
    program = tmp_path / "english.yaml"
    program.write_text(ENGLISH.read_text(encoding="utf-8"))
    done = runner.invoke(app, ["program", "set", str(program), "--db", db])
    assert done.exit_code == 0, done.output
    from levelwise.bootstrap import engine_over, open_stores, schools

    engine = engine_over(open_stores(db))
    lines = one_to_one("club-9", 10, steady(GOOD), steady(GOOD))
    for line in lines:
        line.pop("class")
    (school,) = schools(engine)
    engine.quality.post(school, "club-9", lines)
    result = runner.invoke(app, ["quality", "report", "club-9", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["band"] == "good"
    missing = runner.invoke(app, ["quality", "report", "nope", "--db", db])
    assert missing.exit_code == 1
    assert "no call-quality statistics" in missing.output
