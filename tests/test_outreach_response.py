"""The response model: each past send is learnt from the customer as they were that week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

import moments
from moments.outreach.features import feature_table
from moments.outreach.plan import _offers
from moments.outreach.response import acceptance

WAVES = (datetime(2026, 3, 2, 10, tzinfo=UTC), datetime(2026, 4, 6, 10, tzinfo=UTC))
AS_OF = datetime(2026, 6, 1, 9, tzinfo=UTC)


def test_sends_are_seen_with_the_features_of_their_week(ws: moments.Workspace) -> None:
    """Customers who visited nine days before the win-back offer came back; those who had not
    visited for months did not — in both waves (weekly snapshots are at most 7 days old). The
    second wave's visits happen after the first wave: a model that saw every send as of the
    first one would think a third of the long-absent customers came back."""
    profiles, visits, sends, buys = [], [], [], []
    old = WAVES[0] - timedelta(days=200)
    customers = [(f"c{k:03d}", WAVES[k // 100], k % 2 == 0) for k in range(200)]
    probes = [("p-recent", AS_OF, True), ("p-stale", AS_OF, False)]
    for cid, sent, recent in customers + probes:
        profiles.append(
            {"event_id": f"p-{cid}", "customer_id": cid, "occurred_at": old - timedelta(days=1)}
        )
        visits.append((cid, old))
        if recent:
            visits.append((cid, sent - timedelta(days=9)))
    for cid, sent, recent in customers:
        sends.append(
            {"event_id": f"s-{cid}", "customer_id": cid, "occurred_at": sent,
             "channel": "email", "direction": "outbound", "purpose": "win-back"}
        )  # fmt: skip
        if recent:
            buys.append(
                {"event_id": f"b-{cid}", "customer_id": cid,
                 "occurred_at": sent + timedelta(days=3), "type": "repeat_purchase"}
            )  # fmt: skip
    ws.append("customer", profiles)
    ws.append(
        "interaction",
        [
            {"event_id": f"v-{cid}-{n}", "customer_id": cid, "moment_id": "greeting",
             "occurred_at": at, "channel": "store"}
            for n, (cid, at) in enumerate(visits)
        ],
    )  # fmt: skip
    ws.append("contact", sends)
    ws.append("outcome", buys)
    ws.judge()

    book = _offers(None)
    now = feature_table(ws.store, AS_OF).order_by("customer_id").to_pyarrow().to_pandas()
    response = acceptance(ws.store, book, now, AS_OF)
    j = [o.id for o in book.offers].index("win-back")
    assert response.source[j].startswith("fitted on 200 past sends")
    p = dict(zip(now["customer_id"], response.prob[:, j], strict=True))
    assert p["p-recent"] > 0.9
    assert p["p-stale"] < 0.1  # one snapshot at the first send gave ~1 in 3
    assert np.isfinite(response.prob).all()
