"""Dataset loaders: each shared format, dense indexes, folds, and bad input."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from levelwise.errors import (
    DatasetNotFoundError,
    InvalidDatasetError,
    InvalidResponsesError,
)
from levelwise.learners.datasets import load

AKT_ITEMS = """\
seq_id,test_fold,pos,orig_user_id,problem_id,skill_id,correct
7,2,0,900,50,30,0
7,2,1,900,50,12,0
7,2,2,900,61,12,1
7,2,3,900,50,12,1
3,1,0,800,61,30,1
3,1,1,800,61,12,1
3,1,2,800,70,30,0
"""

AKT = """\
seq_id,test_fold,pos,skill_id,correct
0,1,0,8,1
0,1,1,8,1
0,1,2,1,0
1,3,0,1,1
1,3,1,100,0
"""

DKT = """\
split,seq_id,pos,skill_id,correct
train,train0,0,7,1
train,train1,0,82,0
train,train1,1,7,1
test,test0,0,82,1
test,test0,1,5,0
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_akt_items_groups_consecutive_rows_of_one_problem_into_an_attempt(tmp_path):
    ds = load(write(tmp_path, "interactions.csv.gz", AKT_ITEMS))
    r = ds.responses
    assert ds.format == "akt-items"
    # Learners in order of first appearance; rows keep their order.
    assert ds.learner_ids == ("7", "3")
    assert r.learner.tolist() == [0, 0, 0, 0, 1, 1, 1]
    # Problem 50, 50 (one attempt), 61, then 50 again (a new attempt).
    assert r.attempt.tolist() == [0, 0, 1, 2, 3, 3, 4]
    # Dense indexes in raw-id order: items 50, 61, 70; skills 12, 30.
    assert ds.item_ids == ("50", "61", "70")
    assert r.item.tolist() == [0, 0, 1, 0, 1, 1, 2]
    assert r.skill_names == ("12", "30")
    assert r.skill.tolist() == [1, 0, 0, 0, 1, 0, 1]
    assert r.correct.tolist() == [0, 0, 1, 1, 1, 1, 0]
    assert (r.n_skills, r.n_items) == (2, 3)
    assert ds.fold_names == ("1", "2")
    assert ds.fold.tolist() == [1, 1, 1, 1, 0, 0, 0]
    assert ds.test_folds == (0, 1)


def test_folder_is_read_through_its_interactions_file(tmp_path):
    write(tmp_path, "interactions.csv.gz", AKT_ITEMS)
    assert len(load(tmp_path).responses) == 7
    assert load(str(tmp_path)).source.endswith("interactions.csv.gz")


def test_akt_without_items_makes_every_row_an_attempt(tmp_path):
    ds = load(write(tmp_path, "a.csv", AKT))
    r = ds.responses
    assert ds.format == "akt"
    assert r.item.tolist() == [-1] * 5
    assert r.n_items == 0 and ds.item_ids == ()
    assert r.attempt.tolist() == [0, 1, 2, 3, 4]
    assert r.skill_names == ("1", "8", "100")  # numeric order, not text order
    assert r.skill.tolist() == [1, 1, 0, 0, 2]
    assert ds.fold_names == ("1", "3")
    assert ds.fold.tolist() == [0, 0, 0, 1, 1]


def test_dkt_split_holds_out_the_test_learners_only(tmp_path):
    ds = load(write(tmp_path, "d.csv.gz", DKT))
    assert ds.format == "dkt"
    assert ds.fold_names == ("train", "test")
    assert ds.test_folds == (1,)
    assert ds.learner_ids == ("train0", "train1", "test0")
    train, test = ds.split(1)
    assert np.unique(train.learner).tolist() == [0, 1]
    assert np.unique(test.learner).tolist() == [2]
    assert test.n_skills == train.n_skills == 3  # one index space for both


def test_rows_are_sorted_by_position_within_a_learner(tmp_path):
    # A blank line is skipped; rows come back in ``pos`` order.
    text = "seq_id,test_fold,pos,skill_id,correct\n0,1,1,2,1\n\n0,1,0,1,0\n"
    r = load(write(tmp_path, "a.csv", text)).responses
    assert r.skill.tolist() == [0, 1]
    assert r.correct.tolist() == [0, 1]


def test_synthetic_answers_file(tmp_path):
    lines = ["0,1,1", "1,1,0", "0,0,0", "1,1,1", "0,1,0", "1,0,1"]
    write(tmp_path, "naive_c5_q3_s6_v0.csv", "\n".join(lines) + "\n")
    write(tmp_path, "naive_c5_q3_s6_v0_info.txt", "ignored\n")
    ds = load(tmp_path)
    r = ds.responses
    assert ds.format == "synthetic"
    assert len(r) == 18 and ds.n_learners == 6
    assert r.item.tolist()[:6] == [0, 1, 2, 0, 1, 2]
    assert r.skill.tolist() == r.item.tolist()
    assert r.correct.tolist()[:6] == [0, 1, 1, 1, 1, 0]
    # Learner i is in fold i mod 5.
    assert ds.fold[::3].tolist() == [0, 1, 2, 3, 4, 0]
    assert ds.test_folds == (0, 1, 2, 3, 4)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        # The header lacks a required column.
        ("seq_id,test_fold,pos,skill_id\n0,1,0,3\n", 1, "missing column 'correct'"),
        # A label that is not 0/1.
        (AKT.replace("0,1,2,1,0", "0,1,2,1,2"), 4, "correct must be 0 or 1"),
        # A skill id that is not an integer.
        (AKT.replace("1,3,1,100,0", "1,3,1,x,0"), 6, "skill_id must be an integer"),
        # A short row.
        (AKT.replace("1,3,0,1,1", "1,3,0,1"), 5, "expected 5 fields, found 4"),
        # A learner spread over two folds.
        (AKT.replace("0,1,2,1,0", "0,2,2,1,0"), 4, "more than one fold"),
        # An unknown split name.
        (DKT.replace("test,test0,1", "dev,test0,1"), 6, "split must be 'train'"),
        # A header only.
        ("seq_id,test_fold,pos,skill_id,correct\n", 0, "no data rows"),
        # An unknown layout.
        ("a,b,c\n1,2,3\n", 1, "unrecognised header"),
        # Synthetic answers that are not 0/1, or ragged.
        ("0,1,1\n0,2,1\n", 2, "answers must be 0 or 1"),
        ("0,1,1\n0,1\n", 2, "expected 3 answers, found 2"),
        # Nothing at all.
        ("", 1, "the file is empty"),
    ],
    ids=[
        "missing-column",
        "bad-correct",
        "bad-skill",
        "short-row",
        "two-folds",
        "bad-split",
        "no-rows",
        "unknown-header",
        "synthetic-bad-answer",
        "synthetic-ragged",
        "empty",
    ],
)
def test_bad_input_names_the_file_and_line(tmp_path, text, line, message):
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(InvalidDatasetError, match=message) as info:
        load(path)
    assert info.value.file == str(path)
    assert info.value.line == line
    where = f"{path}:{line}: " if line else f"{path}: "
    assert str(info.value).startswith(where)
    assert isinstance(info.value, InvalidResponsesError)


def test_missing_path_is_reported(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="no such file"):
        load(tmp_path / "nope.csv")


def test_folder_without_data_is_reported(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="no interactions.csv.gz"):
        load(tmp_path)
