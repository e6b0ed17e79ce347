"""From the store, the offers and the policy to a plan: who gets which message when, and why."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from moments.analytics.episodes import UTC as UTC_TYPE
from moments.errors import InputError, Problem
from moments.outreach import optimise
from moments.outreach.features import feature_table
from moments.outreach.offers import OfferBook, Policy, load_offers, load_policy
from moments.outreach.policy import Instance, build
from moments.outreach.response import acceptance
from moments.store import Store

MAX_HORIZON = 28


def example(name: str) -> Path:
    """A file shipped with the package: ``retail-offers.yaml`` or ``retail-policy.yaml``."""
    return Path(str(resources.files("moments.outreach") / "examples" / name))


@dataclass
class PlanResult:
    """A plan with everything needed to explain it."""

    instance: Instance
    solution: optimise.Solution
    book: OfferBook
    policy: Policy
    features: pd.DataFrame
    sources: list[str]
    start: datetime

    def summary(self) -> dict[str, Any]:
        s = self.solution
        return {
            "method": s.method,
            "status": s.status,
            "customers": int(self.instance.n),
            "offers": len(self.book),
            "days": int(self.instance.days),
            "contacts": s.contacts,
            "customers_contacted": len(np.unique(s.rows)),
            "expected_value": round(s.value, 2),
            "upper_bound": round(s.bound, 2),
            "gap": s.gap,
            "seconds": round(s.seconds, 3),
            "start": self.start.isoformat(),
        }

    def frame(self) -> pd.DataFrame:
        """One row per planned contact, by send time, with the reason it was chosen."""
        inst, s = self.instance, self.solution
        offers = self.book.offers
        oc = inst.offer_channel[s.offer]
        tz = inst.tz[s.rows]
        send = inst.send_at[tz, oc, s.day]
        ev = inst.value[s.rows, s.offer].astype(np.float64)
        p = inst.prob[s.rows, s.offer].astype(np.float64)
        oid = np.array([o.id for o in offers], object)
        # the reason in three pieces per offer, around the customer's own numbers
        head = np.array(
            [f"{o.name}: eligible ({r.source}); expected value = " for o, r in
             zip(offers, self.book.rules, strict=True)], object,
        )  # fmt: skip
        mid = np.array(
            [f" × {o.value:g}" + (f" − {o.cost:g}" if o.cost else "") + " = " for o in offers],
            object,
        )
        tail = np.array([f" ({src})" for src in self.sources], object)
        df = pd.DataFrame(
            {
                "customer_id": inst.customers[s.rows],
                "offer_id": oid[s.offer],
                "channel": np.array(inst.channels, object)[oc],
                "day": s.day.astype(np.int64),
                "send_at": pd.to_datetime(send).tz_localize("UTC"),
                "time_zone": np.array(inst.tz_names, object)[tz],
                "probability": p.round(4),
                "expected_value": ev.round(2),
            }
        )
        pct = pd.Series((p * 100).round(1)).astype(str).to_numpy(object)
        evs = pd.Series(ev.round(2)).map("{:.2f}".format).to_numpy(object)
        df["reason"] = head[s.offer] + pct + "%" + mid[s.offer] + evs + tail[s.offer]
        df = df.sort_values(["send_at", "customer_id", "offer_id"], kind="stable")
        df = df.reset_index(drop=True)
        df.attrs["summary"] = self.summary()
        return df


def parse_horizon(text: str | int) -> int:
    """'7d', '7', '2w' → days."""
    raw = str(text).strip().lower()
    mult = 7 if raw.endswith("w") else 1
    num = raw.rstrip("dw")
    if not num.isdigit() or not 1 <= int(num) * mult <= MAX_HORIZON:
        raise InputError(
            Problem(
                f"horizon '{text}' is not understood",
                f"write days or weeks, e.g. 7d or 2w, up to {MAX_HORIZON} days",
                field="horizon",
            )
        )
    return int(num) * mult


def _offers(offers: OfferBook | str | Path | None) -> OfferBook:
    if isinstance(offers, OfferBook):
        return offers
    return load_offers(offers or example("retail-offers.yaml"))


def _policy(policy: Policy | str | Path | None) -> Policy:
    if isinstance(policy, Policy):
        return policy
    return load_policy(policy or example("retail-policy.yaml"))


def make_plan(
    store: Store,
    offers: OfferBook | str | Path | None = None,
    policy: Policy | str | Path | None = None,
    horizon: int | str = 7,
    start: datetime | None = None,
    method: str = "auto",
    time_limit: float = 60.0,
) -> PlanResult:
    """Plan the next ``horizon`` days from ``start`` (default: now) for every customer."""
    book, pol = _offers(offers), _policy(policy)
    days = parse_horizon(horizon)
    start = (start or datetime.now(UTC)).astimezone(UTC)
    book.check_channels(pol)
    _check_measures(store, book)
    needs = {d for r in book.rules for d in r.needs}
    ft = feature_table(store, start, needs)
    cols = {f"__offer_{j}": r.to_ibis(ft) for j, r in enumerate(book.rules)}
    keep = [c for c in ft.columns if not c.startswith("__")]
    df = ft.select(*keep, **cols).order_by("customer_id").to_pyarrow().to_pandas()
    eligible = np.column_stack(
        [df.pop(f"__offer_{j}").to_numpy(bool) for j in range(len(book))]
    ) if len(book) else np.zeros((len(df), 0), bool)  # fmt: skip
    resp = acceptance(store, book, df, start)
    history = _history(store, pol, book, start, days)
    consents = _consents(store, start)
    inst = build(df, book.offers, pol, eligible, resp.prob, start, days, history, consents)
    sol = optimise.solve(inst, method, time_limit=time_limit)
    return PlanResult(inst, sol, book, pol, df, resp.source, start)


def _check_measures(store: Store, book: OfferBook) -> None:
    wanted = {
        (str(d.args[0]), i)
        for i, r in enumerate(book.rules)
        for d in r.needs
        if d.function == "measure"
    }
    if not wanted:
        return
    m = store.table("measures")
    known = set(m.select("name").distinct().to_pyarrow().column("name").to_pylist())
    problems = [
        Problem(
            f"no measure '{name}' in the store",
            f"load interactions carrying it, or use one of: {', '.join(sorted(known)) or 'none'}",
            book.file,
            book.lines[i],
            None,
            f"offers[{i}].eligible",
        )
        for name, i in sorted(wanted)
        if name not in known
    ]
    if problems:
        raise InputError(problems)


def _history(
    store: Store, policy: Policy, book: OfferBook, start: datetime, days: int
) -> pd.DataFrame:
    """Contacts that count: the recent past, and those already planned and sent ahead."""
    back = max([policy.longest_window(), *(o.repeat_after_days for o in book.offers)]) + 2
    c = store.table("contacts")
    lo = ibis.literal(start - timedelta(days=back), UTC_TYPE)
    hi = ibis.literal(start + timedelta(days=days + 1), UTC_TYPE)
    c = c.filter((c.occurred_at >= lo) & (c.occurred_at < hi))
    return (
        c.select("customer_id", "occurred_at", "channel", "direction", "purpose")
        .to_pyarrow()
        .to_pandas()
    )


def _consents(store: Store, start: datetime) -> pd.DataFrame:
    c = store.table("consents")
    c = c.filter(c.occurred_at <= ibis.literal(start, UTC_TYPE))
    ranked = c.mutate(
        _n=ibis.row_number().over(
            group_by=["customer_id", "channel"],
            order_by=[ibis.desc("occurred_at"), ibis.desc("event_id")],
        )
    )
    latest = ranked.filter(ranked._n == 0).select("customer_id", "channel", "status")
    return latest.to_pyarrow().to_pandas()


def contacts_from_plan(plan: pd.DataFrame) -> pa.Table:
    """The plan's contacts as ``contact`` events, with stable ids (sending twice adds nothing)."""
    need = {"customer_id", "offer_id", "channel", "send_at"}
    missing = need - set(plan.columns)
    if missing:
        raise InputError(
            f"not a plan: no column(s) {', '.join(sorted(missing))}",
            "give a file written by 'moments outreach plan --out'",
        )
    at = pd.to_datetime(plan["send_at"], utc=True)
    keys = (
        plan["customer_id"].astype(str)
        + "|"
        + plan["offer_id"].astype(str)
        + "|"
        + at.dt.strftime("%Y-%m-%dT%H:%M")
    )
    ids = ["out-" + hashlib.sha1(k.encode()).hexdigest()[:16] for k in keys]
    return pa.table(
        {
            "event_id": pa.array(ids, pa.string()),
            "customer_id": pa.array(plan["customer_id"].astype(str), pa.string()),
            "occurred_at": pa.array(at, pa.timestamp("us", tz="UTC")),
            "channel": pa.array(plan["channel"].astype(str), pa.string()),
            "direction": pa.array(["outbound"] * len(plan), pa.string()),
            "purpose": pa.array(plan["offer_id"].astype(str), pa.string()),
        }
    )
