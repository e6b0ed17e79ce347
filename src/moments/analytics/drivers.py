"""Which moments drive an outcome (key moments) and how (basics vs differentiators).

The unit is an **episode**: one customer's lived moments on one day (a store visit, a call).
Its outcome is whether the customer had an outcome event of the chosen type (e.g.
``repeat_purchase``) within ``horizon`` days after that day. Episodes closer than ``horizon``
to the end of the data are left out: their future is not known yet.

- :func:`drivers` — each moment's share of the explained outcome, by Johnson's relative weights
  (robust to correlated moments), with bootstrap intervals and the episodes behind each moment.
- :func:`penalty_reward` — per moment, the outcome rate after a negative, neutral and positive
  experience (Wilson intervals, statsmodels), the penalty (neutral − negative) and reward
  (positive − neutral), and whether the data say basic or differentiator.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from moments.analytics.episodes import judged_days, moment_ids, wide
from moments.errors import InputError
from moments.store.schema import OUTCOME_TYPES, RATED_OUTCOMES

BOOTSTRAP = 200
BLOCKS = 2000


def episodes(
    judgements: ibis.Table,
    outcomes: ibis.Table,
    outcome: str,
    horizon: int = 90,
    threshold: float = 0.75,
) -> pd.DataFrame:
    """One row per customer-day: the mean valence score per moment (NaN where not lived) and
    ``outcome`` = 1 if the outcome followed within ``horizon`` days.

    For a happening (repeat purchase, referral, defection …) the outcome is 1 when such an event
    followed and 0 otherwise; days within ``horizon`` of the end of the data are left out. For an
    answer (satisfaction, recommendation: ``rating`` on 0–1) it is 1 when the first answer on that
    day or after is at least ``threshold`` (0.75 = top two boxes of five); days without an answer
    are left out.
    """
    if outcome not in OUTCOME_TYPES:
        raise InputError(f"unknown outcome '{outcome}'", f"use one of: {', '.join(OUTCOME_TYPES)}")
    rated = outcome in RATED_OUTCOMES
    # an answer is known as soon as it is given; a happening needs its whole horizon
    j = judged_days(judgements, None if rated else horizon)
    moments = moment_ids(j)
    eps = wide(j, moments)
    o = outcomes.filter(outcomes.type == outcome).select(
        o_customer="customer_id", o_at="occurred_at", o_rating="rating"
    )
    keys = eps.select("customer_id", "day")
    # an answer given the same day counts; a happening must come after the day
    start = 0 if rated else 1
    hits = keys.join(
        o,
        [
            keys.customer_id == o.o_customer,
            o.o_at >= keys.day + ibis.interval(days=start),
            o.o_at < keys.day + ibis.interval(days=1 + horizon),
        ],
    )
    if rated:
        first = hits.mutate(
            _n=ibis.row_number().over(group_by=["customer_id", "day"], order_by="o_at")
        )
        hit = first.filter((first._n == 0) & first.o_rating.notnull()).select(
            "customer_id", "day", outcome=(first.o_rating >= threshold).ifelse(1, 0)
        )
        joined = eps.join(hit, ["customer_id", "day"])
    else:
        hit = hits.select("customer_id", "day").distinct().mutate(outcome=ibis.literal(1))
        joined = eps.left_join(hit, ["customer_id", "day"])
    table = (
        joined.select("customer_id", "day", *moments, outcome=joined.outcome.fill_null(0))
        .order_by(["customer_id", "day"])  # the bootstrap's draws depend on the order
        .to_pandas()
        .drop(columns=["customer_id", "day"])
    )
    table["outcome"] = table["outcome"].astype(int)
    table.columns.name = "moment_id"
    return table


def weights_from_correlation(r: np.ndarray) -> np.ndarray:
    """Johnson (2000) relative weights from the correlation matrix of (x₁ … x_p, y).

    X is made orthogonal through the symmetric square root of its correlation matrix, so
    correlated predictors share what they jointly explain instead of one taking it all. The
    weights are each predictor's share of R² and sum to R².
    """
    rxx, rxy = r[:-1, :-1], r[:-1, -1]
    evals, evecs = np.linalg.eigh(rxx)
    evals = np.clip(evals, 1e-12, None)
    lam = evecs @ np.diag(np.sqrt(evals)) @ evecs.T
    beta = np.linalg.solve(lam, rxy)
    return np.asarray((lam**2) @ (beta**2))


def relative_weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Relative weights of the columns of ``x`` for ``y`` (see weights_from_correlation)."""
    return weights_from_correlation(np.corrcoef(np.column_stack([x, y]), rowvar=False))


def _correlation(n: float, s: np.ndarray, ss: np.ndarray) -> np.ndarray:
    """Correlation matrix from a count, column sums and the matrix of cross-product sums."""
    mean = s / n
    cov = ss / n - np.outer(mean, mean)
    sd = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    return np.asarray(cov / np.outer(sd, sd))


