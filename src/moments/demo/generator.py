"""Deterministic demo data for the retail store-visit journey, with planted effects.

``generate()`` simulates a women's specialty retailer over a year (by default the 365 days
ending 2026-10-31): five stores in Europe/London (``store-riverside``, ``store-harbour``,
``store-old-town``, ``store-parkside``, ``store-station``), the web (``web``) and a contact
centre (``contact-centre``), with 6–10 employees per store and in the contact centre. Customers
have a home store and visit it again and again: they may check stock online first, look for a
parking space, are greeted, may get a dressing room and styling advice, pay at the checkout when
they buy, get an order-confirmation email and sometimes call about a return. Every lived moment
is an interaction carrying its standard's measure; its latent valence is the standard applied
to that measure (``styling-advice`` has no standard: its valence is drawn directly). From the
interactions follow survey answers (~15%), free-text comments (~8%) and outcomes (purchases,
repeat purchases, referrals, reviews, social posts, defections).

Planted effects that the analytics must recover (also in ``PLANTED``, with the same numbers):

1. key-moment — after each visit the log-odds of another visit start at 0.8; a positive
   ``dressing-room`` moment adds +1.8 (about 69% → 93% for an otherwise neutral visit), a
   negative one −1.3; every other moment moves them by at most 0.3 (find-parking: see 4).
2. inconsistency — ``checkout`` at ``store-riverside`` on Saturdays: queue_seconds misses the
   standard 72% of the time, meets it 23%, exceeds it 5%, and queues past the standard run
   2.5× longer; elsewhere and on other days 7% missed, 60% met, 33% exceeded.
3. defection — the visit at which a customer's running count of negative moments reaches 2
   ends in a ``defection`` with probability 0.45, any other visit with probability 0.012
   (≈44% of customers with ≥ 2 negative moments defect against ≈6% of the others).
4. basic-moment — ``find-parking`` only hurts when missed: negative lowers the log-odds of
   another visit by 0.9; positive adds 0, exactly as neutral (no lift).

Other regularities (not planted effects): a visit with more negative than positive moments is
followed by a social post with probability 0.45, one with any negative moment 0.25, others
0.03 or less; referrals follow visits without negatives; review ratings follow the net valence
of the visit; purchase amounts are lognormal (median £90); survey scores match the latent
valence (missed 1–2, met 3–4, exceeded 5) except for 10% moved to an adjacent band.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from moments.demo import simulate as sim
from moments.demo.tables import build_tables
from moments.errors import InputError
from moments.journey import Journey, load_journey_text
from moments.store.schema import EVENT_KINDS

DEFAULT_END = dt.date(2026, 10, 31)


def _sigmoid(x: float) -> float:
    return float(1 / (1 + np.exp(-x)))


def _largest_other_effect() -> float:
    others = [k for k in range(len(sim.MOMENTS)) if k not in (sim.PARK, sim.DRESS)]
    return float(np.abs(sim.RETURN_EFFECT[others]).max())


PLANTED: dict[str, str] = {
    "key-moment": (
        "dressing-room drives repeat purchase: after each visit the log-odds of another visit "
        f"start at {sim.RETURN_BASE} and a positive dressing-room moment adds "
        f"+{sim.RETURN_EFFECT[sim.DRESS, 1]} (≈{_sigmoid(sim.RETURN_BASE):.0%} → "
        f"≈{_sigmoid(sim.RETURN_BASE + sim.RETURN_EFFECT[sim.DRESS, 1]):.0%} for an otherwise "
        "neutral visit), a negative one "
        f"{sim.RETURN_EFFECT[sim.DRESS, 0]}; every other moment moves them by at most "
        f"{_largest_other_effect()} "
        "(find-parking: see basic-moment)"
    ),
    "inconsistency": (
        "checkout collapses on Saturdays at store-riverside: queue_seconds there and then is "
        "missed {:.0%}, met {:.0%}, exceeded {:.0%}, and missed queues run {}× longer past the "
        "standard; everywhere else and on other days missed {:.0%}, met {:.0%}, exceeded {:.0%}"
    ).format(
        *sim.RIVERSIDE_SATURDAY_CHECKOUT, sim.RIVERSIDE_SATURDAY_STRETCH, *sim.BANDS[sim.CHECKOUT]
    ),
    "defection": (
        "the visit at which a customer's running count of negative moments reaches 2 ends in a "
        f"defection with probability {sim.DEFECT_AT_SECOND_NEGATIVE}, any other visit with "
        f"probability {sim.DEFECT_OTHERWISE}; so customers with ≥ 2 negative moments defect "
        "≈44% of the time against ≈6% of the others; a defection ends her visits"
    ),
    "basic-moment": (
        "find-parking only hurts when missed: a negative find-parking moment lowers the "
        f"log-odds of another visit by {-sim.RETURN_EFFECT[sim.PARK, 0]}, a positive one gives "
        f"{sim.RETURN_EFFECT[sim.PARK, 1]} — no lift over neutral"
    ),
}


@dataclass(frozen=True)
class DemoData:
    """Generated event tables, one per event kind, with the journey they belong to."""

    journey: Journey
    interactions: pa.Table
    feedback: pa.Table
    comments: pa.Table
    outcomes: pa.Table
    customers: pa.Table
    start: dt.date
    end: dt.date

    def tables(self) -> dict[str, pa.Table]:
        """The tables keyed by event kind (``interaction``, ``feedback``, …)."""
        return {
            "interaction": self.interactions,
            "feedback": self.feedback,
            "comment": self.comments,
            "outcome": self.outcomes,
            "customer": self.customers,
        }

    def write(
        self, folder: Path | str, format: Literal["parquet", "csv", "jsonl"] = "parquet"
    ) -> dict[str, Path]:
        """Writes one file per kind (``interactions.parquet`` …); returns kind → path."""
        if format not in ("parquet", "csv", "jsonl"):
            raise InputError(f"unknown format '{format}'", "use parquet, csv or jsonl")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        for kind, table in self.tables().items():
            path = folder / f"{EVENT_KINDS[kind].table}.{format}"
            if format == "parquet":
                pq.write_table(table, path)
            elif format == "csv":
                pacsv.write_csv(_iso_times(table), path)
            else:
                _iso_times(table).to_pandas().to_json(
                    path, orient="records", lines=True, force_ascii=False
                )
            paths[kind] = path
        return paths


def _iso_times(table: pa.Table) -> pa.Table:
    """Timestamps as ISO 8601 text with an explicit offset, e.g. 2026-03-07T14:05:00+00:00."""
    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type):
            us = table.column(i).to_numpy().astype("datetime64[us]")
            unit: Literal["s", "us"] = "s" if (us.astype(np.int64) % 1_000_000 == 0).all() else "us"
            text = np.char.add(np.datetime_as_string(us, unit=unit), "+00:00")
            table = table.set_column(i, f.name, pa.array(text.tolist(), pa.string()))
    return table


def default_journey() -> Journey:
    """The packaged retail store-visit journey."""
    res = files("moments.journey") / "examples" / "retail-store-visit.yaml"
    return load_journey_text(res.read_text(encoding="utf-8"), str(res))


def generate(
    seed: int = 7,
    customers: int = 20_000,
    days: int = 365,
    end: dt.date | None = None,
    journey: Journey | None = None,
) -> DemoData:
    """Simulates ``customers`` customers over the ``days`` days ending on ``end``.

    The same arguments always give identical tables. ``journey`` defaults to the packaged
    retail example; another journey must declare the same eight moment ids (its channels,
    standards, measures and survey are used).
    """
    if customers < 1 or days < 1:
        raise InputError("customers and days must be at least 1")
    journey = journey or default_journey()
    missing = sorted(set(sim.MOMENTS) - {m.id for _, _, m in journey.moments()})
    if missing:
        raise InputError(
            f"journey '{journey.id}' lacks the moments {', '.join(missing)}",
            "the demo simulates the retail store visit; use that journey or one with its moments",
        )
    rng = np.random.default_rng(seed)
    s = sim.Simulation(rng, journey, customers, days, end or DEFAULT_END)
    visits = s.run()
    last = s.start + dt.timedelta(days=days - 1)
    interactions, feedback, comments, outcomes = build_tables(s, visits, journey, rng)
    profiles = customer_profiles(interactions)
    return DemoData(journey, interactions, feedback, comments, outcomes, profiles, s.start, last)


SEGMENTS = (("loyal", 6), ("regular", 3), ("new", 0))  # by store visits in the period, at least


def customer_profiles(interactions: pa.Table) -> pa.Table:
    """One profile per customer, as of their first lived moment: a segment by how many days
    they visited a store (loyal ≥ 6, regular ≥ 3, else new), a demo e-mail, phone and zone."""
    df = interactions.select(["customer_id", "occurred_at", "channel"]).to_pandas()
    first = df.groupby("customer_id")["occurred_at"].min()
    store = df[df["channel"] == "store"]
    days = store.assign(day=store["occurred_at"].dt.date).groupby("customer_id")["day"].nunique()
    days = days.reindex(first.index, fill_value=0)
    segment = np.select(
        [days.to_numpy() >= n for _, n in SEGMENTS], [name for name, _ in SEGMENTS], "new"
    )
    ids = first.index.to_numpy()
    numbers = np.array([int(c.split("-")[1]) for c in ids])
    schema = EVENT_KINDS["customer"].schema.to_pyarrow()
    return pa.table(
        {
            "event_id": [f"cust-{n:08d}" for n in numbers],
            "customer_id": ids,
            "occurred_at": pa.array(first.to_numpy(), pa.timestamp("us", tz="UTC")),
            "segment": segment,
            "email": [f"customer{n}@example.com" for n in numbers],
            "phone": [f"+44 7700 9{n:05d}" for n in numbers],
            "time_zone": ["Europe/London"] * len(ids),
        },
        schema=schema.remove(schema.get_field_index("load_id")),
    )
