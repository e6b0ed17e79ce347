"""Episodes and what followed them: window edges, horizons, and rated outcomes."""

from __future__ import annotations

from datetime import timedelta

import pytest

import moments
from moments.analytics.drivers import episodes
from moments.analytics.episodes import followed, judged_days, moment_ids, wide
from tests.test_analytics_consistency import MONDAY, judgements
from tests.test_analytics_impact import _outcomes

DAY = timedelta(days=1)


def test_followed_counts_from_the_next_day_to_the_horizon() -> None:
    j = judgements([{"customer_id": "a", "occurred_at": MONDAY + timedelta(hours=10),
                     "valence": "negative"}])  # fmt: skip
    keys = judged_days(j, None).select("customer_id", "day").distinct()
    o = _outcomes(
        [
            {"customer_id": "a", "occurred_at": MONDAY + timedelta(hours=18), "type": "purchase",
             "amount": 5.0},  # same day: not "after"
            {"customer_id": "a", "occurred_at": MONDAY + DAY, "type": "purchase", "amount": 10.0},
            {"customer_id": "a", "occurred_at": MONDAY + 7 * DAY + timedelta(hours=23),
             "type": "review", "rating": 2.0},
            {"customer_id": "a", "occurred_at": MONDAY + 8 * DAY, "type": "purchase",
             "amount": 99.0},  # past a 7-day horizon
            {"customer_id": "b", "occurred_at": MONDAY + DAY, "type": "purchase", "amount": 1.0},
        ]
    )  # fmt: skip
    got = followed(keys, o, horizon=7).to_pandas().iloc[0]
    assert (got["n_purchase"], got["spend"], got["n_review"], got["stars"]) == (1, 10.0, 1, 2.0)
    same = followed(keys, o, horizon=7, same_day=True).to_pandas().iloc[0]
    assert same["spend"] == 15.0


def test_judged_days_leave_out_the_last_horizon_and_unknowns() -> None:
    j = judgements(
        [
            {"customer_id": "a", "occurred_at": MONDAY, "valence": "negative"},
            {"customer_id": "a", "occurred_at": MONDAY, "valence": "positive",
             "moment_id": "greeting"},
            {"customer_id": "b", "occurred_at": MONDAY, "valence": "unknown"},
            {"customer_id": "c", "occurred_at": MONDAY + 95 * DAY, "valence": "neutral"},
        ]
    )  # fmt: skip
    days = judged_days(j, 90)
    assert moment_ids(days) == ["checkout", "greeting"]
    table = wide(days, moment_ids(days)).to_pandas()
    assert list(table["customer_id"]) == ["a"]
    assert table[["checkout", "greeting"]].iloc[0].to_dict() == {"checkout": -1.0, "greeting": 1.0}


def test_rated_outcome_episodes_use_the_answer_and_drop_the_unanswered() -> None:
    j = judgements(
        [
            {"customer_id": "happy", "occurred_at": MONDAY, "valence": "positive"},
            {"customer_id": "meh", "occurred_at": MONDAY, "valence": "neutral"},
            {"customer_id": "silent", "occurred_at": MONDAY, "valence": "negative"},
        ]
    )
    o = _outcomes(
        [
            {"customer_id": "happy", "occurred_at": MONDAY, "type": "satisfaction", "rating": 1.0},
            {"customer_id": "meh", "occurred_at": MONDAY + DAY, "type": "satisfaction",
             "rating": 0.5},
            {"customer_id": "meh", "occurred_at": MONDAY + 2 * DAY, "type": "satisfaction",
             "rating": 1.0},  # the first answer counts
        ]
    )  # fmt: skip
    eps = episodes(j, o, "satisfaction", horizon=90, threshold=0.75)
    assert sorted(zip(eps["checkout"], eps["outcome"], strict=True)) == [(0.0, 0), (1.0, 1)]
    loose = episodes(j, o, "satisfaction", horizon=90, threshold=0.5)
    assert sorted(loose["outcome"]) == [1, 1]


def test_unknown_outcome_is_explained() -> None:
    j = judgements([{"occurred_at": MONDAY, "valence": "neutral"}])
    with pytest.raises(moments.InputError, match="unknown outcome 'happiness'"):
        episodes(j, _outcomes([]), "happiness")
