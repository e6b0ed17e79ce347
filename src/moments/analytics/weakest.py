"""Weakest link: does an episode's weakest moment explain the outcome better than its average?

The seed's claim is that loyalty rests on the weakest defining moment. On episodes (a
customer's day, see :mod:`moments.analytics.drivers`), two one-feature logistic models are
compared out of sample (stratified k-fold, scikit-learn): the minimum valence score of the
episode's judged moments against their mean. Lower log-loss and higher AUC win.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from moments.errors import InputError


def weakest_link(eps: pd.DataFrame, folds: int = 5, seed: int = 7) -> pd.DataFrame:
    """One row per model (``minimum``, ``mean``): out-of-sample log-loss and AUC (mean and sd
    over folds), folds won, n episodes, and ``holds``: True for the better model by log-loss."""
    scores = eps.drop(columns="outcome")
    judged = scores.notna().any(axis=1)
    y = eps.loc[judged, "outcome"].to_numpy()
    if len(y) < folds * 10 or len(np.unique(y)) < 2:
        raise InputError(
            "too few episodes to compare the weakest moment with the average",
            f"needs at least {folds * 10} judged episodes with both outcomes",
        )
    features = {
        "minimum": scores[judged].min(axis=1).to_numpy(),
        "mean": scores[judged].mean(axis=1).to_numpy(),
    }
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    results: dict[str, dict[str, list[float]]] = {k: {"log_loss": [], "auc": []} for k in features}
    for train, test in cv.split(np.zeros(len(y)), y):
        for name, x in features.items():
            model = LogisticRegression().fit(x[train, None], y[train])
            p = model.predict_proba(x[test, None])[:, 1]
            results[name]["log_loss"].append(log_loss(y[test], p, labels=[0, 1]))
            results[name]["auc"].append(roc_auc_score(y[test], p))
    ll = {k: np.array(v["log_loss"]) for k, v in results.items()}
    best = min(ll, key=lambda k: ll[k].mean())
    other = "mean" if best == "minimum" else "minimum"
    rows = []
    for name in features:
        wins = ll[name] < ll["mean" if name == "minimum" else "minimum"]
        rows.append(
            {
                "model": name,
                "log_loss": ll[name].mean(),
                "log_loss_sd": ll[name].std(ddof=1),
                "auc": float(np.mean(results[name]["auc"])),
                "auc_sd": float(np.std(results[name]["auc"], ddof=1)),
                "folds_won": int(wins.sum()),
                "folds": folds,
                "n": len(y),
                "holds": name == best,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["verdict"] = (
        f"the {best} explains the outcome better than the {other} "
        f"(log-loss {ll[best].mean():.4f} vs {ll[other].mean():.4f}, lower in "
        f"{int((ll[best] < ll[other]).sum())} of {folds} folds)"
    )
    return out
