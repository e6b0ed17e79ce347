"""``moments demo``: generate the retailer's year, load it through the normal API, judge it."""

from __future__ import annotations

import contextlib
import tempfile
import time
from importlib import resources
from pathlib import Path

from rich.console import Console

import moments
from moments.workspace import Workspace

KINDS = ("customer", "interaction", "feedback", "comment", "outcome")


def example_journey(name: str = "retail-store-visit") -> Path:
    """Path of a journey shipped with the package."""
    return Path(str(resources.files("moments.journey") / "examples" / f"{name}.yaml"))


def build_demo(
    db: str | Path,
    customers: int = 20_000,
    seed: int = 7,
    console: Console | None = None,
) -> tuple[Workspace, dict[str, float]]:
    """Write a fresh demo store at ``db``; returns it open, with the seconds each step took."""
    from moments.demo.generator import generate
    from moments.demo.outreach import add_outreach_history

    console = console or Console(stderr=True, quiet=True)
    db = Path(db)
    for p in (db, db.with_name(db.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with console.status("generating a year of demo data…"):
        data = generate(seed=seed, customers=customers)
    timings["generate"] = time.perf_counter() - t0
    ws = moments.open(db)
    try:
        ws.add_journey(example_journey())
        with tempfile.TemporaryDirectory(prefix="moments-demo-") as tmp:
            files = data.write(Path(tmp), "parquet")
            t0 = time.perf_counter()
            for kind in KINDS:
                with console.status(f"loading {kind} events…"):
                    report = ws.load(files[kind], kind)
                if report.quarantined:
                    raise RuntimeError(f"demo data was quarantined: {report.problems[:3]}")
            timings["load"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        with console.status("judging every lived moment…"):
            ws.judge()
        timings["judge"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        with console.status("adding consents, contacts and cases…"):
            add_outreach_history(ws, seed=seed)
        timings["contact history"] = time.perf_counter() - t0
    except BaseException:
        ws.close()
        raise
    return ws, timings
