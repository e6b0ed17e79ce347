"""Weakest link: the minimum against the mean, on data where each truly drives the outcome."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import moments
from moments.analytics.weakest import weakest_link
from moments.demo.build import build_demo


def _episodes(driver: str, n: int = 6000, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    scores = rng.choice([-1.0, 0.0, 1.0], size=(n, 4), p=[0.15, 0.55, 0.30])
    scores[rng.random((n, 4)) < 0.3] = np.nan  # not every moment is lived every day
    df = pd.DataFrame(scores, columns=["a", "b", "c", "d"])
    x = df.min(axis=1) if driver == "minimum" else df.mean(axis=1)
    p = 1 / (1 + np.exp(-(0.2 + 2.0 * x.fillna(0))))
    df["outcome"] = (rng.random(n) < p).astype(int)
    return df


@pytest.mark.parametrize("driver", ["minimum", "mean"])
def test_the_true_driver_holds(driver: str) -> None:
    got = weakest_link(_episodes(driver)).set_index("model")
    assert bool(got.loc[driver, "holds"]) is True
    other = "mean" if driver == "minimum" else "minimum"
    assert got.loc[driver, "log_loss"] < got.loc[other, "log_loss"]
    assert got.loc[driver, "folds_won"] >= 4
    assert (got["auc"] > 0.6).all() and (got["n"] > 5000).all()
    assert driver in got.attrs["verdict"].split(" explains")[0]


def test_needs_enough_episodes() -> None:
    tiny = _episodes("mean", n=20)
    with pytest.raises(moments.InputError, match="too few episodes"):
        weakest_link(tiny)


def test_on_the_demo_store(tmp_path: pytest.TempPathFactory) -> None:
    ws, _ = build_demo(tmp_path / "demo.duckdb", customers=3000)  # type: ignore[operator]
    with ws:
        got = ws.weakest_link("repeat_purchase")
    assert list(got["model"]) == ["minimum", "mean"]
    assert got["holds"].sum() == 1
    assert ((got["auc"] > 0.5) & (got["log_loss"] < 0.7)).all()
    assert got.attrs["verdict"].startswith("the ")
