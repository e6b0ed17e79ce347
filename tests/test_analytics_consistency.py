"""Consistency: spread, collapse search and dazzle-then-disappoint, on constructed judgements
with known answers and on the demo's planted inconsistency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency
from typer.testing import CliRunner

import moments
from moments.analytics import consistency
from moments.cli.app import app
from moments.store.schema import EVENT_KINDS, JUDGEMENTS

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday


def judgements(rows: list[dict[str, object]]) -> ibis.Table:
    """A judgements table as the judge writes it, from a few fields per row."""
    full = []
    for i, r in enumerate(rows):
        valence = str(r["valence"])
        full.append(
            {
                "lived_id": r.get("lived_id", f"l{i}"),
                "customer_id": r.get("customer_id", f"c{i}"),
                "moment_id": r.get("moment_id", "checkout"),
                "occurred_at": r["occurred_at"],
                "channel": "store",
                "employee_id": r.get("employee_id", "e1"),
                "location_id": r.get("location_id", "store-a"),
                "valence": valence,
                "score": {"negative": -1, "neutral": 0, "positive": 1}.get(valence),
                "source": "rule",
                "confidence": 1.0,
                "reason": "",
                "judged_at": MONDAY,
            }
        )
    return ibis.memtable(pd.DataFrame(full), schema=JUDGEMENTS)


def _synthetic(seed: int, collapse: bool) -> ibis.Table:
    """Four weeks at two stores; with ``collapse``, store-b on Mondays is 60 % negative."""
    rng = np.random.default_rng(seed)
    rows = []
    for day in range(28):
        for store in ("store-a", "store-b"):
            for k in range(40):
                at = MONDAY + timedelta(days=day, hours=9 + k % 8, minutes=k)
                bad = 0.6 if collapse and store == "store-b" and day % 7 == 0 else 0.1
                valence = "negative" if rng.random() < bad else "neutral"
                rows.append({"occurred_at": at, "location_id": store, "valence": valence})
    return judgements(rows)


def test_a_planted_collapse_is_found_where_it_is() -> None:
    got = consistency.collapses(_synthetic(1, collapse=True))
    top = got.iloc[0]
    assert top["moment"] == "checkout"
    assert top["where"] == "location=store-b × weekday=Monday"
    assert top["n"] == 4 * 40 and top["share"] == pytest.approx(0.6, abs=0.1)
    assert top["share_low"] < top["share"] < top["share_high"]
    assert top["difference_low"] > 0.3 and top["ratio"] > 3
    assert top["p_adjusted"] < 1e-6
    # found once: neither store-b nor Monday alone is reported after the pair is set aside
    assert not got["where"].isin(["location=store-b", "weekday=Monday"]).any()


def test_no_collapse_in_consistent_data() -> None:
    got = consistency.collapses(_synthetic(2, collapse=False))
    assert got.empty
    assert "p_adjusted" in got.columns


@given(
    k1=st.integers(0, 200), n1=st.integers(1, 200), k2=st.integers(0, 200), n2=st.integers(1, 200)
)
@settings(max_examples=200, deadline=None)
def test_g_statistic_is_the_log_likelihood_chi_square(k1: int, n1: int, k2: int, n2: int) -> None:
    k1, k2 = min(k1, n1), min(k2, n2)
    df = pd.DataFrame({"negative": [k1], "n": [n1], "negative_rest": [k2], "n_rest": [n2]})
    g, p = consistency._g_test(df)
    table = np.array([[k1, n1 - k1], [k2, n2 - k2]])
    if (table.sum(axis=0) == 0).any():
        assert g[0] == pytest.approx(0.0, abs=1e-9)
        return
    expected = chi2_contingency(table, correction=False, lambda_="log-likelihood")[0]
    assert g[0] == pytest.approx(expected, rel=1e-7, abs=1e-7)
    assert (p[0] == 1.0) if k1 / n1 <= k2 / n2 else (0.0 <= p[0] <= 0.5)


def test_spread_measures_the_range_and_effect_size() -> None:
    rows = []
    for i in range(200):
        at = MONDAY + timedelta(hours=10, minutes=i)
        rows.append(
            {
                "occurred_at": at,
                "location_id": "store-a" if i < 100 else "store-b",
                "employee_id": f"e{i % 2}",
                "valence": "negative" if (i < 100 and i % 2 == 0) else "neutral",
            }
        )
    got = consistency.spread(judgements(rows)).set_index("dimension")
    loc = got.loc["location"]
    assert (loc["lowest"], loc["highest"]) == ("store-b", "store-a")
    assert (loc["lowest_share"], loc["highest_share"], loc["range"]) == (0.0, 0.5, 0.5)
    assert loc["cramers_v"] == pytest.approx(np.sqrt(1 / 3))  # phi of [[50, 50], [0, 100]]
    assert loc["p_value"] < 1e-10
    assert got.loc["employee", "highest"] == "e0"  # every negative was e0's


def test_weekday_and_hour_are_read_in_the_local_time_zone() -> None:
    # 23:30 UTC on a Monday is 08:30 on Tuesday in Auckland
    at = MONDAY + timedelta(hours=23, minutes=30)
    j = judgements([{"occurred_at": at, "valence": "negative"}])
    utc = consistency.cells(j, "UTC").iloc[0]
    nz = consistency.cells(j, "Pacific/Auckland").iloc[0]
    assert (str(utc["weekday"]), utc["hour"]) == ("Monday", 23)
    assert (str(nz["weekday"]), nz["hour"]) == ("Tuesday", 12)  # NZDT (+13) in March


def test_load_quartiles_rank_location_hours_by_volume() -> None:
    rows = []
    for h, volume in enumerate([1, 2, 3, 8]):
        for k in range(volume):
            rows.append(
                {"occurred_at": MONDAY + timedelta(hours=9 + h, minutes=k), "valence": "neutral"}
            )
    got = consistency.cells(judgements(rows)).sort_values("hour")
    assert list(got["load"]) == [1, 2, 3, 4]


def _outcomes(rows: list[dict[str, object]]) -> ibis.Table:
    full = [
        {
            "event_id": f"o{i}",
            "customer_id": r["customer_id"],
            "occurred_at": r["occurred_at"],
            "type": r["type"],
            "amount": None,
            "rating": None,
            "text": None,
            "location_id": None,
            "load_id": "t",
        }
        for i, r in enumerate(rows)
    ]
    schema = EVENT_KINDS["outcome"].schema
    return ibis.memtable(pd.DataFrame(full, columns=list(schema.names)), schema=schema)


def test_dazzle_then_disappoint_compares_what_followed() -> None:
    day = timedelta(days=1)
    j = judgements(
        [
            {"customer_id": "dazzled", "occurred_at": MONDAY, "valence": "positive"},
            {"customer_id": "dazzled", "occurred_at": MONDAY + 7 * day, "valence": "negative"},
            {"customer_id": "plain", "occurred_at": MONDAY + 7 * day, "valence": "negative"},
            {"customer_id": "plain", "occurred_at": MONDAY + 9 * day, "valence": "negative"},
            {"customer_id": "late", "occurred_at": MONDAY + 200 * day, "valence": "neutral"},
        ]
    )
    o = _outcomes(
        [
            {"customer_id": "dazzled", "occurred_at": MONDAY + 8 * day, "type": "defection"},
            {"customer_id": "plain", "occurred_at": MONDAY + 20 * day, "type": "repeat_purchase"},
            {"customer_id": "plain", "occurred_at": MONDAY + 7 * day, "type": "defection"},
        ]
    )
    got = consistency.dazzle_then_disappoint(j, o, horizon=90)
    got = got[got["moment"] == "all"].set_index("group")
    assert got.loc["dazzled", "customers"] == 1 and got.loc["first-time", "customers"] == 1
    assert got.loc["dazzled", "defected"] == 1.0
    # the same-day defection is not "after"; the second negative is not a first one
    assert got.loc["first-time", "defected"] == 0.0
    assert got.loc["first-time", "came_back"] == 1.0


def test_planted_inconsistency_is_recovered(demo: moments.Workspace) -> None:
    """The generator plants checkout collapsing at store-riverside on Saturdays (72 % missed
    there, 7 % elsewhere): it is the first collapse found, with that size."""
    assert demo.local_timezone() == "Europe/London"
    top = demo.collapses().iloc[0]
    assert (top["moment"], top["where"]) == (
        "checkout",
        "location=store-riverside × weekday=Saturday",
    )
    assert 0.6 < top["share"] < 0.8 and 0.04 < top["rest_share"] < 0.1
    assert top["ratio"] > 5
    spread = demo.consistency().set_index(["moment", "dimension"])
    loc = spread.loc[("checkout", "location")]
    assert loc["highest"] == "store-riverside" and loc["p_value"] < 1e-10
    assert spread.loc[("checkout", "weekday"), "highest"] == "Saturday"
    # no other moment varies by location like checkout does
    others = spread.xs("location", level="dimension").drop(index="checkout")
    assert loc["cramers_v"] > 3 * others["cramers_v"].max()


def test_analyse_consistency_writes_three_tables(analytics_demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "consistency.csv"
    r = CliRunner().invoke(
        app, ["analyse", "consistency", "--db", str(analytics_demo), "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert "checkout collapses at location=store-riverside × weekday=Saturday" in r.output
    assert {"moment", "dimension", "cramers_v", "p_value"} <= set(pacsv.read_csv(out).column_names)
    collapses = pacsv.read_csv(tmp_path / "consistency-collapses.csv").to_pandas()
    assert {"share", "rest_share", "ratio", "p_adjusted", "excess_negatives"} <= set(collapses)
    dazzle = pacsv.read_csv(tmp_path / "consistency-dazzle.csv").to_pandas()
    assert set(dazzle["group"]) == {"dazzled", "first-time"}
