"""The CLI through Typer's CliRunner, against real DuckDB files."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from moments.cli.app import app
from tests.conftest import BANK, RETAIL, write

runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture
def store(tmp_path: Path) -> Path:
    db = tmp_path / "cli.duckdb"
    code, out = run("init", "--db", db, "--journey", RETAIL)
    assert code == 0, out
    assert "journey 'retail-store-visit' added (8 moments)" in out
    return db


def test_help_lists_every_command() -> None:
    code, out = run("--help")
    assert code == 0
    for cmd in (
        "init",
        "info",
        "journey",
        "load",
        "quarantine",
        "judge",
        "score",
        "customers",
        "demo",
    ):
        assert cmd in out


def test_journey_check_ok_and_bad(tmp_path: Path) -> None:
    code, out = run("journey", "check", RETAIL, BANK)
    assert code == 0 and out.count("✓") == 2
    bad = write(
        tmp_path / "bad.yaml", RETAIL.read_text().replace("owner: facilities", "owner: nobody", 1)
    )
    code, out = run("journey", "check", bad)
    assert code == 1
    assert "unknown owner 'nobody'" in out and "bad.yaml:" in out
    # square brackets in a message are shown, not taken for Rich markup
    bad_id = write(tmp_path / "id.yaml", RETAIL.read_text().replace("id: ", "id: Bad Id #", 1))
    code, out = run("journey", "check", bad_id)
    assert code == 1 and "'^[a-z0-9][a-z0-9_.-]*$'" in out


def test_journey_schema(tmp_path: Path) -> None:
    code, out = run("journey", "schema")
    assert code == 0 and json.loads(out)["title"] == "defining-moments journey map"
    code, _ = run("journey", "schema", "--out", tmp_path / "s.json")
    assert code == 0 and "properties" in json.loads((tmp_path / "s.json").read_text())


def test_load_judge_score_round_trip(store: Path, small: dict[str, Path], tmp_path: Path) -> None:
    code, out = run("load", small["interaction"], "--kind", "interaction", "--db", store)
    assert code == 0 and "6 added" in out
    code, out = run("load", small["interaction"], "-k", "interaction", "--db", store)
    assert code == 0 and "0 added" in out and "6 duplicates" in out
    code, out = run("load", small["feedback"], "-k", "feedback", "--db", store)
    assert code == 0
    code, out = run("judge", "--db", store)
    assert code == 0 and "7 lived moments judged" in out
    code, out = run("score", "--db", store)
    assert code == 0 and "checkout" in out and "greeting" in out
    code, out = run(
        "score", "--db", store, "--by", "location", "--by", "week", "--out", tmp_path / "s.csv"
    )
    assert code == 0 and "wrote 3 rows" in out
    nulls = pacsv.ConvertOptions(strings_can_be_null=True)
    rows = pacsv.read_csv(tmp_path / "s.csv", convert_options=nulls).to_pylist()
    assert {r["location_id"] for r in rows} == {"store-a", "store-b", None}
    code, out = run("score", "--db", store, "--by", "owner", "--out", tmp_path / "o.parquet")
    assert code == 0 and pq.read_table(tmp_path / "o.parquet").num_rows == 2
    code, out = run("customers", "--db", store, "--out", tmp_path / "c.csv")
    assert code == 0 and pacsv.read_csv(tmp_path / "c.csv").num_rows == 4
    code, out = run("info", "--db", store)
    assert code == 0 and json.loads(out)["tables"]["interactions"] == 6


def test_load_with_quarantine_and_listing(store: Path, tmp_path: Path) -> None:
    f = write(
        tmp_path / "f.csv",
        "event_id,customer_id,moment_id,occurred_at,score\n"
        "f1,c1,greeting,2026-03-07T16:00:00Z,5\nf2,c1,greeting,2026-03-07T16:00:00Z,11\n",
    )
    code, out = run("load", f, "-k", "feedback", "--db", store)
    assert code == 0 and "1 quarantined" in out and "outside the scale 1–5" in out
    code, out = run("quarantine", "--db", store, "--out", tmp_path / "q.csv")
    rows = pacsv.read_csv(tmp_path / "q.csv").to_pylist()
    assert code == 0 and rows[0]["line"] == 3 and rows[0]["field"] == "score"


def test_load_exit_codes(store: Path, tmp_path: Path) -> None:
    code, out = run("load", tmp_path / "missing.csv", "-k", "feedback", "--db", store)
    assert code == 1 and "no such file" in out
    all_bad = write(
        tmp_path / "b.csv",
        "event_id,customer_id,moment_id,occurred_at,score\nf1,c1,nosuch,2026-03-07T16:00:00Z,5\n",
    )
    code, out = run("load", all_bad, "-k", "feedback", "--db", store)
    assert code == 1 and "nothing in the file could be used" in out
    wrong = write(tmp_path / "w.csv", "a,b\n1,2\n")
    code, out = run("load", wrong, "-k", "feedback", "--db", store)
    assert code == 1 and "unexpected column 'a'" in out
    code, out = run("load", wrong, "-k", "feedback", "--db", store, "--map", "nonsense")
    assert code == 1 and "is not COLUMN=FIELD" in out


def test_map_and_timezone_options(store: Path, tmp_path: Path) -> None:
    f = write(
        tmp_path / "x.csv", "ID,Customer,moment_id,When,score\nf1,c1,greeting,2026-03-07 16:00,5\n"
    )
    code, out = run(
        "load",
        f,
        "-k",
        "feedback",
        "--db",
        store,
        "--map",
        "ID=event_id",
        "--map",
        "Customer=customer_id",
        "--map",
        "When=occurred_at",
        "--timezone",
        "Europe/London",
    )
    assert code == 0 and "1 added" in out, out


def test_score_bad_dimension_is_a_clear_error(store: Path) -> None:
    code, out = run("score", "--db", store, "--by", "planet")
    assert code == 1 and "cannot group by planet" in out


def test_opening_a_missing_store_says_how_to_create_it(tmp_path: Path) -> None:
    code, out = run("score", "--db", tmp_path / "nope.duckdb")
    assert code == 1 and "moments init" in out


def test_env_var_chooses_the_store(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOMENTS_DATABASE_URL", str(store))
    code, out = run("info")
    assert code == 0 and json.loads(out)["location"] == str(store)


def test_demo_no_serve(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    code, out = run("demo", "--db", db, "--no-serve", "--customers", "1500")
    assert code == 0, out
    assert "Defining moments" in out and "dressing-room" in out
    assert db.exists()
    code, out = run("score", "--db", db, "--by", "location")
    assert code == 0 and "store-riverside" in out
