"""Import the Olist Brazilian E-Commerce data (Kaggle) onto an order journey, and its findings.

The folder holds the Kaggle tables under their own names, ``.csv`` or ``.csv.gz``:
``olist_orders_dataset`` (required), ``olist_customers_dataset`` (required here or given with
``customers``), and, used when present, ``olist_order_reviews_dataset``,
``olist_order_payments_dataset`` and ``olist_order_items_dataset``. The 4,000-order sample and
the full Kaggle download are read the same way.

Mapped onto the shipped ``olist-order`` journey (timestamps are Brazil local time, read as
``America/Sao_Paulo``):

- **customer** = ``customer_unique_id`` (the person; ``customer_id`` is one per order), with a
  profile whose segment is ``repeat buyer`` when the person has two or more orders in the
  customers table used, else ``one-time buyer``. That flag is **descriptive only**: without the
  other orders' timestamps (the full orders table) nobody can tell whether the repeat came
  after a bad or a good moment. The profile is dated at the person's first imported order.
- per order, an **interaction** for each moment that happened: ``place-order`` (purchase),
  ``payment-approval`` with ``approval_hours``, ``seller-handover`` with
  ``handover_days_late`` (carrier pick-up minus the latest shipping limit of the order's items),
  ``delivery-on-time`` with ``delivery_days_late`` (delivered minus the estimated delivery
  date, in days) and ``order-received`` (lived at delivery; the review's words are its
  evidence). ``location_id`` is the customer's state.
- the **expectation rule** is the journey's standard on ``delivery_days_late``: the timestamp
  rule, delivered after the estimated date (a midnight) ⇒ missed (negative); on the day or
  earlier ⇒ met; seven or more days early ⇒ exceeded.
- **outcomes**: a ``purchase`` per order that was not canceled or unavailable (amount = its
  payments), a ``repeat_purchase`` for each such order of a person after their first one among
  the imported orders (real, timed repeats), and per review a ``review`` (rating = stars, text
  = title — message) and a ``satisfaction`` answer (rating = (stars − 1) / 4, so 4–5 stars
  count as satisfied at the default threshold 0.75).
- the review's title and message also become a **comment** (pt-BR) on the order's
  ``order-received`` moment.

Event ids are ``olist-<order_id>-…`` and ``olist-customer-<customer_unique_id>``, so importing
again adds nothing. :func:`findings` computes the delivery findings from the store.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from moments.errors import InputError, Problem
from moments.importers.common import (
    ImportReport,
    SourceTable,
    bad_rows,
    check_folder,
    find_source,
    load_events,
    read_source,
)
from moments.ingest.readers import LINE, Malformed
from moments.journey.loader import load_journey
from moments.workspace import Workspace

JOURNEY = "olist-order"
PREFIX = "olist-"
ORDERS = "olist_orders_dataset"
CUSTOMERS = "olist_customers_dataset"
REVIEWS = "olist_order_reviews_dataset"
PAYMENTS = "olist_order_payments_dataset"
ITEMS = "olist_order_items_dataset"
COLUMNS = {
    ORDERS: (
        "order_id",
        "customer_id",
        "order_status",
        "order_purchase_timestamp",
        "order_approved_at",
        "order_delivered_carrier_date",
        "order_delivered_customer_date",
        "order_estimated_delivery_date",
    ),
    CUSTOMERS: ("customer_id", "customer_unique_id", "customer_state"),
    REVIEWS: (
        "review_id",
        "order_id",
        "review_score",
        "review_comment_title",
        "review_comment_message",
        "review_creation_date",
        "review_answer_timestamp",
    ),
    PAYMENTS: ("order_id", "payment_value"),
    ITEMS: ("order_id", "shipping_limit_date"),
}
NOT_PURCHASED = ("canceled", "unavailable")
REPEAT, ONE_TIME = "repeat buyer", "one-time buyer"
DELIVERY = "delivery-on-time"
STARS = ("1", "2", "3", "4", "5")


@dataclass
class OlistReport(ImportReport):
    customers_file: Path | None = None


def journey_path() -> Path:
    from moments.demo.build import example_journey

    return example_journey(JOURNEY)


def _frame(src: SourceTable) -> pd.DataFrame:
    """The source as text columns (None where empty), plus its lines."""
    df = src.table.to_pandas()
    for c in df.columns:
        if c != LINE:
            df[c] = df[c].astype(object).where(df[c].notna(), None)
            df[c] = df[c].map(lambda v: v.strip() or None if isinstance(v, str) else v)
    return df


def _when(s: pd.Series) -> pd.Series:
    """Text timestamps (Brazil local, no zone) parsed for arithmetic; NaT where not one."""
    return pd.to_datetime(s, format="ISO8601", errors="coerce")


def _measure(
    later: pd.Series, earlier: pd.Series, unit_seconds: float, what: dict[str, pd.Series]
) -> pd.Series:
    """(later − earlier) in the unit, as text. Where an input is written but is no timestamp,
    a text the load path quarantines (it is no number), naming the column and value."""
    a, b = _when(later), _when(earlier)
    value = ((a - b).dt.total_seconds() / unit_seconds).map(
        lambda v: None if pd.isna(v) else repr(round(float(v), 6))
    )
    for name, raw in what.items():
        bad = raw.notna() & _when(raw).isna()
        value = value.where(~bad, "'" + raw.astype(str) + f"' in {name} (expected a timestamp)")
    return value


def _table(rows: pd.DataFrame) -> pa.Table:
    """Events as text columns (as a file's would be), plus their source lines."""
    data = {
        c: pa.array([v if isinstance(v, str) else None for v in rows[c]], pa.string())
        for c in rows.columns
        if c != LINE
    }
    data[LINE] = pa.array(rows[LINE].astype("int64").tolist(), pa.int64())
    return pa.table(data)


def _customers_source(folder: Path, customers: str | Path | None) -> Path:
    if customers is None:
        p = find_source(folder, CUSTOMERS, required=False)
        if p is None:
            raise InputError(
                Problem(
                    f"no {CUSTOMERS}.csv(.gz) in this folder",
                    "add it, or pass the customers table with --customers FILE_OR_FOLDER",
                    str(folder),
                )
            )
        return p
    c = Path(customers)
    if c.is_dir():
        found = find_source(c, CUSTOMERS)
        assert found is not None
        return found
    if not c.is_file():
        raise InputError(Problem("no such file or folder", "check the --customers path", str(c)))
    return c


def import_olist(
    ws: Workspace,
    folder: str | Path,
    customers: str | Path | None = None,
    judge: bool = True,
) -> OlistReport:
    """Import the Olist tables in ``folder`` into ``ws`` and judge (unless told not to).

    ``customers``: the customers table (a file, or a folder holding ``olist_customers_dataset``)
    that maps each order to its person and counts their orders for the repeat flag; default:
    the one in ``folder``. Pass the full table to flag sampled orders whose person ordered again
    outside the sample.
    """
    t0 = time.perf_counter()
    folder = check_folder(Path(folder))
    orders_path = find_source(folder, ORDERS)
    assert orders_path is not None
    customers_path = _customers_source(folder, customers)
    optional = {
        name: find_source(folder, name, required=False) for name in (REVIEWS, PAYMENTS, ITEMS)
    }
    path = journey_path()
    ws.add_journey(path)
    journey = load_journey(path)
    channels = {m.id: t.channel for _, t, m in journey.moments()}
    zone = journey.timezone  # the data's local time, written without a zone
    report = OlistReport("olist brazilian e-commerce", customers_file=customers_path)

    orders_src = read_source(orders_path, COLUMNS[ORDERS])
    cust_src = read_source(customers_path, COLUMNS[CUSTOMERS])
    orders, cust = _frame(orders_src), _frame(cust_src)
    report.files += [orders_path, customers_path]
    tables: dict[str, pd.DataFrame] = {}
    malformed: dict[str, list[Malformed]] = {}
    for name, p in optional.items():
        if p is None:
            report.notes.append(f"no {name} in the folder: left out")
            continue
        src = read_source(p, COLUMNS[name])
        tables[name], malformed[name] = _frame(src), src.malformed
        report.files.append(p)
        if src.malformed and name != REVIEWS:
            lines = ", ".join(str(m.line) for m in src.malformed[:5])
            report.notes.append(
                f"{len(src.malformed)} malformed rows in {p.name} left out (lines {lines})"
            )

    # the person behind each order, their state, and how many orders the customers table has
    first = cust.sort_values(LINE).drop_duplicates("customer_id")
    person = orders.merge(
        first[["customer_id", "customer_unique_id", "customer_state"]], on="customer_id", how="left"
    )
    counts = cust.dropna(subset=["customer_unique_id"]).groupby("customer_unique_id").size()
    person["purchased"] = _when(person["order_purchase_timestamp"])

    # measures
    if ITEMS in tables:
        items = tables[ITEMS]
        items["_limit"] = _when(items["shipping_limit_date"])
        limit = items.groupby("order_id")["_limit"].max()
        person["_limit"] = person["order_id"].map(limit)
        bad_items = int((items["shipping_limit_date"].notna() & items["_limit"].isna()).sum())
        if bad_items:
            report.notes.append(f"{bad_items} item rows without a readable shipping_limit_date")
    else:
        person["_limit"] = pd.NaT
    amounts: pd.Series = pd.Series(dtype=float)
    if PAYMENTS in tables:
        pay = tables[PAYMENTS]
        pay["_value"] = pd.to_numeric(pay["payment_value"], errors="coerce")
        amounts = pay.groupby("order_id")["_value"].sum(min_count=1)
        bad_pay = int((pay["payment_value"].notna() & pay["_value"].isna()).sum())
        if bad_pay:
            report.notes.append(f"{bad_pay} payment rows without a numeric payment_value")

    base = PREFIX + person["order_id"].fillna("").astype(str)
    base = base.where(person["order_id"].notna(), None)
    person["customer"] = person["customer_unique_id"]
    person["location_id"] = person["customer_state"]

    # interactions: one per moment that happened
    moments_at = {
        "place-order": ("order_purchase_timestamp", None),
        "payment-approval": ("order_approved_at", "approval_hours"),
        "seller-handover": ("order_delivered_carrier_date", "handover_days_late"),
        DELIVERY: ("order_delivered_customer_date", "delivery_days_late"),
        "order-received": ("order_delivered_customer_date", None),
    }
    measures = {
        "approval_hours": _measure(
            person["order_approved_at"],
            person["order_purchase_timestamp"],
            3600,
            {"order_approved_at": person["order_approved_at"]},
        ),
        "handover_days_late": _measure(
            person["order_delivered_carrier_date"],
            person["_limit"],
            86400,
            {"order_delivered_carrier_date": person["order_delivered_carrier_date"]},
        ),
        "delivery_days_late": _measure(
            person["order_delivered_customer_date"],
            person["order_estimated_delivery_date"],
            86400,
            {
                "order_delivered_customer_date": person["order_delivered_customer_date"],
                "order_estimated_delivery_date": person["order_estimated_delivery_date"],
            },
        ),
    }
    # an order without an id or a known person is one problem: its place-order interaction is
    # quarantined (with its line and the missing field), nothing else is made of it
    identified = person["order_id"].notna() & person["customer"].notna()
    parts = []
    for moment, (column, measure) in moments_at.items():
        happened = (moment == "place-order") | (person[column].notna() & identified)
        rows = pd.DataFrame(
            {
                "event_id": base + "-" + moment,
                "customer_id": person["customer"],
                "moment_id": moment,
                "occurred_at": person[column],
                "channel": channels[moment],
                "location_id": person["location_id"],
                **{m: (measures[m] if m == measure else None) for m in measures},
                LINE: person[LINE],
            }
        )[happened.to_numpy()]
        parts.append(rows)
    interactions = pd.concat(parts, ignore_index=True)

    # purchases and real (timed) repeat purchases among the imported orders
    bought = person[identified & ~person["order_status"].isin(NOT_PURCHASED)].copy()
    bought["_amount"] = bought["order_id"].map(amounts)
    bought["_rank"] = (
        bought.sort_values(["purchased", "order_id"])
        .groupby("customer", dropna=False)
        .cumcount()
        .reindex(bought.index)
    )
    amount_text = bought["_amount"].map(lambda v: None if pd.isna(v) else repr(round(float(v), 2)))
    purchases = pd.DataFrame(
        {
            "event_id": base[bought.index] + "-purchase",
            "customer_id": bought["customer"],
            "occurred_at": bought["order_purchase_timestamp"],
            "type": "purchase",
            "amount": amount_text,
            LINE: bought[LINE],
        }
    )
    again = bought["_rank"] > 0
    repeats = purchases[again.to_numpy()].assign(
        event_id=lambda d: d["event_id"].str.replace("-purchase", "-repeat-purchase"),
        type="repeat_purchase",
    )
    order_outcomes = pd.concat([purchases, repeats], ignore_index=True)

    # profiles: one per person among the imported orders, from the customers table's rows
    # (dated at their first order with a readable purchase time: a bad one is its order's
    # problem, quarantined with the order, not the customers table's)
    people = person.dropna(subset=["customer", "purchased"]).sort_values(["purchased", LINE])
    people = people.drop_duplicates("customer")
    cust_line = (
        cust.dropna(subset=["customer_unique_id"])
        .sort_values(LINE)
        .drop_duplicates("customer_unique_id")
        .set_index("customer_unique_id")[LINE]
    )
    profiles = pd.DataFrame(
        {
            "event_id": PREFIX + "customer-" + people["customer"],
            "customer_id": people["customer"],
            "occurred_at": people["purchased"].dt.strftime("%Y-%m-%d %H:%M:%S"),
            "segment": np.where(people["customer"].map(counts).fillna(0) >= 2, REPEAT, ONE_TIME),
            LINE: people["customer"].map(cust_line),
        }
    )

    # load: each event carries the line of the row it was made from
    loads = report.loads
    loads += load_events(ws, "customer", _table(profiles), customers_path, cust_src.malformed, zone)
    loads += load_events(
        ws, "interaction", _table(interactions), orders_path, orders_src.malformed, zone
    )
    loads += load_events(ws, "outcome", _table(order_outcomes), orders_path, (), zone)
    n_reviews = 0
    reviews_path = optional[REVIEWS]
    if reviews_path is not None:
        rev = tables[REVIEWS]
        n_reviews = len(rev) + len(malformed[REVIEWS])
        review_outcomes, comments = _reviews(rev, person, channels)
        loads += load_events(
            ws, "outcome", _table(review_outcomes), reviews_path, malformed[REVIEWS], zone
        )
        loads += load_events(ws, "comment", _table(comments), reviews_path, (), zone)
        unmatched = int((~rev["order_id"].isin(person["order_id"])).sum())
        if unmatched:
            report.notes.append(f"{unmatched} reviews of orders not in the orders table")

    delivered = person["order_delivered_customer_date"].notna()
    report.counts = {
        "orders": len(orders) + len(orders_src.malformed),
        "delivered orders": int(delivered.sum()),
        "people (customer_unique_id)": int(person["customer"].nunique()),
        "reviews": n_reviews,
        f"rows in the customers table ({customers_path.name})": len(cust),
        "people with 2+ orders there": int((counts >= 2).sum()),
    }
    unknown = int(person["customer"].isna().sum())
    if unknown:
        report.notes.append(f"{unknown} orders whose customer_id is not in the customers table")
    report.notes.append(
        "repeat buyer = 2+ orders in the customers table: descriptive only (no timestamps for "
        "orders outside the orders table)"
    )
    report.bad_rows = bad_rows(ws, report.loads)
    if judge:
        report.judged = ws.judge()
    report.seconds = time.perf_counter() - t0
    return report


def _reviews(
    rev: pd.DataFrame, person: pd.DataFrame, channels: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Review and satisfaction outcomes, and comments, from the reviews table."""
    who = person.drop_duplicates("order_id").set_index("order_id")
    customer = rev["order_id"].map(who["customer"])
    delivered = rev["order_id"].map(who["order_delivered_customer_date"]).notna()
    base = PREFIX + rev["order_id"].fillna("").astype(str)
    eid = (base + "-review-" + rev["review_id"].fillna("").astype(str)).where(
        rev["order_id"].notna() & rev["review_id"].notna(), None
    )
    when = rev["review_answer_timestamp"].where(
        rev["review_answer_timestamp"].notna(), rev["review_creation_date"]
    )
    score = rev["review_score"]
    stars = score.isin(STARS) | score.isin([s + ".0" for s in STARS])
    bad = score.astype(str) + " (expected 1 to 5 stars)"
    stars_text = score.where(stars, bad).where(score.notna(), None)
    sat = pd.to_numeric(score, errors="coerce").map(
        lambda v: None if pd.isna(v) else repr((float(v) - 1) / 4)
    )
    sat = sat.where(stars, bad).where(score.notna(), None)
    words = rev[["review_comment_title", "review_comment_message"]].apply(
        lambda r: " — ".join(str(v) for v in r if isinstance(v, str) and v) or None, axis=1
    )
    common = {"customer_id": customer, "occurred_at": when, LINE: rev[LINE]}
    outcomes = pd.concat(
        [
            pd.DataFrame(
                {
                    "event_id": eid,
                    **common,
                    "type": "review",
                    "rating": stars_text,
                    "text": words,
                }
            ),
            pd.DataFrame(
                {
                    "event_id": eid + "-satisfaction",
                    **common,
                    "type": "satisfaction",
                    "rating": sat,
                    "text": None,
                }
            ),
        ],
        ignore_index=True,
    )
    has_words = words.notna()
    comments = pd.DataFrame(
        {
            "event_id": eid + "-comment",
            **common,
            "text": words,
            "moment_id": "order-received",
            "interaction_id": (base + "-order-received").where(delivered, None),
            "channel": channels["order-received"],
        }
    )[has_words.to_numpy()]
    return outcomes, comments


# -- findings ----------------------------------------------------------------------------------
@dataclass
class OlistFindings:
    """Late delivery and what goes with it, per delivered order (descriptive, 95 % intervals)."""

    delivered: int
    late: int
    late_rate: tuple[float, float, float]  # value, low, high (Wilson)
    reviews_on_time: int
    reviews_late: int
    mean_on_time: tuple[float, float, float]  # mean stars, t interval
    mean_late: tuple[float, float, float]
    penalty: tuple[float, float, float]  # late − on time (Welch interval)
    low_on_time: tuple[float, float, float]  # share of 1–2★ reviews (Wilson)
    low_late: tuple[float, float, float]
    repeat_on_time: tuple[float, float, float]  # share of orders whose person is a repeat buyer
    repeat_late: tuple[float, float, float]
    orders_on_time: int
    orders_late: int
    notes: list[str] = field(default_factory=list)

    @property
    def low_ratio(self) -> float:
        return self.low_late[0] / self.low_on_time[0] if self.low_on_time[0] else float("nan")

    def to_frame(self) -> pd.DataFrame:
        rows = [
            ("late-delivery rate", *self.late_rate, self.delivered),
            ("mean review, on time (stars)", *self.mean_on_time, self.reviews_on_time),
            ("mean review, late (stars)", *self.mean_late, self.reviews_late),
            (
                "review-score penalty, late − on time",
                *self.penalty,
                self.reviews_on_time + self.reviews_late,
            ),
            ("1–2★ share, on time", *self.low_on_time, self.reviews_on_time),
            ("1–2★ share, late", *self.low_late, self.reviews_late),
            ("repeat buyers, on time (descriptive)", *self.repeat_on_time, self.orders_on_time),
            ("repeat buyers, late (descriptive)", *self.repeat_late, self.orders_late),
        ]
        return pd.DataFrame(rows, columns=["finding", "value", "low", "high", "n"])


def _wilson(k: int, n: int) -> tuple[float, float, float]:
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    return k / n, float(lo), float(hi)


def _mean(x: np.ndarray) -> tuple[float, float, float]:
    if len(x) < 2:
        return (float(x.mean()) if len(x) else float("nan")), float("nan"), float("nan")
    d = DescrStatsW(x)
    lo, hi = d.tconfint_mean()
    return float(d.mean), float(lo), float(hi)


def _order_of(event_ids: pd.Series) -> pd.Series:
    return event_ids.str.removeprefix(PREFIX).str.split("-", n=1).str[0]


def findings(ws: Workspace) -> OlistFindings:
    """The delivery findings of an Olist store (after :func:`import_olist`).

    Late = the timestamp rule (``delivery_days_late`` > 0). Per review of a delivered order: mean
    stars on time vs late with t intervals, the difference (the review-score penalty) with a
    Welch interval, and the share of 1–2★ reviews. Per delivered order: the share whose person
    is a repeat buyer in the customers table — descriptive only, since the repeat's timing is
    unknown.
    """
    i = ws.events("interaction")
    m = ws.store.table("measures")
    d = i.filter(i.moment_id == DELIVERY).select("event_id", "customer_id")
    d = d.join(m.filter(m.name == "delivery_days_late"), "event_id")
    deliv = d.select("event_id", "customer_id", "value").to_pandas()
    if deliv.empty:
        raise InputError(
            "no delivered orders with a delivery_days_late measure in this store",
            "import the Olist data first: moments import olist DIR --db FILE",
        )
    deliv["order_id"] = _order_of(deliv["event_id"])
    deliv["late"] = deliv["value"] > 0
    o = ws.events("outcome")
    rv = o.filter(o.type == "review").select("event_id", "rating").to_pandas()
    rv["order_id"] = _order_of(rv["event_id"])
    rv = rv.merge(deliv[["order_id", "late"]], on="order_id", how="inner").dropna(subset=["rating"])
    on, late = rv[~rv["late"]]["rating"].to_numpy(), rv[rv["late"]]["rating"].to_numpy()
    if len(on) >= 2 and len(late) >= 2:
        cm = CompareMeans(DescrStatsW(late), DescrStatsW(on))
        lo, hi = cm.tconfint_diff(usevar="unequal")
        penalty = (float(late.mean() - on.mean()), float(lo), float(hi))
    else:
        penalty = (float("nan"),) * 3
    seg = ws.profiles().select("customer_id", "segment").to_pandas()
    deliv = deliv.merge(seg, on="customer_id", how="left")
    rep = deliv["segment"] == REPEAT
    n_late, n_on = int(deliv["late"].sum()), int((~deliv["late"]).sum())
    return OlistFindings(
        delivered=len(deliv),
        late=n_late,
        late_rate=_wilson(n_late, len(deliv)),
        reviews_on_time=len(on),
        reviews_late=len(late),
        mean_on_time=_mean(on),
        mean_late=_mean(late),
        penalty=penalty,
        low_on_time=_wilson(int((on <= 2).sum()), len(on)),
        low_late=_wilson(int((late <= 2).sum()), len(late)),
        repeat_on_time=_wilson(int(rep[~deliv["late"]].sum()), n_on),
        repeat_late=_wilson(int(rep[deliv["late"]].sum()), n_late),
        orders_on_time=n_on,
        orders_late=n_late,
        notes=[
            "late = delivered after the estimated delivery date (timestamp rule)",
            "repeat buyer = 2+ orders in the customers table used at import; descriptive only "
            "(the other orders' dates are unknown, so a repeat cannot be placed after a late "
            "or an on-time delivery)",
        ],
    )
