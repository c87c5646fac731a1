"""Read scored answers for fitting: event files (JSON Lines) or CSV tables."""

from __future__ import annotations

import csv
from pathlib import Path

from pydantic import ValidationError

from levelwise.app.ingest.wire import EVENT_ADAPTER, describe_errors, to_domain
from levelwise.app.modelling.fitting import Answer, answers_from_events
from levelwise.domain.events import Event
from levelwise.errors import FitError

CSV_COLUMNS = ("learner", "knowledge_point", "correct")


def read_answers(path: Path) -> list[Answer]:
    """The answers in ``path``: ``.jsonl`` events or a ``.csv`` table.

    A CSV has the columns ``learner``, ``knowledge_point`` and ``correct``
    (1/0 or true/false), one answer per row, in time order per learner.
    Events files keep their ``question.answered`` events.

    Raises:
        FitError: The file cannot be read, or a line is malformed; the
            message names ``file:line``. Nothing is fitted from a bad file.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FitError(f"{path}: cannot read the file: {exc.strerror}") from exc
    if path.suffix.lower() == ".csv":
        return _from_csv(path, text)
    return answers_from_events(_events(path, text))


def _events(path: Path, text: str) -> list[Event]:
    events = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append(to_domain(EVENT_ADAPTER.validate_json(line)))
        except ValidationError as exc:
            detail = describe_errors(exc)
            if any(e["type"] == "json_invalid" for e in exc.errors()):
                detail = "invalid JSON"
            raise FitError(f"{path}:{number}: {detail}") from exc
    return events


def _from_csv(path: Path, text: str) -> list[Answer]:
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        need = ", ".join(CSV_COLUMNS)
        raise FitError(
            f"{path}:1: missing column(s) {', '.join(missing)} (need {need})"
        )
    rows: list[Answer] = []
    for number, row in enumerate(reader, start=2):
        flag = (row["correct"] or "").strip().lower()
        if flag not in {"1", "0", "true", "false"}:
            msg = f"{path}:{number}: correct must be 1, 0, true or false, got {flag!r}"
            raise FitError(msg)
        if not row["learner"] or not row["knowledge_point"]:
            raise FitError(f"{path}:{number}: learner and knowledge_point are required")
        rows.append((row["learner"], row["knowledge_point"], flag in {"1", "true"}))
    order = sorted(range(len(rows)), key=lambda i: rows[i][0])  # stable: keeps time
    return [rows[i] for i in order]
