"""Defection risk: who is about to leave, why, and does "fewer than three bad experiences" hold?

- :func:`negatives_curve` — the seed's claim checked on the data: by number of negative
  moments, the share of customers who defected (counting negatives up to the defection), and
  the share who defected at or before their next negative after reaching that count.
- :func:`features` — per customer as of a date: negatives in a rolling window and in all, per
  moment negatives in the window, positives, lived moments, days since the last one, tenure,
  and the weakest moment.
- :func:`risk` — a logistic model (scikit-learn) trained on a past snapshot (features as of
  ``horizon`` days before the end, label = defected in the ``horizon`` days after), validated
  out of sample (5-fold AUC, Brier score, calibration by decile), then applied to every active
  customer today; each score comes with its reasons (the moments that raise it most).

The target is ``defection`` events where the store has them; otherwise a *lapse*: no purchase
or repeat purchase in the ``horizon`` days after the snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import ibis
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from statsmodels.stats.proportion import proportion_confint

from moments.analytics.episodes import UTC
from moments.errors import InputError

WINDOW = 90
BANDS = (("high", 0.5), ("elevated", 0.2), ("low", 0.0))


def _judged(judgements: ibis.Table) -> ibis.Table:
    return judgements.filter(judgements.valence != "unknown")


def _first_defection(outcomes: ibis.Table) -> ibis.Table:
    d = outcomes.filter(outcomes.type == "defection")
    return d.group_by(d.customer_id.name("d_customer")).agg(defected_at=d.occurred_at.min())


def negatives_curve(judgements: ibis.Table, outcomes: ibis.Table, top: int = 5) -> pd.DataFrame:
    """Defection by number of negative moments (``top`` means that many or more).

    ``customers`` had exactly that many negatives when they defected (or by the end, if they
    did not), ``defected`` is their share who defected; ``reached`` customers ever had that
    many, and ``defected_before_next`` is the share of them who defected before another negative.
    """
    j = _judged(judgements)
    d = _first_defection(outcomes)
    jj = j.left_join(d, j.customer_id == d.d_customer)
    # the defection visit's own moments count: the second negative and the leaving coincide
    upto = jj.filter(jj.defected_at.isnull() | (jj.occurred_at <= jj.defected_at))
    per = upto.group_by("customer_id").agg(
        negatives=(upto.valence == "negative").ifelse(1, 0).sum(),
        defected=upto.defected_at.notnull().ifelse(1, 0).max(),
    )
    df = per.to_pandas()
    if df.empty:
        raise InputError("no judged lived moments", "load events and run 'moments judge' first")
    if not df["defected"].any():
        raise InputError(
            "no defection events",
            "load outcome events of type 'defection' (a customer leaving) to test the claim",
        )
    df["bucket"] = df["negatives"].clip(upper=top)
    rows = []
    for k in range(top + 1):
        at = df[df["bucket"] == k]
        reached = df[df["negatives"] >= k]
        stopped = reached[(reached["negatives"] == k) & (reached["defected"] == 1)]
        row: dict[str, object] = {"negatives": f"{k}+" if k == top else str(k)}
        row.update(_share("defected", int(at["defected"].sum()), len(at)))
        row["customers"] = len(at)
        row["reached"] = len(reached)
        if k < top:
            row.update(_share("defected_before_next", len(stopped), len(reached)))
        rows.append(row)
    out = pd.DataFrame(rows)
    two = df[df["negatives"] >= 2]
    fewer = df[df["negatives"] < 2]
    out.attrs["two_or_more"] = (float(two["defected"].mean()), len(two))
    out.attrs["fewer"] = (float(fewer["defected"].mean()), len(fewer))
    out.attrs["verdict"] = (
        f"{_pct(two['defected'].mean())} of customers with 2 or more negative moments defected "
        f"(n={len(two):,}) against {_pct(fewer['defected'].mean())} of those with fewer "
        f"(n={len(fewer):,})"
    )
    return out


def _share(name: str, k: int, n: int) -> dict[str, float]:
    if n == 0:
        return {name: float("nan"), f"{name}_low": float("nan"), f"{name}_high": float("nan")}
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    return {name: k / n, f"{name}_low": float(lo), f"{name}_high": float(hi)}


def _pct(x: float) -> str:
    return "n/a" if np.isnan(x) else f"{x:.0%}"


def features(
    judgements: ibis.Table,
    outcomes: ibis.Table,
    as_of: datetime,
    window: int = WINDOW,
    weakest: bool = True,
) -> pd.DataFrame:
    """Per customer with a judged moment before ``as_of`` and no defection before it: the risk
    model's features (index customer_id) and, with ``weakest``, ``weakest_moment`` (most
    negatives, else lowest mean valence, latest first)."""
    at = ibis.literal(as_of, UTC)
    since = ibis.literal(as_of - timedelta(days=window), UTC)
    j = _judged(judgements)
    j = j.filter(j.occurred_at < at)
    d = _first_defection(outcomes)
    d = d.filter(d.defected_at < at)
    j = j.anti_join(d, j.customer_id == d.d_customer)
    neg = j.valence == "negative"
    recent = j.occurred_at >= since
    moment_ids = sorted(j.moment_id.as_table().distinct().to_pandas()["moment_id"])
    aggs = {
        "lived": j.count(),
        "negatives": neg.ifelse(1, 0).sum(),
        "positives": (j.valence == "positive").ifelse(1, 0).sum(),
        "negatives_window": (neg & recent).ifelse(1, 0).sum(),
        "lived_window": recent.ifelse(1, 0).sum(),
        # seconds since the epoch: numbers cross to pandas far faster than timestamps
        "first_at": j.occurred_at.epoch_seconds().cast("float64").min(),
        "last_at": j.occurred_at.epoch_seconds().cast("float64").max(),
    }
    for m in moment_ids:
        aggs[f"neg:{m}"] = (neg & recent & (j.moment_id == m)).ifelse(1, 0).sum()
    df = j.group_by("customer_id").agg(**aggs).to_pyarrow().to_pandas().set_index("customer_id")
    when = as_of.timestamp()
    df["days_since_last"] = ((when - df.pop("last_at")) // 86400).astype("int64")
    df["tenure_days"] = ((when - df.pop("first_at")) // 86400).astype("int64")
    if weakest:
        df["weakest_moment"] = _weakest(j, moment_ids, df.index)
    return df


def _weakest(j: ibis.Table, moment_ids: list[str], index: pd.Index) -> pd.Series:
    per = j.group_by(["customer_id", "moment_id"]).agg(
        negatives=(j.valence == "negative").ifelse(1, 0).sum(),
        mean=j.score.cast("float64").mean(),
        last=j.occurred_at.max(),
    )
    ranked = per.mutate(
        _n=ibis.row_number().over(
            group_by="customer_id",
            order_by=[ibis.desc("negatives"), "mean", ibis.desc("last"), "moment_id"],
        )
    )
    top = ranked.filter(ranked._n == 0).select("customer_id", "moment_id").to_pyarrow().to_pandas()
    return top.set_index("customer_id")["moment_id"].reindex(index)


@dataclass(frozen=True)
class RiskModel:
    """A fitted risk model with its out-of-sample validation on the training snapshot."""

    model: object
    columns: list[str]
    target: str
    snapshot: datetime
    horizon: int
    window: int
    n: int
    events: int
    auc: float
    brier: float
    base_rate: float
    calibration: pd.DataFrame

    def summary(self) -> str:
        return (
            f"{self.target} within {self.horizon} days, trained on {self.n:,} customers as of "
            f"{self.snapshot:%Y-%m-%d} ({self.events:,} {self.target}s, base rate "
            f"{self.base_rate:.1%}); out-of-sample AUC {self.auc:.3f}, Brier {self.brier:.4f}"
        )


def _last(judgements: ibis.Table) -> datetime:
    last = judgements.occurred_at.max().to_pyarrow().as_py()
    if last is None:
        raise InputError("no judged lived moments", "load events and run 'moments judge' first")
    return last + timedelta(seconds=1)


def _labels(
    outcomes: ibis.Table, target: str, start: datetime, horizon: int, index: pd.Index
) -> pd.Series:
    o = outcomes.filter(
        (outcomes.occurred_at >= ibis.literal(start, UTC))
        & (outcomes.occurred_at < ibis.literal(start + timedelta(days=horizon), UTC))
    )
    if target == "defection":
        o = o.filter(o.type == "defection")
    else:
        o = o.filter(o.type.isin(["purchase", "repeat_purchase"]))
    who = set(o.select("customer_id").distinct().to_pandas()["customer_id"])
    hit = index.isin(list(who))
    return pd.Series(hit if target == "defection" else ~hit, index=index).astype(int)


def _matrix(df: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    x = df.drop(columns=["weakest_moment"], errors="ignore").astype(float)
    x["days_since_last"] = np.log1p(x["days_since_last"].clip(lower=0))
    x["tenure_days"] = np.log1p(x["tenure_days"].clip(lower=0))
    # the count's effect need not be linear: the seed says the second bad experience counts
    for k in (1, 2):
        x[f"negatives={k}"] = (x["negatives"] == k).astype(float)
    x["negatives>=3"] = (x["negatives"] >= 3).astype(float)
    return x if columns is None else x.reindex(columns=columns, fill_value=0.0)


def fit(
    judgements: ibis.Table,
    outcomes: ibis.Table,
    horizon: int = 90,
    window: int = WINDOW,
    target: str | None = None,
    seed: int = 7,
) -> RiskModel:
    """Train on the snapshot ``horizon`` days before the end; validate by 5-fold CV."""
    has_defections = outcomes.filter(outcomes.type == "defection").count().to_pyarrow().as_py()
    target = target or ("defection" if has_defections else "lapse")
    if target not in ("defection", "lapse"):
        raise InputError(f"unknown risk target '{target}'", "use 'defection' or 'lapse'")
    snapshot = _last(judgements) - timedelta(days=horizon)
    feats = features(judgements, outcomes, snapshot, window, weakest=False)
    y = _labels(outcomes, target, snapshot, horizon, feats.index)
    if len(y) < 100 or y.sum() < 10 or y.sum() > len(y) - 10:
        raise InputError(
            "too little history to train a risk model",
            f"needs 100+ customers before {snapshot:%Y-%m-%d} and 10+ with and without a "
            f"{target} in the {horizon} days after",
        )
    x = _matrix(feats)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=1000))
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    p = cross_val_predict(model, x, y, cv=cv, method="predict_proba")[:, 1]
    model.fit(x, y)
    deciles = pd.qcut(pd.Series(p).rank(method="first"), 10, labels=False)
    calibration = (
        pd.DataFrame({"decile": deciles + 1, "predicted": p, "observed": y.to_numpy()})
        .groupby("decile")
        .agg(customers=("observed", "size"), predicted=("predicted", "mean"),
             observed=("observed", "mean"))
        .reset_index()
    )  # fmt: skip
    return RiskModel(
        model=model,
        columns=list(x.columns),
        target=target,
        snapshot=snapshot,
        horizon=horizon,
        window=window,
        n=len(y),
        events=int(y.sum()),
        auc=float(roc_auc_score(y, p)),
        brier=float(brier_score_loss(y, p)),
        base_rate=float(y.mean()),
        calibration=calibration,
    )


def score(
    fitted: RiskModel, judgements: ibis.Table, outcomes: ibis.Table, reasons: int = 3
) -> pd.DataFrame:
    """Every active customer's probability of ``fitted.target`` in the next horizon, with the
    negative experiences that raise it most as plain-language reasons, highest risk first."""
    now = _last(judgements)
    feats = features(judgements, outcomes, now, fitted.window)
    x = _matrix(feats, fitted.columns)
    model = fitted.model
    prob = model.predict_proba(x)[:, 1]  # type: ignore[attr-defined]
    scaler, logit = model.steps[0][1], model.steps[-1][1]  # type: ignore[attr-defined]
    # contribution of each feature to the log-odds, relative to the average customer
    contrib = ((x.to_numpy() - scaler.mean_) / scaler.scale_) * logit.coef_[0]
    why = _reasons(x.to_numpy(), contrib, list(fitted.columns), fitted.window, reasons)
    out = pd.DataFrame(
        {
            "customer_id": feats.index,
            "risk": prob,
            "band": np.select([prob >= t for _, t in BANDS], [b for b, _ in BANDS], "low"),
            "negatives_window": feats["negatives_window"].to_numpy(),
            "negatives": feats["negatives"].to_numpy(),
            "days_since_last": feats["days_since_last"].to_numpy(),
            "weakest_moment": feats["weakest_moment"].to_numpy(),
            "reasons": why,
        }
    )
    return out.sort_values(["risk", "customer_id"], ascending=[False, True]).reset_index(drop=True)


def _reasons(
    x: np.ndarray, contrib: np.ndarray, names: list[str], window: int, top: int
) -> list[str]:
    """Per customer: the negative-count feature that raises the risk most, then the moments
    negative in the window, biggest contribution first. Experiences only: how often someone
    visits is context, not a cause."""
    counts = np.array([i for i, n in enumerate(names) if n.startswith("negatives")])
    moments = np.array([i for i, n in enumerate(names) if n.startswith("neg:")])
    c = np.where((x[:, counts] > 0) & (contrib[:, counts] > 0), contrib[:, counts], -np.inf)
    best = counts[c.argmax(axis=1)]
    has_count = np.isfinite(c.max(axis=1))
    mc = np.where(x[:, moments] > 0, contrib[:, moments], -np.inf)
    order = np.argsort(-mc, axis=1, kind="stable")[:, :top]
    ranked = moments[order]
    shown = np.take_along_axis(np.isfinite(mc), order, axis=1)
    labels = [n[4:] for n in names]
    out = []
    for i in range(len(x)):
        parts = [_reason(names[best[i]], x[i, best[i]], window)] if has_count[i] else []
        listed = [
            labels[j] if x[i, j] == 1 else f"{labels[j]} ×{int(x[i, j])}"
            for j, ok in zip(ranked[i], shown[i], strict=True)
            if ok
        ]
        if listed:
            parts.append(f"negative in the last {window} days: {', '.join(listed)}")
        out.append("; ".join(parts))
    return out


def _reason(name: str, value: float, window: int) -> str:
    if name.startswith("neg:"):
        return f"{int(value)} negative {name[4:]} in {window} days"
    if name == "negatives_window":
        return f"{int(value)} negative moments in {window} days"
    if name == "negatives=1":
        return "1 negative moment so far"
    if name.startswith(("negatives=", "negatives>=")):
        count = name.removeprefix("negatives>=").removeprefix("negatives=")
        return f"{count}{'+' if '>=' in name else ''} negative moments so far"
    return f"{int(value)} negative moments in all"
