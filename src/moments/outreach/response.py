"""How likely a customer is to accept an offer: fitted from past sends where there are enough,
otherwise the offer's declared prior.

A past send is an outbound ``contact`` whose ``purpose`` is the offer's id; it was accepted when
the offer's ``accept_outcome`` (e.g. a purchase) followed within ``accept_within_days``. The
model is a logistic regression (scikit-learn) on the customer's features as they were at the
start of the week of each send (so no feature can contain the answer, and each send is seen
with the customer as they were then, at most 7 days earlier, not weeks earlier or later; one
snapshot per send day would be exact but costs a feature query per day), applied to today's
features.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC as UTC_TZ
from datetime import datetime, timedelta

import ibis
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from moments.analytics.episodes import UTC
from moments.outreach.features import NUMERIC, feature_table
from moments.outreach.offers import OfferBook
from moments.store import Store

WEEK = 7 * 86_400.0  # seconds
MIN_SENDS = 60
MIN_EACH = 8  # accepted and not accepted, at least


@dataclass(frozen=True)
class Response:
    prob: np.ndarray  # (N, O)
    source: list[str]  # per offer: how its probabilities were found


def design(features: pd.DataFrame) -> pd.DataFrame:
    """The model's inputs: numeric features (missing counts 0, missing "days since" 3650) and
    the segment as indicators."""
    x = pd.DataFrame(index=features.index)
    for c in NUMERIC:
        col = pd.to_numeric(features[c], errors="coerce").astype("float64")
        x[c] = col.fillna(3650.0 if c.startswith("days_since") else 0.0)
    seg = features["segment"].fillna("unknown").astype(str)
    for s in ("new", "regular", "loyal"):
        x[f"segment_{s}"] = (seg == s).astype("float64")
    return x


def sends(store: Store, book: OfferBook, as_of: datetime) -> pd.DataFrame:
    """Past sends of the offers whose acceptance window has closed, with ``accepted``."""
    c = store.table("contacts")
    o = store.table("outcomes")
    frames = []
    for offer in book.offers:
        w = offer.accept_within_days
        done = ibis.literal(as_of - timedelta(days=w), UTC)
        k = c.filter(
            (c.purpose == offer.id)
            & (c.direction.fill_null("outbound") == "outbound")
            & (c.occurred_at <= done)
        ).select(
            "event_id", "customer_id", sent=c.occurred_at.epoch_seconds().cast("float64").floor()
        )
        oo = o.filter(o.type == offer.accept_outcome).select(
            o_customer=o.customer_id, at=o.occurred_at.epoch_seconds().cast("float64").floor()
        )
        hit = k.join(
            oo,
            (k.customer_id == oo.o_customer) & (oo.at > k.sent) & (oo.at <= k.sent + w * 86400.0),
        )
        got = hit.select("event_id").distinct().mutate(accepted=ibis.literal(1))
        lab = k.left_join(got, "event_id").select(
            "customer_id", "sent", accepted=ibis._.accepted.fill_null(0)
        )
        df = lab.to_pyarrow().to_pandas()
        df["offer_id"] = offer.id
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def acceptance(store: Store, book: OfferBook, features: pd.DataFrame, as_of: datetime) -> Response:
    """Probabilities (N customers of ``features`` × offers) and how each offer's were found."""
    n = len(features)
    prob = np.empty((n, len(book)), np.float32)
    history = sends(store, book, as_of)
    source: list[str] = []
    x_now = design(features.set_index("customer_id"))
    snapshots: dict[int, pd.DataFrame] = {}  # week number → features at the week's start

    def as_then(h: pd.DataFrame) -> pd.DataFrame:
        weeks = (h["sent"] // WEEK).astype("int64")
        parts = []
        for w in sorted(weeks.unique()):
            if w not in snapshots:
                at = datetime.fromtimestamp(float(w * WEEK), tz=UTC_TZ)
                snap = feature_table(store, at).to_pyarrow().to_pandas()
                snapshots[w] = design(snap.set_index("customer_id"))
            rows = h[weeks == w]
            parts.append(snapshots[w].reindex(rows["customer_id"]).set_axis(rows.index))
        # a customer unknown at the week's start (no profile yet) counts as all zeros
        return pd.concat(parts).reindex(h.index).fillna(0.0)

    for j, offer in enumerate(book.offers):
        h = history[history["offer_id"] == offer.id]
        yes = int(h["accepted"].sum())
        if len(h) < MIN_SENDS or yes < MIN_EACH or len(h) - yes < MIN_EACH:
            prob[:, j] = offer.prior
            source.append(f"prior {offer.prior:.0%} ({len(h)} past sends, too few to fit)")
            continue
        xs = as_then(h)
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
        model.fit(xs.to_numpy(), h["accepted"].to_numpy())
        p = model.predict_proba(x_now.to_numpy())[:, 1]
        prob[:, j] = np.clip(p, 0.001, 0.999)
        source.append(f"fitted on {len(h)} past sends ({yes / len(h):.0%} accepted)")
    return Response(prob, source)
