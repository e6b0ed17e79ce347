"""The demo generator: shape, determinism, links, and the planted effects visible in its data."""

from __future__ import annotations

import datetime as dt
import json
import operator
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from moments.demo import PLANTED, DemoData, generate
from moments.errors import InputError
from moments.journey import Journey, load_journey
from moments.journey.model import Condition
from moments.store.schema import EVENT_KINDS, RATED_OUTCOMES

_ARROW = {"string": pa.string(), "timestamp": pa.timestamp("us", tz="UTC"), "float": pa.float64()}
_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
STORES = {"store-riverside", "store-harbour", "store-old-town", "store-parkside", "store-station"}


@pytest.fixture(scope="module")
def small() -> DemoData:
    return generate(customers=2000)


@pytest.fixture(scope="module")
def full() -> tuple[DemoData, float]:
    t0 = time.perf_counter()
    data = generate()
    return data, time.perf_counter() - t0


def _holds(cond: Condition, x: pd.Series) -> pd.Series:
    return _OPS[cond.op](x, cond.threshold)


def lived(data: DemoData) -> pd.DataFrame:
    """Interactions with the valence the journey's standards give their measures (-1/0/+1)."""
    it = data.interactions.to_pandas()
    it["valence"] = np.nan
    for _, _, m in data.journey.moments():
        if m.standard is None:
            continue
        here = it.moment_id == m.id
        x = it.loc[here, m.standard.measure]
        it.loc[here, "valence"] = np.where(
            _holds(m.standard.exceeded, x), 1, np.where(_holds(m.standard.met, x), 0, -1)
        )
    return it


def test_default_size_is_large_and_quick(full: tuple[DemoData, float]) -> None:
    data, seconds = full
    it = data.interactions
    assert seconds < 10, f"generate() took {seconds:.1f} s"
    assert it.num_rows >= 200_000
    assert len(pc.unique(it["customer_id"])) >= 20_000
    assert data.start == dt.date(2025, 11, 1) and data.end == dt.date(2026, 10, 31)


def test_same_seed_same_tables_and_other_seed_differs() -> None:
    a, b, c = (
        generate(seed=3, customers=300),
        generate(seed=3, customers=300),
        generate(seed=4, customers=300),
    )
    for kind, table in a.tables().items():
        assert table.equals(b.tables()[kind]), kind
    assert not a.interactions.equals(c.interactions)
    assert not a.comments.equals(c.comments)


def test_columns_are_the_event_kinds_fields_plus_measures(small: DemoData) -> None:
    for kind, table in small.tables().items():
        fields = EVENT_KINDS[kind].fields
        extra = list(small.journey.measures) if kind == "interaction" else []
        assert table.column_names == [f.name for f in fields] + extra
        for f in fields:
            assert table.schema.field(f.name).type == _ARROW[f.type], (kind, f.name)
        for name in extra:
            assert table.schema.field(name).type == pa.float64()
        for f in fields:
            if f.required:
                assert table[f.name].null_count == 0, (kind, f.name)
            if f.choices:
                assert set(table[f.name].drop_null().to_pylist()) <= set(f.choices)


def test_ids_are_unique_and_ordered_by_time(small: DemoData) -> None:
    timed = [small.interactions, small.feedback, small.comments, small.outcomes]
    for prefix, table in zip(("int-", "fb-", "com-", "out-"), timed, strict=True):
        ids = table["event_id"].to_pylist()
        assert len(set(ids)) == len(ids) and all(i.startswith(prefix) for i in ids)
        assert ids == sorted(ids)
        ts = table["occurred_at"].to_numpy()
        assert (np.diff(ts.astype(np.int64)) >= 0).all()
    customers = set(small.interactions["customer_id"].to_pylist())
    assert len(customers) == 2000 and min(customers) == "c-00001"
    # one profile per customer, numbered like the customer, segment by store visits
    profiles = small.customers.to_pylist()
    assert [p["customer_id"] for p in profiles] == sorted(customers)
    assert all(p["event_id"] == "cust-" + p["customer_id"][2:].zfill(8) for p in profiles)
    assert {p["segment"] for p in profiles} == {"new", "regular", "loyal"}


