"""Web load benchmark: 50 concurrent clients on loopback against the dashboard over 10 M lived
moments, for a bounded time. Target: p95 < 200 ms and no errors. Also times the library calls
behind the same pages alone, so the web's overhead shows as a ratio.

    python benchmarks/web_load.py                  # 10 M lived moments, 50 clients, 60 s
    python benchmarks/web_load.py --rows 1000000 --seconds 20

The server runs as `moments serve` in its own process; clients only ever talk to 127.0.0.1.
The dashboard caches each answer until the store changes (see moments.web.cache), so the run
reports the first, uncached request of each page separately ("cold"), then the steady state.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
from _common import DATA, machine_lines, retail_moments, verdict
from scorecard import build_store

P95_MAX = 0.200
MOMENT_IDS, _ = retail_moments()
PATHS = ["/", "/map", *[f"/moments/{m}" for m in MOMENT_IDS], "/api/scorecard?by=moment"]

# some words behind a tenth of the negatives, so the moment pages have comments to show
COMMENTS = """
INSERT INTO comments
SELECT 'com-' || lived_id, customer_id, occurred_at + INTERVAL 2 HOUR,
       'Not what I expected at ' || moment_id || ', waited far too long', lived_id, moment_id,
       channel, 'bench'
FROM judgements WHERE valence = 'negative' AND hash(lived_id) % 10 = 0
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def _line(label: str, lat: list[float], seconds: float | None = None, errors: int = 0) -> str:
    rps = f"{len(lat) / seconds:9.1f}" if seconds else " " * 9
    return (
        f"{label:<34}{len(lat):>8}{rps}{_pct(lat, 0.5) * 1000:>9.1f}{_pct(lat, 0.95) * 1000:>9.1f}"
        f"{_pct(lat, 0.99) * 1000:>9.1f}{errors:>8}"
    )


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    """One keep-alive HTTP/1.1 GET; returns the status. (httpx's async client costs more CPU
    per request than the server does on a cache hit, so on 2 cores it would measure itself.)"""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    else:  # chunked
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _client(port: int, deadline: float, lat: list[float], errs: list[str], seed: int) -> None:
    rnd = random.Random(seed)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            path = rnd.choice(PATHS)
            t0 = time.perf_counter()
            try:
                status = await asyncio.wait_for(_get(reader, writer, path), timeout=60)
                if status != 200:
                    errs.append(f"{path}: {status}")
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as e:
                errs.append(f"{path}: {type(e).__name__}")
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            lat.append(time.perf_counter() - t0)
    finally:
        writer.close()


async def _load(port: int, clients: int, seconds: float) -> tuple[list[float], list[str], float]:
    lat: list[float] = []
    errs: list[str] = []
    t0 = time.perf_counter()
    deadline = t0 + seconds
    await asyncio.gather(*[_client(port, deadline, lat, errs, i) for i in range(clients)])
    return lat, errs, time.perf_counter() - t0


def library_alone(path: Path, repeat: int) -> list[float]:
    """The Workspace calls behind one overview, map and moment page, timed without the web."""
    import moments

    lat = []
    with moments.open(path, create=False) as ws:
        for i in range(repeat):
            m = MOMENT_IDS[i % len(MOMENT_IDS)]
            t0 = time.perf_counter()
            ws.totals().to_pyarrow()
            ws.trend(period="week").to_pyarrow()
            ws.key_moments().to_pyarrow()
            ws.weakest_moments().to_pyarrow()
            ws.movers().to_pyarrow()
            lat.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ws.scorecard("moment").to_pyarrow()
            lat.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ws.scorecard("moment", moment_id=m).to_pyarrow()
            ws.trend(period="week", moment_id=m).to_pyarrow()
            ws.scorecard(["moment", "location"], moment_id=m).to_pyarrow()
            ws.evidence(m, limit=40).to_pyarrow()
            lat.append(time.perf_counter() - t0)
    return lat


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--data", type=Path, default=DATA)
    a = ap.parse_args(argv)
    db = a.data / f"web-{a.rows}.duckdb"
    print(f"web load benchmark — {a.rows:,} lived moments, {a.clients} clients, {a.seconds:.0f} s")
    for line in machine_lines():
        print(line)
    built = build_store(db, a.rows, a.fresh)
    if built is not None:
        with duckdb.connect(str(db)) as con:
            con.execute(COMMENTS)
            con.execute("CHECKPOINT")
    print(f"store     {db} ({f'built in {built:.1f} s' if built else 'reused'})")

    lib = library_alone(db, repeat=3)
    port = _free_port()
    env = {**os.environ, "MOMENTS_DATABASE_URL": str(db)}
    server = subprocess.Popen(
        [sys.executable, "-m", "moments.cli.app", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # up to 60 s to start
            try:
                httpx.get(base + "/api/moments", timeout=1)
                break
            except httpx.HTTPError:
                if server.poll() is not None:
                    print(server.stderr.read().decode() if server.stderr else "server died")
                    return 1
                time.sleep(0.1)
        cold = []
        for path in PATHS:  # the first request of each page computes it
            t0 = time.perf_counter()
            httpx.get(base + path, timeout=120).raise_for_status()
            cold.append(time.perf_counter() - t0)
        lat, errs, took = asyncio.run(_load(port, a.clients, a.seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print()
    print(
        f"{'':<34}{'requests':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
    )
    print(_line("library calls alone (per page)", lib))
    print(_line("web, first request of each page", cold))
    print(_line(f"web, {a.clients} clients, steady state", lat, took, len(errs)))
    p95 = _pct(lat, 0.95)
    print()
    print(
        f"web p95 {p95 * 1000:.1f} ms   target < {P95_MAX * 1000:.0f} ms   "
        f"{verdict(p95 < P95_MAX and not errs)}   errors {len(errs)}"
    )
    print(
        f"web p50 / library p50 per page: {_pct(lat, 0.5) / statistics.median(lib):.3f}×  "
        f"(uncached: {statistics.median(cold) / statistics.median(lib):.2f}×)"
    )
    if errs:
        print("first errors:", errs[:5])
    return 0


if __name__ == "__main__":
    sys.exit(main())
