"""Defection risk: the negatives curve on constructed customers, the model's features and
validation, and the demo's planted "second negative" defection effect."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

import moments
from moments.analytics import risk
from moments.cli.app import app
from tests.test_analytics_consistency import MONDAY, _outcomes, judgements

DAY = timedelta(days=1)


def test_negatives_curve_counts_negatives_up_to_the_defection() -> None:
    j = judgements(
        [
            # a: two negatives, defects at the second; a later negative does not count
            {"customer_id": "a", "occurred_at": MONDAY, "valence": "negative"},
            {"customer_id": "a", "occurred_at": MONDAY + DAY, "valence": "negative"},
            {"customer_id": "a", "occurred_at": MONDAY + 5 * DAY, "valence": "negative"},
            # b: one negative, stays; c: none, stays; d: none, defects
            {"customer_id": "b", "occurred_at": MONDAY, "valence": "negative"},
            {"customer_id": "b", "occurred_at": MONDAY + DAY, "valence": "positive"},
            {"customer_id": "c", "occurred_at": MONDAY, "valence": "neutral"},
            {"customer_id": "d", "occurred_at": MONDAY, "valence": "positive"},
            {"customer_id": "e", "occurred_at": MONDAY, "valence": "unknown"},
        ]
    )
    o = _outcomes(
        [
            {"customer_id": "a", "occurred_at": MONDAY + DAY, "type": "defection"},
            {"customer_id": "d", "occurred_at": MONDAY + 2 * DAY, "type": "defection"},
        ]
    )
    got = risk.negatives_curve(j, o, top=3).set_index("negatives")
    assert list(got.index) == ["0", "1", "2", "3+"]
    assert list(got["customers"]) == [2, 1, 1, 0]
    assert got.loc["0", "defected"] == 0.5 and got.loc["2", "defected"] == 1.0
    assert got.loc["1", "defected"] == 0.0
    assert list(got["reached"]) == [4, 2, 1, 0]
    # of the 2 who reached one negative, a defected before another? no: at the second
    assert got.loc["1", "defected_before_next"] == 0.0
    assert got.loc["2", "defected_before_next"] == 1.0
    assert got.attrs["two_or_more"] == (1.0, 1) and got.attrs["fewer"] == (1 / 3, 3)


def test_no_defections_is_explained() -> None:
    j = judgements([{"customer_id": "a", "occurred_at": MONDAY, "valence": "negative"}])
    with pytest.raises(moments.InputError, match="no defection events"):
        risk.negatives_curve(j, _outcomes([]))


def test_features_stop_at_the_date_and_drop_the_departed() -> None:
    j = judgements(
        [
            {"customer_id": "a", "occurred_at": MONDAY, "valence": "negative",
             "moment_id": "checkout"},
            {"customer_id": "a", "occurred_at": MONDAY + 100 * DAY, "valence": "negative",
             "moment_id": "greeting"},
            {"customer_id": "a", "occurred_at": MONDAY + 200 * DAY, "valence": "negative",
             "moment_id": "greeting"},
            {"customer_id": "gone", "occurred_at": MONDAY, "valence": "neutral"},
        ]
    )  # fmt: skip
    o = _outcomes([{"customer_id": "gone", "occurred_at": MONDAY + DAY, "type": "defection"}])
    f = risk.features(j, o, MONDAY + 150 * DAY, window=90)
    assert list(f.index) == ["a"]
    a = f.loc["a"]
    assert (a["lived"], a["negatives"], a["negatives_window"]) == (2, 2, 1)
    assert a["neg:greeting"] == 1 and a["neg:checkout"] == 0  # checkout was before the window
    assert a["days_since_last"] == 50 and a["tenure_days"] == 150
    assert a["weakest_moment"] == "greeting"  # ties on negatives: the latest


def test_planted_defection_effect_is_recovered(demo: moments.Workspace) -> None:
    """The generator plants defection at the second negative: ≈44 % of customers with two or
    more negatives defect against ≈6 % of the others."""
    curve = demo.negatives_curve()
    two, n_two = curve.attrs["two_or_more"]
    fewer, n_fewer = curve.attrs["fewer"]
    assert 0.35 < two < 0.55 and 0.03 < fewer < 0.10
    assert n_two > 1000 and n_fewer > 3000
    by = curve.set_index("negatives")
    # the jump is at the second negative, and its interval is clear of the first's
    assert by.loc["2", "defected_low"] > 3 * by.loc["1", "defected_high"]


def test_risk_model_is_validated_and_calibrated(demo: moments.Workspace) -> None:
    scores = demo.risk()
    fitted = scores.attrs["model"]
    assert fitted.target == "defection" and fitted.auc > 0.75
    cal = fitted.calibration
    assert cal["customers"].sum() == fitted.n
    # calibrated: expected and observed defections agree overall and in the top decile
    expected = (cal["predicted"] * cal["customers"]).sum()
    assert expected == pytest.approx(fitted.events, rel=0.2)
    top = cal.iloc[-1]
    assert top["predicted"] == pytest.approx(top["observed"], abs=0.05)
    # scores: every active customer once, highest first, reasons name moments
    assert scores["customer_id"].is_unique
    assert scores["risk"].is_monotonic_decreasing
    high = scores[scores["band"] == "high"]
    assert len(high) > 0 and high["reasons"].str.contains("negative").all()
    one_neg = scores[scores["negatives_window"] == 1].iloc[0]
    assert one_neg["weakest_moment"] in one_neg["reasons"]


def test_analyse_risk_writes_scores_curve_and_calibration(
    analytics_demo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "risk.csv"
    r = CliRunner().invoke(app, ["analyse", "risk", "--db", str(analytics_demo), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "out-of-sample AUC" in r.output and "2 or more negative moments defected" in r.output
    scores = pacsv.read_csv(out).column_names
    assert scores[:4] == ["customer_id", "risk", "band", "negatives_window"]
    assert "reasons" in scores
    curve = pacsv.read_csv(tmp_path / "risk-curve.csv").to_pandas()
    assert list(curve["negatives"].astype(str)) == ["0", "1", "2", "3", "4", "5+"]
    assert len(pacsv.read_csv(tmp_path / "risk-calibration.csv")) == 10
