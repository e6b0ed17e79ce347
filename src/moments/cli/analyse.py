"""`moments analyse …`: the method's analyses, each writing one self-explaining table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import pyarrow as pa
import typer

from moments.cli.common import DbOpt, emit, errors, open_store, out
from moments.store.schema import OUTCOME_TYPES

analyse_app = typer.Typer(
    help="The method's analyses: key moments, basics vs differentiators, weakest link, "
    "consistency, defection risk and the four R's.",
    no_args_is_help=True,
)

OutcomeOpt = Annotated[str, typer.Option(help=f"Outcome event type: {', '.join(OUTCOME_TYPES)}.")]
HorizonOpt = Annotated[
    int, typer.Option(help="Days after an episode in which the outcome counts.", min=1)
]
ThresholdOpt = Annotated[
    float,
    typer.Option(
        help="For satisfaction / recommendation answers (0–1): the rating that counts as yes.",
        min=0.0,
        max=1.0,
    ),
]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help=".csv or .parquet")]


def emit_frame(df: pd.DataFrame, output: Path | None, title: str) -> None:
    emit(pa.Table.from_pandas(df, preserve_index=False), output, title)


@analyse_app.command("drivers")
def analyse_drivers(
    db: DbOpt = None,
    outcome: OutcomeOpt = "repeat_purchase",
    horizon: HorizonOpt = 90,
    threshold: ThresholdOpt = 0.75,
    output: OutOpt = None,
) -> None:
    """Key moments: each moment's share of the explained outcome (relative weights), with a
    95 % bootstrap interval and the episodes (customer-days) behind it."""
    with errors(), open_store(db) as ws:
        df = ws.drivers(outcome, horizon, threshold=threshold)
        emit_frame(df, output, f"Drivers of {outcome}")


@analyse_app.command("basics")
def analyse_basics(
    db: DbOpt = None,
    outcome: OutcomeOpt = "repeat_purchase",
    horizon: HorizonOpt = 90,
    threshold: ThresholdOpt = 0.75,
    output: OutOpt = None,
) -> None:
    """Basics vs differentiators: the outcome after a negative / neutral / positive moment,
    penalty and reward with intervals, the verdict and the kind the journey declares."""
    with errors(), open_store(db) as ws:
        df = ws.basics(outcome, horizon, threshold)
        if output is None:
            df = df[
                [
                    "moment",
                    "n_negative",
                    "n_neutral",
                    "n_positive",
                    "penalty",
                    "reward",
                    "verdict",
                    "declared",
                    "agrees",
                ]
            ]
        emit_frame(df, output, f"Penalty and reward on {outcome}")


@analyse_app.command("weakest")
def analyse_weakest(
    db: DbOpt = None,
    outcome: OutcomeOpt = "repeat_purchase",
    horizon: HorizonOpt = 90,
    threshold: ThresholdOpt = 0.75,
    output: OutOpt = None,
) -> None:
    """Weakest link: does a customer-day's weakest moment explain the outcome better than the
    average of its moments? Out-of-sample log-loss and AUC of both, and which holds."""
    with errors(), open_store(db) as ws:
        df = ws.weakest_link(outcome, horizon, threshold)
        emit_frame(df, output, f"Weakest moment vs average, on {outcome}")
    out.print(df.attrs["verdict"])
