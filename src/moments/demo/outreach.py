"""Contact history for the demo store (seeded): consents per channel, past contacts in and out,
and cases opened after recent negative moments, so outreach has something to respect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa

from moments.workspace import Workspace

OFFER_IDS = ("loyal-preview", "win-back", "app-new-arrivals", "checkout-apology")


def _ts(values: np.ndarray) -> pa.Array:
    return pa.array(pd.to_datetime(values, utc=True), pa.timestamp("us", tz="UTC"))


def _append(ws: Workspace, kind: str, rows: pa.Table, source: str) -> int:
    """Events added (a small demo may have none of a kind: nothing to load then)."""
    return ws.append(kind, rows, source).added if rows.num_rows else 0


def add_outreach_history(ws: Workspace, seed: int = 7) -> dict[str, int]:
    """Append consents, contacts and cases to a judged demo store; returns rows added by kind.

    Consents: app opted in for 35% of customers, phone for 40%, e-mail opted out for 8%.
    Contacts: about one outbound contact per two customers in the 40 days before the last lived
    moment (offers, some accepted by a later purchase), and inbound calls from 10%. Cases: 40%
    of customers with a negative moment in the last 21 days had one opened; half are closed."""
    rng = np.random.default_rng(seed)
    ids = ws.profiles().select("customer_id").order_by("customer_id").to_pyarrow()
    customers = np.array(ids.column("customer_id").to_pylist(), object)
    n = len(customers)
    end = ws.last_day()
    end_at = datetime(end.year, end.month, end.day, tzinfo=UTC)
    end_s = pd.Timestamp(end_at).value // 1000  # µs
    day_us = 86_400_000_000
    added: dict[str, int] = {}

    rows = []
    for channel, status, share in (
        ("app", "opted_in", 0.35),
        ("phone", "opted_in", 0.40),
        ("email", "opted_out", 0.08),
    ):
        pick = np.flatnonzero(rng.random(n) < share)
        rows.append(
            pd.DataFrame(
                {
                    "customer_id": customers[pick],
                    "channel": channel,
                    "status": status,
                    "at": end_s - rng.integers(20, 365, len(pick)) * day_us,
                }
            )
        )
    cons = pd.concat(rows, ignore_index=True)
    table = pa.table(
        {
            "event_id": [f"consent-{i:07d}" for i in range(len(cons))],
            "customer_id": cons["customer_id"].astype(str),
            "occurred_at": _ts(cons["at"].to_numpy() * 1000),
            "channel": cons["channel"],
            "status": cons["status"],
        }
    )
    added["consent"] = _append(ws, "consent", table, "demo consents")

    k = n // 2
    who = customers[rng.integers(0, n, k)]
    at = end_s - rng.integers(0, 40 * day_us, k)
    # a third of past sends came a few days before a repeat purchase: accepted offers
    o = ws.events("outcome")
    buys = (
        o.filter((o.type == "repeat_purchase") & (o.occurred_at >= end_at - timedelta(days=60)))
        .select("customer_id", us=o.occurred_at.epoch_seconds())
        .order_by(["customer_id", "us"])
        .to_pyarrow()
        .to_pandas()
    )
    take = rng.random(len(buys)) < 0.35
    who = np.concatenate([who, buys["customer_id"].to_numpy(object)[take]])
    before = rng.integers(1 * day_us, 6 * day_us, int(take.sum()))
    at = np.concatenate([at, buys["us"].to_numpy(np.int64)[take] * 1_000_000 - before])
    k = len(who)
    chan = rng.choice(["email", "app", "phone"], k, p=[0.6, 0.3, 0.1])
    purpose = rng.choice(OFFER_IDS, k)
    inbound = rng.random(n) < 0.10
    w_in = customers[inbound]
    at_in = end_s - rng.integers(0, 40 * day_us, len(w_in))
    contacts = pa.table(
        {
            "event_id": [f"contact-{i:07d}" for i in range(k + len(w_in))],
            "customer_id": np.concatenate([who, w_in]).astype(str),
            "occurred_at": _ts(np.concatenate([at, at_in]) * 1000),
            "channel": np.concatenate([chan, np.full(len(w_in), "phone")]).astype(str),
            "direction": ["outbound"] * k + ["inbound"] * len(w_in),
            "purpose": np.concatenate([purpose, np.full(len(w_in), "question")]).astype(str),
            "employee_id": [None] * (k + len(w_in)),
        }
    )
    added["contact"] = _append(ws, "contact", contacts, "demo contacts")

    j = ws.judgements()
    since = end_at - timedelta(days=21)
    neg = (
        j.filter((j.valence == "negative") & (j.occurred_at >= since))
        .group_by("customer_id")
        .agg(at=j.occurred_at.max(), moment_id=j.moment_id.arbitrary())
        .order_by("customer_id")
        .to_pyarrow()
        .to_pandas()
    )
    neg = neg[rng.random(len(neg)) < 0.4].reset_index(drop=True)
    opened = pd.to_datetime(neg["at"], utc=True) + pd.Timedelta(hours=2)
    closed = rng.random(len(neg)) < 0.5
    case_ids = [f"case-{i:06d}" for i in range(len(neg))]
    events = pd.DataFrame(
        {
            "case_id": case_ids + [c for c, x in zip(case_ids, closed, strict=True) if x],
            "customer_id": list(neg["customer_id"]) + list(neg["customer_id"][closed]),
            "at": list(opened) + list(opened[closed] + pd.Timedelta(days=3)),
            "status": ["opened"] * len(neg) + ["closed"] * int(closed.sum()),
            "moment_id": list(neg["moment_id"]) + list(neg["moment_id"][closed]),
        }
    )
    cases = pa.table(
        {
            "event_id": [f"case-event-{i:06d}" for i in range(len(events))],
            "case_id": events["case_id"].astype(str),
            "customer_id": events["customer_id"].astype(str),
            "occurred_at": pa.array(
                pd.to_datetime(events["at"], utc=True), pa.timestamp("us", tz="UTC")
            ),
            "status": events["status"].astype(str),
            "moment_id": events["moment_id"].astype(str),
        }
    )
    added["case"] = _append(ws, "case", cases, "demo cases")
    return added
