"""`levelwise items calibrate`: responses table in, parameters with SEs out."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from levelwise.cli.main import app
from levelwise.learners.calibrate import simulate_responses

runner = CliRunner()


def write_table(path, matrix, ids):
    lines = ["examinee," + ",".join(ids)]
    for i, row in enumerate(matrix):
        cells = ["" if np.isnan(v) else str(int(v)) for v in row]
        lines.append(f"p{i}," + ",".join(cells))
    path.write_text("\n".join(lines) + "\n")


def test_calibrate_recovers_difficulties_and_writes_a_bank(tmp_path):
    rng = np.random.default_rng(5)
    a = rng.uniform(0.8, 1.8, 12)
    b = np.linspace(-1.5, 1.5, 12)
    matrix = simulate_responses(a, b, np.zeros(12), rng.normal(size=1500), rng)
    matrix = matrix.astype(float)
    matrix[rng.random(matrix.shape) < 0.1] = np.nan  # not every item was asked
    ids = [f"q{j}" for j in range(12)]
    table = tmp_path / "responses.csv"
    write_table(table, matrix, ids)
    bank_file = tmp_path / "bank.json"
    result = runner.invoke(
        app, ["items", "calibrate", "--responses", str(table), "--out", str(bank_file)]
    )
    assert result.exit_code == 0, result.output
    assert "12 items, 1500 examinees, 2PL: converged" in result.output
    bank = json.loads(bank_file.read_text())
    assert [item["id"] for item in bank["items"]] == ids
    estimated = np.array([item["b"] for item in bank["items"]])
    assert np.corrcoef(estimated, b)[0, 1] > 0.98
    assert all(item["se_b"] is not None and item["se_b"] > 0 for item in bank["items"])


def test_bad_tables_name_the_line(tmp_path):
    table = tmp_path / "bad.csv"
    table.write_text("examinee,q1,q2\np1,1,0\np2,1,yes\n")
    result = runner.invoke(app, ["items", "calibrate", "--responses", str(table)])
    assert result.exit_code == 1 and f"{table}:3: item 'q2': 'yes'" in result.output
    table.write_text("examinee,q1,q2\np1,1\n")
    result = runner.invoke(app, ["items", "calibrate", "--responses", str(table)])
    assert "bad.csv:2: 2 cells, the header has 3" in result.output
    table.write_text("examinee\n")
    result = runner.invoke(app, ["items", "calibrate", "--responses", str(table)])
    assert ":1: need a header" in result.output
    missing = runner.invoke(
        app, ["items", "calibrate", "--responses", str(tmp_path / "none.csv")]
    )
    assert missing.exit_code == 1