def test_moments_channels_locations_and_employees(small: DemoData) -> None:
    it = small.interactions.to_pandas()
    tps = {m.id: t for _, t, m in small.journey.moments()}
    assert set(it.moment_id) == set(tps)
    assert (it.channel == it.moment_id.map(lambda m: tps[m].channel)).all()
    store = it.channel == "store"
    assert set(it.location_id[store]) == STORES
    assert set(it.location_id[it.channel.isin(["web", "email"])]) == {"web"}
    assert set(it.location_id[it.channel == "phone"]) == {"contact-centre"}
    assert it.employee_id[it.channel.isin(["web", "email"])].isna().all()
    staffed = it.dropna(subset=["employee_id"])
    per_place = staffed.groupby("location_id").employee_id.nunique()
    assert per_place.between(6, 10).all() and len(per_place) == 6
    short = staffed.location_id.str.removeprefix("store-")
    assert (staffed.employee_id.str.rsplit("-", n=1).str[0] == "e-" + short).all()
    for _, _, m in small.journey.moments():  # each moment carries exactly its own measure
        rows = it[it.moment_id == m.id]
        for name in small.journey.measures:
            expect_value = m.standard is not None and m.standard.measure == name
            assert rows[name].notna().all() if expect_value else rows[name].isna().all()


def test_timestamps_within_the_year_and_opening_hours(small: DemoData) -> None:
    lo = pd.Timestamp("2025-11-01", tz="Europe/London")
    hi = pd.Timestamp("2026-11-01", tz="Europe/London")
    for table in small.tables().values():
        ts = table.to_pandas().occurred_at
        assert str(ts.dt.tz) == "UTC"
        assert ts.min() >= lo and ts.max() < hi
    it = small.interactions.to_pandas()
    local = it.occurred_at.dt.tz_convert("Europe/London")
    greet = local[it.moment_id == "greeting"]
    sunday = greet.dt.day_of_week == 6
    assert greet[~sunday].dt.hour.between(9, 18).all()
    assert greet[sunday].dt.hour.between(10, 14).all()
    instore = local[it.channel == "store"].dt.hour
    assert instore.between(8, 20).all()
    days = greet.dt.day_of_week.value_counts(normalize=True)
    assert days[5] == days.max() and days[5] > 0.2  # Saturdays are the busiest
    hours = greet.dt.hour.value_counts()
    assert hours[15] > 2 * hours[9]  # afternoons are busier than opening time


def test_feedback_links_scores_and_timing(small: DemoData) -> None:
    it = lived(small).set_index("event_id")
    fb = small.feedback.to_pandas()
    assert 0.12 <= len(fb) / len(it) <= 0.18
    assert fb.score.isin([1, 2, 3, 4, 5]).all()
    assert fb.interaction_id.isin(it.index).all() and fb.interaction_id.is_unique
    src = it.loc[fb.interaction_id]
    assert (src.customer_id.to_numpy() == fb.customer_id).all()
    assert (src.moment_id.to_numpy() == fb.moment_id).all()
    lag = (fb.occurred_at.to_numpy() - src.occurred_at.to_numpy()) / np.timedelta64(1, "h")
    assert lag.min() >= 2 and lag.max() <= 72
    band = pd.cut(fb.score, [0, 2, 4, 5], labels=[-1, 0, 1]).astype(float).to_numpy()
    measured = src.valence.notna().to_numpy()
    agree = (band[measured] == src.valence.to_numpy()[measured]).mean()
    assert 0.85 <= agree <= 0.95
    assert 0.2 <= fb.comment.notna().mean() <= 0.4


def test_comments_link_and_read_like_their_valence(small: DemoData) -> None:
    it = lived(small).set_index("event_id")
    com = small.comments.to_pandas()
    assert 0.06 <= len(com) / len(it) <= 0.10
    src = it.loc[com.interaction_id]
    assert (src.moment_id.to_numpy() == com.moment_id).all()
    assert (src.channel.to_numpy() == com.channel).all()
    assert (com.occurred_at.to_numpy() > src.occurred_at.to_numpy()).all()
    negative = (
        r"ignored|nightmare|joke|ridiculous|disappoint|frustrat|useless|nobody|failed|not good"
    )
    val = src.valence.to_numpy()
    says_bad = com.text.str.lower().str.contains(negative).to_numpy()
    assert says_bad[val == -1].mean() > 0.3 > 5 * says_bad[val == 1].mean()
    assert com.text.nunique() >= 0.6 * len(com)  # varied even at a small size


