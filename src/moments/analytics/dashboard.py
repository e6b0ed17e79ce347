"""The analyses behind the dashboard pages: totals, key and weakest moments, movers, a moment's
evidence, an owner's list of what to fix first. Ibis expressions in, tables out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import ibis
import ibis.expr.datatypes as dt

from moments.analytics.scorecard import _shares, filtered, scorecard

KEY_IMPORTANCE = 4  # stated importance at or above which a moment counts as key


def totals(judgements: ibis.Table, **kw: object) -> ibis.Table:
    """One row: lived, judged, counts, shares, coverage and net over everything selected."""
    t = filtered(judgements, **kw)  # type: ignore[arg-type]
    v = t.valence
    # aggregate() without groups gives one row even for an empty selection (sums are null)
    agg = t.aggregate(
        lived=t.count(),
        negative=(v == "negative").sum().fill_null(0),
        neutral=(v == "neutral").sum().fill_null(0),
        positive=(v == "positive").sum().fill_null(0),
        unknown=(v == "unknown").sum().fill_null(0),
    )
    return _shares(agg, [])


def key_moments(card: ibis.Table) -> ibis.Table:
    """Moments of stated importance ≥ 4, most important first (then the weakest first)."""
    return card.filter(card.importance >= KEY_IMPORTANCE).order_by(
        [ibis.desc("importance"), "net", "moment_id"]
    )


def weakest_moments(card: ibis.Table, min_importance: int = 3, limit: int = 5) -> ibis.Table:
    """The lowest net among moments that matter (importance ≥ ``min_importance``)."""
    judged = card.filter((card.importance >= min_importance) & (card.judged > 0))
    return judged.order_by(["net", ibis.desc("importance"), "moment_id"]).limit(limit)


def movers(
    judgements: ibis.Table,
    moments: ibis.Table,
    as_of: date,
    weeks: int = 4,
    limit: int = 5,
    filters: Mapping[str, Any] | None = None,
) -> ibis.Table:
    """Moments whose net changed most between the last ``weeks`` weeks and the weeks before."""
    mid = as_of - timedelta(weeks=weeks)
    start = mid - timedelta(weeks=weeks)
    equals = dict(filters or {})
    now = scorecard(judgements, moments, "moment", start=mid, end=as_of, **equals)
    before = scorecard(judgements, moments, "moment", start=start, end=mid, **equals)
    b = before.select("moment_id", net_before="net", lived_before="lived")
    j = now.join(b, "moment_id")
    j = j.filter(j.net.notnull() & j.net_before.notnull())
    j = j.mutate(change=j.net - j.net_before)
    return j.order_by([ibis.desc(j.change.abs()), "moment_id"]).limit(limit)


def evidence(
    judgements: ibis.Table,
    texts: ibis.Table,
    moment_id: str | None = None,
    owner_moments: list[str] | None = None,
    valence: str | None = "negative",
    search: str | None = None,
    limit: int = 50,
    **kw: object,
) -> ibis.Table:
    """Lived moments with their reason and any words about them, newest first.

    ``search`` keeps those whose comment or reason contains the text (case-insensitive).
    """
    t = filtered(judgements, **kw)  # type: ignore[arg-type]
    if moment_id is not None:
        t = t.filter(t.moment_id == moment_id)
    if owner_moments is not None:
        t = t.filter(t.moment_id.isin(owner_moments or [""]))
    if valence is not None:
        t = t.filter(t.valence == valence)
    j = t.left_join(texts, "lived_id").drop("lived_id_right")
    if search:
        needle = search.lower()
        j = j.filter(
            j.text.lower().contains(needle).fill_null(False) | j.reason.lower().contains(needle)
        )
    return (
        j.select(
            "lived_id",
            "moment_id",
            "occurred_at",
            "customer_id",
            "location_id",
            "employee_id",
            "valence",
            "source",
            "reason",
            "text",
        )
        .order_by([ibis.desc("occurred_at"), "lived_id"])
        .limit(limit)
    )


def fix_first(card: ibis.Table) -> ibis.Table:
    """Moments ranked by negatives × importance: the most harm done, weighted by what matters."""
    ranked = card.mutate(harm=(card.negative * card.importance).cast(dt.int64))
    return ranked.order_by([ibis.desc("harm"), "net", "moment_id"])
