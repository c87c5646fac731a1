"""Loaders that turn the shared knowledge-tracing datasets into ``Responses``.

Recognised formats (see ``../shared/data/*/README.md``), told apart by the
header of the file:

* ``akt-items`` (ASSIST2009, AKT split): ``seq_id, test_fold, pos,
  orig_user_id, problem_id, skill_id, correct``. Items are problem ids;
  consecutive rows of a learner with the same problem (a multi-skill problem
  expanded into one row per skill) share one attempt.
* ``akt`` (ASSIST2015, AKT split): ``seq_id, test_fold, pos, skill_id,
  correct``. No items (item ``-1``); every row is its own attempt.
* ``dkt`` (ASSIST2009 as in the DKT paper): ``split, seq_id, pos, skill_id,
  correct`` with a ``train``/``test`` split.
* ``synthetic`` (DKT Synthetic-5): no header, one line per learner of 0/1
  answers to the same questions in the same order. Question ``j`` is both the
  item and the skill (the hidden concepts are ground truth, not input);
  learners are dealt into five folds by line number (line ``i`` → fold
  ``i mod 5 + 1``).

Raw ids are mapped to dense 0-based indexes over the *whole file* (the union
of all folds), so that a skill or item has the same index in every fold and a
model fitted on some folds can be applied to the others. Skills and items are
numbered in the order of their raw ids (numeric when every id is an integer);
learners in order of first appearance. Rows are sorted by learner, then
``pos`` (stable), so each learner's rows are contiguous and chronological.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
import numpy.typing as npt

from levelwise.errors import (
    DatasetNotFoundError,
    InvalidDatasetError,
)
from levelwise.learners.base import IntArray, Responses

__all__ = [
    "Dataset",
    "DatasetNotFoundError",
    "InvalidDatasetError",
    "load",
]

_AKT = ("seq_id", "test_fold", "pos", "skill_id", "correct")
_DKT = ("split", "seq_id", "pos", "skill_id", "correct")
_SYNTHETIC_FOLDS = 5


@dataclass(frozen=True, eq=False)
class Dataset:
    """Responses plus the fold (or split) of every row.

    Attributes:
        format: One of ``akt-items``, ``akt``, ``dkt``, ``synthetic``.
        source: The file that was read.
        responses: The rows, grouped by learner and in time order.
        fold: Per row, an index into ``fold_names`` (constant per learner).
        fold_names: Name of each fold (``"1"``..``"5"``, or ``train``/``test``).
        test_folds: The folds held out in turn (all of them for k-fold data,
            only ``test`` for a train/test split).
        learner_ids: Raw learner id by learner index.
        item_ids: Raw item id by item index (empty when there are no items).
    """

    format: str
    source: str
    responses: Responses
    fold: IntArray
    fold_names: tuple[str, ...]
    test_folds: tuple[int, ...]
    learner_ids: tuple[str, ...]
    item_ids: tuple[str, ...] = ()

    @property
    def n_learners(self) -> int:
        """Number of learners."""
        return len(self.learner_ids)

    def split(self, fold: int) -> tuple[Responses, Responses]:
        """The rows of the other folds (training) and of ``fold`` (test)."""
        test = self.fold == fold
        return self.responses.subset(~test), self.responses.subset(test)


def load(path: str | Path) -> Dataset:
    """Read a dataset file, or the data file in a dataset folder.

    Args:
        path: A ``.csv``/``.csv.gz`` file, or a folder holding
            ``interactions.csv.gz`` (or Synthetic-5 ``naive_*.csv`` files, of
            which the first in name order is read).

    Returns:
        The dataset, with dense indexes fitted on all of its rows.

    Raises:
        DatasetNotFoundError: The path does not exist or has no data file.
        InvalidDatasetError: A column is missing or a value is malformed.
    """
    file = _data_file(Path(path))
    with _open(file) as handle:
        reader = _numbered(handle)
        first = next(reader, None)
        if first is None:
            raise InvalidDatasetError(str(file), 1, "the file is empty")
        header = [name.strip().lstrip("\ufeff") for name in first[1]]
        if all(cell in ("0", "1") for cell in header):
            return _synthetic(str(file), first, reader)
        if "split" in header:
            return _tabular(str(file), header, reader, _DKT, "dkt")
        if "test_fold" in header:
            fmt = "akt-items" if "problem_id" in header else "akt"
            return _tabular(str(file), header, reader, _AKT, fmt)
    msg = (
        f"unrecognised header {','.join(header)!r}; expected the AKT columns "
        f"({','.join(_AKT)}[,problem_id]), the DKT columns ({','.join(_DKT)}) "
        "or Synthetic-5 lines of 0/1 answers"
    )
    raise InvalidDatasetError(str(file), 1, msg)


def _data_file(path: Path) -> Path:
    if path.is_dir():
        if (path / "interactions.csv.gz").is_file():
            return path / "interactions.csv.gz"
        answers = sorted(p for p in path.glob("*.csv*") if "_info" not in p.name)
        if answers:
            return answers[0]
        msg = f"{path}: no interactions.csv.gz or *.csv data file in this folder"
        raise DatasetNotFoundError(msg)
    if not path.is_file():
        raise DatasetNotFoundError(f"{path}: no such file or folder")
    return path


@contextmanager
def _open(file: Path) -> Iterator[TextIO]:
    if file.name.endswith(".gz"):
        with gzip.open(file, "rt", encoding="utf-8", newline="") as handle:
            yield handle
    else:
        with open(file, encoding="utf-8", newline="") as handle:
            yield handle


def _numbered(handle: TextIO) -> Iterator[tuple[int, list[str]]]:
    """Non-empty CSV rows with the line number each ends on."""
    reader = csv.reader(handle)
    for row in reader:
        if row:
            yield reader.line_num, row


def _tabular(
    file: str,
    header: list[str],
    reader: Iterator[tuple[int, list[str]]],
    required: tuple[str, ...],
    fmt: str,
) -> Dataset:
    for name in required:
        if name not in header:
            raise InvalidDatasetError(file, 1, f"missing column {name!r}")
    wanted = [*required, *(("problem_id",) if fmt == "akt-items" else ())]
    where = [header.index(name) for name in wanted]
    columns: list[list[str]] = [[] for _ in wanted]
    lines: list[int] = []
    width = len(header)
    for line, row in reader:
        if len(row) != width:
            msg = f"expected {width} fields, found {len(row)}"
            raise InvalidDatasetError(file, line, msg)
        for column, index in zip(columns, where, strict=True):
            column.append(row[index])
        lines.append(line)
    if not lines:
        raise InvalidDatasetError(file, 0, "no data rows after the header")
    line_no = np.asarray(lines, dtype=np.int64)
    raw = dict(zip(wanted, columns, strict=True))
    correct = _integers(file, "correct", raw["correct"], line_no)
    bad = np.flatnonzero((correct != 0) & (correct != 1))
    if bad.size:
        value = raw["correct"][bad[0]]
        msg = f"correct must be 0 or 1, found {value!r}"
        raise InvalidDatasetError(file, int(line_no[bad[0]]), msg)
    pos = _integers(file, "pos", raw["pos"], line_no)
    learner, learner_ids = _first_seen(raw["seq_id"])
    if fmt == "dkt":
        fold_raw = raw["split"]
        fold_names: tuple[str, ...] = ("train", "test")
        fold = np.full(len(fold_raw), -1, dtype=np.int64)
        for index, name in enumerate(fold_names):
            fold[np.asarray(fold_raw) == name] = index
        if np.any(fold < 0):
            at = int(np.flatnonzero(fold < 0)[0])
            msg = f"split must be 'train' or 'test', found {fold_raw[at]!r}"
            raise InvalidDatasetError(file, int(line_no[at]), msg)
        test_folds: tuple[int, ...] = (1,)
    else:
        numbers = _integers(file, "test_fold", raw["test_fold"], line_no)
        fold, names = _dense(numbers)
        fold_names = tuple(str(n) for n in names)
        test_folds = tuple(range(len(fold_names)))
    _check_constant(file, learner, fold, line_no)
    skill, skill_names = _dense(_integers(file, "skill_id", raw["skill_id"], line_no))
    order = np.lexsort((pos, learner))
    item_ids: tuple[str, ...] = ()
    item: IntArray | None = None
    attempt: IntArray | None = None
    if fmt == "akt-items":
        problems = _integers(file, "problem_id", raw["problem_id"], line_no)
        item, item_names = _dense(problems)
        item = item[order]
        item_ids = tuple(str(i) for i in item_names)
        attempt = _attempts(learner[order], item)
    return _dataset(
        fmt,
        file,
        learner[order],
        skill[order],
        correct[order],
        fold[order],
        fold_names,
        test_folds,
        learner_ids,
        tuple(str(s) for s in skill_names),
        item=item,
        attempt=attempt,
        item_ids=item_ids,
    )


def _synthetic(
    file: str,
    first: tuple[int, list[str]],
    reader: Iterator[tuple[int, list[str]]],
) -> Dataset:
    numbered = [first, *reader]
    rows = [row for _, row in numbered]
    width = len(first[1])
    for number, row in numbered:
        if len(row) != width:
            msg = f"expected {width} answers, found {len(row)}"
            raise InvalidDatasetError(file, number, msg)
        for cell in row:
            if cell.strip() not in ("0", "1"):
                msg = f"answers must be 0 or 1, found {cell!r}"
                raise InvalidDatasetError(file, number, msg)
    answers = np.asarray(rows, dtype=np.int64)
    n_learners, n_questions = answers.shape
    learner = np.repeat(np.arange(n_learners, dtype=np.int64), n_questions)
    question = np.tile(np.arange(n_questions, dtype=np.int64), n_learners)
    fold = learner % _SYNTHETIC_FOLDS
    names = tuple(str(q) for q in range(n_questions))
    return _dataset(
        "synthetic",
        file,
        learner,
        question,
        answers.reshape(-1),
        fold,
        tuple(str(f + 1) for f in range(_SYNTHETIC_FOLDS)),
        tuple(range(_SYNTHETIC_FOLDS)),
        tuple(str(i) for i in range(n_learners)),
        names,
        item=question,
        item_ids=names,
    )


def _dataset(
    fmt: str,
    file: str,
    learner: IntArray,
    skill: IntArray,
    correct: IntArray,
    fold: IntArray,
    fold_names: tuple[str, ...],
    test_folds: tuple[int, ...],
    learner_ids: tuple[str, ...],
    skill_names: tuple[str, ...],
    *,
    item: IntArray | None = None,
    attempt: IntArray | None = None,
    item_ids: tuple[str, ...] = (),
) -> Dataset:
    responses = Responses.from_arrays(
        learner,
        skill,
        correct,
        item=item,
        attempt=attempt,
        n_skills=len(skill_names),
        n_items=len(item_ids),
        skill_names=skill_names,
    )
    return Dataset(
        format=fmt,
        source=file,
        responses=responses,
        fold=fold,
        fold_names=fold_names,
        test_folds=test_folds,
        learner_ids=learner_ids,
        item_ids=item_ids,
    )


def _integers(file: str, name: str, values: list[str], lines: IntArray) -> IntArray:
    try:
        return np.asarray(values, dtype=np.int64)
    except ValueError:
        for index, value in enumerate(values):
            try:
                int(value)
            except ValueError:
                msg = f"{name} must be an integer, found {value!r}"
                raise InvalidDatasetError(file, int(lines[index]), msg) from None
        raise  # pragma: no cover - numpy and int() disagree only on exotic input


def _dense(values: IntArray) -> tuple[IntArray, npt.NDArray[np.int64]]:
    """Dense 0-based indexes of ``values``, numbered in increasing value order."""
    names, index = np.unique(values, return_inverse=True)
    return index.astype(np.int64).reshape(-1), names.astype(np.int64)


def _first_seen(values: list[str]) -> tuple[IntArray, tuple[str, ...]]:
    """Dense indexes numbered in order of first appearance."""
    seen: dict[str, int] = {}
    index = np.fromiter(
        (seen.setdefault(v, len(seen)) for v in values), np.int64, len(values)
    )
    return index, tuple(seen)


def _check_constant(
    file: str, learner: IntArray, fold: IntArray, lines: IntArray
) -> None:
    """Every learner's rows lie in one fold (folds must partition learners)."""
    first = np.full(int(learner.max()) + 1, -1, np.int64)
    # Assign in reverse so the earliest row of each learner wins.
    first[learner[::-1]] = fold[::-1]
    bad = np.flatnonzero(first[learner] != fold)
    if bad.size:
        msg = "a learner's rows are in more than one fold"
        raise InvalidDatasetError(file, int(lines[bad[0]]), msg)


def _attempts(learner: IntArray, item: IntArray) -> IntArray:
    """Attempt ids: a new attempt wherever the learner or the problem changes."""
    new = np.ones(learner.shape[0], dtype=bool)
    new[1:] = (learner[1:] != learner[:-1]) | (item[1:] != item[:-1])
    attempt: IntArray = np.cumsum(new, dtype=np.int64) - 1
    return attempt
