"""Closed loop on a small hand-built scenario whose answers are known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import moments
from moments.cli.app import app
from moments.errors import InputError, NotFound
from moments.frontline import cases
from moments.journey.model import RuleError, duration_hours
from tests.conftest import RETAIL

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the closed loop runs the morning after


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


INTERACTIONS = [
    # c1: not greeted (key: importance 4) → case; greeted warmly later → recovered
    {"event_id": "i1", "customer_id": "c1", "moment_id": "greeting", "occurred_at": at(1),
     "greet_seconds": 95.0},
    {"event_id": "i2", "customer_id": "c1", "moment_id": "greeting", "occurred_at": at(10),
     "greet_seconds": 10.0},
    # c2: no dressing room (key: importance 5) → case, closed late; next moment only neutral
    {"event_id": "i3", "customer_id": "c2", "moment_id": "dressing-room", "occurred_at": at(1),
     "dressing_room_wait_minutes": 20.0},
    {"event_id": "i4", "customer_id": "c2", "moment_id": "greeting", "occurred_at": at(12),
     "greet_seconds": 30.0},
    # c3: no parking space: importance 3, basic → not key, no case
    {"event_id": "i5", "customer_id": "c3", "moment_id": "find-parking", "occurred_at": at(1),
     "parking_search_minutes": 12.0},
    # c4: long queue at the till (key) → case left open past its 48h SLA
    {"event_id": "i6", "customer_id": "c4", "moment_id": "checkout", "occurred_at": at(1),
     "queue_seconds": 300.0},
]  # fmt: skip
# c5: bad styling advice, from a survey answer: importance 3 but a differentiator → case
FEEDBACK = [
    {"event_id": "f1", "customer_id": "c5", "moment_id": "styling-advice", "occurred_at": at(1),
     "score": 1.0},
]  # fmt: skip


MEASURES = sorted({k for r in INTERACTIONS for k in r if k.endswith(("seconds", "minutes"))})


@pytest.fixture
def scenario(ws: moments.Workspace) -> moments.Workspace:
    # every row names every measure (None where not measured): rows become one Arrow table
    interactions = [{**dict.fromkeys(MEASURES), **r} for r in INTERACTIONS]
    for kind, rows in (("interaction", interactions), ("feedback", FEEDBACK)):
        assert ws.append(kind, rows).quarantined == 0
    ws.judge()
    return ws


def test_key_moments_are_importance_4_or_differentiators(ws: moments.Workspace) -> None:
    keys = cases.key_moments(ws.journeys())
    assert sorted(keys) == ["checkout", "dressing-room", "greeting", "returns-call",
                            "styling-advice"]  # fmt: skip
    assert keys["greeting"].owner_id == "store-ops" and keys["greeting"].sla_hours == 48
    assert keys["returns-call"].sla == "24h"


def test_negatives_on_key_moments_open_one_case_each_and_only_once(
    scenario: moments.Workspace,
) -> None:
    run = cases.open_cases(scenario, now=T0)
    assert (run.opened, run.already) == (4, 0)
    s = {r["customer_id"]: r for r in cases.states(scenario).to_pyarrow().to_pylist()}
    assert sorted(s) == ["c1", "c2", "c4", "c5"]  # not c3: find-parking is not key
    assert s["c1"]["case_id"] == "case-i1" and s["c1"]["owner_id"] == "store-ops"
    assert s["c2"]["owner_id"] == "stylists" and s["c5"]["moment_id"] == "styling-advice"
    assert all(r["open"] and r["status"] == "opened" and r["opened_at"] == T0 for r in s.values())
    # each case is in the audit log as itself, not as one load of four case events
    log = scenario.audit("case").to_pyarrow().to_pylist()
    assert sorted(e["target"] for e in log) == sorted(r["case_id"] for r in s.values())
    assert {e["action"] for e in log} == {"case.opened"}
    assert not [e for e in scenario.audit("load").to_pyarrow().to_pylist()
                if e["target"] == "<closed loop>"]  # fmt: skip
    again = cases.open_cases(scenario, now=T0 + timedelta(hours=1))
    assert (again.opened, again.already) == (0, 4)
    assert scenario.audit("case").count().to_pyarrow().as_py() == 4  # nothing opened again
    assert scenario.events("case").count().to_pyarrow().as_py() == 4
    since = cases.open_cases(scenario, since=at(2), now=T0)
    assert (since.opened, since.already) == (0, 0)


def test_case_events_queues_and_metrics_per_owner(scenario: moments.Workspace) -> None:
    cases.open_cases(scenario, now=T0)
    cases.record(scenario, "case-i1", "assigned", owner_id="e-ann", at=T0 + timedelta(hours=1))
    cases.record(scenario, "case-i1", "contacted", "apologised, offered a stylist",
                 at=T0 + timedelta(hours=2))  # fmt: skip
    cases.record(
        scenario, "case-i1", "resolved", "greeting rota fixed", at=T0 + timedelta(hours=10)
    )
    cases.record(scenario, "case-i3", "closed", "voucher sent", at=T0 + timedelta(hours=72))
    c1 = cases.case(scenario, "case-i1")
    assert (c1["status"], c1["assignee"], c1["open"]) == ("resolved", "e-ann", False)
    assert c1["note"] == "greeting rota fixed" and c1["events"] == 4
    assert [r["case_id"] for r in cases.queue(scenario, "store-ops").to_pyarrow().to_pylist()] == [
        "case-i6"
    ]
    everything = cases.queue(scenario, "store-ops", include_closed=True).to_pyarrow().to_pylist()
    assert [r["case_id"] for r in everything] == ["case-i6", "case-i1"]  # open ones first
    assert [
        r["case_id"] for r in cases.queue(scenario, "e-ann", True).to_pyarrow().to_pylist()
    ] == ["case-i1"]
    m = {r["owner_id"]: r for r in cases.metrics(scenario, now=T0 + timedelta(days=10))
         .to_pyarrow().to_pylist()}  # fmt: skip
    ops, sty = m["store-ops"], m["stylists"]
    # store-ops: c1 closed in 10 h (SLA 48 h), then a positive greeting; c4 open, overdue
    assert (ops["cases"], ops["open"], ops["overdue"], ops["closed"]) == (2, 1, 1, 1)
    assert ops["median_hours_to_close"] == pytest.approx(10)
    assert ops["within_sla_share"] == pytest.approx(0.5)
    assert (ops["with_next"], ops["recovered"], ops["recovery_rate"]) == (1, 1, 1.0)
    # stylists: c2 closed after 72 h (SLA 48 h), next moment neutral; c5 open past 72 h
    assert (sty["cases"], sty["open"], sty["overdue"], sty["closed"]) == (2, 1, 1, 1)
    assert sty["median_hours_to_close"] == pytest.approx(72)
    assert sty["within_sla_share"] == pytest.approx(0.0)
    assert (sty["with_next"], sty["recovered"], sty["recovery_rate"]) == (1, 0, 0.0)
    # an hour after opening, nothing is overdue and nothing is judged against the SLA yet
    early = {r["owner_id"]: r for r in cases.metrics(scenario, now=T0 + timedelta(hours=1))
             .to_pyarrow().to_pylist()}  # fmt: skip
    assert early["stylists"]["overdue"] == 0


def test_bad_case_events_are_refused(scenario: moments.Workspace) -> None:
    cases.open_cases(scenario, now=T0)
    with pytest.raises(InputError, match="unknown case status 'done'"):
        cases.record(scenario, "case-i1", "done")
    with pytest.raises(InputError, match="with a reason"):
        cases.record(scenario, "case-i1", "resolved")
    with pytest.raises(InputError, match="needs the assignee"):
        cases.record(scenario, "case-i1", "assigned")
    with pytest.raises(NotFound, match="no case 'case-nope'"):
        cases.record(scenario, "case-nope", "contacted", "hello")
    with pytest.raises(InputError, match="no time zone"):
        cases.open_cases(scenario, now=datetime(2026, 3, 2))


def test_the_cli_opens_lists_records_and_measures(db: object, scenario: moments.Workspace) -> None:
    scenario.close()
    runner = CliRunner()
    args = ["--db", str(db)]
    first = runner.invoke(app, ["cases", "open", *args])
    assert first.exit_code == 0 and "4 case(s) opened" in first.output, first.output
    second = runner.invoke(app, ["cases", "open", *args])
    assert "0 case(s) opened, 4 already" in second.output
    listed = runner.invoke(app, ["cases", "list", "--owner", "stylists", *args])
    assert "case-i3" in listed.output and "case-f1" in listed.output
    assert "case-i1" not in listed.output  # store-ops' case
    rec = runner.invoke(app, ["cases", "record", "case-i3", "resolved", "--note", "sorry", *args])
    assert rec.exit_code == 0 and "recorded case-i3:resolved:" in rec.output
    bad = runner.invoke(app, ["cases", "record", "case-i3", "done", *args])
    assert bad.exit_code == 1 and "unknown case status 'done'" in bad.output
    shown = runner.invoke(app, ["cases", "show", "case-i3", *args])
    assert "resolved" in shown.output and "opened" in shown.output
    metrics = runner.invoke(app, ["cases", "metrics", *args])
    assert metrics.exit_code == 0 and "stylists" in metrics.output


@given(st.integers(1, 10_000), st.sampled_from(["m", "h", "d", "w"]))
def test_durations_read_back_in_hours(n: int, unit: str) -> None:
    factor = {"m": 1 / 60, "h": 1, "d": 24, "w": 168}[unit]
    assert duration_hours(f"{n}{unit}") == pytest.approx(n * factor)
    assert duration_hours(f" {n} {unit} ") == pytest.approx(n * factor)


@given(st.text(max_size=8).filter(lambda s: not s.strip()[:-1].replace(".", "").isdigit()))
def test_anything_else_is_not_a_duration(text: str) -> None:
    with pytest.raises(RuleError, match="is not a duration"):
        duration_hours(text)


def test_a_journey_with_a_bad_sla_points_at_it(tmp_path: object) -> None:
    from moments.journey import load_journey_text

    text = RETAIL.read_text().replace("sla: 48h", "sla: soon", 1)
    with pytest.raises(InputError) as e:
        load_journey_text(text, "j.yaml")
    (p,) = e.value.problems
    line = text.splitlines().index(next(x for x in text.splitlines() if "sla: soon" in x)) + 1
    assert p.line == line and p.field and p.field.endswith(".sla")
    assert "'soon' is not a duration" in p.what and "48h" in p.fix
