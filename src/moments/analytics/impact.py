"""The four R's: what each moment's valence does to revenue, referrals, reputation and repeat
business — and what moving a moment from negative to neutral is worth a year.

The unit is the episode (a customer's day, see :mod:`moments.analytics.episodes`). For each
episode, what followed it: spend (purchases) and repeat business (came back) and referrals
within ``horizon`` days; reputation (a public social post, and the stars of a public review)
within ``reputation_days``. Each is regressed by ordinary least squares with robust (HC1)
errors on, per moment, *lived*, *negative* and *positive* indicators — so a moment's negative
coefficient is the difference to a neutral experience of the same moment, with the other
moments of the episode held fixed. Observational: an association, not an experiment.

The regressors are indicators, so episodes fall into a few thousand distinct patterns: the
engine groups them and :func:`ols_hc1` solves from the groups' sums, exactly as OLS on the
episodes one by one would (tested against statsmodels) in memory that does not grow with the
data.
"""

from __future__ import annotations

from datetime import timedelta

import ibis
import numpy as np
import pandas as pd
from scipy.stats import norm

from moments.analytics.episodes import followed, judged_days, moment_ids, wide
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


STATES = {"negative": "n", "neutral": "o", "positive": "p"}  # not lived: "-"


def _state(score: ibis.Value) -> ibis.Value:
    """A moment's state in an episode from its mean valence score that day."""
    return ibis.cases((score.isnull(), "-"), (score <= -0.5, "n"), (score >= 0.5, "p"), else_="o")


def frame(
    judgements: ibis.Table,
    outcomes: ibis.Table,
    horizon: int = 90,
    reputation_days: int = REPUTATION_DAYS,
) -> tuple[pd.DataFrame, list[str]]:
    """Episodes grouped by pattern (the state of every moment that day): per pattern, the
    episodes ``n`` and, per R, the count, sum and sum of squares of what followed. The engine
    does the work; what comes back has one row per distinct pattern, not per episode."""
    j = judged_days(judgements, horizon)
    moments = moment_ids(j)
    if not moments:
        raise InputError(
            "no episodes old enough to see what followed",
            f"needs judged moments at least {horizon} days before the last one",
        )
    eps = wide(j, moments)
    eps = eps.select("customer_id", "day", **{m: _state(eps[m]) for m in moments})
    keys = eps.select("customer_id", "day")
    long = followed(keys, outcomes, horizon).rename(l_customer="customer_id", l_day="day")
    short = followed(keys, outcomes, reputation_days).select(
        s_customer="customer_id", s_day="day", s_posts="n_social_post", s_stars="stars"
    )
    e = eps.left_join(long, [eps.customer_id == long.l_customer, eps.day == long.l_day]).left_join(
        short, [eps.customer_id == short.s_customer, eps.day == short.s_day]
    )
    metrics = {
        "revenue": e.spend.fill_null(0.0),
        "repeat": (e.n_repeat_purchase.fill_null(0) > 0).ifelse(1.0, 0.0),
        "referral": (e.n_referral.fill_null(0) > 0).ifelse(1.0, 0.0),
        "posted": (e.s_posts.fill_null(0) > 0).ifelse(1.0, 0.0),
        "stars": e.s_stars.cast("float64"),
    }
    aggs: dict[str, ibis.Value] = {"n": e.count()}
    for name, y in metrics.items():
        aggs[f"{name}:n"] = y.count()
        aggs[f"{name}:s1"] = y.sum()
        aggs[f"{name}:s2"] = (y * y).sum()
    patterns = e.group_by(moments).agg(**aggs).order_by(moments).to_pandas()
    return patterns, moments


def _design(patterns: pd.DataFrame, moments: list[str]) -> pd.DataFrame:
    """Per pattern: a constant and, per moment, lived / negative / positive indicators."""
    cols: dict[str, pd.Series] = {"const": pd.Series(1.0, index=patterns.index)}
    for m in moments:
        s = patterns[m]
        cols[f"lived:{m}"] = (s != "-").astype(float)
        cols[f"negative:{m}"] = (s == "n").astype(float)
        cols[f"positive:{m}"] = (s == "p").astype(float)
    return pd.DataFrame(cols)


def ols_hc1(
    x: np.ndarray, n: np.ndarray, s1: np.ndarray, s2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """OLS with HC1 (White, small-sample scaled) covariance from grouped data.

    Rows of ``x`` are distinct regressor patterns; for the observations of each, ``n`` is how
    many, ``s1`` the sum and ``s2`` the sum of squares of the outcome. Exactly what OLS on the
    observations one by one gives (see the tests against statsmodels), in memory that grows
    with the patterns, not the observations.
    """
    xtx = (x * n[:, None]).T @ x
    beta = np.linalg.solve(xtx, x.T @ s1)
    fitted = x @ beta
    # Σ e² over a pattern's observations = within-pattern squares + n · (mean − fitted)²
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, s1 / np.where(n > 0, n, 1), 0.0)
    e2 = np.clip(s2 - n * mean**2, 0.0, None) + n * (mean - fitted) ** 2
    bread = np.linalg.inv(xtx)
    meat = (x * e2[:, None]).T @ x
    total, k = n.sum(), x.shape[1]
    return beta, bread @ meat @ bread * total / (total - k)


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
    patterns, moments = frame(judgements, outcomes, horizon, reputation_days)
    design = _design(patterns, moments)
    z = float(norm.ppf(0.975))
    fits: dict[str, pd.DataFrame] = {}
    for metric in METRICS:
        n = patterns[f"{metric}:n"].to_numpy(float)
        keep = n > 0
        if n.sum() < MIN_N:
            continue
        xm = design[keep]
        xm = xm.loc[:, (xm.std() > 0) | (xm.columns == "const")]
        x = xm.to_numpy()
        if np.linalg.matrix_rank((x * n[keep][:, None]).T @ x) < x.shape[1]:
            continue  # e.g. too few reviews to tell the moments' effects on stars apart
        s1 = patterns.loc[keep, f"{metric}:s1"].to_numpy(float)
        s2 = patterns.loc[keep, f"{metric}:s2"].to_numpy(float)
        beta, cov = ols_hc1(x, n[keep], s1, s2)
        se = np.sqrt(np.diag(cov))
        fits[metric] = pd.DataFrame(
            {"b": beta, "low": beta - z * se, "high": beta + z * se}, index=xm.columns
        )
    counts = {c: float((design[c] * patterns["n"]).sum()) for c in design.columns}
    per_year = _per_year(judgements)
    rows = []
    for m in moments:
        for valence in ("negative", "positive"):
            name = f"{valence}:{m}"
            n_eps = int(counts.get(name, 0))
            if n_eps < MIN_N:
                continue
            row: dict[str, object] = {"moment": m, "valence": valence, "episodes": n_eps}
            for metric, fit in fits.items():
                b, lo, hi = fit.loc[name] if name in fit.index else (np.nan,) * 3
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
    total = patterns["n"].sum()
    out.attrs["baseline"] = {
        metric: float(patterns[f"{metric}:s1"].sum() / max(patterns[f"{metric}:n"].sum(), 1))
        for metric in METRICS
    }
    out.attrs["episodes"] = int(total)
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
