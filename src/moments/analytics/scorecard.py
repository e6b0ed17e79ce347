"""Scorecards: lived, judged and net valence of defining moments, cut any way a user asks.

Shares of negative/neutral/positive are over *judged* lived moments, so they sum to 1;
``coverage`` is the judged share of all lived moments ("no news is not good news") and
``share_unknown`` its complement. ``net`` = share_positive − share_negative, in [−1, 1].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import ibis
import ibis.expr.datatypes as dt

from moments.errors import InputError, Problem

# dimension -> columns it groups by (after judgements are joined to the moments table)
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "moment": (
        "journey_id",
        "moment_id",
        "moment",
        "stage",
        "touchpoint",
        "owner_id",
        "owner",
        "importance",
        "kind",
        "position",
    ),
    "touchpoint": ("journey_id", "stage", "touchpoint_id", "touchpoint", "touchpoint_channel"),
    "stage": ("journey_id", "stage_id", "stage"),
    "journey": ("journey_id", "journey"),
    "owner": ("owner_id", "owner"),
    "location": ("location_id",),
    "employee": ("employee_id", "location_id"),
    "channel": ("channel",),
    "segment": ("segment",),
    "customer": ("customer_id",),
    "day": ("day",),
    "week": ("week",),
    "month": ("month",),
}
PERIODS = {"day": "D", "week": "W", "month": "M"}
METRICS = (
    "lived",
    "judged",
    "negative",
    "neutral",
    "positive",
    "unknown",
    "share_negative",
    "share_neutral",
    "share_positive",
    "share_unknown",
    "coverage",
    "net",
)


def _check_by(by: str | Sequence[str]) -> list[str]:
    dims = [by] if isinstance(by, str) else list(by)
    bad = [d for d in dims if d not in DIMENSIONS]
    if bad or not dims:
        raise InputError(
            f"cannot group by {', '.join(bad) or 'nothing'}",
            f"use one or more of: {', '.join(DIMENSIONS)}",
        )
    return dims


def _with_periods(t: ibis.Table) -> ibis.Table:
    ts = t.occurred_at
    return t.mutate(
        day=ts.truncate("D").cast(dt.date),
        week=ts.truncate("W").cast(dt.date),
        month=ts.truncate("M").cast(dt.date),
    )


def _moment_columns(moments: ibis.Table) -> ibis.Table:
    return moments.rename(touchpoint_channel="channel")


def _as_ts(x: date | datetime | str) -> ibis.Value:
    return ibis.literal(str(x)).cast(dt.Timestamp(timezone="UTC"))


def _check_filters(columns: Sequence[str], equals: Mapping[str, object]) -> None:
    for col, val in equals.items():
        if val is not None and col not in columns:
            raise InputError(
                Problem(f"cannot filter on '{col}'", f"use one of: {', '.join(columns)}", field=col)
            )


def filtered(
    t: ibis.Table,
    start: date | datetime | str | None = None,
    end: date | datetime | str | None = None,
    **equals: str | Sequence[str] | None,
) -> ibis.Table:
    """Keep lived moments in [start, end) whose columns equal the given values."""
    if start is not None:
        t = t.filter(t.occurred_at >= _as_ts(start))
    if end is not None:
        t = t.filter(t.occurred_at < _as_ts(end))
    _check_filters(t.columns, equals)
    for col, val in equals.items():
        if val is None:
            continue
        vals = [val] if isinstance(val, str) else list(val)
        t = t.filter(t[col].isin(vals))
    return t


def _counts(t: ibis.Table, by: Sequence[str]) -> ibis.Table:
    v = t.valence
    return t.group_by(list(by)).agg(
        lived=t.count(),
        negative=(v == "negative").sum(),
        neutral=(v == "neutral").sum(),
        positive=(v == "positive").sum(),
        unknown=(v == "unknown").sum(),
    )


def _shares(agg: ibis.Table, by: Sequence[str]) -> ibis.Table:
    judged = agg.lived - agg.unknown
    safe = ibis.ifelse(judged > 0, judged, ibis.null(dt.int64)).cast(dt.float64)
    out = agg.mutate(
        judged=judged,
        share_negative=agg.negative / safe,
        share_neutral=agg.neutral / safe,
        share_positive=agg.positive / safe,
        share_unknown=agg.unknown / agg.lived.cast(dt.float64),
        coverage=judged / agg.lived.cast(dt.float64),
    )
    out = out.mutate(net=out.share_positive - out.share_negative)
    return out.select(*by, *METRICS)


def metrics(t: ibis.Table, by: Sequence[str]) -> ibis.Table:
    """Counts, shares, coverage and net per group of ``by`` columns of lived moments."""
    return _shares(_counts(t, by), by)


def scorecard(
    judgements: ibis.Table,
    moments: ibis.Table,
    by: str | Sequence[str] = "moment",
    start: date | datetime | str | None = None,
    end: date | datetime | str | None = None,
    **equals: str | Sequence[str] | None,
) -> ibis.Table:
    """The scorecard grouped by one or more dimensions (see ``DIMENSIONS``)."""
    dims = _check_by(by)
    cols = list(dict.fromkeys(c for d in dims for c in DIMENSIONS[d]))
    lived = _with_periods(judgements)
    dim = _moment_columns(moments)
    _check_filters([*lived.columns, *dim.columns], equals)
    own = {k: v for k, v in equals.items() if k in lived.columns}
    lived = filtered(lived, start, end, **own)
    # Every moment column depends on moment_id alone: count per moment first, then join the
    # few resulting rows to the moments table (far cheaper than joining every lived moment).
    keys = list(dict.fromkeys(["moment_id", *[c for c in cols if c in lived.columns]]))
    per_moment = _counts(lived, keys)
    j = per_moment.left_join(dim, "moment_id").drop("moment_id_right")
    j = filtered(j, None, None, **{k: v for k, v in equals.items() if k not in own})
    agg = j.group_by(cols).agg(
        **{k: j[k].sum() for k in ("lived", "negative", "neutral", "positive", "unknown")}
    )
    out = _shares(agg, cols)
    order: list[str] = [c for c in ("journey_id", "position", "day", "week", "month") if c in cols]
    order += [c for c in cols if c not in order]
    return out.order_by(order)


def trend(
    judgements: ibis.Table,
    moments: ibis.Table,
    by: str | Sequence[str] | None = None,
    period: str = "week",
    **kw: Any,
) -> ibis.Table:
    """The scorecard per period (day, week or month), optionally per another dimension."""
    if period not in PERIODS:
        raise InputError(f"unknown period '{period}'", "use day, week or month")
    dims = ([] if by is None else _check_by(by)) + [period]
    return scorecard(judgements, moments, dims, **kw)


# A moment's place among the moments in a tie takes the low bits of the weakest-moment key;
# the customer's mean valence for the moment, in fixed point, the high ones.
_PLACE_BITS = 20  # up to 1,048,576 moments
_MEAN_SCALE = 2**41  # means 2^-40 apart stay apart: exact up to 2^20 lived moments per pair


def _weakest(judged: ibis.Table, moments: ibis.Table) -> ibis.Table:
    """Per customer, the judged moment of lowest mean valence; ties go to the more important
    moment, then to the first by id.

    One integer per (customer, moment) orders all three: the mean in fixed point above the
    moment's place in a tie, so the weakest is a plain ``min`` per customer, a fixed-width
    aggregate an engine can spill. Numbering each customer's moments in that order (a
    window) sorts them all: at 100 M lived moments on DuckDB under a 3 GB limit it took a
    quarter of the query's CPU time, and the whole query grew 15× per 10× data (now 10×).
    """
    pm = judged.group_by(["customer_id", "moment_id"]).agg(
        mean_score=judged.score.cast(dt.float64).mean()
    )
    # the registered moments in their order for a tie: a handful of rows. A judged moment is
    # a registered one (the judge leaves the others unknown); one whose journey was removed
    # since is left out until the store is judged again.
    ids = moments.select(
        "moment_id",
        _place=ibis.row_number().over(
            order_by=[ibis.desc(moments.importance.fill_null(0)), moments.moment_id]
        ),
    )
    pm = pm.join(ids, "moment_id")
    # mean + 1 is in [0, 2], so the key is below 2^62: an int64 on every engine. Two means
    # of pairs with at most 2^20 lived moments each differ by at least 2^-40, so their fixed
    # points differ; equal means are the same double, so theirs are equal.
    fixed = ((pm.mean_score + 1) * _MEAN_SCALE).floor().cast(dt.int64)
    key = fixed * 2**_PLACE_BITS + pm._place
    low = pm.group_by("customer_id").agg(_key=key.min(), weakest_score=pm.mean_score.min())
    j = low.join(ids, (low._key % 2**_PLACE_BITS) == ids._place)
    return j.select("customer_id", weakest_moment=j.moment_id, weakest_score=j.weakest_score)


def customers(
    judgements: ibis.Table,
    moments: ibis.Table,
    start: date | datetime | str | None = None,
    end: date | datetime | str | None = None,
) -> ibis.Table:
    """Per customer: lived and judged counts by valence, and their weakest judged moment.

    The weakest moment is the one with the lowest mean valence for that customer; ties go to the
    more important moment, then to the first by moment id.
    """
    t = filtered(judgements, start, end)
    per = metrics(t, ["customer_id"])
    judged = t.filter(t.valence != "unknown")
    weakest = _weakest(judged, moments)
    out = per.left_join(weakest, "customer_id").drop("customer_id_right")
    return out.select(
        "customer_id",
        "lived",
        "judged",
        "negative",
        "neutral",
        "positive",
        "unknown",
        "net",
        "weakest_moment",
        "weakest_score",
    ).order_by([ibis.desc("negative"), "customer_id"])
