"""Customer card benchmark: 1 M customers, 10 M lived moments in DuckDB; p50/p95 of building one
customer's card through the library and over HTTP. Targets: p95 < 50 ms (library) and < 100 ms
(HTTP, the JSON API /api/card/{id}).

    python benchmarks/customer_card.py                       # 10 M lived moments, 1 M customers
    python benchmarks/customer_card.py --rows 1000000 --customers 100000 --samples 200

The store is generated with DuckDB SQL (the scorecard benchmark's 10 M judgements, plus
profiles, contacts, outcomes, comments and cases for the same customers), then:

1. the per-store context is built once (the risk model fitted on every customer, the
   transition counts) and timed on its own;
2. baseline: cards before the ``customer_id`` indexes exist (every table scanned);
3. ``moments card index`` is run, and cards are timed again for distinct random customers;
4. floor: the card's SQL alone, executed directly by DuckDB (what the engine costs);
5. HTTP: the app on 127.0.0.1, one request per distinct customer (the response cache never
   answers: each URL is new).
"""

from __future__ import annotations

import argparse
import random
import shutil
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import httpx
import uvicorn
from _common import DATA, machine_lines, verdict
from scorecard import build_store

import moments
from moments.frontline import card as card_mod
from moments.frontline.context import context
from moments.web.app import create_app

LIB_P95, HTTP_P95 = 0.050, 0.100

EXTRA = """
INSERT INTO customers
SELECT 'cust-' || i, printf('c%07d', i), TIMESTAMPTZ '2024-06-01 00:00:00+00'
       + to_seconds(CAST(hash(i, 11) % 15552000 AS BIGINT)),
       ['new', 'regular', 'loyal'][CAST(1 + hash(i, 12) % 3 AS BIGINT)],
       printf('customer%d@example.com', i),
       printf('+44 7700 %07d', i), 'Europe/London', 'bench'
FROM range({customers}) t(i);

INSERT INTO contacts
SELECT 'con-' || i, printf('c%07d', hash(i, 21) % {customers}),
       TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(CAST(hash(i, 22) % 31536000 AS BIGINT)),
       ['phone', 'chat', 'email'][CAST(1 + hash(i, 23) % 3 AS BIGINT)],
       ['inbound', 'outbound'][CAST(1 + hash(i, 24) % 2 AS BIGINT)],
       'question about an order', printf('e%03d', hash(i, 25) % 200), 'bench'
FROM range({contacts}) t(i);

INSERT INTO outcomes
SELECT 'out-' || i, printf('c%07d', hash(i, 31) % {customers}),
       TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(CAST(hash(i, 32) % 31536000 AS BIGINT)),
       CASE WHEN hash(i, 33) % 100 < 4 THEN 'defection' ELSE 'purchase' END,
       CAST(hash(i, 34) % 20000 AS DOUBLE) / 100, NULL, NULL, NULL, 'bench'
FROM range({outcomes}) t(i);

INSERT INTO comments
SELECT 'com-' || lived_id, customer_id, occurred_at + INTERVAL 2 HOUR,
       'Not what I expected at ' || moment_id || ', waited far too long', lived_id, moment_id,
       channel, 'bench'
FROM judgements WHERE valence = 'negative' AND hash(lived_id) % 10 = 0;

INSERT INTO cases
SELECT 'case-' || lived_id || ':opened', 'case-' || lived_id, customer_id,
       occurred_at + INTERVAL 1 DAY, 'opened', moment_id, lived_id,
       CASE moment_id WHEN 'dressing-room' THEN 'stylists' WHEN 'styling-advice' THEN 'stylists'
                      WHEN 'returns-call' THEN 'contact-centre' ELSE 'store-ops' END,
       'negative: ' || reason, 'bench'
FROM judgements
WHERE valence = 'negative' AND hash(lived_id) % 4 = 0
  AND moment_id IN ('greeting', 'dressing-room', 'styling-advice', 'checkout', 'returns-call');
"""


