"""Helpers shared by the hand-run benchmarks: machine description, timing, data folder."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / ".data"


def ram_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gib(n: float) -> str:
    """A byte count as GiB, or MiB below 1 GiB."""
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def machine_lines() -> list[str]:
    import duckdb
    import ibis
    import pandas
    import pyarrow

    return [
        f"machine   {os.cpu_count()} cores ({cpu_model()}), {gib(ram_bytes())} RAM, "
        f"{platform.system()} {platform.release()}",
        f"load      {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15-min load average at "
        "start; other busy processes skew the timings)",
        f"software  Python {platform.python_version()}, duckdb {duckdb.__version__}, "
        f"ibis {ibis.__version__}, pandas {pandas.__version__}, pyarrow {pyarrow.__version__}",
    ]


def peak_rss_self() -> int:
    """Peak resident set size of this process so far, in bytes.

    On Linux this is ``VmHWM`` of /proc/self/status, the high-water mark of this program's own
    memory. ``getrusage``'s ``ru_maxrss`` is not used there: Linux carries it over from the
    parent process across fork/vfork + exec, so a child started by a process that once used
    800 MiB reports at least 800 MiB (``RUSAGE_CHILDREN`` has the same flaw).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def cpu_seconds() -> float:
    """User + system CPU time of this process so far, all threads."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(
    fn: Callable[[], Any], repeat: int, warmup: int = 1
) -> tuple[list[float], list[float], Any]:
    """Run ``fn`` ``warmup`` times untimed, then ``repeat`` times.

    Returns the wall-clock seconds and the CPU seconds of each timed run, and the last result.
    """
    out = None
    for _ in range(warmup):
        out = fn()
    secs, cpus = [], []
    for _ in range(repeat):
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        out = fn()
        secs.append(time.perf_counter() - t0)
        cpus.append(cpu_seconds() - c0)
    return secs, cpus, out


def summary(secs: list[float]) -> tuple[float, float]:
    """(best, median) of a list of timings."""
    return min(secs), statistics.median(secs)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def remove_db(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def retail_moments() -> tuple[list[str], list[str]]:
    """The retail example journey's moment ids and their touchpoints' channels, in order.

    Read with PyYAML alone, so that scripts measuring raw DuckDB do not import the library.
    """
    import yaml

    path = Path(__file__).resolve().parent.parent / "src/moments/journey/examples"
    journey = yaml.safe_load((path / "retail-store-visit.yaml").read_text(encoding="utf-8"))
    pairs = [
        (m["id"], tp["channel"])
        for stage in journey["stages"]
        for tp in stage["touchpoints"]
        for m in tp["moments"]
    ]
    return [p[0] for p in pairs], [p[1] for p in pairs]
