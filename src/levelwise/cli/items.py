"""The ``levelwise items`` commands: calibrate a placement item bank."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from levelwise.cli.options import fail, out
from levelwise.errors import InvalidDatasetError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

app = typer.Typer(name="items", no_args_is_help=True, help="Placement item banks.")


def read_responses(path: Path) -> tuple[list[str], npt.NDArray[np.float64]]:
    """Read a responses table: a header ``examinee,<item id>,…``, then 1/0/blank.

    Returns:
        The item ids and an ``(examinees, items)`` float array with NaN where
        an item was not administered.

    Raises:
        InvalidDatasetError: A cell is not 1, 0 or blank, or a row has the wrong
            number of cells; the message names ``file:line``.
    """
    import numpy as np

    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or len(rows[0]) < 2:
        msg = "need a header 'examinee,<item id>,…'"
        raise InvalidDatasetError(str(path), 1, msg)
    items = rows[0][1:]
    matrix = np.full((len(rows) - 1, len(items)), np.nan)
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(items) + 1:
            msg = f"{len(row)} cells, the header has {len(items) + 1}"
            raise InvalidDatasetError(str(path), number, msg)
        for j, cell in enumerate(row[1:]):
            value = cell.strip()
            if value in ("1", "0"):
                matrix[number - 2, j] = float(value)
            elif value:
                msg = f"item {items[j]!r}: {value!r} is not 1/0/blank"
                raise InvalidDatasetError(str(path), number, msg)
    return items, matrix


def _number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _fmt(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.3f}"


@app.command("calibrate")
def calibrate_command(
    responses: Annotated[
        Path, typer.Option("--responses", help="CSV: examinee,<item ids>; 1/0/blank.")
    ],
    model: Annotated[Literal["2pl", "3pl"], typer.Option()] = "2pl",
    output: Annotated[
        Path | None, typer.Option("--out", help="Write the item bank as JSON.")
    ] = None,
) -> None:
    """Estimate 2PL/3PL item parameters with standard errors and a misfit report."""
    import numpy as np
    from rich.table import Table

    from levelwise.learners.calibrate import MSQ_BAND, calibrate

    try:
        items, matrix = read_responses(responses)
        result = calibrate(matrix, model=model)
    except (OSError, ValueError) as exc:  # InvalidDatasetError is a ValueError
        raise fail(exc) from exc
    table = Table("item", "a", "se a", "b", "se b", "c", "infit", "outfit", "flag")
    flagged = set(np.flatnonzero(result.flagged).tolist())
    for j, item in enumerate(items):
        table.add_row(
            item,
            _fmt(result.a[j]),
            _fmt(result.se_a[j]),
            _fmt(result.b[j]),
            _fmt(result.se_b[j]),
            _fmt(result.c[j]),
            _fmt(result.infit[j]),
            _fmt(result.outfit[j]),
            "misfit" if j in flagged else "",
        )
    out().print(table)
    state = "converged" if result.converged else "did NOT converge"
    out().print(
        f"{len(items)} items, {matrix.shape[0]} examinees, {model.upper()}: {state} "
        f"after {result.n_iter} EM cycles; log-likelihood {result.log_likelihood:.1f}; "
        f"{len(flagged)} flagged (mean squares outside {MSQ_BAND}, tiny slope, "
        "or answered all right/wrong)"
    )
    if output is not None:
        bank = {
            "model": model,
            "items": [
                {
                    "id": item,
                    "a": float(result.a[j]),
                    "b": float(result.b[j]),
                    "c": float(result.c[j]),
                    "se_a": None
                    if math.isnan(result.se_a[j])
                    else float(result.se_a[j]),
                    "se_b": None
                    if math.isnan(result.se_b[j])
                    else float(result.se_b[j]),
                    "flagged": j in flagged,
                }
                for j, item in enumerate(items)
            ],
        }
        output.write_text(json.dumps(bank, indent=2) + "\n", encoding="utf-8")
        out().print(f"item bank written to {output}")
