"""`moments import survey`: wide survey exports become judged moments, outcomes and comments."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.csv as pacsv
import pytest

import moments
from moments.errors import InputError
from moments.importers.survey import import_survey
from tests.realdata import airline_store, cli, needs_airline
from tests.surveys import (
    DRIVEN_MAP,
    QUALTRICS_MAP,
    STAYS_MAP,
    XLSX_MAP,
    driven_export,
    hotel,
    qualtrics_csv,
    qualtrics_rows,
    stays_csv,
    stays_xlsx,
    write,
)


def _valences(ws: moments.Workspace) -> dict[str, str]:
    j = ws.judgements().to_pandas()
    return dict(zip(j.lived_id, j.valence, strict=True))


def _outcomes(ws: moments.Workspace) -> dict[str, float | None]:
    o = ws.events("outcome").to_pandas()
    return {
        e: (None if pd.isna(r) else round(r, 4)) for e, r in zip(o.event_id, o.rating, strict=True)
    }


# -- the shapes --------------------------------------------------------------------------------
def test_a_semicolon_latin1_csv_becomes_judged_moments_outcomes_and_comments(
    tmp_path: Path,
) -> None:
    with moments.open(tmp_path / "s.duckdb") as ws:
        r = import_survey(
            ws, stays_csv(tmp_path), hotel(tmp_path), write(tmp_path / "m.yaml", STAYS_MAP)
        )
        assert r.counts == {
            "respondents": 4,
            "ratings answered (1–5)": 14,
            "not-applicable answers (N/A, NA, Not applicable)": 1,
            "empty ratings (no answer)": 1,
            "outcomes (satisfaction)": 4,
            "outcomes (recommendation)": 4,
            "outcomes (return_intent)": 4,
            "comments": 3,
        }
        assert (r.quarantined, r.bad_rows) == (0, 0)
        assert any("latin-1" in n and "';'" in n for n in r.notes)
        v = _valences(ws)
        assert v["hotel-stay-G1-check-in"] == "positive"  # 5 on 1–5
        assert v["hotel-stay-G2-check-in"] == "negative"  # 2: missed
        assert v["hotel-stay-G4-check-in"] == "neutral"  # 3: met
        assert v["hotel-stay-G1-breakfast"] == "unknown"  # N/A: lived, no answer
        assert v["hotel-stay-G2-check-out"] == "unknown"  # blank
        assert len(v) == 16
        assert _outcomes(ws) == {
            "hotel-stay-G1-satisfaction": 1.0, "hotel-stay-G2-satisfaction": 0.25,
            "hotel-stay-G3-satisfaction": 0.75, "hotel-stay-G4-satisfaction": 0.5,
            "hotel-stay-G1-recommendation": 1.0, "hotel-stay-G2-recommendation": 0.3,
            "hotel-stay-G3-recommendation": 0.8, "hotel-stay-G4-recommendation": 0.6,
            "hotel-stay-G1-return_intent": 1.0, "hotel-stay-G2-return_intent": 0.0,
            "hotel-stay-G3-return_intent": 0.5, "hotel-stay-G4-return_intent": 1.0,
        }  # fmt: skip
        c = ws.events("comment").to_pandas().set_index("event_id")
        assert c.loc["hotel-stay-G2-comment", "text"] == "Chambre sale, attente à la réception"
        assert c.moment_id.isna().all()
        # day-first dates, read in the journey's time zone (Europe/Paris)
        fb = ws.events("feedback").to_pandas().set_index("event_id")
        when = fb.loc["hotel-stay-G1-check-in-answer", "occurred_at"]
        assert when == pd.Timestamp("2024-02-29T23:00:00Z")
        m = ws.store.table("measures").to_pandas()
        assert dict(zip(m.event_id, m.value, strict=True)) == {
            "hotel-stay-G1-check-in": 1.0, "hotel-stay-G2-check-in": 25.0,
            "hotel-stay-G3-check-in": 4.0,
        }  # fmt: skip


def test_an_excel_export_with_a_labels_scale(tmp_path: Path) -> None:
    with moments.open(tmp_path / "x.duckdb") as ws:
        r = import_survey(
            ws, stays_xlsx(tmp_path), hotel(tmp_path), write(tmp_path / "m.yaml", XLSX_MAP)
        )
        assert r.counts["ratings answered (1–5)"] == 10 and r.bad_rows == 0
        assert r.counts["not-applicable answers (N/A, NA, Not applicable)"] == 1
        fb = ws.events("feedback").to_pandas().set_index("event_id")
        # labels are numbered onto the journey's 1–5, ignoring case and spaces
        assert fb.loc["hotel-stay-G1-room-cleanliness-answer", "score"] == 5.0
        assert fb.loc["hotel-stay-G2-room-cleanliness-answer", "score"] == 1.0
        assert fb.loc["hotel-stay-G3-room-cleanliness-answer", "score"] == 3.0
        v = _valences(ws)
        assert v["hotel-stay-G2-room-cleanliness"] == "negative"
        assert v["hotel-stay-G3-room-cleanliness"] == "neutral"
        assert _outcomes(ws)["hotel-stay-G3-satisfaction"] == 0.7  # 7 on 0–10
        when = fb.loc["hotel-stay-G1-check-in-answer", "occurred_at"]
        assert when == pd.Timestamp("2024-03-01T08:30:00Z")  # 09:30 in Paris


def test_a_qualtrics_export_keeps_its_lines_and_time_zone(tmp_path: Path) -> None:
    with moments.open(tmp_path / "q.duckdb") as ws:
        r = import_survey(
            ws, qualtrics_csv(tmp_path), hotel(tmp_path), write(tmp_path / "m.yaml", QUALTRICS_MAP)
        )
        assert r.counts["respondents"] == 3 and r.counts["comments"] == 2
        assert any("qualtrics csv" in n for n in r.notes)
        assert any("America/New_York" in n for n in r.notes)  # from the ImportId row
        # "Neither nor" is no label of the scale: that answer alone is quarantined, at the
        # export's line (the question text spans two lines) and column
        assert r.bad_rows == 1
        (p,) = r.problems
        assert (Path(p.file or "").name, p.line, p.column, p.field) == (
            "qualtrics.csv",
            6,
            4,
            "Q1_1",
        )
        assert "'Neither nor': expected one of: Very dissatisfied" in p.what
        v = _valences(ws)
        assert v["hotel-stay-R_2-check-in"] == "unknown"
        assert v["hotel-stay-R_2-breakfast"] == "negative"
        assert v["hotel-stay-R_3-breakfast"] == "neutral"
        o = _outcomes(ws)
        assert o["hotel-stay-R_3-recommendation"] == 1.0  # "10 - Extremely likely"
        assert o["hotel-stay-R_2-satisfaction"] == 0.25
        fb = ws.events("feedback").to_pandas().set_index("event_id")
        when = fb.loc["hotel-stay-R_1-check-in-answer", "occurred_at"]
        assert when == pd.Timestamp("2024-03-01T15:05:00Z")  # EndDate, New York time


def test_lived_answered_and_happenings(tmp_path: Path) -> None:
    export = write(
        tmp_path / "churn.csv",
        "id,when,checkin,room,churned\n"
        "a,2024-05-01T10:00:00Z,5,N/A,no\n"
        "b,2024-05-02T10:00:00Z,1,2,Yes\n"
        "c,2024-05-03T10:00:00Z,,4,perhaps\n",
    )
    m = write(
        tmp_path / "m.yaml",
        "journey: hotel-stay\nrespondent: id\ndate: when\nlived: answered\nid_prefix: s1-\n"
        "moments: {check-in: checkin, room-cleanliness: room}\n"
        "outcomes:\n  - {column: churned, type: defection}\n",
    )
    with moments.open(tmp_path / "c.duckdb") as ws:
        r = import_survey(ws, export, hotel(tmp_path), m)
        # only answered ratings are lived moments
        lived = ["s1-a-check-in", "s1-b-check-in", "s1-b-room-cleanliness", "s1-c-room-cleanliness"]
        assert sorted(_valences(ws)) == lived
        o = ws.events("outcome").to_pandas()
        assert list(o.event_id) == ["s1-b-defection"] and list(o.type) == ["defection"]
        assert o.occurred_at[0] == pd.Timestamp("2024-05-03T10:00:00Z")  # the day after
        (p,) = r.problems  # "perhaps" is neither yes nor no
        assert (p.line, p.column, p.field) == (4, 5, "churned")
        assert "'perhaps': expected yes (yes, y, true, 1) or no" in p.what


# -- re-import, bad rows, bad maps -------------------------------------------------------------
def test_importing_again_adds_nothing(tmp_path: Path) -> None:
    args = (stays_csv(tmp_path), hotel(tmp_path), write(tmp_path / "m.yaml", STAYS_MAP))
    with moments.open(tmp_path / "a.duckdb") as ws:
        first = import_survey(ws, *args)
        again = import_survey(ws, *args, judge=False)
        assert first.added == 49
        assert (again.added, again.duplicates, again.quarantined) == (0, 49, 0)
        assert ws.info()["tables"]["judgements"] == 16


def test_bad_rows_are_quarantined_with_line_and_column(tmp_path: Path) -> None:
    text = (
        "Guest;Stay date;Check-in;Room cleanliness;Breakfast;Check-out;Minutes waited;"
        "Overall satisfaction;Recommend (0-10);Would you come back?;Comments\n"
        "G1;01/03/2024;5;4;4;5;1;5;10;Yes;fine\n"
        "G2;31/02/2024;2;1;3;2;5;2;3;No;\n"  # no such day: only the profile, quarantined
        "G3;03/03/2024;4;9;4;4;4;4;11;Maybe;\n"  # 9 on 1–5, 11 on 0–10
        "G4;04/03/2024;3;3;2\n"  # cut short
        ";05/03/2024;3;3;2;3;1;3;6;Yes;\n"  # no respondent id
        "G6;06/03/2024;good;3;2;3;soon;3;6;Sometimes;\n"  # words where numbers belong
    )
    export = tmp_path / "bad.csv"
    export.write_bytes(text.encode("latin-1"))
    with moments.open(tmp_path / "b.duckdb") as ws:
        r = import_survey(ws, export, hotel(tmp_path), write(tmp_path / "m.yaml", STAYS_MAP))
        assert r.bad_rows == 5 and r.counts["respondents"] == 6
        where = {(p.line, p.column, p.field): p.what for p in r.problems}
        assert where[(3, 2, "Stay date")] == "'31/02/2024': expected a date in the format %d/%m/%Y"
        assert "score 9 is outside the scale 1–5" in where[(4, 4, "Room cleanliness")]
        assert where[(4, 9, "Recommend (0-10)")] == "'11': expected a number from 0 to 10"
        assert "fewer than the 11 columns" in where[(5, None, None)]
        assert where[(6, 1, "Guest")] == "is missing"
        assert where[(7, 3, "Check-in")] == "'good': expected a number from 1 to 5"
        assert "'soon' is not a number" in where[(7, 7, "Minutes waited")]
        said = where[(7, 10, "Would you come back?")]
        assert said == "'Sometimes': expected one of: No, Maybe, Yes"
        # the store keeps the event's field; the rest of each row is loaded
        q = ws.quarantine().to_pandas()
        assert set(q.line) == {3, 4, 5, 6, 7}
        assert ("score", "9") in set(zip(q.field, q.value, strict=True))
        fb = ws.events("feedback").to_pandas()
        assert "hotel-stay-G3-check-in-answer" in set(fb.event_id)
        assert not any(e.startswith("hotel-stay-G2-") for e in fb.event_id)


def test_a_map_that_does_not_fit_stops_before_anything_is_loaded(tmp_path: Path) -> None:
    bad = write(
        tmp_path / "m.yaml",
        "journey: hotel-stay\nrespondent: Guest\ndate: {column: Stay date, format: '%d/%m/%Y'}\n"
        "moments:\n"
        "  check-inn: Check-in\n"  # no such moment
        "  breakfast: {rating: {column: Breakfst, scale: 0-10}}\n"  # typo; and not 1–5
        "  room-cleanliness: {rating: Room cleanliness, measures: {minutes: Minutes waited}}\n",
    )
    db = tmp_path / "m.duckdb"
    with moments.open(db) as ws, pytest.raises(InputError) as e:
        import_survey(ws, stays_csv(tmp_path), hotel(tmp_path), bad)
    got = [(p.line, p.column, p.field, p.what) for p in e.value.problems]
    assert got[0][:3] == (5, 3, "moments.check-inn")
    assert (
        "no moment 'check-inn'" in got[0][3]
        and "did you mean 'check-in'" in e.value.problems[0].fix
    )
    assert got[1][:3] == (6, 49, "moments.breakfast.rating.scale")
    assert "answers on 0–10 for moment 'breakfast'" in got[1][3]
    assert got[2][:3] == (7, 59, "moments.room-cleanliness.measures.minutes")
    assert "measure 'minutes' is not declared" in got[2][3]
    with moments.open(db) as ws:
        assert ws.info()["journeys"] == []  # nothing registered, nothing loaded
    # the journey fits, the export lacks a column: said where the map names it
    typo = write(tmp_path / "t.yaml", STAYS_MAP.replace("Breakfast", "Breakfst"))
    with moments.open(db) as ws, pytest.raises(InputError) as e:
        import_survey(ws, stays_csv(tmp_path), hotel(tmp_path), typo)
    (p,) = e.value.problems
    assert (p.line, p.column) == (9, 14) and "has no column 'Breakfst'" in p.what
    assert "did you mean 'Breakfast'" in p.fix


# -- the command, and the analyses on what it imported -----------------------------------------
def test_the_command_imports_and_the_drivers_run(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    export, journey = driven_export(tmp_path), hotel(tmp_path)
    code, out = cli("import", "survey", export, "--journey", journey, "--map",
                    write(tmp_path / "m.yaml", DRIVEN_MAP), "--db", db)  # fmt: skip
    assert code == 0, out
    assert "respondents: 400" in out and "ratings answered (1–5): 1,600" in out
    assert f"Next: moments analyse drivers --db {db} --outcome satisfaction" in out
    code, out = cli("import", "survey", export, "--journey", journey, "--map",
                    tmp_path / "m.yaml", "--db", db, "--no-judge")  # fmt: skip
    assert code == 0 and "0 added, 4,000 already stored" in out
    code, out = cli("analyse", "drivers", "--db", db, "--outcome", "satisfaction",
                    "--out", tmp_path / "drivers.csv")  # fmt: skip
    assert code == 0, out
    df = pacsv.read_csv(tmp_path / "drivers.csv").to_pandas()
    assert list(df.moment[:2]) == ["room-cleanliness", "breakfast"]  # what drives the answers


def test_the_command_reports_problems_and_takes_overrides(tmp_path: Path) -> None:
    db = tmp_path / "o.duckdb"
    export = stays_csv(tmp_path)
    the_map = write(tmp_path / "m.yaml", STAYS_MAP)
    code, out = cli("import", "survey", export, "--journey", hotel(tmp_path), "--map", the_map,
                    "--db", db, "--delimiter", ",")  # fmt: skip
    assert code == 1 and "missing columns" in out  # one column of ';'-joined names
    code, out = cli("import", "survey", export, "--journey", tmp_path / "hotel-stay.yaml",
                    "--map", tmp_path / "m.yaml", "--db", db, "--encoding", "utf-8")  # fmt: skip
    assert code == 1 and "cannot decode the text as utf-8" in out and "stays.csv:2" in out
    write(tmp_path / "broken.yaml", "respondent: Guest\ndate: [1\n")
    code, out = cli("import", "survey", export, "--journey", tmp_path / "hotel-stay.yaml",
                    "--map", tmp_path / "broken.yaml", "--db", db)  # fmt: skip
    assert code == 1 and "broken.yaml:3:1: not valid YAML" in out
    rows = qualtrics_rows()
    rows[3][4] = "Awful"
    code, out = cli("import", "survey", qualtrics_csv(tmp_path, rows), "--journey",
                    tmp_path / "hotel-stay.yaml", "--map",
                    write(tmp_path / "q.yaml", QUALTRICS_MAP), "--db", db)  # fmt: skip
    assert code == 0, out
    assert "2 source rows quarantined" in out
    assert "qualtrics.csv:5:5, field 'Q1_2': 'Awful': expected one of" in out


# -- the airline survey through this path: the same store as its own importer made -------------
# Measured on the store made by the airline importer before it became a map (same files).
AIRLINE_STORE = {
    "interactions": (1948200, "17971663861925899036210710"),
    "feedback": (1798186, "16585110855956639412734312"),
    "outcomes": (129880, "1192902846743593503077434"),
    "customers": (129880, "1197524424264155922085779"),
    "comments": (0, "0"),
    "measures": (519127, "4781816548105153718455247"),
    "judgements": (1948200, "17969693434056246989937643"),
}
CONTENT = {
    "interactions": "event_id, customer_id, moment_id, epoch_ms(occurred_at), channel, "
    "employee_id, location_id",
    "feedback": "event_id, customer_id, moment_id, epoch_ms(occurred_at), "
    "CAST(round(score * 1000) AS BIGINT), interaction_id, comment",
    "outcomes": "event_id, customer_id, epoch_ms(occurred_at), type, "
    "CAST(round(amount * 1000) AS BIGINT), CAST(round(rating * 1000) AS BIGINT), text, "
    "location_id",
    "customers": "event_id, customer_id, epoch_ms(occurred_at), segment, email, phone, time_zone",
    "comments": "event_id, customer_id, epoch_ms(occurred_at), text, interaction_id, moment_id, "
    "channel",
    "measures": "event_id, name, CAST(round(value * 1000) AS BIGINT)",
    "judgements": "lived_id, customer_id, moment_id, epoch_ms(occurred_at), channel, valence, "
    "score, source, CAST(round(confidence * 1000) AS BIGINT), reason",
}


def fingerprint(ws: moments.Workspace) -> dict[str, tuple[int, str]]:
    """Rows and a checksum of their content per table (any order; load ids and times left out)."""
    out = {}
    for table, cols in CONTENT.items():
        sql = (
            f"SELECT count(*), CAST(coalesce(sum(md5_number_lower(concat_ws('|', {cols}))), 0) "
            f"AS VARCHAR) FROM {table}"
        )
        n, checksum = ws.store.con.raw_sql(sql).fetchone()
        out[table] = (n, checksum)
    return out


@needs_airline
def test_the_airline_map_makes_the_same_store_as_the_airline_importer_did(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    db, _ = airline_store(tmp_path_factory)  # `moments import airline`, now a survey import
    with moments.open(db, create=False) as ws:
        assert fingerprint(ws) == AIRLINE_STORE
