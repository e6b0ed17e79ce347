"""The append-only audit log: loads, journeys, cases and exports, each with who and in the same
transaction as the change; PostgreSQL refuses to rewrite it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from typer.testing import CliRunner

import moments
from moments.access.roles import Principal
from moments.cli.app import app
from moments.errors import Forbidden, InputError
from moments.frontline import cases
from moments.governance import audit
from moments.store.export import export_store
from tests.conftest import RETAIL, write
from tests.postgres import new_database
from tests.postgres import postgres_url as postgres_url

OLGA = Principal("olga", "owner", owner_id="store-ops")


def _log(ws: moments.Workspace, action: str | None = None) -> list[dict[str, object]]:
    rows = ws.audit(action).to_pyarrow().to_pylist()
    for r in rows:
        r["detail"] = json.loads(str(r["detail"]))
    return rows


def test_loads_and_journeys_are_recorded_with_who_and_counts(loaded: moments.Workspace) -> None:
    me = loaded.principal.user_id
    loads = {r["file"]: r for r in loaded.loads().to_pyarrow().to_pylist()}
    entries = _log(loaded, "load")
    assert [e["target"] for e in entries] == list(reversed(loads))  # newest first
    for e in entries:
        stored = loads[str(e["target"])]
        assert e["actor"] == me
        assert e["detail"] == {
            k: stored[k]
            for k in ("load_id", "kind", "rows_read", "added", "duplicates", "quarantined")
        }
    (added,) = _log(loaded, "journey")
    assert (added["action"], added["target"], added["detail"]["status"]) == (
        "journey.add",
        "retail-store-visit",
        "added",
    )
    loaded.add_journey(RETAIL)  # again: unchanged, and said so
    again = _log(loaded, "journey")[0]
    assert again["detail"] == {**added["detail"], "status": "unchanged"}
    # rows from memory are a load too, and a repeat records its duplicates
    rows = [{"event_id": "x1", "customer_id": "c5", "moment_id": "checkout",
             "occurred_at": "2026-03-09T10:00:00Z"}]  # fmt: skip
    loaded.append("interaction", rows, source="<api>")
    loaded.append("interaction", rows, source="<api>")
    newest = _log(loaded, "load")[:2]
    assert [(e["target"], e["detail"]["added"], e["detail"]["duplicates"]) for e in newest] == [
        ("<api>", 0, 1),
        ("<api>", 1, 0),
    ]


def test_a_load_and_its_entry_land_together_or_not_at_all(
    ws: moments.Workspace, small: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = write(small["interaction"].with_name("bad.csv"), "event_id,customer_id\ni1,c1\n")
    with pytest.raises(InputError):
        ws.load(bad, "interaction")  # refused before anything is written
    assert _log(ws, "load") == []

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("the audit table is not writable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError, match="not writable"):
        ws.load(small["interaction"], "interaction")
    monkeypatch.undo()
    assert ws.store.count("interactions") == ws.store.count("loads") == 0
    assert _log(ws, "load") == []
    ws.load(small["interaction"], "interaction")
    assert ws.store.count("interactions") == 6 and len(_log(ws, "load")) == 1


def test_case_changes_name_who_made_them(loaded: moments.Workspace) -> None:
    at = datetime(2026, 3, 8, 9, tzinfo=UTC)
    case_id = cases.open_case(loaded, "c2", "checkout", "queue of 5 minutes", at=at)
    olga = loaded.scoped(OLGA)  # a moment owner writes through a narrowed store
    cases.record(olga, case_id, "assigned", owner_id="sam")
    cases.record(olga, case_id, "closed", note="refunded the parking")
    with pytest.raises(InputError):
        cases.record(olga, case_id, "resolved")  # no reason: refused, and nothing recorded
    log = _log(loaded, "case")
    assert [(e["action"], e["actor"], e["target"]) for e in log] == [
        ("case.closed", "olga", case_id),
        ("case.assigned", "olga", case_id),
        ("case.opened", loaded.principal.user_id, case_id),
    ]
    assert log[1]["detail"]["owner_id"] == "sam"
    # a case's change is logged once, as itself (not also as a load of one case event)
    assert [e for e in _log(loaded, "load") if e["target"] == "<case event>"] == []
    # the log keeps case ids forever: they do not name customers (the id ends in random hex
    # digits, which may contain "c2" by chance: compare whole parts)
    assert "c2" not in case_id.split("-")
    with pytest.raises(Forbidden):
        olga.audit()


def test_filters_and_the_cli(loaded: moments.Workspace, db: Path) -> None:
    everything = _log(loaded)
    assert len(everything) == 3  # the journey and two loads
    assert [e["action"] for e in everything][-1] == "journey.add"
    assert loaded.audit(limit=1).to_pyarrow().num_rows == 1
    assert loaded.audit(actor="nobody").to_pyarrow().num_rows == 0
    assert loaded.audit(since=date(2999, 1, 1)).to_pyarrow().num_rows == 0
    assert loaded.audit(since=datetime(2000, 1, 1)).to_pyarrow().num_rows == 3
    loaded.close()
    runner = CliRunner()
    done = runner.invoke(app, ["audit", "--db", str(db), "--action", "load", "--json"])
    assert done.exit_code == 0, done.output
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["action"] for line in lines] == ["load", "load"]
    assert lines[0]["detail"]["kind"] == "feedback"
    shown = runner.invoke(app, ["audit", "--db", str(db), "--actor", "root", "--limit", "2"])
    assert shown.exit_code == 0 and "Audit log" in shown.stdout
    bad = runner.invoke(app, ["audit", "--db", str(db), "--since", "yesterday"])
    assert bad.exit_code == 1 and "not a date" in bad.output
    # customer export and erase, through the CLI
    out = db.with_name("c1.json")
    done = runner.invoke(app, ["customer", "export", "c1", "--out", str(out), "--db", str(db)])
    assert done.exit_code == 0, done.output
    assert {r["event_id"] for r in json.loads(out.read_text())["interactions"]} == {"i1", "i2"}
    asked = runner.invoke(app, ["customer", "erase", "c1", "--db", str(db)], input="n\n")
    assert asked.exit_code == 1 and "Erase the personal data" in asked.output
    done = runner.invoke(app, ["customer", "erase", "c1", "--yes", "--db", str(db)])
    assert done.exit_code == 0 and "2 interactions" in done.stdout, done.output
    assert "later loads quarantine their rows" in done.stdout
    again = runner.invoke(app, ["customer", "export", "c1", "--out", str(out), "--db", str(db)])
    assert again.exit_code == 1 and "no customer 'c1'" in again.output
    with moments.open(db, create=False) as ws:
        actions = [e["action"] for e in _log(ws, "customer")]
    assert actions == ["customer.export", "customer.erase", "customer.export"]


def test_an_export_is_recorded_and_keeps_the_targets_log(
    loaded: moments.Workspace, tmp_path: Path
) -> None:
    target = tmp_path / "copy.duckdb"
    export_store(loaded.store, str(target), actor="ada")
    (entry,) = _log(loaded, "export")
    assert (entry["actor"], entry["target"]) == ("ada", str(target))
    assert entry["detail"]["rows"]["interactions"] == 6
    with moments.open(target, create=False) as copy:
        copy.add_journey(RETAIL)  # the copy's own history
        own = {e["audit_id"] for e in _log(copy)}
    export_store(loaded.store, str(target), replace=True, actor="ada")
    with moments.open(target, create=False) as copy:
        kept = {e["audit_id"] for e in _log(copy)}
    assert own < kept  # nothing of the target's log was lost; the source's newer entry came


def test_on_postgresql_the_log_cannot_be_rewritten_and_erasure_is_logged(
    loaded: moments.Workspace, small: dict[str, Path], postgres_url: str
) -> None:
    url = new_database(postgres_url, "governance")
    secret = url.replace("postgres@", "postgres:hunter2@")  # trust auth ignores it
    export_store(loaded.store, secret, actor="ada")
    (entry,) = _log(loaded, "export")
    assert "hunter2" not in str(entry["target"]) and "postgres:***@" in str(entry["target"])
    with moments.open(url, create=False) as pg:
        card = pg.scorecard("moment").to_pandas().sort_values("moment_id", ignore_index=True)
        touched = pg.erase_customer("c3")
        assert touched["interactions"] == 2 and pg.customer_data("c3") == {}
        again = pg.scorecard("moment").to_pandas().sort_values("moment_id", ignore_index=True)
        pd.testing.assert_frame_equal(card, again)
        assert [e["action"] for e in _log(pg)][:2] == ["customer.export", "customer.erase"]
        reload = pg.load(small["interaction"], "interaction")  # c3's two are refused
        assert (reload.added, reload.duplicates, reload.quarantined) == (0, 4, 2)
        n = pg.store.count("audit")
    with psycopg.connect(url, autocommit=True) as con:
        for sql in ("UPDATE audit SET actor = 'mallory'", "DELETE FROM audit", "TRUNCATE audit"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                con.execute(sql)
        assert con.execute("SELECT count(*) FROM audit").fetchone() == (n,)
        # a store made before the trigger existed (or one dropped by hand) gets it back on open
        con.execute("DROP TRIGGER audit_no_change ON audit")
        con.execute("DROP TRIGGER audit_no_truncate ON audit")
        con.execute("UPDATE audit SET actor = actor")  # nothing stops it now
    moments.open(url, create=False).close()
    with psycopg.connect(url, autocommit=True) as con:
        for sql in ("UPDATE audit SET actor = 'mallory'", "TRUNCATE audit"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                con.execute(sql)
