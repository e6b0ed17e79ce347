"""Consistency: is a moment delivered alike everywhere and always, and where does it collapse?

The seed calls inconsistency "the kiss of death": a customer who is dazzled once and let down
the next time trusts the brand less than one who always gets "fine". Three questions:

- :func:`spread` — per moment and dimension (location, employee, weekday, hour, load), the
  range of the negative share across the dimension's levels, a chi-square test of
  independence (valence × level) and Cramér's V as the effect size.
- :func:`collapses` — cells (a level, or a pair of levels such as *riverside × Saturday*) where
  a moment's negative share is far above the rest of that moment: two-proportion z-test, Holm
  correction over every cell tested, risk ratio and difference with 95 % intervals, and the
  excess negatives the cell accounts for.
- :func:`dazzle_then_disappoint` — customers who had a positive and later a negative at the
  same moment, against customers whose first negative there came without a positive before,
  and what happened in the ``horizon`` days after that negative.

Weekday and hour are the business's local time (``timezone``). *Load* is the volume of lived
moments at the location in that hour, in quartiles (``load`` 1 = quietest, 4 = busiest).
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
from scipy.stats import chi2, chi2_contingency
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from moments.analytics.episodes import followed, judged_days
from moments.errors import InputError

DIMENSIONS = ("location", "employee", "weekday", "hour", "load")
PAIRS = (("location", "weekday"), ("location", "hour"), ("weekday", "hour"), ("location", "load"))
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MIN_N = 30


def cells(judgements: ibis.Table, timezone: str = "UTC") -> pd.DataFrame:
    """Counts of negative and judged lived moments per moment, location, local weekday, hour
    and load quartile (aggregated by the engine per UTC hour, then placed in local time)."""
    j = judgements.filter(judgements.valence != "unknown")
    j = j.mutate(at=j.occurred_at.truncate("h"), location=j.location_id.fill_null("(none)"))
    per = j.group_by(["moment_id", "location", "at"]).agg(
        n=j.count(), negative=(j.valence == "negative").ifelse(1, 0).sum()
    )
    df = per.to_pandas()
    if df.empty:
        raise InputError("no judged lived moments", "load events and run 'moments judge' first")
    local = pd.to_datetime(df["at"], utc=True).dt.tz_convert(timezone)
    df["weekday"] = pd.Categorical.from_codes(local.dt.weekday, WEEKDAYS)
    df["hour"] = local.dt.hour
    volume = df.groupby(["location", "at"])["n"].transform("sum")
    # quartiles of the location-hours, not of the moments: a busy hour is busy for every moment
    hours = df.drop_duplicates(["location", "at"]).assign(volume=volume)
    edges = np.unique(np.quantile(hours["volume"], [0.25, 0.5, 0.75]))
    df["load"] = np.searchsorted(edges, volume, side="left") + 1
    return df.drop(columns="at")


def _employee_cells(judgements: ibis.Table) -> pd.DataFrame:
    j = judgements.filter(judgements.valence != "unknown")
    j = j.mutate(employee=j.employee_id.fill_null("(none)"))
    per = j.group_by(["moment_id", "employee"]).agg(
        n=j.count(), negative=(j.valence == "negative").ifelse(1, 0).sum()
    )
    return per.to_pandas()


def spread(judgements: ibis.Table, timezone: str = "UTC", min_n: int = MIN_N) -> pd.DataFrame:
    """Per moment × dimension: levels with at least ``min_n`` judged, the lowest and highest
    negative share (and where), their range, chi-square p-value and Cramér's V."""
    base = cells(judgements, timezone)
    frames = {d: base for d in DIMENSIONS if d != "employee"}
    frames["employee"] = _employee_cells(judgements)
    rows = []
    for dim in DIMENSIONS:
        grouped = (
            frames[dim]
            .groupby(["moment_id", dim], observed=True)[["n", "negative"]]
            .sum()
            .reset_index()
        )
        for moment, g in grouped.groupby("moment_id"):
            g = g[g["n"] >= min_n]
            if len(g) < 2:
                continue
            share = g["negative"] / g["n"]
            table = np.column_stack([g["negative"], g["n"] - g["negative"]])
            p, v = _independence(table)
            lo, hi = share.idxmin(), share.idxmax()
            rows.append(
                {
                    "moment": moment,
                    "dimension": dim,
                    "levels": len(g),
                    "n": int(g["n"].sum()),
                    "negative_share": g["negative"].sum() / g["n"].sum(),
                    "lowest": str(g.loc[lo, dim]),
                    "lowest_share": share[lo],
                    "highest": str(g.loc[hi, dim]),
                    "highest_share": share[hi],
                    "range": share[hi] - share[lo],
                    "p_value": p,
                    "cramers_v": v,
                }
            )
    out = pd.DataFrame(rows)
    if out.empty:
        raise InputError(
            "too little data to measure consistency",
            f"needs at least two levels with {min_n} judged lived moments",
        )
    return out.sort_values(["cramers_v"], ascending=False).reset_index(drop=True)


