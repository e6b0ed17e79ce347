"""Key moments and penalty–reward: the statistics, and recovery of the demo's planted effects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

import moments
from moments.analytics.drivers import penalty_reward, relative_weights
from moments.cli.app import app


def _r2(x: np.ndarray, y: np.ndarray) -> float:
    a = np.column_stack([np.ones(len(y)), x])
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    resid = y - a @ coef
    return float(1 - resid.var() / y.var())


def test_relative_weights_sum_to_r2_and_split_correlated_predictors() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(size=(5000, 3))
    x = np.column_stack([z[:, 0], z[:, 0] + 0.01 * z[:, 1], z[:, 2]])  # two near-copies
    y = 2 * z[:, 0] + 0.5 * z[:, 2] + rng.normal(size=5000)
    w = relative_weights(x, y)
    assert w.sum() == pytest.approx(_r2(x, y), rel=1e-6)
    assert w[0] == pytest.approx(w[1], rel=0.05)  # the copies share what they explain
    assert w[0] + w[1] > 5 * w[2]


def test_orthogonal_predictors_get_their_squared_correlation() -> None:
    rng = np.random.default_rng(2)
    raw = rng.normal(size=(20000, 2))
    x, _ = np.linalg.qr(raw - raw.mean(0))  # centred, exactly orthogonal columns
    y = x[:, 0] - 0.3 * x[:, 1] + 0.01 * rng.normal(size=20000)
    w = relative_weights(x, y)
    r = [np.corrcoef(x[:, i], y)[0, 1] ** 2 for i in range(2)]
    assert w == pytest.approx(r, rel=1e-9)


def test_penalty_reward_verdicts() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    basic = rng.choice([-1.0, 0.0, 1.0], n)
    delight = rng.choice([-1.0, 0.0, 1.0], n)
    p = 0.5 - 0.25 * (basic < 0) + 0.25 * (delight > 0)
    eps = pd.DataFrame({"parking": basic, "stylist": delight})
    eps["outcome"] = (rng.random(n) < p).astype(int)
    got = penalty_reward(eps, {"parking": "basic", "stylist": "basic"}).set_index("moment")
    assert got.loc["parking", "verdict"] == "basic" and got.loc["parking", "agrees"]
    assert got.loc["stylist", "verdict"] == "differentiator"
    assert got.loc["stylist", "agrees"] == False  # noqa: E712 - flagged disagreement
    assert got.loc["parking", "penalty_low"] > 0.15
    assert got.loc["parking", "reward_low"] < 0 < got.loc["parking", "reward_high"]
    assert got.loc["parking", "rate_neutral_low"] < got.loc["parking", "rate_neutral"]


def test_planted_key_moment_is_recovered(demo: moments.Workspace) -> None:
    """The generator plants dressing-room as the moment that drives repeat purchase."""
    d = demo.drivers("repeat_purchase").set_index("moment")
    assert d.index[0] == "dressing-room"
    others = d.drop(index="dressing-room")
    assert d.loc["dressing-room", "low"] > others["high"].max()
    assert d.loc["dressing-room", "importance"] > 0.4
    assert d["importance"].sum() == pytest.approx(1.0)
    assert (d["low"] <= d["importance"]).all() and (d["importance"] <= d["high"]).all()
    assert (d["n"] >= 30).all()
    # next to the importance the journey states: dressing-room is stated 5 of 5 as well
    assert d.loc["dressing-room", "stated_importance"] == 5
    assert d.loc["dressing-room", "derived_rank"] == 1 == d.loc["dressing-room", "stated_rank"]


def test_planted_basic_moment_is_recovered(demo: moments.Workspace) -> None:
    """find-parking only hurts when missed: a penalty and no reward over neutral."""
    b = demo.basics("repeat_purchase").set_index("moment")
    parking = b.loc["find-parking"]
    assert parking["verdict"] == "basic" and parking["agrees"]
    assert parking["penalty_low"] > 0.05
    assert abs(parking["reward"]) < 0.05 and parking["reward_low"] < 0
    assert b.loc["dressing-room", "reward_low"] > 0.05  # the key moment also delights


def test_analyse_commands_write_the_contracted_columns(
    demo: moments.Workspace, tmp_path: Path
) -> None:
    db = demo.store.location
    demo.close()  # the CLI opens the file itself
    runner = CliRunner()
    out = tmp_path / "drivers.csv"
    r = runner.invoke(
        app, ["analyse", "drivers", "--db", db, "--outcome", "repeat_purchase", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    table = pacsv.read_csv(out)
    assert table.column_names[:5] == ["moment", "importance", "low", "high", "n"]
    r = runner.invoke(app, ["analyse", "basics", "--db", db, "--out", str(tmp_path / "b.csv")])
    assert r.exit_code == 0, r.output
    assert "verdict" in pacsv.read_csv(tmp_path / "b.csv").column_names
    r = runner.invoke(app, ["analyse", "drivers", "--db", db, "--outcome", "happiness"])
    assert r.exit_code == 1 and "unknown outcome 'happiness'" in r.output


def test_no_judged_moments_is_explained(ws: moments.Workspace) -> None:
    with pytest.raises(moments.InputError, match="no judged lived moments"):
        ws.drivers()


def test_block_bootstrap_gives_the_row_bootstrap_intervals() -> None:
    """Above BLOCKS rows the bootstrap resamples blocks of rows; its intervals match the plain
    row bootstrap's (computed here the slow way)."""
    from moments.analytics import drivers as d

    rng = np.random.default_rng(4)
    n = 20_000
    z = rng.normal(size=(n, 3))
    x = np.column_stack([z[:, 0], 0.6 * z[:, 0] + 0.8 * z[:, 1], z[:, 2]])
    y = x[:, 0] + 0.5 * x[:, 1] + 0.2 * x[:, 2] + rng.normal(0, 2, n)
    fast = d._bootstrap(np.column_stack([x, y]), 300, np.random.default_rng(1))
    slow = np.empty((300, 3))
    r = np.random.default_rng(2)
    for b in range(300):
        idx = r.integers(0, n, n)
        w = relative_weights(x[idx], y[idx])
        slow[b] = w / w.sum()
    np.testing.assert_allclose(fast.mean(0), slow.mean(0), atol=0.01)
    np.testing.assert_allclose(fast.std(0), slow.std(0), rtol=0.25)
    # and the correlation built from block sums is the data's correlation
    zz = np.column_stack([x, y])
    zc = zz - zz.mean(0)
    got = d._correlation(n, zc.sum(0), zc.T @ zc)
    np.testing.assert_allclose(got, np.corrcoef(zz, rowvar=False), atol=1e-12)
