from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import ibis
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import moments
from moments.analytics import METRICS
from moments.analytics.scorecard import customers as customers_of
from tests.conftest import write


def _by(t: object, key: str) -> dict[str, dict[str, object]]:
    return {r[key]: r for r in t.to_pyarrow().to_pylist()}  # type: ignore[attr-defined]


def test_by_moment_counts_shares_net(loaded: moments.Workspace) -> None:
    sc = _by(loaded.scorecard("moment"), "moment_id")
    checkout = sc["checkout"]  # i1 positive, i3 negative, i6 neutral
    assert (checkout["lived"], checkout["negative"], checkout["neutral"], checkout["positive"]) == (
        3,
        1,
        1,
        1,
    )
    assert checkout["net"] == pytest.approx(0.0)
    assert checkout["coverage"] == 1.0
    assert checkout["owner"] == "Store operations" and checkout["importance"] == 4
    greeting = sc["greeting"]  # i2 positive (survey), i4 neutral
    assert greeting["net"] == pytest.approx(0.5)
    assert sc["dressing-room"]["net"] == -1.0
    assert set(METRICS) <= set(checkout)


def test_moments_in_journey_order(loaded: moments.Workspace) -> None:
    order = [r["moment_id"] for r in loaded.scorecard("moment").to_pyarrow().to_pylist()]
    assert order == ["greeting", "dressing-room", "styling-advice", "checkout"]


def test_coverage_counts_unknown(loaded: moments.Workspace, tmp_path: Path) -> None:
    loaded.load(
        write(
            tmp_path / "u.csv",
            "event_id,customer_id,moment_id,occurred_at\nu1,c5,checkout,2026-03-09T10:00:00Z\n",
        ),
        "interaction",
    )
    loaded.judge()
    checkout = _by(loaded.scorecard("moment"), "moment_id")["checkout"]
    assert checkout["lived"] == 4 and checkout["unknown"] == 1 and checkout["judged"] == 3
    assert checkout["coverage"] == pytest.approx(0.75)
    assert checkout["share_unknown"] == pytest.approx(0.25)
    # shares of valence are over judged moments, so they still sum to one
    total = checkout["share_negative"] + checkout["share_neutral"] + checkout["share_positive"]
    assert total == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("by", "key", "expected_lived"),
    [
        ("owner", "owner_id", {"store-ops": 5, "stylists": 2}),
        ("stage", "stage_id", {"arrive": 2, "shop": 2, "buy": 3}),
        ("touchpoint", "touchpoint_id", {"entrance": 2, "shop-floor": 2, "till": 3}),
        ("journey", "journey_id", {"retail-store-visit": 7}),
        ("location", "location_id", {"store-a": 4, "store-b": 2, None: 1}),
        ("employee", "employee_id", {"e1": 2, "e2": 2, "e3": 2, None: 1}),
        ("channel", "channel", {"store": 6, None: 1}),
        ("customer", "customer_id", {"c1": 2, "c2": 2, "c3": 2, "c9": 1}),
    ],
)
def test_every_dimension(
    loaded: moments.Workspace, by: str, key: str, expected_lived: dict[str, int]
) -> None:
    got = {k: v["lived"] for k, v in _by(loaded.scorecard(by), key).items()}
    assert got == expected_lived


def test_weekly_trend_and_period_filter(loaded: moments.Workspace) -> None:
    weeks = loaded.trend(period="week").to_pyarrow().to_pylist()
    assert [(str(w["week"]), w["lived"]) for w in weeks] == [("2026-03-02", 6), ("2026-03-09", 1)]
    by_moment = loaded.trend(by="moment", period="day").to_pyarrow().to_pylist()
    assert {(r["moment_id"], str(r["day"])) for r in by_moment} >= {("checkout", "2026-03-07")}
    only = loaded.scorecard("moment", start="2026-03-08", end="2026-03-09")
    assert {r["moment_id"] for r in only.to_pyarrow().to_pylist()} == {"dressing-room", "checkout"}


def test_filters_by_column(loaded: moments.Workspace) -> None:
    sc = loaded.scorecard("moment", location_id="store-b")
    assert sum(r["lived"] for r in sc.to_pyarrow().to_pylist()) == 2
    with pytest.raises(moments.InputError, match="cannot filter on 'shoe_size'"):
        loaded.scorecard("moment", shoe_size="5")


def test_unknown_dimension_lists_the_choices(loaded: moments.Workspace) -> None:
    with pytest.raises(moments.InputError, match="use one or more of: moment, touchpoint"):
        loaded.scorecard("planet")


def test_customers_weakest_moment(loaded: moments.Workspace) -> None:
    c = _by(loaded.customers(), "customer_id")
    assert c["c2"]["negative"] == 1 and c["c2"]["weakest_moment"] == "checkout"
    # c3: dressing-room negative (importance 5) is weaker than checkout neutral
    assert c["c3"]["weakest_moment"] == "dressing-room"
    # c1 has only positives: the weakest is still one of them, the more important (greeting 4 =
    # checkout 4), then the first by id
    assert c["c1"]["weakest_moment"] == "checkout" and c["c1"]["weakest_score"] == 1.0
    order = [r["customer_id"] for r in loaded.customers().to_pyarrow().to_pylist()]
    assert order[:2] == ["c2", "c3"]  # most negatives first


def _answered(loaded: moments.Workspace, tmp_path: Path, *answers: str) -> dict[str, object]:
    """Load survey answers of one customer (``event_id,customer_id,moment_id,occurred_at,
    score`` lines), judge, and return that customer's row of ``customers()``."""
    header = "event_id,customer_id,moment_id,occurred_at,score"
    loaded.load(write(tmp_path / "answers.csv", "\n".join([header, *answers]) + "\n"), "feedback")
    loaded.judge()
    return _by(loaded.customers(), "customer_id")[answers[0].split(",")[1]]


