"""Small hand-written survey exports, in each shape a user brings, onto a hotel-stay journey."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

import openpyxl

HOTEL = """\
id: hotel-stay
name: Hotel — one stay
timezone: Europe/Paris
owners:
  - {id: front-desk, name: Front desk}
  - {id: housekeeping, name: Housekeeping}
  - {id: restaurant, name: Restaurant}
measures:
  wait_minutes: {label: waited, unit: min}
survey:
  scale: {min: 1, max: 5}
  missed: "<= 2"
  exceeded: ">= 4"
stages:
  - id: arrive
    name: Arrive
    touchpoints:
      - id: desk
        name: Front desk
        channel: store
        moments:
          - id: check-in
            name: Is check-in quick and friendly?
            owner: front-desk
            keywords: [check-in, checkin, reception]
            standard: {measure: wait_minutes, exceeded: "<= 2", met: "<= 10"}
  - id: stay
    name: Stay
    touchpoints:
      - id: room
        name: Room
        channel: other
        moments:
          - id: room-cleanliness
            name: Is the room clean?
            owner: housekeeping
            keywords: [clean, cleanliness, housekeeping]
          - id: breakfast
            name: Is breakfast good?
            owner: restaurant
            keywords: [breakfast, food]
  - id: leave
    name: Leave
    touchpoints:
      - id: desk-out
        name: Front desk
        channel: store
        moments:
          - id: check-out
            name: Is check-out smooth?
            owner: front-desk
            keywords: [check-out, checkout]
"""

# a French hotel's export: ';' and Latin-1, day-first dates, N/A and blanks
STAYS_CSV = """\
Guest;Stay date;Check-in;Room cleanliness;Breakfast;Check-out;Minutes waited;Overall satisfaction;Recommend (0-10);Would you come back?;Comments
G1;01/03/2024;5;4;N/A;5;1;5;10;Yes;Séjour très agréable, café excellent
G2;02/03/2024;2;1;3;;25;2;3;No;Chambre sale, attente à la réception
G3;03/03/2024;4;5;4;4;4;4;8;Maybe;
G4;04/03/2024;3;3;2;3;;3;6;Yes;Petit-déjeuner froid
"""  # noqa: E501

STAYS_MAP = """\
journey: hotel-stay
respondent: Guest
date: {column: Stay date, format: "%d/%m/%Y"}
moments:
  check-in:
    rating: Check-in
    measures: {wait_minutes: Minutes waited}
  room-cleanliness: Room cleanliness
  breakfast: Breakfast
  check-out: Check-out
comments:
  - {column: Comments, moment: any}
outcomes:
  - {column: Overall satisfaction, type: satisfaction, scale: 1-5}
  - {column: Recommend (0-10), type: recommendation, scale: 0-10}
  - {column: "Would you come back?", type: return_intent, scale: ["No", Maybe, "Yes"]}
"""

LABELS = ["Very dissatisfied", "Dissatisfied", "Neither", "Satisfied", "Very satisfied"]


def stays_csv(folder: Path) -> Path:
    path = folder / "stays.csv"
    path.write_bytes(STAYS_CSV.encode("latin-1"))
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def hotel(folder: Path) -> Path:
    return write(folder / "hotel-stay.yaml", HOTEL)


def stays_xlsx(folder: Path) -> Path:
    """An Excel export: numbers and dates as cells, one moment answered in words."""
    path = folder / "stays.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Guest", "Submitted", "Check-in", "Room", "Breakfast", "Check-out", "Overall"])
    ws.append(["G1", dt.datetime(2024, 3, 1, 9, 30), 5, "Very satisfied", 4, 5, 9])
    ws.append(["G2", dt.datetime(2024, 3, 2, 18, 0), 2, "very  DISSATISFIED", 1, None, 2])
    ws.append(["G3", dt.datetime(2024, 3, 3, 8, 15), 4, "Neither", "N/A", 4, 7])
    wb.save(path)
    return path


XLSX_MAP = """\
journey: hotel-stay
respondent: Guest
date: Submitted
moments:
  check-in: Check-in
  room-cleanliness:
    rating: {column: Room, scale: [Very dissatisfied, Dissatisfied, Neither, Satisfied, Very satisfied]}
  breakfast: Breakfast
  check-out: Check-out
