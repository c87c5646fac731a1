"""``levelwise eval kt`` end to end on a generated AKT-format file."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from levelwise.cli.main import app

runner = CliRunner()


@pytest.fixture
def akt_file(tmp_path):
    """ASSIST2009-AKT layout: 30 learners in 3 folds, some multi-skill problems."""
    rng = np.random.default_rng(5)
    lines = ["seq_id,test_fold,pos,orig_user_id,problem_id,skill_id,correct"]
    for seq in range(30):
        pos = 0
        for _ in range(int(rng.integers(4, 12))):
            problem = int(rng.integers(1, 40))
            skills = [problem % 6 + 1] if problem % 4 else [1, problem % 6 + 1]
            label = int(rng.random() < 0.3 + 0.1 * (problem % 6))
            for skill in skills:
                row = [seq, seq % 3 + 1, pos, 1000 + seq, problem, skill, label]
                lines.append(",".join(map(str, row)))
                pos += 1
    path = tmp_path / "interactions.csv.gz"
    with gzip.open(path, "wt", newline="") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def invoke(*args):
    return runner.invoke(app, ["eval", "kt", *map(str, args)])


def test_eval_prints_both_protocols(akt_file):
    result = invoke("--data", akt_file, "--model", "skill-mean", "--folds", "2")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "row level: every row" in out
    assert "question level: one prediction per problem attempt" in out
    assert "akt-items" in out and "30 learners" in out
    assert out.count("│ pooled") == 2 and out.count("│ mean") == 2
    assert "│ 3 " not in out  # --folds 2: the third fold is not evaluated


def test_eval_json_for_one_protocol(tmp_path, akt_file):
    result = invoke(
        "--data",
        akt_file.parent,
        "--model",
        "skill-mean",
        "--protocol",
        "row",
        "--json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert list(document["protocols"]) == ["row"]
    row = document["protocols"]["row"]
    assert [f["fold"] for f in row["folds"]] == ["1", "2", "3"]
    assert 0 <= row["pooled_auc"] <= 1 and 0 <= row["mean_rmse"] <= 1
    assert row["n_predictions"] == document["rows"]


def test_unknown_model_exits_1_with_the_known_names(akt_file):
    result = invoke("--data", akt_file, "--model", "nope")
    assert result.exit_code == 1
    assert "model 'nope' is not available; known: skill-mean" in result.output


def test_missing_file_exits_1(tmp_path):
    result = invoke("--data", tmp_path / "absent.csv.gz", "--model", "skill-mean")
    assert result.exit_code == 1
    assert "absent.csv.gz: no such file" in result.output


def test_malformed_file_exits_1_naming_the_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("seq_id,test_fold,pos,skill_id,correct\n0,1,0,3,yes\n")
    result = invoke("--data", path, "--model", "skill-mean")
    assert result.exit_code == 1
    assert f"{path}:2: correct must be an integer" in result.output.replace("\n", "")


@pytest.fixture
def one_class_fold(tmp_path):
    """ASSIST2015-AKT layout (no items) where fold 1 answers everything right."""
    lines = ["seq_id,test_fold,pos,skill_id,correct"]
    for seq in range(6):
        for pos in range(4):
            label = 1 if seq % 2 == 0 else pos % 2
            lines.append(f"{seq},{seq % 2 + 1},{pos},{pos % 3 + 1},{label}")
    path = tmp_path / "a2015.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_undefined_auc_is_null_in_json_and_n_a_in_the_table(one_class_fold):
    result = invoke("--data", one_class_fold, "--model", "skill-mean", "--json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)["protocols"]["row"]
    assert row["folds"][0]["auc"] is None
    assert row["folds"][1]["auc"] is not None
    table = invoke("--data", one_class_fold, "--model", "skill-mean")
    assert table.exit_code == 0, table.output
    assert "n/a" in table.output
    # Without items every attempt is one row, and the table says so.
    assert "same as row level" in table.output
