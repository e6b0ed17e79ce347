"""Engine parity: every analysis gives the same answer on DuckDB, PostgreSQL and Spark.

The demo store is copied to a PostgreSQL server started for the session and to a Spark
warehouse (``moments export``'s library call, itself checked by row counts and fingerprints);
each analysis of the library runs on all three and the results must agree up to float
tolerance and row order. ``PARITY`` lists them;
a test fails when the Workspace gains an analysis that is not listed, so no DuckDB-only
analysis can slip in unnoticed.
"""

from __future__ import annotations

import inspect
import threading
import time
import typing
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import ibis
import pandas as pd
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

import moments
from moments.access.roles import Principal
from moments.cli.app import app
from moments.demo.build import KINDS
from moments.demo.generator import generate
from moments.judge import engine as judge_engine
from moments.store.export import export_store, fingerprint
from moments.store.schema import TABLES
from moments.workspace import Workspace
from tests.conftest import RETAIL
from tests.postgres import new_database  # the session fixture
from tests.postgres import postgres_url as postgres_url
from tests.spark import spark_root as spark_root
from tests.spark import spark_url
from tests.web_server import serve_app

ENGINES = ("duckdb", "postgres", "spark")
PLAN_START = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)  # the demo year ends in late October

OWNER = Principal("olga", "owner", owner_id="store-ops")
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
    "outreach_plan": lambda ws: ws.outreach_plan(start=PLAN_START),
    # what a moment owner sees: the scoped store narrows the same queries on every engine
    "owner_scorecard": lambda ws: ws.scoped(OWNER).scorecard(["moment", "week"]),
    "owner_customers": lambda ws: ws.scoped(OWNER).customers(),
}
# Workspace methods returning tables that are not analyses: the store's own tables, as stored
# tables of the store as they are, not analyses (the audit log: ids and times of this run)
NOT_ANALYSES = {"moments", "events", "quarantine", "loads", "judgements", "audit"}


@pytest.fixture(scope="module")
def urls(analytics_demo: Path, postgres_url: str, spark_root: Path) -> dict[str, str]:
    pg = new_database(postgres_url, "parity")
    spark = spark_url(spark_root, "parity")
    with moments.open(analytics_demo, create=False) as ws:
        for url in (pg, spark):
            report = export_store(ws.store, url)
            assert report.rows["judgements"] > 50_000
    return {"duckdb": str(analytics_demo), "postgres": pg, "spark": spark}


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
        if pd.api.types.is_datetime64_dtype(df[c]):  # Spark's timestamps come without a zone
            df[c] = df[c].dt.tz_localize("UTC")
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


def _load_all(ws: Workspace, files: dict[str, Path]) -> list[str]:
    ws.add_journey(RETAIL)
    reports = [str(ws.load(files[k], k)) for k in KINDS]
    ws.judge()
    return reports