def test_outcomes(small: DemoData) -> None:
    out = small.outcomes.to_pandas()
    it = small.interactions.to_pandas()
    # every kind of happening; overall answers (satisfaction, recommendation) are not simulated
    happenings = set(EVENT_KINDS["outcome"].get("type").choices) - set(RATED_OUTCOMES)
    assert set(out.type) == happenings
    buy = out[out.type == "purchase"]
    assert buy.amount.between(5, 1000).all() and 60 < buy.amount.median() < 130
    assert len(buy) == (it.moment_id == "checkout").sum()
    repeat = out[out.type == "repeat_purchase"]
    firsts = buy.groupby("customer_id").occurred_at.min()
    assert len(repeat) == len(buy) - len(firsts)
    assert (repeat.occurred_at.to_numpy() > repeat.customer_id.map(firsts).to_numpy()).all()
    assert out[out.type.isin(["repeat_purchase", "purchase"])].amount.notna().all()
    reviews = out[out.type == "review"]
    assert reviews.rating.isin([1, 2, 3, 4, 5]).all() and reviews.text.notna().all()
    assert out[out.type == "social_post"].text.notna().all()
    assert out.rating[out.type != "review"].isna().all()
    defect = out[out.type == "defection"]
    assert defect.customer_id.is_unique
    last = it.groupby("customer_id").occurred_at.max()
    assert (defect.occurred_at.to_numpy() > defect.customer_id.map(last).to_numpy()).all()


def test_key_moment_dressing_room_drives_repeat_purchase(full: tuple[DemoData, float]) -> None:
    data, _ = full
    it = lived(data)
    out = data.outcomes.to_pandas()
    last_buy = out[out.type == "purchase"].groupby("customer_id").occurred_at.max()
    bought_later = it.customer_id.map(last_buy) > it.occurred_at + pd.Timedelta(hours=12)
    it["later"] = bought_later.fillna(False).astype(bool)
    rate = it.dropna(subset=["valence"]).groupby(["moment_id", "valence"]).later.mean().unstack()
    lift = rate[1.0] - rate[0.0]
    others = lift.drop("dressing-room").abs()
    assert lift["dressing-room"] > 0.12
    assert lift["dressing-room"] > 2.5 * others.max(), lift.round(3).to_dict()


def test_inconsistency_checkout_collapses_on_riverside_saturdays(
    full: tuple[DemoData, float],
) -> None:
    it = lived(full[0])
    co = it[it.moment_id == "checkout"]
    saturday = co.occurred_at.dt.tz_convert("Europe/London").dt.day_of_week == 5
    riverside = co.location_id == "store-riverside"
    missed = co.valence == -1
    there = missed[saturday & riverside].mean()
    assert there > 0.55
    for cell in (saturday & ~riverside, ~saturday & riverside, ~saturday & ~riverside):
        assert missed[cell].mean() < 0.15
    waits = co.queue_seconds
    assert waits[saturday & riverside].median() > 2 * waits[~(saturday & riverside)].median()


def test_customers_with_two_negative_moments_defect_far_more(full: tuple[DemoData, float]) -> None:
    data, _ = full
    it = lived(data)
    out = data.outcomes.to_pandas()
    negatives = it[it.valence == -1].groupby("customer_id").size()
    cust = pd.DataFrame(index=pd.Index(it.customer_id.unique()))
    cust["many"] = cust.index.map(negatives).fillna(0) >= 2
    cust["defected"] = cust.index.isin(out.customer_id[out.type == "defection"])
    rates = cust.groupby("many").defected.mean()
    assert rates[True] > 0.35 and rates[False] < 0.08
    assert rates[True] > 5 * rates[False]
    dissatisfied = cust.index.isin(it.customer_id[it.valence == -1])
    posted = cust.index.isin(out.customer_id[out.type == "social_post"])
    assert posted[dissatisfied].mean() > 1 / 3 > 3 * posted[~dissatisfied].mean()