def _independence(table: np.ndarray) -> tuple[float, float]:
    """Chi-square p-value and Cramér's V of a levels × (negative, not) table."""
    if (table.sum(axis=0) == 0).any():
        return 1.0, 0.0
    chi2, p, _, _ = chi2_contingency(table, correction=False)
    return float(p), float(np.sqrt(chi2 / table.sum()))


def collapses(
    judgements: ibis.Table,
    timezone: str = "UTC",
    min_n: int = MIN_N,
    alpha: float = 0.05,
    min_ratio: float = 1.5,
    limit: int = 20,
) -> pd.DataFrame:
    """Cells where a moment collapses, in the order they were found (clearest first).

    A cell collapses when its negative share is significantly above the rest of the moment
    (one-sided likelihood-ratio G-test, Holm-adjusted p < ``alpha`` over every cell tested in
    that round) and at least ``min_ratio`` times it. The search is greedy, like a decision
    tree's: the cell that best separates the moment's negatives (largest G) is taken, its lived
    moments set aside, and the rest searched again — so a collapse at *riverside × Saturday* is
    reported once, not again as *Saturday* or *riverside × busy hours*.
    """
    base = cells(judgements, timezone)
    found: list[pd.DataFrame] = []
    for _ in range(limit):
        tested = _tests(base, min_n)
        hit = tested[(tested["p_adjusted"] < alpha) & (tested["ratio"] >= min_ratio)]
        if hit.empty:
            break
        top = hit.sort_values("g", ascending=False).iloc[[0]]
        found.append(top)
        row = top.iloc[0]
        inside = base["moment_id"] == row["moment"]
        for d, v in zip(row["dims"], row["levels"], strict=True):
            inside &= base[d].astype(str) == v
        base = base[~inside]
    if not found:
        return _tests(base.iloc[:0], min_n).drop(columns=["dims", "levels"])
    return pd.concat(found).drop(columns=["dims", "levels"]).reset_index(drop=True)


