"""`moments map suggest`: a first MAP.yaml from an export's headers and values."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import moments
from moments.importers.exports import read_export
from moments.importers.scales import AnswerScale
from moments.importers.suggest import Profile, guess_scale, label_score, similarity, suggest_map
from moments.importers.survey import import_survey
from moments.importers.surveymap import load_map_text
from moments.journey import load_journey, load_journey_text
from tests.realdata import AIRLINE, cli, head, needs_airline
from tests.surveys import (
    FIVE,
    HOTEL,
    driven_export,
    hotel,
    qualtrics_csv,
    qualtrics_rows,
    stays_csv,
    stays_xlsx,
    write,
)

JOURNEY = load_journey_text(HOTEL, "hotel-stay.yaml")


def _profile(values: list[str], name: str = "q") -> Profile:
    return Profile(name, name, values, Counter(values), [], set())


def test_a_qualtrics_export_is_mapped_by_its_question_texts(tmp_path: Path) -> None:
    rows = qualtrics_rows()
    rows[4][3] = "Neither satisfied nor dissatisfied"
    export = read_export(qualtrics_csv(tmp_path, rows))
    s = suggest_map(export, JOURNEY)
    assert s.problems == [] and s.moments_without == []
    m = load_map_text(s.text).map
    assert m.respondent.column == "ResponseId"
    assert (m.date.column, m.date.timezone) == ("EndDate", "America/New_York")
    cols = {mid: c.rating.column for mid, c in m.moments.items() if c.rating is not None}
    assert cols == {"check-in": "Q1_1", "room-cleanliness": "Q1_2", "breakfast": "Q1_3",
                    "check-out": "Q1_4"}  # fmt: skip
    assert (
        m.scale is not None
        and m.scale
        == load_map_text(f"respondent: a\ndate: b\nscale: {FIVE}\nmoments: {{x: y}}\n").map.scale
    )
    assert [(o.column, o.type) for o in m.outcomes] == [
        ("Q2", "satisfaction"),
        ("Q3", "recommendation"),
    ]
    assert [(c.column, c.moment) for c in m.comments] == [("Q4_TEXT", "any")]
    assert s.unmapped == ["StartDate"]


def test_a_suggested_map_imports_as_it_stands(tmp_path: Path) -> None:
    journey = hotel(tmp_path)
    for export in (stays_csv(tmp_path), stays_xlsx(tmp_path), driven_export(tmp_path, n=60)):
        s = suggest_map(read_export(export), JOURNEY, str(journey))
        assert s.problems == [], (export.name, s.text)
        the_map = write(tmp_path / f"{export.name}.map.yaml", s.text)
        with moments.open(tmp_path / f"{export.name}.duckdb") as ws:
            r = import_survey(ws, export, journey, the_map)
            assert r.bad_rows == 0 and r.counts["ratings answered (1–5)"] > 0, export.name
    text = (tmp_path / "stays.csv.map.yaml").read_text(encoding="utf-8")
    # day-first dates, and a measure of the check-in's standard found by its name
    assert 'format: "%d/%m/%Y"}  # or %m/%d/%Y?' in text
    assert "measures: {wait_minutes: Minutes waited}" in text
    assert 'scale: ["No", Maybe, "Yes"]' in text
    assert '{column: Overall satisfaction, type: satisfaction, scale: "1-5"}' in text
    # words in the order of a common answer set, its middle as the export writes it
    xlsx = (tmp_path / "stays.xlsx.map.yaml").read_text(encoding="utf-8")
    assert "scale: [Very dissatisfied, Dissatisfied, Neither, Satisfied, Very satisfied]" in xlsx


@needs_airline
def test_the_airline_headers_find_their_moments(tmp_path: Path) -> None:
    from moments.importers.airline import RATINGS, journey_path

    head(AIRLINE / "test.csv.gz", tmp_path / "test.csv", 200)
    s = suggest_map(read_export(tmp_path / "test.csv"), load_journey(journey_path()))
    m = load_map_text(s.text).map
    found = {mid: c.rating.column for mid, c in m.moments.items() if c.rating is not None}
    assert found == {moment: column for column, moment in RATINGS}  # all 14, as the shipped map
    assert m.moments["arrival"].measures["arrival_delay_minutes"].column == (
        "Arrival Delay in Minutes"
    )
    assert "0" in m.not_applicable and m.respondent.column == "id"
    (o,) = m.outcomes
    assert o.type == "satisfaction" and o.scale is not None
    assert o.scale.labels == ("neutral or dissatisfied", "satisfied")
    assert s.problems == []


@pytest.mark.parametrize(
    "ordered",
    [
        ["Very dissatisfied", "Dissatisfied", "Neither satisfied nor dissatisfied", "Satisfied",
         "Very satisfied"],
        ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"],
        ["Extremely dissatisfied", "Moderately dissatisfied", "Slightly dissatisfied", "Neither",
         "Slightly satisfied", "Moderately satisfied", "Extremely satisfied"],
        ["Terrible", "Poor", "Average", "Good", "Excellent"],
        ["Definitely would not", "Probably would not", "Not sure", "Probably would",
         "Definitely would"],
        ["neutral or dissatisfied", "satisfied"],
        ["No", "Maybe", "Yes"],
    ],
)  # fmt: skip
def test_labels_are_ordered_by_their_words(ordered: list[str]) -> None:
    scores = [label_score(x) for x in ordered]
    assert None not in scores
    assert scores == sorted(scores) and len(set(scores)) == len(scores), scores  # type: ignore[type-var]
    shuffled = list(reversed(ordered))
    scale, _, _ = guess_scale(_profile(shuffled * 3))
    assert scale is not None and list(scale.labels) == ordered


def test_common_answer_sets_are_completed() -> None:
    scale, _, note = guess_scale(_profile(["Good", "excellent", "Neutral"]))
    assert scale is not None and note == ""
    assert scale.labels == ("Very poor", "Poor", "Neutral", "Good", "Excellent")


@pytest.mark.parametrize(
    ("values", "name", "expected", "na"),
    [
        (["1", "2", "5", "4"], "q", AnswerScale(low=1, high=5), []),
        (
            ["0", "1", "3", "5", "5", "4", "2", "4", "3", "5", "2"],
            "q",
            AnswerScale(low=1, high=5),
            ["0"],
        ),
        (["0", "7", "10", "9"], "q", AnswerScale(low=0, high=10), []),
        (["6", "7", "9"], "How likely (1-10)?", AnswerScale(low=1, high=10), []),
        (["1", "6", "7"], "q", AnswerScale(low=1, high=7), []),
        (["1", "3", "N/A", "5"], "q", AnswerScale(low=1, high=5), ["N/A"]),
    ],
)
def test_scales_are_guessed_from_numbers(
    values: list[str], name: str, expected: AnswerScale, na: list[str]
) -> None:
    nums = [float(v) for v in values if v != "N/A"]
    p = Profile(name, name, values, Counter(values), nums, {"N/A"} & set(values))
    scale, got_na, _ = guess_scale(p)
    assert scale == expected and got_na == na


def test_similarity_prefers_the_moment_the_header_names() -> None:
    names = (["check in", "Is check-in quick and friendly?"], ["check-in", "checkin", "reception"])
    assert similarity("Checkin service", *names) >= 0.75  # a keyword
    assert similarity("How was the reception desk?", *names) >= 0.75
    assert similarity("Breakfast", *names) < 0.5


def test_the_command_prints_or_writes_the_map(tmp_path: Path) -> None:
    export, journey = stays_csv(tmp_path), hotel(tmp_path)
    code, out = cli("map", "suggest", export, "--journey", journey)
    assert code == 0, out
    assert "respondent: Guest" in out and "'Breakfast' → rating of breakfast" in out
    target = tmp_path / "MAP.yaml"
    code, out = cli("map", "suggest", export, "--journey", journey, "--out", target)
    assert code == 0 and f"wrote {target}" in out
    assert load_map_text(target.read_text(encoding="utf-8")).map.respondent.column == "Guest"
    code, out = cli("map", "suggest", export, "--journey", journey, "--out", target)
    assert code != 0 and "--force" in out
    code, out = cli("map", "suggest", export, "--journey", journey, "--out", target, "--force")
    assert code == 0
    code, out = cli("import", "survey", export, "--journey", journey, "--map", target,
                    "--db", tmp_path / "s.duckdb")  # fmt: skip
    assert code == 0 and "none quarantined" in out
