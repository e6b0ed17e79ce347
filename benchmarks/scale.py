"""Benchmark: the same store on DuckDB and PostgreSQL — load, judge, scorecard, customers,
key moments and defection risk — at a chosen size (issue 7; Spark is not there yet).

    /work/venv/bin/python benchmarks/scale.py --customers 83000 --pg-url postgresql://postgres@127.0.0.1:55432/postgres

The demo generator writes the events as Parquet (``benchmarks/.data/scale-<n>/``, 5 s at 1 M; ~12
lived moments per customer, so 83,000 customers ≈ 1 M lived moments). Each engine then loads
them through the normal ``ws.load`` path into a fresh store (a new DuckDB file; a new database
on the PostgreSQL server at ``--pg-url``, dropped afterwards), judges, and answers the
questions. The baseline is DuckDB, measured in the same run: the PostgreSQL column is its
time over DuckDB's. Without ``--pg-url`` only DuckDB runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import DATA, gib, machine_lines, peak_rss_self, remove_db

import moments
from moments.demo.build import KINDS, example_journey

STEPS: dict[str, Callable[[moments.Workspace], Any]] = {
    "scorecard by moment": lambda ws: ws.scorecard("moment").to_pyarrow(),
    "scorecard by location × week": lambda ws: ws.scorecard(["location", "week"]).to_pyarrow(),
    "customers (negatives, weakest)": lambda ws: ws.customers().to_pyarrow(),
    "key moments": lambda ws: ws.drivers(),
    "defection risk": lambda ws: ws.risk(),
    "the four R's": lambda ws: ws.impact(),
}


def _files(customers: int, root: Path) -> dict[str, Path]:
    folder = root / f"scale-{customers}"
    files = {k: folder / f"{k}.parquet" for k in KINDS}
    if all(p.exists() for p in files.values()):
        return files
    from moments.demo.generator import generate

    t0 = time.perf_counter()
    written = generate(seed=7, customers=customers).write(folder, "parquet")
    print(f"generated {customers:,} customers in {time.perf_counter() - t0:.0f} s → {folder}")
    return {k: Path(written[k]) for k in KINDS}


def _pg_database(url: str, name: str, drop: bool = False) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop:
            con.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + f"/{name}"


def run(url: str, files: dict[str, Path]) -> dict[str, float]:
    timings: dict[str, float] = {}
    with moments.open(url) as ws:
        ws.add_journey(example_journey())
        t0 = time.perf_counter()
        for kind in KINDS:
            ws.load(files[kind], kind)
        timings["load (all events)"] = time.perf_counter() - t0
        print(f"  {ws.store.engine}: loaded in {timings['load (all events)']:.1f} s", flush=True)
        t0 = time.perf_counter()
        ws.judge()
        timings["judge"] = time.perf_counter() - t0
        for name, step in STEPS.items():
            t0 = time.perf_counter()
            step(ws)
            timings[name] = time.perf_counter() - t0
            print(f"  {ws.store.engine}: {name} {timings[name]:.1f} s", flush=True)
        timings["_lived"] = ws.store.count("judgements")
    return timings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--customers", type=int, default=83_000)
    ap.add_argument("--pg-url", help="a PostgreSQL server to create a scratch database on")
    ap.add_argument("--data", type=Path, default=DATA)
    a = ap.parse_args(argv)
    print(f"scale benchmark — demo at {a.customers:,} customers")
    for line in machine_lines():
        print(line)
    files = _files(a.customers, a.data)
    duck_path = a.data / f"scale-{a.customers}.duckdb"
    remove_db(duck_path)
    results = {"duckdb": run(str(duck_path), files)}
    duck_peak = peak_rss_self()
    remove_db(duck_path)
    if a.pg_url:
        name = f"moments_scale_{a.customers}"
        try:
            results["postgres"] = run(_pg_database(a.pg_url, name), files)
        finally:
            _pg_database(a.pg_url, name, drop=True)
    lived = int(results["duckdb"].pop("_lived"))
    for r in results.values():
        r.pop("_lived", None)
    print(f"{lived:,} lived moments; peak memory of this process after DuckDB {gib(duck_peak)}")
    print()
    head = f"{'step':<34}{'DuckDB s':>10}"
    if "postgres" in results:
        head += f"{'PostgreSQL s':>14}{'× DuckDB':>10}"
    print(head)
    for step, secs in results["duckdb"].items():
        line = f"{step:<34}{secs:>10.2f}"
        if "postgres" in results:
            pg = results["postgres"][step]
            line += f"{pg:>14.2f}{pg / secs:>10.1f}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