def _comparable(ws: Workspace) -> dict[str, dict[str, Any]]:
    """Every table's fingerprint, less what differs by design (load ids, clock times)."""
    out = {}
    for name in TABLES:
        if name in ("meta", "audit"):  # the audit log: ids, clock times and paths of this run
            continue
        fp = fingerprint(ws.store, name)
        out[name] = {
            k: v
            for k, v in fp.items()
            if not k.startswith(("load_id", "started_at", "quarantined_at", "judged_at",
                                 "added_at", "file:"))
        }  # fmt: skip
    return out


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """A small generated year as CSV and as Parquet, and a CSV with bad and repeated rows."""
    data = generate(seed=11, customers=300)
    root = tmp_path_factory.mktemp("parity-files")
    csv = data.write(root / "csv", "csv")
    parquet = data.write(root / "parquet", "parquet")
    lines = csv["feedback"].read_text(encoding="utf-8").splitlines()
    bad = root / "bad-feedback.csv"
    bad.write_text(
        "\n".join(
            [
                *lines[:20],
                lines[5],  # a repeat of line 6: a duplicate, not a second event
                lines[6].replace(",3,", ",33,", 1) if ",3," in lines[6] else lines[6] + "x",
                "nope,c-1,greeting,yesterday,4,,",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return {"csv": csv, "parquet": parquet, "bad": {"feedback": bad}}


def _new_store(engine: str, name: str, request: pytest.FixtureRequest) -> str:
    """The URL of a new, empty store on ``engine`` (PostgreSQL or Spark)."""
    if engine == "postgres":
        return new_database(request.getfixturevalue("postgres_url"), name)
    return spark_url(request.getfixturevalue("spark_root"), name)


@pytest.mark.parametrize(
    ("fmt", "engine"),
    # Spark loads are slow (a Spark job per step): CSV staging is covered by the quarantine
    # and concurrency tests below, Parquet staging here
    [("csv", "postgres"), ("parquet", "postgres"), ("parquet", "spark")],
)
def test_loading_and_judging_give_the_same_store_on_every_engine(
    fmt: str,
    engine: str,
    demo_files: dict[str, dict[str, Path]],
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = demo_files[fmt]
    with moments.open(tmp_path / "d.duckdb") as duck:
        want_reports = _load_all(duck, files)
        want = _comparable(duck)
        want_q = sorted(
            duck.quarantine().select("line", "field", "reason").to_pyarrow().to_pylist(), key=str
        )
    with moments.open(_new_store(engine, f"load_{fmt}", request)) as pg:
        got_reports = _load_all(pg, files)
        got = _comparable(pg)
        got_q = sorted(
            pg.quarantine().select("line", "field", "reason").to_pyarrow().to_pylist(), key=str
        )
        again = pg.load(files["interaction"], "interaction")
        # a large store is judged part by part (the answers resolved once for every part)
        monkeypatch.setattr(judge_engine, "PART_SIZE", 1_500)
        pg.judge()
        in_parts = _comparable(pg)["judgements"]
    assert in_parts == pytest.approx(want["judgements"])
    strip = [r.split(": ", 1)[1] for r in want_reports]
    assert [r.split(": ", 1)[1] for r in got_reports] == strip
    assert again.added == 0 and again.duplicates == again.rows_read
    for name in want:
        assert got[name] == pytest.approx(want[name]), name
    assert got_q == want_q


def test_bad_rows_are_quarantined_alike(
    demo_files: dict[str, dict[str, Path]], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    bad = demo_files["bad"]["feedback"]
    results = {}
    for engine, url in (
        ("duckdb", str(tmp_path / "q.duckdb")),
        ("postgres", _new_store("postgres", "quarantine", request)),
        ("spark", _new_store("spark", "quarantine", request)),
    ):
        with moments.open(url) as ws:
            ws.add_journey(RETAIL)
            r = ws.load(bad, "feedback")
            rows = ws.quarantine().select("line", "field", "reason").to_pyarrow().to_pylist()
            results[engine] = (r.added, r.duplicates, r.quarantined, sorted(rows, key=str))
    assert results["postgres"] == results["duckdb"] == results["spark"]
    assert results["duckdb"][2] >= 1


@pytest.mark.parametrize("engine", ["postgres", "spark"])
def test_concurrent_loaders_neither_lose_nor_double_events(
    engine: str, demo_files: dict[str, dict[str, Path]], request: pytest.FixtureRequest
) -> None:
    """Four loaders at once, two files that overlap: every event exactly once."""
    url = _new_store(engine, "concurrent", request)
    with moments.open(url) as ws:
        ws.add_journey(RETAIL)
    files = [demo_files["csv"]["interaction"], demo_files["parquet"]["interaction"]] * 2
    errors: list[BaseException] = []

    def load(path: Path) -> None:
        try:
            with moments.open(url, create=False) as w:
                w.load(path, "interaction")
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=load, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    with moments.open(url, create=False) as ws:
        rows = ws.store.count("interactions")
        distinct = ws.events("interaction").event_id.nunique().to_pyarrow().as_py()
        loads = ws.loads().to_pyarrow().to_pylist()
    expected = len(pacsv.read_csv(files[0]))
    assert rows == distinct == expected
    assert sum(r["added"] for r in loads) == expected
    assert sum(r["duplicates"] for r in loads) == 3 * expected


def test_loaders_and_fifty_readers_at_once_on_postgres(
    demo_files: dict[str, dict[str, Path]], request: pytest.FixtureRequest
) -> None:
    """Three loaders and 50 readers at once: no deadlock, no error, no lost or doubled event,
    and every reader sees a whole number of loads (never half a file)."""
    url = _new_store("postgres", "readers", request)
    with moments.open(url) as ws:
        ws.add_journey(RETAIL)
    files = [demo_files["csv"]["interaction"], demo_files["parquet"]["interaction"]] * 2
    files = files[:3]
    expected = len(pacsv.read_csv(files[0]))
    errors: list[BaseException] = []
    seen: list[int] = []
    loading = threading.Event()
    loading.set()

    def load(path: Path) -> None:
        try:
            with moments.open(url, create=False) as w:
                w.load(path, "interaction")
        except BaseException as e:
            errors.append(e)

    def read() -> None:
        try:
            with moments.open(url, create=False) as w:
                while loading.is_set():
                    seen.append(w.store.count("interactions"))
                    time.sleep(0.05)
        except BaseException as e:
            errors.append(e)

    readers = [threading.Thread(target=read) for _ in range(50)]
    loaders = [threading.Thread(target=load, args=(f,)) for f in files]
    for t in readers + loaders:
        t.start()
    for t in loaders:
        t.join(timeout=300)
    loading.clear()
    for t in readers:
        t.join(timeout=60)
    assert not errors, errors[:3]
    assert not any(t.is_alive() for t in loaders + readers), "a thread never finished"
    assert seen and set(seen) <= {0, expected}  # a load is seen whole or not at all
    with moments.open(url, create=False) as ws:
        assert ws.store.count("interactions") == expected
        assert ws.events("interaction").event_id.nunique().to_pyarrow().as_py() == expected


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
