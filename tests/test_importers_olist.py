"""`moments import olist` on the real Olist sample (../shared/data) and on the Kaggle names."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

import moments
from moments.errors import InputError
from moments.importers.olist import REPEAT, findings, import_olist
from tests.conftest import write
from tests.realdata import OLIST_FULL, OLIST_SAMPLE, cli, needs_olist, olist_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return olist_store(tmp_path_factory)


@pytest.fixture(scope="module")
def ws(store: tuple[Path, str]) -> Iterator[moments.Workspace]:
    w = moments.open(store[0], create=False)
    yield w
    w.close()


@needs_olist
def test_the_summary_and_the_findings_are_printed(store: tuple[Path, str]) -> None:
    out = store[1]
    for text in (
        "orders: 4,000",
        "delivered orders: 3,898",
        "reviews: 3,986",
        "rows in the customers table (olist_customers_dataset.csv.gz): 99,441",
        "people with 2+ orders there: 2,997",
        "already stored, none quarantined",
        "late-delivery rate",
        "review-score penalty",
        "descriptive only",
    ):
        assert text in out, text


@needs_olist
def test_late_delivery_and_the_review_score_penalty(ws: moments.Workspace) -> None:
    f = findings(ws)
    assert (f.delivered, f.late) == (3_898, 335)
    rate, lo, hi = f.late_rate
    assert rate == pytest.approx(0.0859, abs=5e-4) and lo < rate < hi
    assert (lo, hi) == pytest.approx((0.0775, 0.0952), abs=5e-4)  # Wilson
    assert f.mean_on_time[0] == pytest.approx(4.29, abs=0.005)
    assert f.mean_late[0] == pytest.approx(2.43, abs=0.005)
    assert (f.reviews_on_time, f.reviews_late) == (3_562, 323)
    penalty, plo, phi = f.penalty
    assert penalty == pytest.approx(-1.867, abs=0.001)
    assert -2.1 < plo < penalty < phi < -1.6  # clearly below zero
    assert f.low_ratio == pytest.approx(6.1, abs=0.05)  # 1–2★ reviews, late vs on time
    # repeat buyers (full customers table): descriptive only, no timing
    assert f.repeat_on_time[0] == pytest.approx(0.0573, abs=5e-4)
    assert f.repeat_late[0] == pytest.approx(0.0448, abs=5e-4)
    assert f.repeat_late[1] < f.repeat_on_time[0] < f.repeat_late[2]  # no clear difference
    frame = f.to_frame()
    assert list(frame.columns) == ["finding", "value", "low", "high", "n"] and len(frame) == 8


@needs_olist
def test_the_journey_judges_delivery_against_the_promise(ws: moments.Workspace) -> None:
    sc = ws.scorecard("moment").to_pandas().set_index("moment_id")
    delivery = sc.loc["delivery-on-time"]
    assert (delivery.lived, delivery.negative) == (3_898, 335)
    j = ws.judgements()
    late = j.filter((j.moment_id == "delivery-on-time") & (j.valence == "negative"))
    reason = late.reason.first().to_pyarrow().as_py()
    assert reason.startswith("delivered vs the promised date:") and "→ missed" in reason
    assert sc.loc["order-received", "unknown"] == 3_898  # only words, and no text judge
    basics = ws.basics("satisfaction").set_index("moment")
    assert basics.loc["delivery-on-time", "verdict"] == "basic"


@needs_olist
def test_reviews_purchases_comments_and_profiles(ws: moments.Workspace) -> None:
    reviews = pd.read_csv(OLIST_SAMPLE / "olist_order_reviews_dataset.csv.gz")
    o = ws.events("outcome").to_pandas()
    by_type = o.type.value_counts()
    assert by_type["review"] == by_type["satisfaction"] == len(reviews) == 3_986
    sat = o[o.type == "satisfaction"].rating
    assert set(sat) == {0.0, 0.25, 0.5, 0.75, 1.0}
    assert by_type["purchase"] == 4_000 - 23 - 17  # canceled and unavailable orders are not
    assert by_type["repeat_purchase"] == 2  # the sample's two people who ordered twice
    said = [
        reviews[c].str.strip().fillna("") != ""
        for c in ("review_comment_title", "review_comment_message")
    ]
    words = said[0] | said[1]  # blank titles and messages say nothing
    comments = ws.events("comment").to_pandas()
    assert len(comments) == int(words.sum())
    assert comments.moment_id.eq("order-received").all()
    profiles = ws.profiles().to_pandas()
    assert len(profiles) == 3_998 and set(profiles.segment) == {REPEAT, "one-time buyer"}


@needs_olist
def test_importing_again_adds_nothing(store: tuple[Path, str], tmp_path: Path) -> None:
    db = tmp_path / "again.duckdb"
    db.write_bytes(store[0].read_bytes())
    with moments.open(db, create=False) as ws:
        report = import_olist(ws, OLIST_SAMPLE, customers=OLIST_FULL, judge=False)
        assert report.added == 0 and report.quarantined == 0
        assert report.duplicates == ws.info()["tables"]["interactions"] + sum(
            ws.info()["tables"][t] for t in ("outcomes", "comments", "customers")
        )


# -- the full Kaggle file names, on a small synthetic folder -----------------------------------
ORDERS = "\n".join(
    ",".join(row)
    for row in [
        ("order_id", "customer_id", "order_status", "order_purchase_timestamp",
         "order_approved_at", "order_delivered_carrier_date", "order_delivered_customer_date",
         "order_estimated_delivery_date"),
        ("o1", "c1", "delivered", "2018-01-02 10:00:00", "2018-01-02 10:30:00",
         "2018-01-04 09:00:00", "2018-01-10 12:00:00", "2018-01-15 00:00:00"),
        ("o2", "c2", "delivered", "2018-02-01 08:00:00", "2018-02-03 08:00:00",
         "2018-02-06 10:00:00", "2018-02-20 15:00:00", "2018-02-20 00:00:00"),
        ("o3", "c3", "delivered", "2018-03-01 09:00:00", "2018-03-01 09:10:00",
         "2018-03-02 10:00:00", "2018-03-05 10:00:00", "2018-03-20 00:00:00"),
        ("o4", "c4", "canceled", "2018-03-05 09:00:00", "", "", "", "2018-03-25 00:00:00"),
        ("o5", "c5", "processing", "not a date", "", "", "", "2018-04-25 00:00:00"),
        ("o6", "c7", "shipped", "2018-04-02 10:00:00", "2018-04-02 11:00:00",
         "2018-04-03 10:00:00", "", "2018-04-20 00:00:00"),
    ]
) + "\n"  # fmt: skip
CUSTOMERS = """\
customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state
c1,u1,01001,sao paulo,SP
c2,u2,20010,rio de janeiro,RJ
c3,u1,01001,sao paulo,SP
c4,u3,30110,belo horizonte,MG
c5,u4,40010,salvador,BA
c9,u2,20010,rio de janeiro,RJ
"""
ITEMS = """\
order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value
o1,1,p1,s1,2018-01-05 09:00:00,50.00,10.00
o2,1,p2,s2,2018-02-05 10:00:00,90.00,10.00
o3,1,p3,s1,2018-03-04 10:00:00,20.00,5.00
"""
PAYMENTS = """\
order_id,payment_sequential,payment_type,payment_installments,payment_value
o1,1,credit_card,1,50.50
o1,2,voucher,1,20.00
o2,1,boleto,1,100.00
"""
REVIEWS = """\
review_id,order_id,review_score,review_comment_title,review_comment_message,review_creation_date,review_answer_timestamp
r1,o1,5,Ótimo,"Chegou antes
do prazo",2018-01-11 00:00:00,2018-01-12 10:00:00
r2,o2,1,,Atrasou muito,2018-02-21 00:00:00,2018-02-22 09:00:00
r3,o3,x,,,2018-03-06 00:00:00,2018-03-07 09:00:00
"""


@pytest.fixture
def kaggle(tmp_path: Path) -> Path:
    folder = tmp_path / "kaggle"
    folder.mkdir()
    for name, text in {
        "olist_orders_dataset": ORDERS,
        "olist_customers_dataset": CUSTOMERS,
        "olist_order_items_dataset": ITEMS,
        "olist_order_payments_dataset": PAYMENTS,
        "olist_order_reviews_dataset": REVIEWS,
    }.items():
        write(folder / f"{name}.csv", text)
    return folder


def test_the_kaggle_names_work_and_bad_rows_keep_their_lines(kaggle: Path, tmp_path: Path) -> None:
    with moments.open(tmp_path / "k.duckdb") as ws:
        report = import_olist(ws, kaggle)
        assert report.counts["orders"] == 6 and report.counts["delivered orders"] == 3
        assert report.bad_rows == 3
        assert "1 orders whose customer_id is not in the customers table" in report.notes
        q = ws.quarantine().to_pandas()
        got = {(Path(r.file).name, r.line, r.field) for r in q.itertuples()}
        assert ("olist_orders_dataset.csv", 6, "occurred_at") in got  # o5: not a date
        # o6's person is unknown: one problem for the row, not one per event made of it
        assert ("olist_orders_dataset.csv", 7, "customer_id") in got
        assert len(q[q.line == 7]) == 1
        # the review after a two-line comment is on line 5 of its file
        assert ("olist_order_reviews_dataset.csv", 5, "rating") in got
        assert "x (expected 1 to 5 stars)" in set(q.value)

        j = ws.judgements().to_pandas().set_index("lived_id")
        assert j.loc["olist-o1-delivery-on-time", "valence"] == "neutral"  # 4.5 days early
        assert j.loc["olist-o2-delivery-on-time", "valence"] == "negative"  # 15 h late, same day
        assert j.loc["olist-o3-delivery-on-time", "valence"] == "positive"  # 15 days early
        assert j.loc["olist-o2-seller-handover", "valence"] == "negative"  # a day past the limit
        assert j.loc["olist-o1-payment-approval", "valence"] == "positive"  # half an hour
        assert j.loc["olist-o1-place-order", "customer_id"] == "u1"
        assert j.loc["olist-o1-place-order", "location_id"] == "SP"

        o = ws.events("outcome").to_pandas().set_index("event_id")
        assert o.loc["olist-o1-purchase", "amount"] == pytest.approx(70.5)
        assert "olist-o4-purchase" not in o.index  # canceled
        repeat = o.loc["olist-o3-repeat-purchase"]  # u1's second order, at its real time
        assert repeat.type == "repeat_purchase"
        # Brazil local time: summer time (UTC−2) in January, UTC−3 in March
        assert repeat.occurred_at == datetime(2018, 3, 1, 12, 0, tzinfo=UTC)
        assert o.loc["olist-o1-purchase", "occurred_at"] == datetime(2018, 1, 2, 12, 0, tzinfo=UTC)
        assert o.loc["olist-o2-review-r2-satisfaction", "rating"] == 0.0
        assert o.loc["olist-o1-review-r1-satisfaction", "rating"] == 1.0

        c = ws.events("comment").to_pandas().set_index("event_id")
        r1 = c.loc["olist-o1-review-r1-comment"]
        assert r1.text == "Ótimo — Chegou antes\ndo prazo"
        assert r1.interaction_id == "olist-o1-order-received"

        seg = ws.profiles().to_pandas().set_index("customer_id").segment
        assert seg.to_dict() == {"u1": REPEAT, "u2": REPEAT, "u3": "one-time buyer"}

        f = findings(ws)
        assert (f.delivered, f.late) == (3, 1)
        assert f.mean_late[0] == 1.0 and f.mean_on_time[0] == 5.0

        again = import_olist(ws, kaggle)
        assert again.added == 0 and again.bad_rows == 3


def test_the_customers_table_can_be_given_apart(kaggle: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "full"
    elsewhere.mkdir()
    (kaggle / "olist_customers_dataset.csv").rename(elsewhere / "olist_customers_dataset.csv")
    with moments.open(tmp_path / "k.duckdb") as ws:
        with pytest.raises(InputError, match="--customers"):
            import_olist(ws, kaggle)
        report = import_olist(ws, kaggle, customers=elsewhere, judge=False)
        assert report.customers_file == elsewhere / "olist_customers_dataset.csv"
        assert report.added > 0


def test_cli_errors_are_clear(tmp_path: Path) -> None:
    code, out = cli("import", "olist", tmp_path, "--db", tmp_path / "x.duckdb")
    assert code == 1 and "no olist_orders_dataset.csv or olist_orders_dataset.csv.gz" in out
    with moments.open(tmp_path / "empty.duckdb") as ws, pytest.raises(InputError):
        findings(ws)
