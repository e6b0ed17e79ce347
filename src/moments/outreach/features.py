"""Per-customer features as of a moment, computed by Ibis from the store's events.

One row per customer with a profile (a ``customer`` event: only they have a time zone and
contact details). Every feature an eligibility rule may name is in :data:`FEATURES`; the
functions of the rule language (``negative_moment('checkout', 14)`` …) add a column each.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import ibis

from moments.analytics.episodes import UTC
from moments.outreach.eligibility import Derived
from moments.store import Store

DAY = 86400.0
CLOSED = ("resolved", "closed")  # a case in any other state is open

FEATURES: dict[str, str] = {
    "segment": "text",
    "time_zone": "text",
    "has_email": "bool",
    "has_phone": "bool",
    "days_since_last_visit": "number",
    "visits_90d": "number",
    "days_since_last_purchase": "number",
    "purchases_365d": "number",
    "spend_365d": "number",
    "days_since_last_contact": "number",
    "contacts_30d": "number",
    "negative_moments_30d": "number",
    "days_since_last_negative": "number",
    "open_cases": "number",
    "open_case": "bool",
    "tenure_days": "number",
}
# numbers a response model may learn from (missing counts as 0, missing "days since" as 3650)
NUMERIC = [k for k, v in FEATURES.items() if v == "number"]


def profiles(store: Store, as_of: datetime) -> ibis.Table:
    """Each customer's latest profile as of ``as_of``."""
    c = store.table("customers")
    c = c.filter(c.occurred_at <= ibis.literal(as_of, UTC))
    ranked = c.mutate(
        _n=ibis.row_number().over(
            group_by="customer_id", order_by=[ibis.desc("occurred_at"), ibis.desc("event_id")]
        )
    )
    return ranked.filter(ranked._n == 0).select(
        "customer_id", "segment", "time_zone", "email", "phone"
    )


def feature_table(store: Store, as_of: datetime, needs: Iterable[Derived] = ()) -> ibis.Table:
    """Base features plus one column per derived feature in ``needs``, keyed by customer_id."""
    at = ibis.literal(as_of, UTC)
    now = as_of.timestamp()

    def since(days: int) -> ibis.Value:
        return ibis.literal(as_of - timedelta(days=days), UTC)

    def before(t: ibis.Table) -> ibis.Table:
        return t.filter(t.occurred_at <= at)

    def days_ago(col: ibis.Value) -> ibis.Value:
        # whole seconds: Spark's epoch seconds drop the fraction, DuckDB's keep it, and a
        # response model can turn on a few microseconds
        return (ibis.literal(now) - col.epoch_seconds().cast("float64").floor()) / DAY

    p = profiles(store, as_of)
    base = p.select(
        "customer_id",
        "segment",
        "time_zone",
        has_email=p.email.notnull() & (p.email != ""),
        has_phone=p.phone.notnull() & (p.phone != ""),
    )
    parts: list[ibis.Table] = []

    j = before(store.table("judgements"))
    neg = j.valence == "negative"
    parts.append(
        j.group_by("customer_id").agg(
            days_since_last_visit=days_ago(j.occurred_at.max()),
            tenure_days=days_ago(j.occurred_at.min()),
            visits_90d=j.occurred_at.date().nunique(where=j.occurred_at >= since(90)),
            negative_moments_30d=(neg & (j.occurred_at >= since(30))).ifelse(1, 0).sum(),
            days_since_last_negative=days_ago(j.occurred_at.max(where=neg)),
        )
    )
    o = before(store.table("outcomes"))
    buy = o.type.isin(["purchase", "repeat_purchase"])
    year = o.occurred_at >= since(365)
    parts.append(
        o.group_by("customer_id").agg(
            days_since_last_purchase=days_ago(o.occurred_at.max(where=buy)),
            purchases_365d=(buy & year).ifelse(1, 0).sum(),
            spend_365d=(buy & year).ifelse(o.amount.fill_null(0), 0).sum(),
        )
    )
    k = before(store.table("contacts"))
    out = k.direction.fill_null("outbound") == "outbound"
    parts.append(
        k.group_by("customer_id").agg(
            days_since_last_contact=days_ago(k.occurred_at.max(where=out)),
            contacts_30d=(out & (k.occurred_at >= since(30))).ifelse(1, 0).sum(),
        )
    )
    parts.append(open_cases(store, as_of).group_by("customer_id").agg(open_cases=ibis._.count()))
    for d in sorted(set(needs), key=lambda d: d.column):
        parts.append(_derived(store, d, as_of))

    t = base
    for part in parts:
        t = t.left_join(part, "customer_id").drop("customer_id_right")
    counts = ["visits_90d", "negative_moments_30d", "purchases_365d", "spend_365d"]
    counts += ["contacts_30d", "open_cases"]
    fills = {c: t[c].fill_null(0) for c in counts}
    for d in needs:
        if d.function in ("negative_moment", "lived"):
            fills[d.column] = t[d.column].fill_null(False)
        elif d.function == "outcomes":
            fills[d.column] = t[d.column].fill_null(0)
    t = t.mutate(**fills)
    return t.mutate(open_case=t.open_cases > 0)


def open_cases(store: Store, as_of: datetime) -> ibis.Table:
    """(customer_id, case_id) of every case still open as of ``as_of``: its latest status is
    neither resolved nor closed."""
    c = store.table("cases")
    c = c.filter(c.occurred_at <= ibis.literal(as_of, UTC))
    ranked = c.mutate(
        _n=ibis.row_number().over(
            group_by="case_id", order_by=[ibis.desc("occurred_at"), ibis.desc("event_id")]
        )
    )
    latest = ranked.filter(ranked._n == 0)
    return latest.filter(~latest.status.isin(CLOSED)).select("customer_id", "case_id")


def _derived(store: Store, d: Derived, as_of: datetime) -> ibis.Table:
    at = ibis.literal(as_of, UTC)
    name = d.column
    if d.function in ("negative_moment", "lived", "outcomes"):
        what, days = str(d.args[0]), int(d.args[1])
        lo = ibis.literal(as_of - timedelta(days=days), UTC)
        if d.function == "outcomes":
            o = store.table("outcomes")
            o = o.filter((o.occurred_at <= at) & (o.occurred_at >= lo) & (o.type == what))
            return o.group_by("customer_id").agg(**{name: o.count()})
        j = store.table("judgements")
        j = j.filter((j.occurred_at <= at) & (j.occurred_at >= lo))
        if what != "any":
            j = j.filter(j.moment_id == what)
        if d.function == "negative_moment":
            j = j.filter(j.valence == "negative")
        return j.group_by("customer_id").agg(**{name: ibis.literal(True)})
    # measure: the latest value of a named measure on the customer's interactions
    m = store.table("measures")
    i = store.table("interactions")
    i = i.filter(i.occurred_at <= at).select("event_id", "customer_id", "occurred_at")
    mm = m.filter(m.name == str(d.args[0])).join(i, "event_id")
    ranked = mm.mutate(
        _n=ibis.row_number().over(group_by="customer_id", order_by=ibis.desc("occurred_at"))
    )
    return ranked.filter(ranked._n == 0).select("customer_id", **{name: ranked.value})