def test_find_parking_only_hurts_when_missed(full: tuple[DemoData, float]) -> None:
    data, _ = full
    it = lived(data)
    it = it.sort_values(["customer_id", "occurred_at"])
    it["returns"] = it.groupby("customer_id").occurred_at.transform("max") > it.occurred_at + (
        pd.Timedelta(days=2)
    )
    park = it[it.moment_id == "find-parking"].groupby("valence").returns.mean()
    assert abs(park[1.0] - park[0.0]) < 0.025
    assert park[0.0] - park[-1.0] > 0.08


def test_comments_are_varied_at_default_size(full: tuple[DemoData, float]) -> None:
    com = full[0].comments.to_pandas()
    assert com.text.nunique() >= 1000
    assert com.text.str.len().between(10, 400).all()
    two = com.text.str.contains(r"\. (?:Also, |On top of that, |But |At least |That said, )")
    assert two.mean() > 0.05


def test_planted_effects_are_documented() -> None:
    import moments.demo.generator as gen

    assert set(PLANTED) == {"key-moment", "inconsistency", "defection", "basic-moment"}
    for name, text in PLANTED.items():
        assert name in (gen.__doc__ or "") and any(ch.isdigit() for ch in text)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_write_round_trips(small: DemoData, tmp_path, fmt: str) -> None:
    paths = small.write(tmp_path, fmt)  # type: ignore[arg-type]
    assert set(paths) == set(EVENT_KINDS) - {"case", "contact", "consent"}
    for kind, table in small.tables().items():
        path = paths[kind]
        assert path.name == f"{EVENT_KINDS[kind].table}.{fmt}" and path.exists()
        if fmt == "parquet":
            assert pq.read_table(path).equals(table)
            continue
        want = table.to_pandas()
        if fmt == "csv":
            got = pd.read_csv(path, dtype=str, keep_default_na=False)
            first = path.read_text(encoding="utf-8").splitlines()[1]
        else:
            with path.open(encoding="utf-8") as f:
                got = pd.DataFrame([json.loads(line) for line in f])
            first = path.read_text(encoding="utf-8").splitlines()[0]
        assert list(got.columns) == table.column_names and len(got) == len(want)
        assert "+00:00" in first
        assert got.occurred_at.str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00").all()
        when = pd.to_datetime(got.occurred_at, format="ISO8601", utc=True)
        assert (when.to_numpy() == want.occurred_at.to_numpy()).all()
        assert (got.event_id == want.event_id).all()
        for f in EVENT_KINDS[kind].fields:
            if f.type == "float":
                back = pd.to_numeric(got[f.name].replace("", None))
                assert np.allclose(back, want[f.name], equal_nan=True)


def test_other_journeys() -> None:
    bank = load_journey(_example("bank-lost-wallet"))
    with pytest.raises(InputError, match="lacks the moments"):
        generate(customers=10, journey=bank)
    with pytest.raises(InputError):
        generate(customers=0)
    # a journey with the same moments but a stricter checkout standard: measures follow it
    data = generate(
        customers=1000, journey=_stricter_checkout(load_journey(_example("retail-store-visit")))
    )
    it = lived(data)
    co = it[it.moment_id == "checkout"]
    assert co.queue_seconds.median() < 120
    assert co.valence.value_counts(normalize=True)[0.0] > 0.45


def _example(name: str) -> str:
    from importlib.resources import files

    return str(files("moments.journey") / "examples" / f"{name}.yaml")


def _stricter_checkout(j: Journey) -> Journey:
    data = j.model_dump(mode="json")
    for stage in data["stages"]:
        for tp in stage["touchpoints"]:
            for m in tp["moments"]:
                if m["id"] == "checkout":
                    m["standard"] = {
                        "measure": "queue_seconds",
                        "exceeded": "<= 30",
                        "met": "<= 120",
                    }
    return Journey.model_validate(data)
