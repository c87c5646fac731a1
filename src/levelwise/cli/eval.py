"""The ``levelwise eval`` commands: cross-validate knowledge-tracing models.

``eval kt`` and ``eval forecast`` live here; ``eval graph`` lives in
:mod:`levelwise.cli.graph`, mounted on this group.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from levelwise.cli import graph
from levelwise.cli.options import JsonOpt, fail, out
from levelwise.errors import LevelwiseError

if TYPE_CHECKING:
    from rich.table import Table

    from levelwise.learners.datasets import Dataset
    from levelwise.learners.evaluate import Evaluation, Protocol
    from levelwise.learners.mastery_forecast import HorizonScore

app = typer.Typer(name="eval", no_args_is_help=True, help="Evaluate learner models.")
app.add_typer(graph.app)  # eval graph

LABELS: dict[Protocol, str] = {
    "row": "row level: every row, as most papers report",
    "question": "question level: one prediction per problem attempt",
}


@app.command("kt")
def kt(
    data: Annotated[
        Path, typer.Option("--data", help="Dataset file or folder (../shared/data/…).")
    ],
    model: Annotated[
        str, typer.Option("--model", help="Registered model name (e.g. bkt, elo).")
    ],
    protocol: Annotated[
        Literal["row", "question", "both"],
        typer.Option("--protocol", help="row, question or both."),
    ] = "both",
    folds: Annotated[
        int | None,
        typer.Option("--folds", min=1, help="Evaluate only the first N folds."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Cross-validate a knowledge-tracing model on a dataset, by learner folds."""
    from levelwise.learners.datasets import load
    from levelwise.learners.evaluate import PROTOCOLS, evaluate_protocols
    from levelwise.learners.registry import factory

    protocols: tuple[Protocol, ...] = PROTOCOLS if protocol == "both" else (protocol,)
    try:
        make = factory(model)
        dataset = load(data)
        results = evaluate_protocols(
            make, dataset, protocols=protocols, max_folds=folds
        )
    except LevelwiseError as exc:
        raise fail(exc) from exc
    if as_json:
        out().print_json(json.dumps(_as_json(model, dataset, results)))
        return
    r = dataset.responses
    out().print(
        f"[bold]{model}[/] on {dataset.source} ({dataset.format}): {len(r):,} rows, "
        f"{dataset.n_learners:,} learners, {r.n_skills:,} skills, "
        f"{r.n_items:,} items; folds {', '.join(dataset.fold_names)}",
        highlight=False,
    )
    for name, evaluation in results.items():
        table = _table(name, evaluation)
        if name == "question" and evaluation.n_predictions == len(r):
            table.caption = "every attempt is a single row here: same as row level"
        out().print(table)


def _table(protocol: Protocol, evaluation: Evaluation) -> Table:
    from rich.table import Table

    table = Table(
        "fold",
        "learners train/test",
        "predictions",
        "AUC",
        "RMSE",
        "fit s",
        "predict s",
        title=LABELS[protocol],
        title_justify="left",
    )
    for f in evaluation.folds:
        table.add_row(
            f.fold,
            f"{f.n_train_learners:,}/{f.n_test_learners:,}",
            f"{f.n_predictions:,}",
            _fmt(f.auc),
            _fmt(f.rmse),
            f"{f.fit_seconds:.3f}",
            f"{f.predict_seconds:.3f}",
        )
    e = evaluation
    table.add_section()
    table.add_row("mean", "", "", _fmt(e.mean_auc), _fmt(e.mean_rmse), style="bold")
    table.add_row(
        "pooled",
        "",
        f"{e.n_predictions:,}",
        _fmt(e.pooled_auc),
        _fmt(e.pooled_rmse),
        f"{e.fit_seconds:.3f}",
        f"{e.predict_seconds:.3f}",
        style="bold",
    )
    return table


def _fmt(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.4f}"


def _as_json(
    model: str, dataset: Dataset, results: dict[Protocol, Evaluation]
) -> dict[str, Any]:
    def clean(value: Any) -> Any:
        # JSON has no NaN: an undefined AUC (one class only) becomes null.
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return value

    document: dict[str, Any] = clean(
        {
            "model": model,
            "data": dataset.source,
            "format": dataset.format,
            "rows": len(dataset.responses),
            "learners": dataset.n_learners,
            "protocols": {
                name: {"label": LABELS[name], **asdict(e)}
                for name, e in results.items()
            },
        }
    )
    return document


FORECAST_LABELS = {
    "bkt": "BKT chain",
    "bkt+cal": "BKT chain, quantiles recalibrated on training learners",
    "mixture": "learner-speed mixture",
    "mixture+cal": "learner-speed mixture, quantiles recalibrated on training learners",
}


@app.command("forecast")
def forecast(
    data: Annotated[
        Path, typer.Option("--data", help="Dataset file or folder (../shared/data/…).")
    ],
    folds: Annotated[
        int | None,
        typer.Option("--folds", min=1, help="Evaluate only the first N folds."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Score forecasts of the attempts to 3 right in a row, by learner folds."""
    from rich.table import Column, Table

    from levelwise.learners.datasets import load
    from levelwise.learners.mastery_forecast import evaluate_forecasts

    try:
        dataset = load(data)
        result = evaluate_forecasts(dataset, max_folds=folds)
    except (LevelwiseError, ValueError) as exc:
        raise fail(exc) from exc
    if as_json:
        out().print_json(json.dumps(_clean(asdict(result))))
        return
    out().print(
        f"[bold]attempts to {result.run} right in a row[/] on {result.source} "
        f"({result.format}), folds {', '.join(result.folds)}; BKT forgetting "
        f"{'on' if result.forgetting else 'off'}; {result.seconds:.1f} s. MAPE of "
        "the median against total and remaining attempts; censored sequences "
        "(never 3 in a row) are left out of the errors. MAPE and coverage in %; "
        "'all: low/high' bound the coverage over all points, censored ones "
        "included; width and mean N (actual total) in attempts.",
        highlight=False,
    )
    for method in result.methods:
        table = Table(
            "h",
            Column("n", min_width=7, no_wrap=True),
            Column("cens.", min_width=6, no_wrap=True),
            "MAPE tot.",
            "MAPE rem.",
            "cover",
            "all: low",
            "high",
            "width",
            "mean N",
            title=f"{method.method}: {FORECAST_LABELS.get(method.method, '')}",
            title_justify="left",
        )
        for score in method.by_h:
            table.add_row(*_forecast_row(str(score.h), score))
        table.add_section()
        table.add_row(*_forecast_row("all", method.overall), style="bold")
        out().print(table)


def _forecast_row(label: str, s: HorizonScore) -> list[str]:
    def pct(value: float) -> str:
        return "n/a" if math.isnan(value) else f"{100 * value:.1f}"

    return [
        label,
        f"{s.n:,}",
        f"{s.censored:,}",
        pct(s.mape_total),
        pct(s.mape_remaining),
        pct(s.coverage),
        pct(s.coverage_low),
        pct(s.coverage_high),
        "n/a" if math.isnan(s.mean_width) else f"{s.mean_width:.2f}",
        "n/a" if math.isnan(s.mean_total) else f"{s.mean_total:.2f}",
    ]


def _clean(value: Any) -> Any:
    """JSON has no NaN: undefined figures become null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value
