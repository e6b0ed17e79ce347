"""Episodes: one customer's judged lived moments on one day (a store visit, a call), and what
followed them. The unit of every analysis that links moments to outcomes.

An outcome *follows* an episode when it happens from the day after it up to ``horizon`` days
later. Episodes closer than ``horizon`` to the end of the data are left out where the question
is about what follows: their future is not known yet.
"""

from __future__ import annotations

from datetime import timedelta

import ibis
import ibis.expr.datatypes as dt

from moments.errors import InputError

UTC = dt.Timestamp(timezone="UTC")


def judged_days(judgements: ibis.Table, horizon: int | None) -> ibis.Table:
    """Judged lived moments (valence known) with their ``day``; with ``horizon``, only days at
    least ``horizon`` days before the last lived moment."""
    j = judgements.filter(judgements.valence != "unknown")
    j = j.mutate(day=j.occurred_at.truncate("D"))
    if horizon is None:
        return j
    last = j.occurred_at.max().to_pyarrow().as_py()
    if last is None:
        raise InputError("no judged lived moments", "load events and run 'moments judge' first")
    cutoff = last - timedelta(days=horizon)
    return j.filter(j.day < ibis.literal(cutoff, UTC))


def moment_ids(j: ibis.Table) -> list[str]:
    """The moments that occur in ``j``, sorted."""
    return sorted(j.select("moment_id").distinct().to_pyarrow()["moment_id"].to_pylist())


def wide(j: ibis.Table, moments: list[str]) -> ibis.Table:
    """Episodes as rows (customer_id, day), one column per moment with its mean valence score
    that day (−1 … 1; NULL = not lived). Computed by the engine in one pass."""
    score = j.score.cast(dt.float64)
    return j.group_by(["customer_id", "day"]).agg(
        **{m: score.mean(where=j.moment_id == m) for m in moments}
    )


def followed(
    keys: ibis.Table, outcomes: ibis.Table, horizon: int, same_day: bool = False
) -> ibis.Table:
    """Per episode key (customer_id, day): what followed within ``horizon`` days — the count of
    each outcome type as ``n_<type>``, total purchase ``spend``, and mean review ``stars``.

    Only episodes with at least one outcome appear; a missing row means nothing followed.
    """
    o = outcomes.select(
        o_customer="customer_id", o_at="occurred_at", o_type="type", o_amount="amount",
        o_rating="rating",
    )  # fmt: skip
    start = 0 if same_day else 1
    hits = keys.join(
        o,
        [
            keys.customer_id == o.o_customer,
            o.o_at >= keys.day + ibis.interval(days=start),
            o.o_at < keys.day + ibis.interval(days=1 + horizon),
        ],
    )
    types = ("purchase", "repeat_purchase", "referral", "review", "social_post", "defection")
    aggs = {f"n_{t}": (hits.o_type == t).ifelse(1, 0).sum() for t in types}
    aggs["spend"] = (hits.o_type == "purchase").ifelse(hits.o_amount, 0.0).sum()
    aggs["stars"] = (hits.o_type == "review").ifelse(hits.o_rating, ibis.null()).mean()
    return hits.group_by(["customer_id", "day"]).agg(**aggs)
