"""The four R's: what each moment's valence does to revenue, referrals, reputation and repeat
business — and what moving a moment from negative to neutral is worth a year.

The unit is the episode (a customer's day, see :mod:`moments.analytics.episodes`). For each
episode, what followed it: spend (purchases) and repeat business (came back) and referrals
within ``horizon`` days; reputation (a public social post, and the stars of a public review)
within ``reputation_days``. Each is regressed by ordinary least squares (statsmodels, robust
HC1 errors) on, per moment, *lived*, *negative* and *positive* indicators — so a moment's
negative coefficient is the difference to a neutral experience of the same moment, with the
other moments of the episode held fixed. Observational: an association, not an experiment.
"""

from __future__ import annotations

from datetime import timedelta

import ibis
import numpy as np
import pandas as pd
import statsmodels.api as sm

from moments.analytics.episodes import followed, judged_days, moment_scores, wide
from moments.errors import InputError

REPUTATION_DAYS = 7
MIN_N = 30
# metric: (column in the episode frame, meaning)
METRICS = {
    "revenue": "spend in the horizon after",
    "repeat": "share who came back (repeat purchase)",
    "referral": "share who referred someone",
    "posted": f"share who posted publicly within {REPUTATION_DAYS} days",
    "stars": f"mean stars of public reviews within {REPUTATION_DAYS} days",
}


def frame(
    judgements: ibis.Table,
    outcomes: ibis.Table,
    horizon: int = 90,
    reputation_days: int = REPUTATION_DAYS,
) -> pd.DataFrame:
    """Episodes with moment scores and the four R's that followed them."""
    j = judged_days(judgements, horizon)
    per = moment_scores(j)
    scores = wide(per)
    if scores.empty:
        raise InputError(
            "no episodes old enough to see what followed",
            f"needs judged moments at least {horizon} days before the last one",
        )
    keys = per.select("customer_id", "day").distinct()
    long = followed(keys, outcomes, horizon).to_pandas().set_index(["customer_id", "day"])
    short = followed(keys, outcomes, reputation_days).to_pandas().set_index(["customer_id", "day"])
    long = long.reindex(scores.index)
    short = short.reindex(scores.index)
    out = scores.copy()
    out["revenue"] = long["spend"].fillna(0.0)
    out["repeat"] = (long["n_repeat_purchase"].fillna(0) > 0).astype(float)
    out["referral"] = (long["n_referral"].fillna(0) > 0).astype(float)
    out["posted"] = (short["n_social_post"].fillna(0) > 0).astype(float)
    out["stars"] = short["stars"].astype(float)
    return out.reset_index()


def _design(eps: pd.DataFrame, moments: list[str]) -> pd.DataFrame:
    cols = {}
    for m in moments:
        s = eps[m]
        cols[f"lived:{m}"] = s.notna().astype(float)
        cols[f"negative:{m}"] = (s <= -0.5).astype(float)
        cols[f"positive:{m}"] = (s >= 0.5).astype(float)
    x = pd.DataFrame(cols, index=eps.index)
    x = x.loc[:, x.std() > 0]
    return sm.add_constant(x, has_constant="add")


def impact(
    judgements: ibis.Table,
    outcomes: ibis.Table,
    horizon: int = 90,
    reputation_days: int = REPUTATION_DAYS,
) -> pd.DataFrame:
    """One row per moment and valence (negative, positive): episodes, and for each R the
    difference to a neutral experience of that moment with its 95 % interval; for negatives,
    ``worth_per_year``: the revenue a year of that moment's negatives costs (what moving them
    to neutral is worth), with its interval."""
    eps = frame(judgements, outcomes, horizon, reputation_days)
    moments = [
        c for c in eps.columns if c not in ("customer_id", "day", *METRICS) and eps[c].notna().any()
    ]
    x = _design(eps, moments)
    fits = {}
    for metric in METRICS:
        y = eps[metric]
        keep = y.notna()
        if keep.sum() < MIN_N or y[keep].nunique() < 2:
            continue
        xm = x[keep]
        xm = xm.loc[:, (xm.std() > 0) | (xm.columns == "const")]
        if np.linalg.matrix_rank(xm.to_numpy()) < xm.shape[1]:
            continue  # e.g. too few reviews to tell the moments' effects on stars apart
        fits[metric] = sm.OLS(y[keep], xm).fit(cov_type="HC1")
    per_year = _per_year(judgements)
    rows = []
    for m in moments:
        for valence in ("negative", "positive"):
            name = f"{valence}:{m}"
            n = int(x[name].sum()) if name in x else 0
            if n < MIN_N:
                continue
            row: dict[str, object] = {"moment": m, "valence": valence, "episodes": n}
            for metric, fit in fits.items():
                if name not in fit.params:
                    row.update({metric: np.nan, f"{metric}_low": np.nan, f"{metric}_high": np.nan})
                    continue
                b, (lo, hi) = fit.params[name], fit.conf_int().loc[name]
                row.update({metric: b, f"{metric}_low": lo, f"{metric}_high": hi})
            if valence == "negative" and "revenue" in fits:
                yearly = per_year.get(m, 0.0)
                row["negatives_per_year"] = yearly
                row["worth_per_year"] = -row["revenue"] * yearly  # type: ignore[operator]
                row["worth_per_year_low"] = -row["revenue_high"] * yearly  # type: ignore[operator]
                row["worth_per_year_high"] = -row["revenue_low"] * yearly  # type: ignore[operator]
            rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        raise InputError(
            "too few episodes to measure the four R's",
            f"needs at least {MIN_N} negative or positive episodes of a moment",
        )
    baseline = {metric: float(eps[metric].mean()) for metric in METRICS}
    out.attrs["baseline"] = baseline
    out.attrs["episodes"] = len(eps)
    return out.sort_values(["valence", "moment"]).reset_index(drop=True)


def _per_year(judgements: ibis.Table) -> dict[str, float]:
    """Negative lived moments per moment over the data's last year (scaled up if shorter)."""
    j = judgements
    span = j.aggregate(first=j.occurred_at.min(), last=j.occurred_at.max()).to_pandas().iloc[0]
    if pd.isna(span["last"]):
        return {}
    days = max((span["last"] - span["first"]) / timedelta(days=1), 1.0)
    window = min(days, 365.0)
    since = span["last"] - timedelta(days=window)
    neg = j.filter((j.valence == "negative") & (j.occurred_at >= since.to_pydatetime()))
    counts = neg.group_by("moment_id").agg(n=neg.count()).to_pandas()
    scale = 365.0 / window
    return {r.moment_id: float(r.n) * scale for r in counts.itertuples()}


__all__ = ["METRICS", "frame", "impact"]
