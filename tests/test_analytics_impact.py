"""The four R's: known effects on constructed episodes, and the demo's planted key and basic
moments seen in revenue and repeat business."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

import moments
from moments.analytics import impact
from moments.cli.app import app
from moments.store.schema import EVENT_KINDS
from tests.test_analytics_consistency import MONDAY, judgements

DAY = timedelta(days=1)


def _outcomes(rows: list[dict[str, object]]) -> ibis.Table:
    schema = EVENT_KINDS["outcome"].schema
    df = pd.DataFrame(rows, columns=list(schema.names))
    df["event_id"] = [f"o{i}" for i in range(len(df))]
    return ibis.memtable(df, schema=schema)


def _constructed(seed: int = 3, n: int = 3000) -> tuple[ibis.Table, ibis.Table]:
    """Each customer lives dressing-room and checkout once; spend 30 days later is 100, +40
    after a positive dressing room, −25 after a negative one; checkout changes nothing; a
    negative checkout is followed by a social post within 2 days."""
    rng = np.random.default_rng(seed)
    js, os = [], []
    for i in range(n):
        c, day = f"c{i}", MONDAY + (i % 50) * DAY
        dress = rng.choice(["negative", "neutral", "positive"])
        check = rng.choice(["negative", "neutral", "positive"])
        js += [
            {"customer_id": c, "moment_id": "dressing-room", "occurred_at": day, "valence": dress},
            {"customer_id": c, "moment_id": "checkout", "occurred_at": day, "valence": check},
        ]
        spend = 100 + 40 * (dress == "positive") - 25 * (dress == "negative") + rng.normal(0, 10)
        os.append(
            {"customer_id": c, "occurred_at": day + 30 * DAY, "type": "purchase", "amount": spend}
        )
        if dress != "negative":
            os.append({"customer_id": c, "occurred_at": day + 30 * DAY, "type": "repeat_purchase"})
        if check == "negative":
            os.append({"customer_id": c, "occurred_at": day + 2 * DAY, "type": "social_post"})
    js.append({"customer_id": "late", "occurred_at": MONDAY + 400 * DAY, "valence": "neutral"})
    return judgements(js), _outcomes(os)


def test_known_effects_are_recovered_with_intervals() -> None:
    j, o = _constructed()
    got = impact.impact(j, o, horizon=90).set_index(["moment", "valence"])
    dress_pos, dress_neg = (
        got.loc[("dressing-room", "positive")],
        got.loc[("dressing-room", "negative")],
    )
    assert dress_pos["revenue"] == pytest.approx(40, abs=2)
    assert dress_neg["revenue"] == pytest.approx(-25, abs=2)
    assert dress_pos["revenue_low"] < dress_pos["revenue"] < dress_pos["revenue_high"]
    assert dress_neg["repeat"] == pytest.approx(-1.0, abs=1e-6)
    check_neg = got.loc[("checkout", "negative")]
    assert check_neg["revenue_low"] < 0 < check_neg["revenue_high"]  # no effect on spend
    assert check_neg["posted"] == pytest.approx(1.0, abs=1e-6)
    assert got.loc[("dressing-room", "negative"), "posted"] == pytest.approx(0.0, abs=1e-6)
    # a year of dressing-room negatives: 25 each, counted over the data's last year
    assert dress_neg["worth_per_year"] == pytest.approx(
        -dress_neg["revenue"] * dress_neg["negatives_per_year"]
    )
    assert dress_neg["worth_per_year_low"] < dress_neg["worth_per_year"]


def test_episodes_need_their_horizon() -> None:
    j = judgements([{"customer_id": "a", "occurred_at": MONDAY, "valence": "negative"}])
    with pytest.raises(moments.InputError, match="no episodes old enough"):
        impact.impact(j, _outcomes([]), horizon=90)


def test_planted_key_and_basic_moments_show_in_the_four_rs(demo: moments.Workspace) -> None:
    """dressing-room (the planted key moment) has the largest positive effect on repeat
    business and revenue; find-parking (the planted basic) costs when negative and gives
    nothing when positive; negatives are followed by public posts."""
    got = demo.impact().set_index(["moment", "valence"])
    pos = got.xs("positive", level="valence")
    assert pos["repeat"].idxmax() == "dressing-room"
    assert pos.loc["dressing-room", "repeat_low"] > 0.08
    assert pos.loc["dressing-room", "revenue_low"] > 0
    park = got.loc[("find-parking", "positive")]
    assert park["repeat_low"] < 0 < park["repeat_high"] or abs(park["repeat"]) < 0.02
    assert got.loc[("find-parking", "negative"), "repeat_high"] < -0.08
    neg = got.xs("negative", level="valence")
    assert (neg["posted_low"] > 0).all()
    assert (neg["worth_per_year"] > 0).all()


def test_analyse_impact_writes_a_row_per_moment_and_valence(
    analytics_demo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "impact.csv"
    r = CliRunner().invoke(
        app, ["analyse", "impact", "--db", str(analytics_demo), "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert "from negative to neutral is worth about" in r.output
    df = pacsv.read_csv(out).to_pandas()
    assert {"moment", "valence", "episodes", "revenue", "revenue_low", "revenue_high"} <= set(df)
    assert {"repeat", "referral", "posted", "stars", "worth_per_year"} <= set(df)
    assert len(df) == 16  # 8 moments × negative, positive


def test_grouped_ols_equals_statsmodels_on_the_observations() -> None:
    """ols_hc1 on pattern sums gives statsmodels' OLS HC1 on the rows, to float precision."""
    import statsmodels.api as sm

    rng = np.random.default_rng(11)
    n = 4000
    a, b = rng.integers(0, 2, n), rng.integers(0, 3, n)
    x = np.column_stack([np.ones(n), a, b == 1, b == 2]).astype(float)
    y = 2 + 3 * a - 1.5 * (b == 2) + rng.normal(0, 1 + a, n)  # heteroscedastic
    ref = sm.OLS(y, x).fit(cov_type="HC1")
    df = pd.DataFrame({"a": a, "b": b, "y": y, "y2": y * y})
    g = df.groupby(["a", "b"]).agg(n=("y", "size"), s1=("y", "sum"), s2=("y2", "sum"))
    ga, gb = g.index.get_level_values("a"), g.index.get_level_values("b")
    gx = np.column_stack([np.ones(len(g)), ga, gb == 1, gb == 2]).astype(float)
    beta, cov = impact.ols_hc1(gx, g["n"].to_numpy(float), g["s1"].to_numpy(), g["s2"].to_numpy())
    np.testing.assert_allclose(beta, ref.params, rtol=1e-9)
    np.testing.assert_allclose(cov, ref.cov_params(), rtol=1e-7)
