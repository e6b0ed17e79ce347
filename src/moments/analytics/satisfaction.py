"""A per-customer model of an outcome from what the store knows: does it predict satisfaction?

:func:`features` builds one row per customer from the store alone — each moment's survey
answer (on its own scale) and valence score (−1/0/+1, however judged), each measure recorded
with the customer's interactions (delays, distances …) and their profile segment, one-hot.
Several lived moments of the same kind are averaged; missing values stay missing (the model
handles them). :func:`fit` trains scikit-learn's ``HistGradientBoostingClassifier`` (seeded) on
the training customers and reports on the test customers: accuracy with a Wilson 95 % interval,
ROC AUC with a bootstrap 95 % interval, the majority-class baseline, and n.

The split is generic: pass the test customers (for a data set with its own split, e.g. the
airline survey's ``test.csv``, see :func:`customers_from`), or a holdout fraction drawn
stratified at random (seeded).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from statsmodels.stats.proportion import proportion_confint

from moments.errors import InputError
from moments.store.schema import OUTCOME_TYPES, RATED_OUTCOMES

if TYPE_CHECKING:
    from moments.workspace import Workspace

BOOTSTRAP = 200
EVENT_TABLES = ("interactions", "feedback", "outcomes", "customers", "comments")


def customers_from(ws: Workspace, name_contains: str) -> set[str]:
    """Customers with an event loaded from a file whose *name* (not folder) contains the text,
    e.g. ``"test"`` for the passengers of the airline survey's ``test.csv``."""
    loads = ws.loads().select("load_id", "file").to_pyarrow().to_pylist()
    ids = [r["load_id"] for r in loads if name_contains in Path(r["file"]).name]
    if not ids:
        names = sorted({Path(r["file"]).name for r in loads})
        raise InputError(
            f"no load from a file whose name contains '{name_contains}'",
            f"the loaded files are: {', '.join(names) or 'none'}",
        )
    found: set[str] = set()
    for name in EVENT_TABLES:
        t = ws.store.table(name)
        col = t.filter(t.load_id.isin(ids)).customer_id.name("customer_id")
        ids_here = col.as_table().distinct().to_pyarrow()["customer_id"].to_pylist()
        found.update(c for c in ids_here if c is not None)
    return found


def target(ws: Workspace, outcome: str, threshold: float = 0.75) -> pd.Series:
    """Per customer, 1/0. For an answer (satisfaction, recommendation): the latest rating is at
    least ``threshold``, customers without one left out. For a happening (repeat purchase …):
    whether the customer has one, every customer with a lived moment counted."""
    if outcome not in OUTCOME_TYPES:
        raise InputError(f"unknown outcome '{outcome}'", f"use one of: {', '.join(OUTCOME_TYPES)}")
    o = ws.events("outcome")
    o = o.filter(o.type == outcome)
    if outcome in RATED_OUTCOMES:
        o = o.filter(o.rating.notnull())
        ranked = o.mutate(
            _n=ibis.row_number().over(
                group_by="customer_id", order_by=[ibis.desc("occurred_at"), ibis.desc("event_id")]
            )
        )
        latest = ranked.filter(ranked._n == 0)
        df = latest.select("customer_id", y=(latest.rating >= threshold).ifelse(1, 0)).to_pandas()
        return df.set_index("customer_id")["y"].astype(int).sort_index()
    j = ws.judgements()
    lived = j.select("customer_id").distinct()
    had = o.select("customer_id").distinct().mutate(_had=ibis.literal(1))
    t = lived.left_join(had, "customer_id")
    df = t.select(t.customer_id, y=t._had.fill_null(0).cast("int64")).to_pandas()
    return df.set_index("customer_id")["y"].astype(int).sort_index()


def _wide(t: ibis.Table, names: str, values: str, prefix: str) -> pd.DataFrame:
    """customer_id × names, the mean of values, as a DataFrame indexed by customer_id."""
    agg = t.group_by(["customer_id", names]).agg(_v=t[values].cast(dt.float64).mean())
    long = agg.to_pandas()
    if long.empty:
        return pd.DataFrame(index=pd.Index([], name="customer_id"))
    wide = long.pivot(index="customer_id", columns=names, values="_v")
    wide.columns = [f"{prefix}{c}" for c in wide.columns]
    return wide


def features(ws: Workspace) -> pd.DataFrame:
    """One row per customer (index ``customer_id``): ``answer:<moment>`` (mean survey score),
    ``valence:<moment>`` (mean valence score of judged lived moments), ``measure:<name>`` (mean
    over the customer's interactions) and ``segment=<value>`` (0/1, the current profile)."""
    j = ws.judgements()
    j = j.filter(j.valence != "unknown")
    parts = [
        _wide(ws.events("feedback"), "moment_id", "score", "answer:"),
        _wide(j, "moment_id", "score", "valence:"),
    ]
    i = ws.events("interaction").select(_eid="event_id", customer_id="customer_id")
    m = ws.store.table("measures")
    im = m.join(i, m.event_id == i._eid)
    parts.append(_wide(im, "name", "value", "measure:"))
    seg = ws.profiles().select("customer_id", "segment").to_pandas()
    seg = seg.dropna(subset=["segment"]).set_index("customer_id")["segment"]
    if len(seg):
        parts.append(pd.get_dummies(seg, prefix="segment", prefix_sep="=", dtype=float))
    x = pd.concat(parts, axis=1, join="outer")
    seg_cols = [c for c in x.columns if str(c).startswith("segment=")]
    x[seg_cols] = x[seg_cols].fillna(0.0)
    x.index.name = "customer_id"
    return x.sort_index()


