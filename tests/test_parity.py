"""Engine parity: every analysis gives the same answer on DuckDB and on PostgreSQL.

The demo store is copied to a PostgreSQL server started for the session (``moments export``'s
library call, itself checked by row counts and fingerprints); each analysis of the library runs
on both and the results must agree up to float tolerance and row order. ``PARITY`` lists them;
a test fails when the Workspace gains an analysis that is not listed, so no DuckDB-only
analysis can slip in unnoticed.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import ibis
import pandas as pd
import pytest
from typer.testing import CliRunner

import moments
from moments.cli.app import app
from moments.store.export import export_store, fingerprint
from moments.workspace import Workspace
from tests.postgres import new_database  # the session fixture
from tests.postgres import postgres_url as postgres_url
from tests.web_server import serve_app

ENGINES = ("duckdb", "postgres")

PARITY: dict[str, Callable[[Workspace], Any]] = {
    "scorecard": lambda ws: ws.scorecard(["moment", "location", "week"]),
    "trend": lambda ws: ws.trend("moment", period="month"),
    "customers": lambda ws: ws.customers(),
    "totals": lambda ws: ws.totals(location_id="store-harbour"),
    "key_moments": lambda ws: ws.key_moments(),
    "weakest_moments": lambda ws: ws.weakest_moments(),
    "movers": lambda ws: ws.movers(),
    "evidence": lambda ws: ws.evidence("checkout", search="queue", limit=500),
    "fix_first": lambda ws: ws.fix_first("store-ops"),
    "profiles": lambda ws: ws.profiles(),
    "episodes": lambda ws: ws.episodes(),
    "drivers": lambda ws: ws.drivers(),
    "basics": lambda ws: ws.basics(),
    "weakest_link": lambda ws: ws.weakest_link(),
    "consistency": lambda ws: ws.consistency(),
    "collapses": lambda ws: ws.collapses(),
    "dazzle_then_disappoint": lambda ws: ws.dazzle_then_disappoint(),
    "negatives_curve": lambda ws: ws.negatives_curve(),
    "risk": lambda ws: ws.risk(),
    "impact": lambda ws: ws.impact(),
}
# Workspace methods returning tables that are not analyses: the store's own tables, as stored
NOT_ANALYSES = {"moments", "events", "quarantine", "loads", "judgements"}


@pytest.fixture(scope="module")
def urls(analytics_demo: Path, postgres_url: str) -> dict[str, str]:
    pg = new_database(postgres_url, "parity")
    with moments.open(analytics_demo, create=False) as ws:
        report = export_store(ws.store, pg)
    assert report.rows["judgements"] > 50_000
    return {"duckdb": str(analytics_demo), "postgres": pg}


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest, urls: dict[str, str]) -> Iterator[Workspace]:
    """A parametrised fixture over engines: a test using it runs once per engine."""
    ws = moments.open(urls[request.param], create=False)
    yield ws
    ws.close()


def as_frame(result: Any) -> pd.DataFrame:
    df = result.to_pandas() if isinstance(result, ibis.Table) else result.copy()
    df.attrs = {}
    for c in df.columns:
        if isinstance(df[c].dtype, pd.DatetimeTZDtype):
            df[c] = df[c].dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    keys = [c for c in df.columns if not pd.api.types.is_float_dtype(df[c])]
    return df.sort_values(keys or list(df.columns)).reset_index(drop=True)


_reference: dict[str, pd.DataFrame] = {}


@pytest.mark.parametrize("name", list(PARITY))
def test_analysis_is_the_same_on_every_engine(
    name: str, engine: Workspace, urls: dict[str, str]
) -> None:
    got = as_frame(PARITY[name](engine))
    assert len(got) > 0, f"{name} is empty on {engine.store.engine}: the test proves nothing"
    if engine.store.engine == "duckdb":
        _reference[name] = got
        return
    if name not in _reference:  # run alone: compute the DuckDB answer here
        with moments.open(urls["duckdb"], create=False) as ws:
            _reference[name] = as_frame(PARITY[name](ws))
    pd.testing.assert_frame_equal(got, _reference[name], check_dtype=False, rtol=1e-6, atol=1e-9)


def _tabular(fn: Callable[..., Any]) -> bool:
    try:
        ret = typing.get_type_hints(fn).get("return")
    except Exception:
        return False
    return ret in (pd.DataFrame, ibis.Table)


def test_every_analysis_is_in_the_parity_suite() -> None:
    methods = {
        name
        for name, fn in inspect.getmembers(Workspace, inspect.isfunction)
        if not name.startswith("_") and _tabular(fn)
    }
    missing = methods - set(PARITY) - NOT_ANALYSES
    assert not missing, f"add these Workspace analyses to PARITY in {__file__}: {missing}"


def test_the_copy_is_checked_and_refuses_to_overwrite(
    urls: dict[str, str], analytics_demo: Path
) -> None:
    with (
        moments.open(urls["postgres"], create=False) as pg,
        moments.open(analytics_demo, create=False) as duck,
    ):
        for table in ("judgements", "interactions", "measures", "outcomes", "customers"):
            assert fingerprint(pg.store, table) == pytest.approx(fingerprint(duck.store, table))
        with pytest.raises(moments.InputError, match="already holds data"):
            export_store(duck.store, urls["postgres"])


def test_writing_into_postgres_says_how_instead(urls: dict[str, str], tmp_path: Path) -> None:
    csv = tmp_path / "fb.csv"
    csv.write_text(
        "event_id,customer_id,moment_id,occurred_at,score\n"
        "f1,c1,greeting,2026-03-07T16:00:00+00:00,5\n",
        encoding="utf-8",
    )
    r = CliRunner().invoke(app, ["load", str(csv), "--kind", "feedback", "--db", urls["postgres"]])
    assert r.exit_code == 1 and "moments export --db FILE --to URL" in r.output
    with moments.open(urls["postgres"], create=False) as ws:
        assert ws.store.count("feedback") == ws.store.count("feedback")  # opened, unchanged
        with pytest.raises(moments.StoreError, match="not supported yet"):
            ws.judge()


def test_cli_exports_inits_and_reports_on_postgres(postgres_url: str, analytics_demo: Path) -> None:
    target = new_database(postgres_url, "cli_export")
    runner = CliRunner()
    r = runner.invoke(app, ["init", "--db", target])
    assert r.exit_code == 0 and "store ready: postgres" in r.output, r.output
    r = runner.invoke(app, ["export", "--db", str(analytics_demo), "--to", target])
    assert r.exit_code == 0, r.output
    assert "row counts and fingerprints match" in r.output
    r = runner.invoke(app, ["info", "--db", target])
    assert r.exit_code == 0 and '"engine": "postgres"' in r.output
    bad = postgres_url.rsplit(":", 1)[0] + ":1/postgres"
    r = runner.invoke(app, ["info", "--db", bad])
    assert r.exit_code == 1 and "cannot connect to PostgreSQL" in r.output


def test_serve_works_against_postgres(urls: dict[str, str]) -> None:
    from moments.web.app import create_app

    with moments.open(urls["duckdb"], create=False) as duck:
        expected = duck.totals().to_pyarrow().to_pylist()[0]
    app_ = create_app(urls["postgres"])
    try:
        with serve_app(app_) as url:
            got = httpx.get(url + "/api/totals", timeout=60).json()
            page = httpx.get(url + "/analyses/consistency", timeout=120)
    finally:
        app_.state.shared.ws.close()
    assert got["lived"] == expected["lived"] and got["negative"] == expected["negative"]
    assert page.status_code == 200 and "checkout collapses at" in page.text