def prepare(path: Path, rows: int, customers: int, fresh: bool) -> None:
    t0 = time.perf_counter()
    built = build_store(path, rows, fresh)  # the judgements: customers c0000000..c0999999
    if customers != 1_000_000:
        with duckdb.connect(str(path)) as con:
            con.execute(
                f"UPDATE judgements SET customer_id = printf('c%07d', "
                f"CAST(substr(customer_id, 2) AS BIGINT) % {customers}) "
                f"WHERE CAST(substr(customer_id, 2) AS BIGINT) >= {customers}"
            )
    with duckdb.connect(str(path)) as con:
        have = con.sql("SELECT count(*) FROM customers").fetchone()
        if built is None and have and have[0] == customers:
            print(f"  reusing {path.name}")
            return
        for t in ("customers", "contacts", "outcomes", "comments", "cases"):
            con.execute(f"DELETE FROM {t}")
        con.execute(EXTRA.format(customers=customers, contacts=2 * customers, outcomes=customers))
        con.execute("CHECKPOINT")
        sizes = {
            t: con.sql(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in ("judgements", "customers", "contacts", "outcomes", "comments", "cases")
        }
    print(f"  generated in {time.perf_counter() - t0:.1f} s: {sizes}")


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def line(label: str, secs: list[float]) -> str:
    return (
        f"{label:<44}{len(secs):>6}{statistics.median(secs) * 1000:>10.1f}"
        f"{pct(secs, 0.95) * 1000:>10.1f}{max(secs) * 1000:>10.1f}"
    )


def time_each(fn: Callable[[str], object], ids: list[str]) -> list[float]:
    """Seconds of ``fn(customer_id)`` for each id."""
    out = []
    for cid in ids:
        t0 = time.perf_counter()
        fn(cid)
        out.append(time.perf_counter() - t0)
    return out


def time_http(path: Path, ids: list[str], route: str) -> list[float]:
    app = create_app(path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    out = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            client.get(route.format(ids[0])).raise_for_status()  # context built, connection up
            for cid in ids[1:]:
                t0 = time.perf_counter()
                r = client.get(route.format(cid))
                out.append(time.perf_counter() - t0)
                r.raise_for_status()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.shared.ws.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000, help="lived moments")
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--samples", type=int, default=300, help="cards timed per variant")
    ap.add_argument("--baseline", type=int, default=20, help="cards timed before the indexes")
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    print("\n".join(machine_lines()))
    path = args.data / f"customer-card-{args.rows}-{args.customers}.duckdb"
    print(f"store     {path} ({args.rows:,} lived moments, {args.customers:,} customers)")
    # a fresh copy without indexes each run, so the baseline is a real full scan
    base = args.data / f"customer-card-base-{args.rows}-{args.customers}.duckdb"
    prepare(base, args.rows, args.customers, args.fresh)
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
    shutil.copyfile(base, path)

    rng = random.Random(7)
    ids = [f"c{rng.randrange(args.customers):07d}" for _ in range(args.samples + 1)]
    ids = list(dict.fromkeys(ids))
    with moments.open(path, create=False) as ws:
        t0 = time.perf_counter()
        ctx = context(ws)
        built = time.perf_counter() - t0
        print(f"context   built once in {built:.1f} s ({ctx.risk_note})")
        card_mod.build_card(ws, ids[0])  # compiles the card query once
        before = time_each(lambda c: card_mod.build_card(ws, c), ids[1 : 1 + args.baseline])
        t0 = time.perf_counter()
        card_mod.index(ws)
        print(f"index     customer_id in {len(card_mod.INDEXED)} tables: "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
        after = time_each(lambda c: card_mod.build_card(ws, c), ids[1:])
        floor = time_each(lambda c: card_mod.customer_rows(ws, c), ids[1:])
        sample = card_mod.build_card(ws, ids[1])
        print(
            f"sample    {ids[1]}: {sample.lived} lived moments, {len(sample.cases)} cases, "
            f"{len(sample.contacts)} contacts, risk {sample.risk.method} {sample.risk.band}"
        )
    api = time_http(path, ids, "/api/card/{}")
    page = time_http(path, ids[: min(len(ids), 101)], "/card/{}")

    print(f"\n{'':<44}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    print(line("baseline: library card, no index", before))
    print(line("library card, indexed", after))
    print(line("floor: the card's SQL alone (DuckDB)", floor))
    print(line("HTTP GET /api/card/{id}", api))
    print(line("HTTP GET /card/{id} (HTML page)", page))
    lib95, api95 = pct(after, 0.95), pct(api, 0.95)
    print(f"\nindexed vs baseline: p50 {statistics.median(before) / statistics.median(after):.1f}× "
          f"faster; library p50 is {statistics.median(after) / statistics.median(floor):.1f}× "
          "the SQL floor")  # fmt: skip
    print(f"{verdict(lib95 < LIB_P95)}  library p95 {lib95 * 1000:.1f} ms (target < 50 ms)")
    print(f"{verdict(api95 < HTTP_P95)}  HTTP p95 {api95 * 1000:.1f} ms (target < 100 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
