"""Outreach end to end on the retail demo with its contact history: features from the store,
a fitted response model, the plan with reasons, explanations, the comparison with simpler ways
of sending, the CLI (plan → send → plan again counts what was sent) and the page and API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from typer.testing import CliRunner

import moments
from moments.cli.app import app
from moments.demo.outreach import add_outreach_history
from moments.outreach.eligibility import Derived
from moments.outreach.explain import explain, rule_counts
from moments.outreach.features import feature_table
from moments.outreach.plan import PlanResult, make_plan
from moments.outreach.simulate import simulate
from tests.web_server import DemoStore, open_store, serve_store
from tests.web_server import demo_store as demo_store  # the session fixture

START = dt.datetime(2026, 11, 1, 7, 0, tzinfo=dt.UTC)
runner = CliRunner()


@pytest.fixture(scope="module")
def store(demo_store: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store, whose build added consents, contacts and cases (adding them again with
    the same seed adds nothing: they are the same events)."""
    path = demo_store.copy(tmp_path_factory.mktemp("outreach"))
    with open_store(path) as ws:
        sizes = ws.store.sizes()
        again = add_outreach_history(ws, seed=7)
    assert sizes["consents"] > 0 and sizes["contacts"] > 0 and sizes["cases"] > 0
    assert again == {"consent": 0, "contact": 0, "case": 0}
    return path


@pytest.fixture(scope="module")
def result(store: Path) -> Iterator[PlanResult]:
    with open_store(store) as ws:
        yield make_plan(ws.store, start=START)


def test_features_come_from_the_events(store: Path) -> None:
    with open_store(store) as ws:
        f = feature_table(ws.store, START).to_pyarrow().to_pandas().set_index("customer_id")
        cases = ws.events("case").to_pyarrow().to_pandas()
        j = ws.judgements().to_pyarrow().to_pandas()
    last = cases.sort_values("occurred_at").groupby("case_id").tail(1)
    open_ = set(last.loc[last["status"] != "closed", "customer_id"])
    assert set(f.index[f["open_case"]]) == open_
    who = j["customer_id"].iloc[0]
    mine = j[j["customer_id"] == who]
    days = (pd.Timestamp(START) - mine["occurred_at"].max()).total_seconds() / 86400
    assert f.loc[who, "days_since_last_visit"] == pytest.approx(days)
    assert f["has_email"].all()


def test_rule_functions_read_measures_and_moments(store: Path) -> None:
    needs = [Derived("measure", ("queue_seconds",)), Derived("negative_moment", ("checkout", 30))]
    with open_store(store) as ws:
        f = feature_table(ws.store, START, needs).to_pyarrow().to_pandas().set_index("customer_id")
        i = ws.events("interaction").to_pyarrow().to_pandas()
        m = ws.store.table("measures").to_pyarrow().to_pandas()
        j = ws.judgements().to_pyarrow().to_pandas()
    q = m[m["name"] == "queue_seconds"].merge(i, on="event_id")
    last = q.sort_values("occurred_at").groupby("customer_id")["value"].last()
    got = f["__measure__queue_seconds"].dropna()
    assert len(got) == len(last) > 0
    assert got.sort_index().to_numpy() == pytest.approx(last.sort_index().to_numpy())
    recent = j[(j["moment_id"] == "checkout") & (j["valence"] == "negative")
               & (j["occurred_at"] >= pd.Timestamp(START) - pd.Timedelta(days=30))]  # fmt: skip
    assert set(f.index[f["__negative_moment__checkout__30"]]) == set(recent["customer_id"])


def test_the_plan_respects_the_policy_and_explains_itself(result: PlanResult) -> None:
    s = result.summary()
    assert s["method"] == "exact" and s["status"] == "optimal" and s["contacts"] > 0
    plan = result.frame()
    assert plan.attrs["summary"] == s
    assert len(plan) == s["contacts"]
    local = plan["send_at"].dt.tz_convert("Europe/London")
    assert ((local.dt.hour >= 9) & (local.dt.hour < 20)).all()  # outside the quiet hours
    assert (plan["send_at"] >= pd.Timestamp(START)).all()
    assert plan["reason"].str.contains("eligible \\(").all()
    sol = result.solution
    assert (result.instance.value[sol.rows, sol.offer] > 0).all()
    assert not plan.duplicated(["customer_id", "offer_id"]).any()
    # some offers have enough past sends for a fitted model, the others use their prior
    assert any(x.startswith("fitted on") for x in result.sources)
    assert any(x.startswith("prior") for x in result.sources)