def test_a_full_tie_for_the_weakest_moment_has_one_answer(
    loaded: moments.Workspace, tmp_path: Path
) -> None:
    """Same mean and importance (greeting 4 = checkout 4): the first moment by id, on every
    run and every engine, whichever was lived last."""
    c7 = _answered(
        loaded,
        tmp_path,
        "t1,c7,checkout,2026-03-10T09:00:00Z,5",
        "t2,c7,greeting,2026-03-10T09:30:00Z,5",
    )
    assert (c7["weakest_moment"], c7["weakest_score"], c7["positive"]) == ("checkout", 1.0, 2)


def test_the_more_important_moment_is_weaker_on_the_same_mean(
    loaded: moments.Workspace, tmp_path: Path
) -> None:
    """Same mean: the more important moment (dressing-room 5) before the more recent one
    (checkout 4, an hour later)."""
    c8 = _answered(
        loaded,
        tmp_path,
        "i1,c8,dressing-room,2026-03-10T09:00:00Z,5",
        "i2,c8,checkout,2026-03-10T10:00:00Z,5",
    )
    assert (c8["weakest_moment"], c8["weakest_score"], c8["lived"]) == ("dressing-room", 1.0, 2)


def test_results_are_dataframes_and_arrow(loaded: moments.Workspace) -> None:
    df = loaded.scorecard(by="moment").to_pandas()
    assert list(df["moment_id"])[:1] == ["greeting"]
    assert loaded.scorecard(by="owner").to_pyarrow().num_rows == 2


def test_segment_dimension_and_filter_use_the_latest_profile(
    loaded: moments.Workspace, tmp_path: Path
) -> None:
    loaded.load(
        write(
            tmp_path / "c.csv",
            "event_id,customer_id,occurred_at,segment,email\n"
            "p1,c1,2026-01-01T00:00:00Z,new,a@example.com\n"
            "p2,c1,2026-03-01T00:00:00Z,loyal,a@example.com\n"  # c1's latest: loyal
            "p3,c2,2026-01-01T00:00:00Z,new,\n",
        ),
        "customer",
    )
    got = {r["segment"]: r["lived"] for r in loaded.scorecard("segment").to_pyarrow().to_pylist()}
    assert got == {"loyal": 2, "new": 2, None: 3}  # c3 and c9 have no profile
    only = loaded.scorecard("moment", segment="new").to_pyarrow().to_pylist()
    assert {r["moment_id"]: r["lived"] for r in only} == {"greeting": 1, "checkout": 1}
    assert loaded.totals(segment="loyal").to_pyarrow().to_pylist()[0]["lived"] == 2


# moment -> importance: two pairs tie on importance, and one moment has none
IMPORTANCE = {"arrival": 3, "bill": 3, "greeting": 5, "parking": None, "wait": 1}
VALENCE = {-1: "negative", 0: "neutral", 1: "positive", None: "unknown"}
LIVED = st.lists(  # per customer: (moment, score or None for unknown)
    st.lists(
        st.tuples(st.sampled_from(sorted(IMPORTANCE)), st.sampled_from([-1, 0, 1, None])),
        min_size=1,
        max_size=40,
    ),
    min_size=1,
    max_size=12,
)


CLOSE = [  # the first: 19/40 for wait below 12/25 for greeting; the second: 1/2 = 20/40
    [("greeting", 1)] * 12 + [("greeting", 0)] * 13 + [("wait", 1)] * 19 + [("wait", 0)] * 21,
    [("wait", 1), ("wait", 0)] + [("bill", 1)] * 20 + [("bill", 0)] * 20,
]


@settings(derandomize=True, database=None, max_examples=40, deadline=None)
@given(LIVED)
@example(CLOSE)
def test_the_weakest_moment_is_the_lowest_mean_then_importance_then_id(
    customers: list[list[tuple[str, int | None]]],
) -> None:
    """Against exact fractions: the lowest mean valence, ties to the more important moment
    (none counts as 0), then the first id; means 1/200 apart are told apart, equal ones
    from different counts are not."""
    rows = [
        {
            "customer_id": f"c{i}",
            "moment_id": m,
            "valence": VALENCE[s],
            "score": s,
            "occurred_at": datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=k),
        }
        for i, lived in enumerate(customers)
        for k, (m, s) in enumerate(lived)
    ]
    judgements = ibis.memtable(
        rows,
        schema={
            "customer_id": "string",
            "moment_id": "string",
            "valence": "string",
            "score": "int8",
            "occurred_at": "timestamp('UTC')",
        },
    )
    moments_ = ibis.memtable(
        [{"moment_id": m, "importance": v} for m, v in IMPORTANCE.items()],
        schema={"moment_id": "string", "importance": "int64"},
    )
    got = {r["customer_id"]: r for r in customers_of(judgements, moments_).to_pyarrow().to_pylist()}
    for i, lived in enumerate(customers):
        sums: dict[str, list[int]] = {}
        for m, s in lived:
            if s is not None:
                sums.setdefault(m, []).append(s)
        r = got[f"c{i}"]
        assert (r["lived"], r["unknown"]) == (len(lived), sum(s is None for _, s in lived))
        if not sums:
            assert r["weakest_moment"] is None and r["weakest_score"] is None
            continue
        want = min(
            sums, key=lambda m: (Fraction(sum(sums[m]), len(sums[m])), -(IMPORTANCE[m] or 0), m)
        )
        assert r["weakest_moment"] == want
        assert r["weakest_score"] == pytest.approx(
            float(Fraction(sum(sums[want]), len(sums[want])))
        )