def _tests(base: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """Every cell (single levels and pairs) of every moment against the rest of the moment."""
    keys: list[tuple[str, ...]] = [(d,) for d in DIMENSIONS if d != "employee"] + list(PAIRS)
    totals = base.groupby("moment_id")[["n", "negative"]].sum()
    parts = []
    for dims in keys:
        g = base.groupby(["moment_id", *dims], observed=True)[["n", "negative"]].sum()
        g = g[g["n"] >= min_n].reset_index()
        if g.empty:
            continue
        levels = g[list(dims)].astype(str)
        parts.append(
            pd.DataFrame(
                {
                    "moment": g["moment_id"],
                    "where": levels.apply(
                        lambda r, dims=dims: " × ".join(
                            f"{d}={v}" for d, v in zip(dims, r, strict=True)
                        ),
                        axis=1,
                    ),
                    "dims": [dims] * len(g),
                    "levels": list(levels.itertuples(index=False, name=None)),
                    "n": g["n"].astype("int64"),
                    "negative": g["negative"].astype("int64"),
                    "n_rest": (totals.loc[g["moment_id"], "n"].to_numpy() - g["n"]).astype("int64"),
                    "negative_rest": (
                        totals.loc[g["moment_id"], "negative"].to_numpy() - g["negative"]
                    ).astype("int64"),
                }
            )
        )
    cols = ["moment", "where", "dims", "levels", "n", "negative", "n_rest", "negative_rest"]
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    df = df[df["n_rest"] >= min_n].reset_index(drop=True)
    share = df["negative"] / df["n"]
    rest = df["negative_rest"] / df["n_rest"]
    df["share"] = share
    low, high = proportion_confint(df["negative"], df["n"], alpha=0.05, method="wilson")
    df["share_low"], df["share_high"] = low, high
    df["rest_share"] = rest
    df["difference"] = share - rest
    se = np.sqrt(share * (1 - share) / df["n"] + rest * (1 - rest) / df["n_rest"])
    df["difference_low"] = df["difference"] - 1.96 * se
    df["difference_high"] = df["difference"] + 1.96 * se
    df["ratio"] = share / rest.where(rest > 0)
    df["excess_negatives"] = df["negative"] - df["n"] * rest
    g, p = _g_test(df)
    df["g"] = g
    df["p_value"] = p
    df["p_adjusted"] = multipletests(p, method="holm")[1] if len(df) else p
    return df


def _binomial_ll(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Binomial log-likelihood at the observed share (0 · log 0 taken as 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        a = np.where(k > 0, k * np.log(p), 0.0)
        b = np.where(n - k > 0, (n - k) * np.log1p(-p), 0.0)
    return np.asarray(a + b)


def _g_test(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Likelihood-ratio (G) statistic of splitting the moment into cell and rest, and its
    one-sided p-value (a cell better than the rest is no collapse: p = 1)."""
    k1, n1 = df["negative"].to_numpy(float), df["n"].to_numpy(float)
    k2, n2 = df["negative_rest"].to_numpy(float), df["n_rest"].to_numpy(float)
    g = 2 * (_binomial_ll(k1, n1) + _binomial_ll(k2, n2) - _binomial_ll(k1 + k2, n1 + n2))
    g = np.clip(g, 0.0, None)
    p = np.where(k1 / n1 > k2 / n2, chi2.sf(g, 1) / 2, 1.0)
    return g, p


def dazzle_then_disappoint(
    judgements: ibis.Table, outcomes: ibis.Table, horizon: int = 90
) -> pd.DataFrame:
    """What follows a customer's first negative at a moment, by what came before it there.

    ``dazzled`` — a positive at the same moment earlier; ``first-time`` — no positive before.
    Per moment (and ``all``): customers, and the share who defected, came back (repeat
    purchase) and posted publicly within ``horizon`` days, with Wilson 95 % intervals.
    """
    j = judged_days(judgements, horizon)
    w = ibis.cumulative_window(
        group_by=["customer_id", "moment_id"], order_by=["occurred_at", "lived_id"]
    )
    j = j.mutate(
        dazzled=(j.valence == "positive").ifelse(1, 0).max().over(w),
        negatives_so_far=(j.valence == "negative").ifelse(1, 0).sum().over(w),
    )
    first_neg = j.filter((j.valence == "negative") & (j.negatives_so_far == 1))
    keys = first_neg.select("customer_id", "moment_id", "day", "dazzled")
    after = followed(keys.select("customer_id", "day").distinct(), outcomes, horizon)
    df = (
        keys.left_join(after, ["customer_id", "day"])
        .select("moment_id", "dazzled", "n_defection", "n_repeat_purchase", "n_social_post")
        .to_pandas()
    )
    if df.empty:
        raise InputError(
            "no negative moments old enough to see what followed",
            f"needs negatives at least {horizon} days before the last lived moment",
        )
    df = df.fillna(0)
    df["group"] = np.where(df["dazzled"] > 0, "dazzled", "first-time")
    rows = []
    for moment, g in [*df.groupby("moment_id"), ("all", df)]:
        for group, h in g.groupby("group"):
            row: dict[str, object] = {"moment": moment, "group": group, "customers": len(h)}
            for name, col in (
                ("defected", "n_defection"),
                ("came_back", "n_repeat_purchase"),
                ("posted", "n_social_post"),
            ):
                k = int((h[col] > 0).sum())
                lo, hi = proportion_confint(k, len(h), alpha=0.05, method="wilson")
                row.update({name: k / len(h), f"{name}_low": lo, f"{name}_high": hi})
            rows.append(row)
    return pd.DataFrame(rows)


__all__ = ["DIMENSIONS", "PAIRS", "cells", "collapses", "dazzle_then_disappoint", "spread"]