outcomes:
  - {column: Overall, type: satisfaction, scale: 0-10}
"""  # noqa: E501


def qualtrics_rows() -> list[list[str]]:
    return [
        ["StartDate", "EndDate", "ResponseId", "Q1_1", "Q1_2", "Q1_3", "Q1_4", "Q2", "Q3",
         "Q4_TEXT"],
        ["Start Date", "End Date", "Response ID",
         "How satisfied were you with each part of your stay?\n - Check-in",
         "How satisfied were you with each part of your stay? - Room cleanliness",
         "How satisfied were you with each part of your stay? - Breakfast",
         "How satisfied were you with each part of your stay? - Check-out",
         "Overall, how satisfied were you with your stay?",
         "How likely are you to recommend us to a friend?",
         "Anything else you would like to tell us?"],
        ['{"ImportId":"startDate","timeZone":"America/New_York"}',
         '{"ImportId":"endDate","timeZone":"America/New_York"}',
         '{"ImportId":"_recordId"}', '{"ImportId":"QID1_1"}', '{"ImportId":"QID1_2"}',
         '{"ImportId":"QID1_3"}', '{"ImportId":"QID1_4"}', '{"ImportId":"QID2"}',
         '{"ImportId":"QID3"}', '{"ImportId":"QID4_TEXT"}'],
        ["2024-03-01 10:00:00", "2024-03-01 10:05:00", "R_1", "Very satisfied",
         "Dissatisfied", "Satisfied", "Very satisfied", "Satisfied", "9",
         "The room smelled of smoke."],
        ["2024-03-02 11:00:00", "2024-03-02 11:04:00", "R_2", "Neither nor", "Satisfied",
         "Very dissatisfied", "Satisfied", "Dissatisfied", "4", ""],
        ["2024-03-03 12:00:00", "2024-03-03 12:06:00", "R_3", "Satisfied", "Very satisfied",
         "Neither satisfied nor dissatisfied", "Satisfied", "Very satisfied",
         "10 - Extremely likely", "Lovely breakfast, thank you"],
    ]  # fmt: skip


def qualtrics_csv(folder: Path, rows: list[list[str]] | None = None) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows or qualtrics_rows())
    path = folder / "qualtrics.csv"
    path.write_text(buf.getvalue(), encoding="utf-8-sig")
    return path


FIVE = "[Very dissatisfied, Dissatisfied, Neither satisfied nor dissatisfied, Satisfied, Very satisfied]"  # noqa: E501

QUALTRICS_MAP = f"""\
journey: hotel-stay
respondent: ResponseId
date: EndDate
scale: {FIVE}
moments:
  check-in: Q1_1
  room-cleanliness: Q1_2
  breakfast: Q1_3
  check-out: Q1_4
comments:
  - {{column: Q4_TEXT, moment: any}}
outcomes:
  - {{column: Q2, type: satisfaction, scale: {FIVE}}}
  - {{column: Q3, type: recommendation, scale: 0-10}}
"""


def driven_export(folder: Path, n: int = 400, seed: int = 11) -> Path:
    """A larger export whose overall satisfaction follows the room first, then breakfast."""
    rng = random.Random(seed)
    lines = ["guest,date,checkin,room,breakfast,checkout,overall"]
    for i in range(n):
        r = {k: rng.randint(1, 5) for k in ("checkin", "room", "breakfast", "checkout")}
        score = 0.7 * r["room"] + 0.3 * r["breakfast"] + rng.gauss(0, 0.4)
        overall = max(1, min(5, round(score)))
        day = dt.date(2024, 1, 1) + dt.timedelta(days=i % 60)
        lines.append(
            f"g{i},{day.isoformat()},{r['checkin']},{r['room']},{r['breakfast']},"
            f"{r['checkout']},{overall}"
        )
    path = folder / "driven.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


DRIVEN_MAP = """\
journey: hotel-stay
respondent: guest
date: date
moments: {check-in: checkin, room-cleanliness: room, breakfast: breakfast, check-out: checkout}
outcomes:
  - {column: overall, type: satisfaction, scale: 1-5}
"""
