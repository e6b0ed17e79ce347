"""Import the Airline Passenger Satisfaction survey (TJ Klein, Kaggle 2020) onto a flight journey.

The folder holds the original ``train.csv`` and/or ``test.csv`` (or ``.csv.gz``). Each row is
one passenger and one flight, mapped onto the shipped ``airline-flight`` journey:

- **customer** ``id`` (verbatim) with a ``customer`` profile whose segment is
  ``Type of Travel · Class · Customer Type`` as written, e.g. ``Business travel · Business ·
  Loyal Customer`` (12 segments);
- one **interaction** per moment (15): the 14 rated touchpoints and the ``arrival``. The
  arrival carries ``arrival_delay_minutes`` (missing in 393 rows: then no measure, and the
  arrival is unknown) and ``departure_delay_minutes``; ``online-booking`` carries the booking's
  facts ``flight_distance_miles`` and ``passenger_age_years``;
- one **feedback** answer per rating 1–5 (1–2 negative, 3 neutral, 4–5 positive, by the
  journey's survey); 0 means *not applicable* and makes no answer, so that moment stays unknown;
- one **satisfaction** outcome: rating 1.0 for ``satisfied``, 0.0 for ``neutral or
  dissatisfied`` (the label is kept as the outcome's text).

The data has no dates: every event is dated **2020-02-20T00:00:00Z**, the date of the Kaggle
files. Which file a passenger came from is the source file of their events' loads
(``Workspace.loads()``; :func:`moments.analytics.satisfaction.customers_from` finds them).
Event ids are ``air-<id>-<moment>`` (``-answer``, ``-satisfaction``, ``-profile``), so importing
again adds nothing. A bad value quarantines the event it would become, with the source file,
line and field; the passenger's other events are loaded.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from moments.errors import InputError, Problem
from moments.importers.common import (
    ImportReport,
    SourceTable,
    bad_rows,
    check_folder,
    constant,
    find_source,
    flagged,
    join,
    load_events,
    numbers,
    read_source,
    text,
)
from moments.ingest.readers import LINE
from moments.journey.loader import load_journey
from moments.workspace import Workspace

JOURNEY = "airline-flight"
SURVEY_DATE = "2020-02-20T00:00:00Z"  # the Kaggle files' date; the data itself has none
SPLITS = ("train", "test")
PREFIX = "air-"

# (column, moment), in journey order
RATINGS: tuple[tuple[str, str], ...] = (
    ("Ease of Online booking", "online-booking"),
    ("Departure/Arrival time convenient", "schedule-convenience"),
    ("Checkin service", "check-in"),
    ("Gate location", "gate-location"),
    ("Online boarding", "online-boarding"),
    ("Seat comfort", "seat-comfort"),
    ("Leg room service", "leg-room"),
    ("Cleanliness", "cleanliness"),
    ("Inflight wifi service", "inflight-wifi"),
    ("Inflight entertainment", "inflight-entertainment"),
    ("Food and drink", "food-and-drink"),
    ("On-board service", "onboard-service"),
    ("Inflight service", "inflight-service"),
    ("Baggage handling", "baggage-handling"),
)
ARRIVAL = "arrival"
# measure: (column, moment whose interaction carries it)
MEASURES: dict[str, tuple[str, str]] = {
    "flight_distance_miles": ("Flight Distance", "online-booking"),
    "passenger_age_years": ("Age", "online-booking"),
    "departure_delay_minutes": ("Departure Delay in Minutes", ARRIVAL),
    "arrival_delay_minutes": ("Arrival Delay in Minutes", ARRIVAL),
}
PROFILE = ("Type of Travel", "Class", "Customer Type")
SATISFACTION = {"satisfied": "1", "neutral or dissatisfied": "0"}
REQUIRED = (
    "id",
    *PROFILE,
    *[c for c, _ in RATINGS],
    *[c for c, _ in MEASURES.values()],
    "satisfaction",
)


@dataclass
class AirlineReport(ImportReport):
    passengers: dict[str, int] = field(default_factory=dict)  # per source file name
    not_applicable: dict[str, int] = field(default_factory=dict)  # per moment: answers of 0


def journey_path() -> Path:
    from moments.demo.build import example_journey

    return example_journey(JOURNEY)


def import_airline(ws: Workspace, folder: str | Path, judge: bool = True) -> AirlineReport:
    """Import ``train`` and/or ``test`` from ``folder`` into ``ws``, then judge (unless told not).

    Registers the ``airline-flight`` journey first. Returns counts (passengers, answers,
    not-applicable answers per moment, missing arrival delays), each load's report and the
    rows quarantined.
    """
    t0 = time.perf_counter()
    folder = check_folder(Path(folder))
    found = [p for s in SPLITS if (p := find_source(folder, s, required=False)) is not None]
    if not found:
        raise InputError(
            Problem(
                "no train.csv or test.csv (.csv.gz) in this folder",
                "point to the folder with the Kaggle files of Airline Passenger Satisfaction",
                str(folder),
            )
        )
    path = journey_path()
    ws.add_journey(path)
    channels = {m.id: t.channel for _, t, m in load_journey(path).moments()}
    report = AirlineReport("airline passenger satisfaction")
    na = dict.fromkeys([m for _, m in RATINGS], 0)
    totals = {"answers": 0, "empty": 0, "no_delay": 0, "no_label": 0}
    for p in found:
        src = read_source(p, REQUIRED)
        report.files.append(p)
        report.passengers[p.name] = src.rows + len(src.malformed)
        tables = _events(src, channels, na, totals)
        for kind, events in tables.items():
            malformed = src.malformed if kind == "customer" else ()
            report.loads += load_events(ws, kind, events, p, malformed)
    report.not_applicable = na
    report.counts = {
        "passengers": sum(report.passengers.values()),
        "ratings answered (1–5)": totals["answers"],
        "not-applicable answers (0)": sum(na.values()),
        "missing arrival delays": totals["no_delay"],
    }
    if totals["empty"]:
        report.counts["empty ratings (no answer)"] = totals["empty"]
    if totals["no_label"]:
        report.counts["missing satisfaction labels"] = totals["no_label"]
    report.bad_rows = bad_rows(ws, report.loads)
    report.notes.append(
        f"every event is dated {SURVEY_DATE[:10]} (the data has no dates); the source file of "
        "each passenger is kept in the loads"
    )
    if judge:
        report.judged = ws.judge()
    report.seconds = time.perf_counter() - t0
    return report


def _events(
    src: SourceTable, channels: Mapping[str, str], na: dict[str, int], totals: dict[str, int]
) -> dict[str, pa.Table]:
    """Events of each kind made from the source rows, each with its row's line."""
    n = src.rows
    ids = text(src.column("id"))
    base = join(PREFIX, ids, "-")
    when = constant(SURVEY_DATE, n)
    lines = src.column(LINE)

    segment = pc.binary_join_element_wise(
        *[text(src.column(c)) for c in PROFILE], " · ", null_handling="skip"
    )
    customers = pa.table(
        {
            "event_id": join(base, "profile"),
            "customer_id": ids,
            "occurred_at": when,
            "segment": pc.if_else(pc.equal(segment, ""), pa.scalar(None, pa.string()), segment),
            LINE: lines,
        }
    )

    interactions, feedback = [], []
    for moment in [*[m for _, m in RATINGS], ARRIVAL]:
        cols = {
            "event_id": join(base, moment),
            "customer_id": ids,
            "moment_id": constant(moment, n),
            "occurred_at": when,
            "channel": constant(channels[moment], n),
        }
        for measure, (column, carrier) in MEASURES.items():
            cols[measure] = src.column(column) if carrier == moment else constant(None, n)
        cols[LINE] = lines
        interactions.append(pa.table(cols))
    for column, moment in RATINGS:
        value = text(src.column(column))
        zero = pc.fill_null(pc.equal(numbers(value), 0.0), False)
        na[moment] += pc.sum(zero).as_py() or 0
        totals["empty"] += value.null_count
        answered = pc.and_(pc.is_valid(value), pc.invert(zero))
        totals["answers"] += pc.sum(answered).as_py() or 0
        fb = pa.table(
            {
                "event_id": join(base, moment, "-answer"),
                "customer_id": ids,
                "moment_id": constant(moment, n),
                "occurred_at": when,
                "score": value,
                "interaction_id": join(base, moment),
                LINE: lines,
            }
        ).filter(answered)
        feedback.append(fb)
    totals["no_delay"] += text(src.column(MEASURES["arrival_delay_minutes"][0])).null_count

    label = text(src.column("satisfaction"))
    totals["no_label"] += label.null_count
    known = pc.is_in(label, value_set=pa.array(list(SATISFACTION)))
    rating = label
    for name, value in SATISFACTION.items():
        rating = pc.if_else(pc.equal(label, name), value, rating)
    outcomes = pa.table(
        {
            "event_id": join(base, "satisfaction"),
            "customer_id": ids,
            "occurred_at": when,
            "type": constant("satisfaction", n),
            "rating": flagged(rating, known, " / ".join(SATISFACTION)),
            "text": label,
            LINE: lines,
        }
    ).filter(pc.is_valid(label))
    # a row without an id is one problem: its profile is quarantined, nothing else is made
    return {
        "customer": customers,
        "interaction": _with_id(pa.concat_tables(interactions)),
        "feedback": _with_id(pa.concat_tables(feedback)),
        "outcome": _with_id(outcomes),
    }


def _with_id(events: pa.Table) -> pa.Table:
    return events.filter(pc.is_valid(events["customer_id"]))
