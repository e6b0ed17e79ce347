"""Benchmark: loading N interaction events from Parquet, through the library vs raw DuckDB.

The library's ``ws.load(file, "interaction")`` validates every row, de-duplicates against the
file and the store, quarantines bad rows and writes the measures. The baseline lands the same
data with plain ``INSERT … SELECT`` statements and no checks. Issue target: library ≤ 2× the
raw baseline, and peak memory under 4 GB.

    /work/venv/bin/python benchmarks/ingest.py [--rows 10000000] [--repeat 1] [--fresh]
        [--memory-limit 3GB] [--profile]

Each variant runs in its own child process so that its peak RSS is its own. The Parquet file
is written once to ``benchmarks/.data/interactions-<rows>.parquet`` and reused; the stores are
written afresh on every run. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import linecache
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
from _common import (
    DATA,
    cpu_seconds,
    gib,
    machine_lines,
    peak_rss_self,
    remove_db,
    retail_moments,
    verdict,
)

RAW_MAX = 2.0  # library seconds / raw INSERT … SELECT seconds must be at most this
RSS_MAX = 4 * 10**9  # peak resident memory of the library's load, bytes ("4 GB")

MOMENT_IDS, CHANNELS = retail_moments()
MEASURE_COLUMNS = ("queue_seconds", "greet_seconds")


def _sql_list(items: list[str]) -> str:
    return "[" + ", ".join(f"'{x}'" for x in items) + "]"


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


# N events, deterministic: unique event ids in scrambled order (i times an odd constant modulo
# 2^40 is a permutation), 1 M customers, a random moment among the 8 with its touchpoint's
# channel, 200 employees on store moments, 5 stores, times spread over 2025 in UTC;
# queue_seconds on checkout events and greet_seconds on greeting events, null elsewhere.
GENERATE = f"""
COPY (
    SELECT
        printf('ev-%010x', CAST((CAST(i AS HUGEINT) * 11400714819323198485) % 1099511627776
                                AS BIGINT)) AS event_id,
        printf('c%07d', hash(i, 1) % 1000000) AS customer_id,
        {_sql_list(MOMENT_IDS)}[m + 1] AS moment_id,
        TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(CAST(hash(i, 2) % 31536000 AS BIGINT))
            AS occurred_at,
        {_sql_list(CHANNELS)}[m + 1] AS channel,
        CASE WHEN m BETWEEN 2 AND 5 THEN printf('e%03d', hash(i, 3) % 200) END AS employee_id,
        'store-' || CAST(1 + hash(i, 4) % 5 AS VARCHAR) AS location_id,
        CASE WHEN m = 5 THEN CAST(hash(i, 6) % 600 AS DOUBLE) END AS queue_seconds,
        CASE WHEN m = 2 THEN CAST(hash(i, 7) % 120 AS DOUBLE) END AS greet_seconds
    FROM (SELECT range AS i, CAST(hash(range, 5) % 8 AS INTEGER) AS m FROM range({{rows}}))
) TO {{path}} (FORMAT parquet)
"""


# -- the variants, each run in a child process ------------------------------------------------
def _set_limit(con: Any, memory_limit: str | None) -> None:
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")


def child_library(parquet: Path, db: Path, memory_limit: str | None, fresh: bool) -> dict:
    import moments
    from moments.demo.build import example_journey
    from moments.store import Store

    if fresh:
        remove_db(db)
    ws = moments.Workspace(Store.open(db, memory_limit=memory_limit))
    if fresh:
        ws.add_journey(example_journey())
    before = peak_rss_self()
    c0, t0 = cpu_seconds(), time.perf_counter()
    report = ws.load(parquet, "interaction")
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    counts = {t: ws.store.count(t) for t in ("interactions", "measures", "quarantine")}
    t0 = time.perf_counter()
    ws.close()
    return {
        "seconds": seconds,
        "cpu": cpu,
        "close_seconds": time.perf_counter() - t0,
        "rss_before": before,
        "report": {
            "rows_read": report.rows_read,
            "added": report.added,
            "duplicates": report.duplicates,
            "quarantined": report.quarantined,
        },
        "counts": counts,
    }


def child_raw(parquet: Path, db: Path, memory_limit: str | None) -> dict:
    """The same data landed in tables shaped like the store's, with no checks at all."""
    from moments.store import EVENT_KINDS, Store

    fields = EVENT_KINDS["interaction"].field_names
    remove_db(db)
    Store.open(db).close()  # a fresh file with the store's tables (same columns and types)
    con = duckdb.connect(str(db))
    _set_limit(con, memory_limit)
    src = f"read_parquet({_lit(parquet)})"
    measures = " UNION ALL ".join(
        f"SELECT event_id, '{m}', {m} FROM {src} WHERE {m} IS NOT NULL" for m in MEASURE_COLUMNS
    )
    before = peak_rss_self()
    c0, t0 = cpu_seconds(), time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    con.execute(
        f"INSERT INTO interactions SELECT {', '.join(fields)}, 'load-1' AS load_id FROM {src}"
    )
    con.execute(f"INSERT INTO measures {measures}")
    con.execute("COMMIT")
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    counts = {
        t: con.sql(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("interactions", "measures")
    }
    t0 = time.perf_counter()
    con.close()
    return {
        "seconds": seconds,
        "cpu": cpu,
        "close_seconds": time.perf_counter() - t0,
        "rss_before": before,
        "counts": counts,
    }


def child_copy(parquet: Path, db: Path, memory_limit: str | None) -> dict:
    """For reference: one COPY of the file into one table shaped like the file."""
    remove_db(db)
    con = duckdb.connect(str(db))
    _set_limit(con, memory_limit)
    con.execute(f"CREATE TABLE events AS SELECT * FROM read_parquet({_lit(parquet)}) LIMIT 0")
    before = peak_rss_self()
    c0, t0 = cpu_seconds(), time.perf_counter()
    con.execute(f"COPY events FROM {_lit(parquet)} (FORMAT parquet)")
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    counts = {"events": con.sql("SELECT count(*) FROM events").fetchone()[0]}
    t0 = time.perf_counter()
    con.close()
    return {
        "seconds": seconds,
        "cpu": cpu,
        "close_seconds": time.perf_counter() - t0,
        "rss_before": before,
        "counts": counts,
    }


def child_profile(parquet: Path, db: Path, memory_limit: str | None) -> dict:
    """The library's load with every store call and query it makes timed, by calling line."""
    import ibis.expr.types.core as core

    from moments.store import Store
    from moments.workspace import Workspace

    steps: list[tuple[str, float]] = []
    loading = [False]

    def where() -> str:
        f = sys._getframe(2)
        while f is not None and "moments" not in f.f_code.co_filename:
            f = f.f_back
        if f is None:
            return "?"
        line = linecache.getline(f.f_code.co_filename, f.f_lineno).strip()
        return f"{Path(f.f_code.co_filename).name}:{f.f_lineno} {line}"

    def wrap(owner: Any, name: str, label: str) -> None:
        orig = getattr(owner, name)

        def timed_call(*a: Any, **kw: Any) -> Any:
            if not loading[0]:
                return orig(*a, **kw)
            site = where()
            t0 = time.perf_counter()
            try:
                return orig(*a, **kw)
            finally:
                steps.append((f"{label:<11} {site}", time.perf_counter() - t0))

        setattr(owner, name, timed_call)

    wrap(Store, "materialize", "materialize")
    wrap(Store, "append", "insert")
    wrap(Store, "drop_temp", "drop temp")
    wrap(core.Expr, "to_pyarrow", "query")
    load = Workspace.load

    def timed_load(*a: Any, **kw: Any) -> Any:
        loading[0] = True
        try:
            return load(*a, **kw)
        finally:
            loading[0] = False

    Workspace.load = timed_load  # type: ignore[method-assign]
    out = child_library(parquet, db, memory_limit, fresh=True)
    out["steps"] = steps
    return out


CHILDREN = {
    "library": lambda a: child_library(a.parquet, a.db, a.memory_limit, fresh=True),
    "reload": lambda a: child_library(a.parquet, a.db, a.memory_limit, fresh=False),
    "raw": lambda a: child_raw(a.parquet, a.db, a.memory_limit),
    "copy": lambda a: child_copy(a.parquet, a.db, a.memory_limit),
    "profile": lambda a: child_profile(a.parquet, a.db, a.memory_limit),
}


def run_child(variant: str, parquet: Path, db: Path, memory_limit: str | None) -> dict:
    """Run one variant in a child process; its result, with its own peak RSS (``peak_rss``).

    The child reports its peak RSS itself (``VmHWM``, see ``_common.peak_rss_self``), as the
    last thing it does, after closing its store.
    """
    result = db.with_name(db.name + f".{variant}.json")
    result.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        __file__,
        "--child",
        variant,
        "--parquet",
        str(parquet),
        "--db",
        str(db),
        "--result",
        str(result),
        "--memory-limit",
        memory_limit or "default",
    ]
    t0 = time.perf_counter()
    code = subprocess.call(cmd)
    wall = time.perf_counter() - t0
    if code != 0 or not result.exists():
        return {"error": f"exit status {code}"}
    out = json.loads(result.read_text())
    result.unlink()
    out["wall"] = wall
    return out


