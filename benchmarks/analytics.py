"""Benchmark: every analysis of the method on the demo store scaled to ~1 M customers.

Issue target: on 2 cores, each analysis (key moments, basics, weakest link, consistency,
defection risk, the four R's) under 60 s and under 6 GB of memory, on 10 M lived moments /
1 M customers.

    /work/venv/bin/python benchmarks/analytics.py [--customers 1000000] [--only drivers risk]

The store is the demo's generator at ``--customers`` (the demo has ~12 lived moments per
customer, so 1 M customers give ~12 M lived moments), built through the normal load and judge
path once into ``benchmarks/.data/analytics-<customers>.duckdb`` and reused. Each analysis
runs in a fresh process so that its peak memory (VmHWM) is its own; the baseline, measured in
the same run, is the per-moment scorecard (one aggregation over every judged lived moment):
the ratio says how many scorecards' worth of time an analysis costs.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path
from typing import Any

from _common import DATA, gib, machine_lines, peak_rss_self, remove_db, verdict

SECONDS_MAX = 60.0
MEMORY_MAX = 6 * 2**30
MEMORY_LIMIT = "3GB"  # DuckDB's own cap; pandas / numpy / scikit-learn work comes on top

ANALYSES = {
    "scorecard": "baseline: per-moment scorecard",
    "drivers": "key moments (relative weights, 200 bootstraps)",
    "basics": "basics vs differentiators (penalty-reward)",
    "weakest": "weakest link (5-fold logistic, min vs mean)",
    "consistency": "consistency: spread per dimension",
    "collapses": "consistency: collapse search",
    "dazzle": "consistency: dazzle then disappoint",
    "curve": "defection by number of negatives",
    "risk": "defection risk: fit, validate, score everyone",
    "impact": "the four R's (OLS, HC1)",
}


def _run(db: str, name: str, queue: Any) -> None:
    import moments
    from moments.settings import Settings

    ws = moments.open(db, settings=Settings(memory_limit=MEMORY_LIMIT), create=False)
    calls = {
        "scorecard": lambda: ws.scorecard("moment").to_pyarrow(),
        "drivers": lambda: ws.drivers("repeat_purchase"),
        "basics": lambda: ws.basics("repeat_purchase"),
        "weakest": lambda: ws.weakest_link("repeat_purchase"),
        "consistency": lambda: ws.consistency(),
        "collapses": lambda: ws.collapses(),
        "dazzle": lambda: ws.dazzle_then_disappoint(),
        "curve": lambda: ws.negatives_curve(),
        "risk": lambda: ws.risk(),
        "impact": lambda: ws.impact(),
    }
    t0 = time.perf_counter()
    out = calls[name]()
    took = time.perf_counter() - t0
    rows = getattr(out, "num_rows", None) or len(out)
    queue.put((took, peak_rss_self(), rows))


def measure(db: Path, name: str) -> tuple[float, int, int]:
    """Seconds, peak memory and result rows of one analysis, in its own process."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_run, args=(str(db), name, q))
    p.start()
    p.join()
    if p.exitcode != 0:
        raise RuntimeError(f"{name} failed with exit code {p.exitcode}")
    return q.get()


def build(db: Path, customers: int, fresh: bool) -> float | None:
    if db.exists() and not fresh:
        return None
    from moments.demo.build import build_demo

    remove_db(db)
    t0 = time.perf_counter()
    ws, timings = build_demo(db, customers=customers)
    info = ws.info()
    ws.close()
    print(
        f"built     {info['tables']['judgements']:,} judged lived moments for {customers:,} "
        f"customers in {time.perf_counter() - t0:.0f} s "
        f"({', '.join(f'{k} {v:.0f} s' for k, v in timings.items())})"
    )
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--only", nargs="+", choices=[n for n in ANALYSES if n != "scorecard"])
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--data", type=Path, default=DATA)
    a = ap.parse_args(argv)
    a.data.mkdir(parents=True, exist_ok=True)
    db = a.data / f"analytics-{a.customers}.duckdb"
    print(f"analytics benchmark — demo store at {a.customers:,} customers")
    for line in machine_lines():
        print(line)
    build(db, a.customers, a.fresh)
    import moments

    with moments.open(db, create=False) as ws:
        lived = ws.store.count("judgements")
        people = ws.judgements().customer_id.nunique().to_pyarrow().as_py()
    print(f"store     {db}: {lived:,} lived moments, {people:,} customers")
    print()
    print(f"{'analysis':<52}{'seconds':>9}{'× base':>9}{'peak memory':>13}{'rows':>10}  verdict")
    base, _, _ = measure(db, "scorecard")
    print(f"{ANALYSES['scorecard']:<52}{base:>9.2f}{1:>9.1f}{'':>13}{'':>10}")
    failed = 0
    for name in a.only or [n for n in ANALYSES if n != "scorecard"]:
        took, peak, rows = measure(db, name)
        ok = took < SECONDS_MAX and peak < MEMORY_MAX
        failed += not ok
        print(
            f"{ANALYSES[name]:<52}{took:>9.2f}{took / base:>9.1f}{gib(peak):>13}{rows:>10,}  "
            f"{verdict(ok)}"
        )
    print()
    print(
        f"targets: each < {SECONDS_MAX:.0f} s and < {gib(MEMORY_MAX)} "
        f"({'all met' if not failed else f'{failed} missed'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