def _bootstrap(z: np.ndarray, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """Relative-weight shares of ``replicates`` bootstrap samples of the rows of z = [x, y].

    Rows are dealt at random into at most ``BLOCKS`` blocks whose sums are kept; a replicate
    draws blocks with replacement and adds their sums. With no more rows than blocks this is
    the ordinary row bootstrap; above, it resamples groups of exchangeable rows, which gives
    the same intervals in a time that does not grow with the rows (each replicate costs
    blocks × columns², not rows × columns).
    """
    n, k = z.shape
    blocks = min(n, BLOCKS)
    label = rng.permutation(n) % blocks
    z = z - z.mean(axis=0)  # centred: the sums of squares lose no precision
    size = np.bincount(label, minlength=blocks).astype(float)
    sums = np.stack([np.bincount(label, z[:, i], blocks) for i in range(k)], axis=1)
    cross = np.empty((blocks, k, k))
    for i in range(k):
        for j in range(i, k):
            cross[:, i, j] = cross[:, j, i] = np.bincount(label, z[:, i] * z[:, j], blocks)
    out = np.empty((replicates, k - 1))
    for b in range(replicates):
        take = np.bincount(rng.integers(0, blocks, blocks), minlength=blocks).astype(float)
        r = _correlation(take @ size, take @ sums, np.tensordot(take, cross, axes=1))
        w = weights_from_correlation(r)
        out[b] = w / w.sum()
    return out


def drivers(eps: pd.DataFrame, seed: int = 7, bootstrap: int = BOOTSTRAP) -> pd.DataFrame:
    """Per moment: importance (share of explained outcome), 95 % bootstrap interval, n."""
    moments = [c for c in eps.columns if c != "outcome"]
    n = eps[moments].notna().sum()
    usable = [m for m in moments if n[m] >= 30 and eps[m].nunique(dropna=True) > 1]
    if not usable or eps["outcome"].nunique() < 2:
        raise InputError(
            "too little variation to estimate drivers",
            "needs at least 30 episodes per moment and both outcomes present",
        )
    x = eps[usable].fillna(0.0).to_numpy()  # not lived that day: neither helped nor hurt
    y = eps["outcome"].to_numpy(dtype=float)
    w = relative_weights(x, y)
    share = w / w.sum()
    boot = _bootstrap(np.column_stack([x, y]), bootstrap, np.random.default_rng(seed))
    low, high = np.percentile(boot, [2.5, 97.5], axis=0)
    out = pd.DataFrame(
        {
            "moment": usable,
            "importance": share,
            "low": low,
            "high": high,
            "n": [int(n[m]) for m in usable],
            "r2": w.sum(),
        }
    )
    return out.sort_values("importance", ascending=False).reset_index(drop=True)


def _rate(k: int, n: int) -> tuple[float, float, float]:
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    return k / n, float(lo), float(hi)


def _diff(a: tuple[int, int], b: tuple[int, int]) -> tuple[float, float, float]:
    """a − b of two proportions with a normal-approximation 95 % interval."""
    (ka, na), (kb, nb) = a, b
    if na == 0 or nb == 0:
        return float("nan"), float("nan"), float("nan")
    pa, pb = ka / na, kb / nb
    se = np.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    return pa - pb, pa - pb - 1.96 * se, pa - pb + 1.96 * se


def penalty_reward(eps: pd.DataFrame, declared: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Per moment: outcome rates after negative / neutral / positive, penalty and reward.

    ``verdict`` is *basic* when the penalty is significant and at least twice the reward,
    *differentiator* when the reward is significant and at least twice the penalty, *both* when
    both are significant otherwise, else *unclear*. ``agrees`` compares it with the journey.
    """
    moments = [c for c in eps.columns if c != "outcome"]
    if len(eps) < 30 or not moments:
        raise InputError(
            "too few episodes to compare negative, neutral and positive experiences",
            "needs at least 30 judged customer-days whose outcome is known",
        )
    rows = []
    for m in moments:
        s = eps[m]
        groups = {
            "negative": eps["outcome"][s < -0.5 + 1e-9],
            "neutral": eps["outcome"][(s > -0.5) & (s < 0.5)],
            "positive": eps["outcome"][s >= 0.5],
        }
        kn = {g: (int(v.sum()), len(v)) for g, v in groups.items()}
        row: dict[str, object] = {"moment": m}
        for g, (k, n) in kn.items():
            rate, lo, hi = _rate(k, n)
            row.update({f"n_{g}": n, f"rate_{g}": rate, f"rate_{g}_low": lo, f"rate_{g}_high": hi})
        pen = _diff(kn["neutral"], kn["negative"])
        rew = _diff(kn["positive"], kn["neutral"])
        row.update(
            {
                "penalty": pen[0],
                "penalty_low": pen[1],
                "penalty_high": pen[2],
                "reward": rew[0],
                "reward_low": rew[1],
                "reward_high": rew[2],
            }
        )
        pen_sig, rew_sig = pen[1] > 0, rew[1] > 0
        if pen_sig and pen[0] >= 2 * max(rew[0], 0):
            verdict = "basic"
        elif rew_sig and rew[0] >= 2 * max(pen[0], 0):
            verdict = "differentiator"
        elif pen_sig and rew_sig:
            verdict = "both"
        else:
            verdict = "unclear"
        row["verdict"] = verdict
        kind = (declared or {}).get(m)
        row["declared"] = kind
        row["agrees"] = None if verdict in ("both", "unclear") or kind is None else verdict == kind
        rows.append(row)
    return pd.DataFrame(rows)
