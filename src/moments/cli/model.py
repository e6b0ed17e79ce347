"""`moments analyse model`: how well what the store knows predicts an outcome, out of sample."""

from __future__ import annotations

from typing import Annotated

import typer

from moments.analytics import satisfaction
from moments.cli.analyse import OutcomeOpt, OutOpt, ThresholdOpt, analyse_app, emit_frame
from moments.cli.common import DbOpt, errors, open_store, out


@analyse_app.command("model")
def analyse_model(
    db: DbOpt = None,
    outcome: OutcomeOpt = "satisfaction",
    test_source: Annotated[
        str | None,
        typer.Option(
            help="Test on the customers loaded from files whose name contains this text "
            "(e.g. 'test' for the airline survey's test.csv); default: a random holdout.",
        ),
    ] = None,
    holdout: Annotated[
        float, typer.Option(help="Share of customers held out for testing.", min=0.01, max=0.99)
    ] = 0.2,
    threshold: ThresholdOpt = 0.75,
    seed: Annotated[int, typer.Option(help="Random seed (model and holdout).")] = 0,
    output: OutOpt = None,
) -> None:
    """How well the store predicts an outcome per customer, tested out of sample.

    Gradient boosting (scikit-learn, seeded) on each customer's moment answers, valences,
    measures and segment; test accuracy with a Wilson 95 % interval, ROC AUC with a bootstrap
    interval, the majority-class baseline and n. --test-source test tests on the customers
    loaded from files named like 'test' (the airline survey's own split)."""
    with errors(), open_store(db) as ws:
        test = satisfaction.customers_from(ws, test_source) if test_source else None
        report = satisfaction.fit(
            ws, outcome, test_customers=test, holdout=holdout, threshold=threshold, seed=seed
        )
        emit_frame(report.to_frame(), output, f"Model of {outcome} ({report.split})")
    out.print(str(report), highlight=False)