@dataclass
class ModelReport:
    """Test-set performance of the model, with the baseline and what it was trained on."""

    outcome: str
    n_train: int
    n_test: int
    positive_share: float  # in the test set
    accuracy: float
    accuracy_low: float
    accuracy_high: float
    auc: float
    auc_low: float
    auc_high: float
    baseline_accuracy: float  # always predicting the majority class of the training set
    split: str
    features: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per metric on the test customers: value, 95 % interval, n."""
        nan = float("nan")
        rows = [
            ("accuracy", self.accuracy, self.accuracy_low, self.accuracy_high),
            ("ROC AUC", self.auc, self.auc_low, self.auc_high),
            ("majority-class accuracy", self.baseline_accuracy, nan, nan),
            ("share with the outcome", self.positive_share, nan, nan),
        ]
        df = pd.DataFrame(rows, columns=["metric", "value", "low", "high"])
        df["n"] = self.n_test
        return df

    def __str__(self) -> str:
        return (
            f"{self.outcome}: test accuracy {self.accuracy:.4f} "
            f"[{self.accuracy_low:.4f}, {self.accuracy_high:.4f}], ROC AUC {self.auc:.4f} "
            f"[{self.auc_low:.4f}, {self.auc_high:.4f}] on {self.n_test:,} test customers "
            f"({self.split}; trained on {self.n_train:,}, {len(self.features)} features; "
            f"majority class {self.baseline_accuracy:.4f})"
        )


def fit(
    ws: Workspace,
    outcome: str = "satisfaction",
    test_customers: Collection[str] | None = None,
    holdout: float = 0.2,
    threshold: float = 0.75,
    seed: int = 0,
    bootstrap: int = BOOTSTRAP,
) -> ModelReport:
    """Train on all but the test customers, report on the test customers.

    ``test_customers`` None: a stratified random ``holdout`` share is the test set.
    """
    y = target(ws, outcome, threshold)
    x = features(ws).reindex(y.index)
    if x.shape[1] == 0 or len(y) == 0:
        raise InputError(
            f"no customers with both lived moments and a '{outcome}' outcome",
            "load interactions / feedback and outcomes, and run 'moments judge'",
        )
    x = x.fillna({c: 0.0 for c in x.columns if str(c).startswith("segment=")})
    if test_customers is not None:
        is_test = y.index.isin(list(test_customers))
        split = "the given test customers"
    else:
        if not 0 < holdout < 1:
            raise InputError(f"holdout {holdout} must be between 0 and 1", "e.g. 0.2")
        _, test_ids = train_test_split(
            y.index.to_numpy(),
            test_size=holdout,
            random_state=seed,
            stratify=y.to_numpy() if y.nunique() > 1 else None,
        )
        is_test = y.index.isin(test_ids)
        split = f"a random {holdout:.0%} holdout, seed {seed}"
    y_train, y_test = y[~is_test].to_numpy(), y[is_test].to_numpy()
    if len(y_test) == 0 or len(y_train) == 0:
        raise InputError(
            f"the split leaves {len(y_train)} training and {len(y_test)} test customers "
            f"with a '{outcome}' outcome",
            "both need customers; check the test customers or the holdout share",
        )
    if len(np.unique(y_train)) < 2 or len(np.unique(y_test)) < 2:
        raise InputError(
            "the outcome does not vary in the training or the test customers",
            "a model needs customers with and without the outcome in both",
        )
    model = HistGradientBoostingClassifier(random_state=seed)
    model.fit(x[~is_test], y_train)
    p = model.predict_proba(x[is_test])[:, 1]
    hits = int(((p >= 0.5).astype(int) == y_test).sum())
    n = len(y_test)
    lo, hi = proportion_confint(hits, n, alpha=0.05, method="wilson")
    auc = float(roc_auc_score(y_test, p))
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(bootstrap):
        idx = rng.integers(0, n, n)
        if len(np.unique(y_test[idx])) == 2:
            boots.append(roc_auc_score(y_test[idx], p[idx]))
    auc_lo, auc_hi = np.percentile(boots, [2.5, 97.5]) if boots else (np.nan, np.nan)
    majority = int(y_train.mean() >= 0.5)
    return ModelReport(
        outcome=outcome,
        n_train=len(y_train),
        n_test=n,
        positive_share=float(y_test.mean()),
        accuracy=hits / n,
        accuracy_low=float(lo),
        accuracy_high=float(hi),
        auc=auc,
        auc_low=float(auc_lo),
        auc_high=float(auc_hi),
        baseline_accuracy=float((y_test == majority).mean()),
        split=split,
        features=[str(c) for c in x.columns],
    )