def test_each_customer_has_a_reason(result: PlanResult) -> None:
    why = explain(result)
    assert len(why) == result.instance.n
    sent = set(result.frame()["customer_id"])
    assert set(why.loc[why["contacted"], "customer_id"]) == sent
    assert (why.loc[why["contacted"], "rule"] == "sent").all()
    counts = rule_counts(result).set_index("rule")["customers"]
    assert counts.sum() == result.instance.n
    assert {"not_eligible", "no_consent"} <= set(counts.index)
    one = why[why["rule"] == "no_consent"].iloc[0]
    assert "no consent to be contacted by" in one["why"]
    picked = explain(result, [one["customer_id"]])
    assert picked.iloc[0].to_dict() == one.to_dict()


def test_the_plan_beats_blind_sending_on_every_count(result: PlanResult) -> None:
    table = simulate(result).set_index("strategy")
    ours = table.loc["optimised plan"]
    assert ours[["over_contacted", "in_quiet_hours", "open_case_marketing"]].sum() == 0
    assert ours[["suppressed_sent", "offer_repeated"]].sum() == 0
    blind = table.loc["send every eligible offer"]
    assert blind["contacts"] > ours["contacts"]
    assert blind["over_contacted"] > 0 and blind["in_quiet_hours"] > 0
    assert ours["expected_value"] >= table["expected_value"].max() * 0.99


def test_cli_plan_send_and_plan_again(store: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(store.read_bytes())
    out = tmp_path / "plan.parquet"
    args = ["outreach", "plan", "--horizon", "7d", "--out", str(out), "--db", str(db),
            "--start", "2026-11-01T07:00Z"]  # fmt: skip
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "gap 0.00%" in r.output
    plan = pd.read_parquet(out)
    r = runner.invoke(app, ["outreach", "send", str(out), "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert f"{len(plan)} added" in r.output
    again = runner.invoke(app, ["outreach", "send", str(out), "--db", str(db)])
    assert "0 added" in again.output
    # what was sent now counts: planning the same week again sends far less, to others
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    second = pd.read_parquet(out)
    assert len(second) < len(plan)
    assert not set(zip(second.customer_id, second.offer_id, strict=True)) & set(
        zip(plan.customer_id, plan.offer_id, strict=True)
    )
    with moments.open(db, create=False) as ws:
        sent = ws.events("contact").to_pyarrow().to_pandas()
    assert (
        sent["purpose"].isin(plan["offer_id"]) & (sent["direction"] == "outbound")
    ).sum() >= len(plan)


def test_cli_errors_are_clear(store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "offers.yaml"
    bad.write_text("offers:\n  - id: x\n    name: y\n    channel: email\n    eligible: foo > 1\n"
                   "    value: 1\n    prior: 0.1\n", encoding="utf-8")  # fmt: skip
    r = runner.invoke(app, ["outreach", "check", str(bad)])
    assert r.exit_code == 1
    assert f"{bad}:5:15" in r.output and "unknown feature 'foo'" in r.output
    r = runner.invoke(app, ["outreach", "plan", "--horizon", "9 weeks", "--db", str(store)])
    assert r.exit_code == 1 and "horizon" in r.output and "Traceback" not in r.output


def test_page_and_api(store: Path, tmp_path: Path) -> None:
    path = tmp_path / "served.duckdb"
    path.write_bytes(store.read_bytes())
    start = START.isoformat()
    with serve_store(path) as url, httpx.Client(base_url=url, timeout=60) as client:
        body = client.get("/api/outreach/plan", params={"start": start, "limit": 5}).json()
        assert body["summary"]["contacts"] > 5 and len(body["contacts"]) == 5
        assert {"customer_id", "offer_id", "send_at", "reason"} <= set(body["contacts"][0])
        bad = client.get("/api/outreach/plan", params={"horizon": 90})
        assert bad.status_code == 422 and bad.json()["field"] == "horizon"
        page = client.get("/outreach", params={"start": start})
        assert page.status_code == 200
        assert 'id="outreach-plan"' in page.text and body["contacts"][0]["customer_id"] in page.text
        # every rule is said in words, on the page too
        rules = {r["rule"]: r["meaning"] for r in body["rules"]}
        assert rules["sent"] == "gets a message" and all(m != r for r, m in rules.items())
        assert "gets a message" in page.text


def test_library_calls(store: Path, tmp_path: Path) -> None:
    db = tmp_path / "lib.duckdb"
    db.write_bytes(store.read_bytes())
    with moments.open(db, create=False) as ws:
        plan = ws.outreach_plan(horizon="1w", start=START, method="scalable")
        assert plan.attrs["summary"]["method"] == "scalable" and len(plan) > 0
        report = ws.record_contacts(plan)
        assert report.added == len(plan)
        again = ws.outreach_plan(horizon=7, start=START)
        assert len(again) < len(plan)
