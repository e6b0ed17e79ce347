"""Reliability: kill -9 a ``moments load`` of 1 M events at random points (issue 10).

    /work/venv/bin/python benchmarks/crash_loads.py [--trials 20] [--seed 1] [--rows 1000000]

The file is the scale benchmark's first block of interactions (~1 M events with their measures,
generated once into ``benchmarks/.data/``). One uninterrupted load measures how long a load
takes; then each trial starts ``moments load`` on a fresh store (the journey registered, no
events), sends SIGKILL after 2–130 % of that time (so some land during the commit or after
it), and checks:

- the store opens cleanly;
- it holds either none or all of the file's events, and the measures and the load's record
  agree with that (nothing half-written);
- loading the same file again leaves exactly the file's events: none lost, none doubled.

Prints each trial and the totals: trials, kills that hit a running load, faults survived,
events lost, events doubled (both must be 0).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import DATA, machine_lines
from scale import block_files, plan

import moments
from moments.demo.build import example_journey


def _load_cmd(file: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "moments.cli.app", "load", str(file), "--kind", "interaction",
            "--db", str(db)]  # fmt: skip


def _state(db: Path) -> tuple[int, int, int, int]:
    """(events, distinct events, measures, loads) of the store, opened as a user would."""
    with moments.open(db, create=False) as ws:
        t = ws.events("interaction")
        n = ws.store.count("interactions")
        distinct = int(t.event_id.nunique().to_pyarrow().as_py())
        return n, distinct, ws.store.count("measures"), ws.store.count("loads")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rows", type=float, default=1e6, help="about this many events")
    a = ap.parse_args(argv)
    print(f"crash-safe loads — {a.trials} trials of kill -9 during `moments load`")
    for line in machine_lines():
        print(line)
    _, per_block = plan(int(a.rows), 10**9)
    file = block_files(0, per_block, DATA / "scale-blocks")["interaction"]
    work = Path(tempfile.mkdtemp(prefix="moments-crash-"))
    try:
        empty = work / "empty.duckdb"
        with moments.open(empty) as ws:
            ws.add_journey(example_journey())
        full = work / "full.duckdb"
        shutil.copy(empty, full)
        t0 = time.perf_counter()
        subprocess.run(_load_cmd(file, full), check=True, capture_output=True)
        took = time.perf_counter() - t0
        want_n, _, want_m, _ = _state(full)
        print(f"file      {file} — {want_n:,} events, {want_m:,} measures")
        print(f"full load {took:.1f} s (kills land between 2 % and 130 % of that)\n")
        rng = random.Random(a.seed)
        hit = survived = lost = doubled = 0
        for trial in range(1, a.trials + 1):
            db = work / f"t{trial}.duckdb"
            shutil.copy(empty, db)
            wait = rng.uniform(0.02, 1.3) * took  # past the end too: kills during the commit
            proc = subprocess.Popen(
                _load_cmd(file, db), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            time.sleep(wait)
            running = proc.poll() is None
            if running:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            hit += running
            n, distinct, m, loads = _state(db)  # opens cleanly, or raises
            whole = (n, m, loads) in ((0, 0, 0), (want_n, want_m, 1)) and n == distinct
            done = subprocess.run(_load_cmd(file, db), capture_output=True, text=True)
            n2, distinct2, m2, _ = _state(db)
            ok = whole and done.returncode == 0 and (n2, distinct2, m2) == (want_n, want_n, want_m)
            survived += ok
            lost += max(0, want_n - distinct2)
            doubled += n2 - distinct2
            when = "mid-load" if running else "after"
            print(f"trial {trial:>2}: kill at {wait:5.1f} s ({when}), "
                  f"then {n:,} events / {m:,} measures / {loads} load records; "
                  f"reloaded → {n2:,} events, {distinct2:,} distinct: "
                  f"{'OK' if ok else 'FAIL'}")  # fmt: skip
            for p in (db, db.with_name(db.name + ".wal")):
                p.unlink(missing_ok=True)
        print(f"\ntrials {a.trials}, kills during a load {hit}, survived {survived}, "
              f"events lost {lost}, events doubled {doubled} — "
              f"{'PASS' if survived == a.trials and lost == doubled == 0 else 'FAIL'}")  # fmt: skip
        return 0 if survived == a.trials else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
