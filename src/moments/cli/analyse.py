"""`moments analyse …`: the method's analyses, each writing one self-explaining table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import pyarrow as pa
import typer

import moments
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
    plain = df.copy(deep=False)
    plain.attrs = {}  # analysis objects kept there (a fitted model) are not table metadata
    emit(pa.Table.from_pandas(plain, preserve_index=False), output, title)


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


def _sibling(output: Path, part: str) -> Path:
    return output.with_name(f"{output.stem}-{part}{output.suffix}")


def _emit_parts(parts: dict[str, tuple[pd.DataFrame, str]], output: Path | None) -> None:
    """The first part goes to ``output``; the others next to it as ``<stem>-<part><suffix>``."""
    for i, (part, (df, title)) in enumerate(parts.items()):
        target = None if output is None else (output if i == 0 else _sibling(output, part))
        emit_frame(df, target, title)


TimezoneOpt = Annotated[
    str | None,
    typer.Option(help="IANA zone for weekday and hour [default: the journey's timezone]."),
]


@analyse_app.command("consistency")
def analyse_consistency(
    db: DbOpt = None,
    timezone: TimezoneOpt = None,
    horizon: HorizonOpt = 90,
    output: OutOpt = None,
) -> None:
    """Consistency: the spread of each moment across locations, employees, weekdays, hours and
    load; where and when it collapses (G-test, Holm-adjusted, effect sizes); and what follows
    "dazzle then disappoint". With --out X.csv also writes X-collapses.csv and X-dazzle.csv."""
    with errors(), open_store(db) as ws:
        spread = ws.consistency(timezone)
        collapses = ws.collapses(timezone)
        dazzle = ws.dazzle_then_disappoint(horizon)
        _emit_parts(
            {
                "spread": (spread, "Spread of the negative share per moment and dimension"),
                "collapses": (collapses, "Where and when moments collapse"),
                "dazzle": (dazzle, f"After a first negative, within {horizon} days"),
            },
            output,
        )
        for r in collapses.head(3).itertuples():
            out.print(
                f"{r.moment} collapses at {r.where}: {r.share:.0%} negative "
                f"(n={r.n:,}) against {r.rest_share:.0%} elsewhere"
            )


@analyse_app.command("risk")
def analyse_risk(
    db: DbOpt = None,
    horizon: Annotated[
        int, typer.Option(help="Days ahead the risk is about (and the training label).", min=1)
    ] = 90,
    window: Annotated[int, typer.Option(help="Rolling window for recent negatives.", min=1)] = 90,
    target: Annotated[
        str | None,
        typer.Option(help="defection or lapse [default: defection if the store has any]."),
    ] = None,
    limit: Annotated[int, typer.Option(help="Customers shown when printing.", min=1)] = 20,
    output: OutOpt = None,
) -> None:
    """Defection risk per active customer with its reasons (the moments behind it), the model's
    out-of-sample validation, and defection by number of negatives ("fewer than three").
    With --out X.csv also writes X-curve.csv and X-calibration.csv."""
    with errors(), open_store(db) as ws:
        scores = ws.risk(horizon, window, target)
        fitted = scores.attrs["model"]
        try:
            curve = ws.negatives_curve()
        except moments.InputError:
            curve = None  # no defection events: the claim cannot be tested, the lapse model can
        shown, shown_curve = scores, curve
        if output is None:
            shown = scores.head(limit)[["customer_id", "risk", "band", "reasons"]]
            if curve is not None:
                cols = ["negatives", "customers", "defected", "defected_low", "defected_high"]
                shown_curve = curve[cols]
        parts = {"scores": (shown, f"Customers most at risk of {fitted.target}")}
        if shown_curve is not None:
            parts["curve"] = (shown_curve, "Defection by number of negative moments")
        parts["calibration"] = (fitted.calibration, "Calibration (out of sample)")
        _emit_parts(parts, output)
        out.print(fitted.summary())
        if curve is not None:
            out.print(curve.attrs["verdict"])


@analyse_app.command("impact")
def analyse_impact(
    db: DbOpt = None,
    horizon: HorizonOpt = 90,
    output: OutOpt = None,
) -> None:
    """The four R's: per moment and valence, the difference to a neutral experience in revenue,
    repeat business, referrals and reputation (posts, stars) with 95 % intervals, and what a
    year of each moment's negatives costs."""
    with errors(), open_store(db) as ws:
        df = ws.impact(horizon)
        shown = df
        if output is None:
            cols = ["moment", "valence", "episodes", "revenue", "repeat", "referral", "posted"]
            shown = df[[c for c in [*cols, "stars", "worth_per_year"] if c in df]]
        emit_frame(shown, output, f"The four R's, {horizon} days after each episode")
        neg = df[df["valence"] == "negative"]
        if "worth_per_year" not in neg:  # no moment's revenue effect could be measured
            neg = neg.head(0)
        neg = neg.sort_values("worth_per_year", ascending=False) if len(neg) else neg
        for r in neg.head(3).itertuples():
            out.print(
                f"moving {r.moment} from negative to neutral is worth about "
                f"{r.worth_per_year:,.0f} a year ({r.worth_per_year_low:,.0f} to "
                f"{r.worth_per_year_high:,.0f}; {r.negatives_per_year:,.0f} negatives a year)"
            )
