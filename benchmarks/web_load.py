"""Web load benchmark: 50 concurrent clients on loopback against the dashboard, the JSON API,
the customer card and the survey page, for a bounded time; it stops by itself. Target: p95 <
200 ms and no errors (issue 10: 50 clients for 10 minutes, 0 errors, p95 reported). Also times
the library calls behind the same pages alone, so the web's overhead shows as a ratio.

    python benchmarks/web_load.py                                 # 10 M lived moments, 60 s
    python benchmarks/web_load.py --rows 1000000 --seconds 600    # issue 10: 10 minutes
    python benchmarks/web_load.py --rows 1000000 --seconds 20 --token TOKEN

The server runs as `moments serve` in its own process; clients only ever talk to 127.0.0.1.
With ``--token`` every request carries ``Authorization: Bearer TOKEN`` (a store with users
requires log-in; without users the app runs as the single-user default on loopback).
Each client picks an endpoint at random from the mix below (pages, API with several
``by``, evidence, card page and API, survey link, health) and reports p50/p95/p99 overall and
per endpoint. The dashboard caches each answer until the store changes (see
moments.web.cache), so the run reports the first, uncached request of each endpoint separately
("cold"), then the steady state.
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
CUSTOMERS = [f"c{i:07d}" for i in (1, 7, 42, 999, 31337, 271828, 500000, 999983)]

# (label, weight, paths to pick from): {m} a moment, {c} a customer, {t} a survey link's token
ENDPOINTS: list[tuple[str, int, list[str]]] = [
    ("page /", 3, ["/"]),
    ("page /map", 2, ["/map"]),
    ("page /moments/{m}", 3, ["/moments/{m}"]),
    ("page /owners", 1, ["/owners"]),
    ("page /card/{c}", 2, ["/card/{c}"]),
    ("page /s/{token} (survey GET)", 2, ["/s/{t}"]),
    ("api /api/scorecard?by=…", 4, ["/api/scorecard?by=moment", "/api/scorecard?by=location",
                                    "/api/scorecard?by=week", "/api/scorecard?by=owner",
                                    "/api/scorecard?by=channel&by=month",
                                    "/api/scorecard?by=moment&by=location"]),
    ("api /api/totals", 1, ["/api/totals"]),
    ("api /api/moments/{m}/comments", 2, ["/api/moments/{m}/comments"]),
    ("api /api/card/{c}", 2, ["/api/card/{c}"]),
    ("health /healthz", 1, ["/healthz"]),
]  # fmt: skip

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
        f"{label:<40}{len(lat):>8}{rps}{_pct(lat, 0.5) * 1000:>9.1f}{_pct(lat, 0.95) * 1000:>9.1f}"
        f"{_pct(lat, 0.99) * 1000:>9.1f}{errors:>8}"
    )


class Mix:
    """Picks endpoints by weight and fills their paths; collects latencies per endpoint."""

    def __init__(self, token_for: dict[str, str]) -> None:
        self.token_for = token_for  # survey link token per customer
        self.labels = [label for label, _, _ in ENDPOINTS]
        self.weights = [w for _, w, _ in ENDPOINTS]
        self.lat: dict[str, list[float]] = {label: [] for label in self.labels}
        self.errs: dict[str, list[str]] = {label: [] for label in self.labels}

    def fill(self, template: str, rnd: random.Random) -> str:
        c = rnd.choice(CUSTOMERS)
        return template.format(m=rnd.choice(MOMENT_IDS), c=c, t=self.token_for[c])

    def pick(self, rnd: random.Random) -> tuple[str, str]:
        i = rnd.choices(range(len(ENDPOINTS)), self.weights)[0]
        label, _, templates = ENDPOINTS[i]
        return label, self.fill(rnd.choice(templates), rnd)

    def every(self) -> list[tuple[str, str]]:
        """Every path the clients may ask for, once (each moment, each customer)."""
        out = []
        for label, _, templates in ENDPOINTS:
            for t in templates:
                ms = MOMENT_IDS if "{m}" in t else MOMENT_IDS[:1]
                cs = CUSTOMERS if "{c}" in t or "{t}" in t else CUSTOMERS[:1]
                paths = {t.format(m=m, c=c, t=self.token_for[c]) for m in ms for c in cs}
                out += [(label, path) for path in sorted(paths)]
        return out


async def _get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, auth: str
) -> int:
    """One keep-alive HTTP/1.1 GET; returns the status. (httpx's async client costs more CPU
    per request than the server does on a cache hit, so on 2 cores it would measure itself.)"""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode())
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


async def _client(port: int, deadline: float, mix: Mix, auth: str, seed: int) -> None:
    rnd = random.Random(seed)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            label, path = mix.pick(rnd)
            t0 = time.perf_counter()
            try:
                status = await asyncio.wait_for(_get(reader, writer, path, auth), timeout=60)
                if status != 200:
                    mix.errs[label].append(f"{path}: {status}")
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as e:
                mix.errs[label].append(f"{path}: {type(e).__name__}")
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            mix.lat[label].append(time.perf_counter() - t0)
    finally:
        writer.close()


async def _load(port: int, clients: int, seconds: float, mix: Mix, auth: str) -> float:
    t0 = time.perf_counter()
    deadline = t0 + seconds
    await asyncio.gather(*[_client(port, deadline, mix, auth, i) for i in range(clients)])
    return time.perf_counter() - t0


def add_customers(path: Path) -> None:
    """Profiles for the load-test customers, so their cards exist (the store holds judgements
    only); added once."""
    values = ", ".join(
        f"('cust-{c}', '{c}', TIMESTAMPTZ '2025-01-01 00:00:00+00', 'regular', '{c}@example.com',"
        f" NULL, 'Europe/London', 'bench')"
        for c in CUSTOMERS
    )
    with duckdb.connect(str(path)) as con:
        con.execute(
            f"INSERT INTO customers SELECT * FROM (VALUES {values}) AS v "
            "WHERE v.col1 NOT IN (SELECT customer_id FROM customers)"
        )
        con.execute("CHECKPOINT")


def survey_tokens(path: Path) -> dict[str, str]:
    """A survey link for each load-test customer, signed with the store's secret."""
    import moments
    from moments.survey import make_token, store_secret

    with moments.open(path, create=False) as ws:
        secret = store_secret(ws)
    return {c: make_token(secret, c, MOMENT_IDS[i % len(MOMENT_IDS)]) for i, c in
            enumerate(CUSTOMERS)}  # fmt: skip


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
    ap.add_argument("--rows", type=int, default=10_000_000, help="lived moments in the store")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0, help="issue 10: 600")
    ap.add_argument("--token", help="API token, sent as 'Authorization: Bearer TOKEN'")
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

    add_customers(db)
    lib = library_alone(db, repeat=3)
    mix = Mix(survey_tokens(db))
    auth = f"Authorization: Bearer {a.token}\r\n" if a.token else ""
    headers = {"Authorization": f"Bearer {a.token}"} if a.token else {}
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
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if server.poll() is not None:
                    print(server.stderr.read().decode() if server.stderr else "server died")
                    return 1
                time.sleep(0.1)
        cold = []
        for _, path in mix.every():  # the first request of each path computes it
            t0 = time.perf_counter()
            httpx.get(base + path, headers=headers, timeout=120).raise_for_status()
            cold.append(time.perf_counter() - t0)
        started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        took = asyncio.run(_load(port, a.clients, a.seconds, mix, auth))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # still finishing a request: the run is over anyway
            server.kill()
            server.wait()
    lat = [x for xs in mix.lat.values() for x in xs]
    errs = [e for es in mix.errs.values() for e in es]
    print(f"\nload ran from {started} for {took:.0f} s and stopped by itself")
    print(
        f"{'':<40}{'requests':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
    )
    print(_line("library calls alone (per page)", lib))
    print(_line("web, first request of each path", cold))
    print(_line(f"web, {a.clients} clients, steady state", lat, took, len(errs)))
    print("  per endpoint:")
    for label in mix.labels:
        print(_line(f"  {label}", mix.lat[label], took, len(mix.errs[label])))
    p95 = _pct(lat, 0.95)
    print()
    print(
        f"requests {len(lat)}   errors {len(errs)}   p50 {_pct(lat, 0.5) * 1000:.1f} ms   "
        f"p95 {p95 * 1000:.1f} ms   p99 {_pct(lat, 0.99) * 1000:.1f} ms   "
        f"target p95 < {P95_MAX * 1000:.0f} ms and 0 errors: {verdict(p95 < P95_MAX and not errs)}"
    )
    print(
        f"web p50 / library p50 per page: {_pct(lat, 0.5) / statistics.median(lib):.3f}×  "
        f"(uncached: {statistics.median(cold) / statistics.median(lib):.2f}×)"
    )
    if errs:
        print("first errors:", errs[:5])
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