# -- the parent -----------------------------------------------------------------------------
def make_parquet(path: Path, rows: int, fresh: bool) -> float | None:
    """Write the events file unless it is there with ``rows`` rows; seconds, or None if reused."""
    if path.exists() and not fresh:
        try:
            n = duckdb.sql(f"SELECT count(*) FROM read_parquet({_lit(path)})").fetchone()[0]
            if n == rows:
                return None
        except duckdb.Error:
            pass
        print(f"  {path.name} does not hold the expected data; writing it again")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    t0 = time.perf_counter()
    with duckdb.connect() as con:
        con.execute(GENERATE.format(rows=rows, path=_lit(tmp)))
    tmp.replace(path)
    return time.perf_counter() - t0


def _expected(parquet: Path) -> dict[str, int]:
    cols = ", ".join(f"count({m})" for m in MEASURE_COLUMNS)
    row = duckdb.sql(
        f"SELECT count(*), count(DISTINCT event_id), {cols} FROM read_parquet({_lit(parquet)})"
    ).fetchone()
    return {"rows": row[0], "distinct": row[1], "measures": sum(row[2:])}


def _best(runs: list[dict]) -> dict:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    best = min(ok, key=lambda r: r["seconds"])
    best = dict(best)
    best["median"] = statistics.median(r["seconds"] for r in ok)
    best["peak_rss"] = max(r["peak_rss"] for r in ok)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000, help="events (default 10 M)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each variant (best is shown)")
    ap.add_argument("--fresh", action="store_true", help="write the Parquet file again")
    ap.add_argument(
        "--memory-limit",
        default="3GB",
        help="DuckDB memory_limit of every variant (default 3GB; 'default': DuckDB's 80%% of RAM)",
    )
    ap.add_argument(
        "--profile", action="store_true", help="also time each step of the library's load"
    )
    ap.add_argument("--data", type=Path, default=DATA, help="folder for the generated files")
    ap.add_argument("--child", choices=CHILDREN, help=argparse.SUPPRESS)
    ap.add_argument("--parquet", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    limit = None if args.memory_limit in ("default", "none", "") else args.memory_limit
    args.memory_limit = limit

    if args.child:
        out = CHILDREN[args.child](args)
        out["peak_rss"] = peak_rss_self()
        args.result.write_text(json.dumps(out))
        return 0

    rows, repeat = args.rows, max(1, args.repeat)
    parquet = args.data / f"interactions-{rows}.parquet"
    print(f"ingest benchmark — {rows:,} interaction events from Parquet")
    for line in machine_lines():
        print(line)
    made = make_parquet(parquet, rows, args.fresh)
    state = "reused" if made is None else f"written in {made:.1f} s"
    print(f"input     {parquet} ({gib(parquet.stat().st_size)}, {state})")
    exp = _expected(parquet)
    print(
        f"          {exp['rows']:,} rows, {exp['distinct']:,} distinct event ids, "
        f"{exp['measures']:,} non-null measure values ({', '.join(MEASURE_COLUMNS)})"
    )
    print(
        f"duckdb    memory_limit {limit or 'default (80% of RAM)'} in every variant; "
        f"each variant in its own process; best of {repeat}"
    )
    print()

    lib_db = args.data / "ingest-library.duckdb"
    raw_db = args.data / "ingest-raw.duckdb"
    copy_db = args.data / "ingest-copy.duckdb"
    results: dict[str, dict] = {}
    order = [
        ("copy", copy_db, "plain COPY into one table (reference)"),
        ("raw", raw_db, "raw INSERT … SELECT: events + measures"),
        ("library", lib_db, "library ws.load(...) into a fresh store"),
        ("reload", lib_db, "library re-load of the same file (all dups)"),
    ]
    for variant, db, _ in order:
        runs = []
        for _ in range(repeat if variant != "reload" else 1):
            if variant == "reload" and "error" in results.get("library", {}):
                break
            runs.append(run_child(variant, parquet, db, limit))
        results[variant] = _best(runs) if runs else {"error": "not run"}

    print(
        f"{'variant':<46}{'seconds':>9}{'CPU s':>8}{'close s':>9}{'rows/s':>12}"
        f"{'peak RSS':>11}{'RSS before':>12}"
    )
    for variant, _, label in order:
        r = results[variant]
        if "error" in r:
            print(f"{label:<46}  FAILED ({r['error']})")
            continue
        print(
            f"{label:<46}{r['seconds']:>9.2f}{r['cpu']:>8.2f}{r['close_seconds']:>9.2f}"
            f"{rows / r['seconds']:>12,.0f}{gib(r['peak_rss']):>11}{gib(r['rss_before']):>12}"
        )
    print()

    lib, raw = results["library"], results["raw"]
    problems = []
    for variant in ("library", "reload"):
        r = results[variant]
        if "report" in r:
            rep = r["report"]
            print(
                f"{variant:<8} report: {rep['rows_read']:,} read, {rep['added']:,} added, "
                f"{rep['duplicates']:,} duplicates, {rep['quarantined']:,} quarantined; stored "
                + ", ".join(f"{k} {v:,}" for k, v in r["counts"].items())
            )
    if "counts" in lib and "counts" in raw:
        for t in ("interactions", "measures"):
            if lib["counts"][t] != raw["counts"][t]:
                problems.append(
                    f"{t}: library stored {lib['counts'][t]:,}, raw {raw['counts'][t]:,}"
                )
        if raw["counts"]["interactions"] != exp["rows"]:
            problems.append(f"raw stored {raw['counts']['interactions']:,} of {exp['rows']:,}")
        if raw["counts"]["measures"] != exp["measures"]:
            problems.append(f"raw stored {raw['counts']['measures']:,} of {exp['measures']:,}")
    rel = results["reload"]
    if "report" in rel and (rel["report"]["added"] or rel["report"]["duplicates"] != rows):
        problems.append(f"re-load added {rel['report']['added']:,} (expected 0)")
    print(
        "landed    "
        + (
            "DIFFERS: " + "; ".join(problems)
            if problems
            else "the same numbers of events and measure values in both stores"
        )
    )
    print()

    if "error" not in lib and "error" not in raw:
        ratio = lib["seconds"] / raw["seconds"]
        print(
            f"library / raw INSERT … SELECT   {ratio:6.2f}×       target ≤ {RAW_MAX}×    "
            f"{verdict(ratio <= RAW_MAX)}"
        )
        with_close = (lib["seconds"] + lib["close_seconds"]) / (
            raw["seconds"] + raw["close_seconds"]
        )
        print(f"  (including closing the store: {with_close:.2f}×)")
        if "error" not in results["copy"]:
            print(f"  (library / plain COPY: {lib['seconds'] / results['copy']['seconds']:.2f}×)")
        print(
            f"library peak RSS                {gib(lib['peak_rss']):>9}    target < 4 GB     "
            f"{verdict(lib['peak_rss'] < RSS_MAX)}"
        )
        if "error" not in rel:
            print(
                f"re-load peak RSS                {gib(rel['peak_rss']):>9}    target < 4 GB     "
                f"{verdict(rel['peak_rss'] < RSS_MAX)}"
            )
    else:
        print("targets   not judged: a variant failed")

    if args.profile:
        print()
        r = run_child("profile", parquet, lib_db, limit)
        if "error" in r:
            print(f"profile   FAILED ({r['error']})")
        else:
            print(f"profile of one library load ({r['seconds']:.2f} s in all), in call order:")
            total = 0.0
            for step, secs in r["steps"]:
                total += secs
                print(f"  {secs:8.2f} s  {step[:110]}")
            print(f"  {r['seconds'] - total:8.2f} s  (the rest: Python, expression building)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
