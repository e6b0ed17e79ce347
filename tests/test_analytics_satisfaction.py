"""The per-customer satisfaction model: the real airline split, and the generic API."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pytest

import moments
from moments.analytics.satisfaction import customers_from, features, fit, target
from moments.errors import InputError
from tests.conftest import RETAIL
from tests.realdata import airline_store, cli, needs_airline


@needs_airline
def test_the_model_beats_the_published_bar_on_the_real_test_split(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    db, _ = airline_store(tmp_path_factory)
    out_csv = tmp_path / "model.csv"
    code, out = cli(
        "analyse", "model", "--db", db, "--outcome", "satisfaction", "--test-source", "test",
        "--out", out_csv,
    )  # fmt: skip
    assert code == 0, out
    assert "25,976 test customers" in out and "trained on 103,904" in out
    m = pacsv.read_csv(out_csv).to_pandas().set_index("metric")
    acc, auc = m.loc["accuracy"], m.loc["ROC AUC"]
    # published: gradient boosting on all 22 raw features, 0.9635 / 0.9948
    assert acc.value >= 0.96 and auc.value >= 0.99
    assert acc.low < acc.value < acc.high and acc.high - acc.low < 0.006  # Wilson, n = 25,976
    assert auc.low < auc.value < auc.high
    assert (m.n == 25_976).all()
    assert m.loc["majority-class accuracy", "value"] == pytest.approx(0.561, abs=0.001)


@needs_airline
def test_features_come_from_the_store(tmp_path_factory: pytest.TempPathFactory) -> None:
    db, _ = airline_store(tmp_path_factory)
    with moments.open(db, create=False) as ws:
        x = features(ws)
        y = target(ws, "satisfaction")
    assert x.shape == (129_880, 45)
    assert len(y) == 129_880 and y.sum() == 56_428
    answers = [c for c in x.columns if c.startswith("answer:")]
    valences = [c for c in x.columns if c.startswith("valence:")]
    segments = [c for c in x.columns if c.startswith("segment=")]
    assert len(answers) == 14 and len(valences) == 15 and len(segments) == 12
    assert {c for c in x.columns if c.startswith("measure:")} == {
        "measure:arrival_delay_minutes",
        "measure:departure_delay_minutes",
        "measure:flight_distance_miles",
        "measure:passenger_age_years",
    }
    assert (x[segments].sum(axis=1) == 1).all()
    assert x["answer:inflight-wifi"].isna().sum() == 3_916  # not applicable: missing, not 0
    assert x["measure:arrival_delay_minutes"].isna().sum() == 393


# -- the generic API on a small store of its own -----------------------------------------------
@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """600 customers: a checkout answer that mostly decides satisfaction, half of them tagged
    loaded from a file called test.jsonl; customers who liked checkout mostly come back."""
    db = tmp_path_factory.mktemp("model") / "small.duckdb"
    rng = np.random.default_rng(3)
    score = rng.integers(1, 6, 600)
    happy = (score >= 4) ^ (rng.random(600) < 0.05)
    back = (score >= 4) ^ (rng.random(600) < 0.1)
    when = "2026-03-02T10:00:00+00:00"
    later = "2026-03-20T10:00:00+00:00"
    with moments.open(db) as ws:
        ws.add_journey(RETAIL)
        fb = [
            {
                "event_id": f"f{i}",
                "customer_id": f"c{i}",
                "moment_id": "checkout",
                "occurred_at": when,
                "score": float(score[i]),
            }
            for i in range(600)
        ]
        ws.append("feedback", fb[:300], source="train.jsonl")
        ws.append("feedback", fb[300:], source="test.jsonl")
        outcomes = [
            {
                "event_id": f"s{i}",
                "customer_id": f"c{i}",
                "occurred_at": when,
                "type": "satisfaction",
                "rating": 1.0 if happy[i] else 0.25,
            }
            for i in range(600)
        ] + [
            {
                "event_id": f"r{i}",
                "customer_id": f"c{i}",
                "occurred_at": later,
                "type": "repeat_purchase",
            }
            for i in range(600)
            if back[i]
        ]
        ws.append("outcome", outcomes)
        ws.judge()
    return db


def test_a_holdout_when_no_test_customers_are_given(small: Path) -> None:
    with moments.open(small, create=False) as ws:
        r = fit(ws, "satisfaction", holdout=0.25, seed=1, bootstrap=50)
        assert (r.n_train, r.n_test) == (450, 150)
        assert "random 25% holdout" in r.split
        assert r.accuracy > 0.85 and r.auc > 0.85 and r.accuracy > r.baseline_accuracy
        assert r.features == ["answer:checkout", "valence:checkout"]
        again = fit(ws, "satisfaction", holdout=0.25, seed=1, bootstrap=50)
        assert (again.accuracy, again.auc, again.auc_low) == (r.accuracy, r.auc, r.auc_low)


def test_given_test_customers_and_a_happening_outcome(small: Path) -> None:
    with moments.open(small, create=False) as ws:
        test = customers_from(ws, "test")
        assert test == {f"c{i}" for i in range(300, 600)}
        r = fit(ws, "repeat_purchase", test_customers=test, bootstrap=50)
        assert (r.n_train, r.n_test) == (300, 300)
        assert r.accuracy > 0.8
        # a low threshold makes every satisfaction answer a yes: nothing to learn
        with pytest.raises(InputError, match="does not vary"):
            fit(ws, "satisfaction", threshold=0.2, bootstrap=10)
        with pytest.raises(InputError, match="0 test customers"):
            fit(ws, "satisfaction", test_customers=set())
        with pytest.raises(InputError, match="unknown outcome"):
            fit(ws, "happiness")


def test_the_cli_explains_a_test_source_that_matches_nothing(small: Path) -> None:
    code, out = cli("analyse", "model", "--db", small, "--test-source", "holdout")
    assert code == 1
    assert "no load from a file whose name contains 'holdout'" in out and "test.jsonl" in out
    code, out = cli("analyse", "model", "--db", small, "--outcome", "satisfaction")
    assert code == 0, out
    assert "random 20% holdout" in out
