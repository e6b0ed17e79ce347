"""MAP.yaml: the model, its shorthands, and every problem at file:line:column with a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from moments.errors import InputError, Problem
from moments.importers.scales import AnswerScale
from moments.importers.surveymap import check_map, load_map, load_map_text
from moments.journey import load_journey_text
from tests.realdata import cli
from tests.surveys import HOTEL, STAYS_MAP, hotel, stays_csv, write

JOURNEY = load_journey_text(HOTEL, "hotel-stay.yaml")


def _problems(text: str) -> list[Problem]:
    with pytest.raises(InputError) as e:
        load_map_text(text, "MAP.yaml")
    return e.value.problems


def _where(text: str) -> list[tuple[int | None, int | None, str | None]]:
    return [(p.line, p.column, p.field) for p in _problems(text)]


def test_the_shorthands_read_as_the_long_forms() -> None:
    m = load_map_text(STAYS_MAP).map
    assert m.respondent.column == "Guest" and m.respondent.plural == "respondents"
    assert (m.date.column, m.date.format) == ("Stay date", "%d/%m/%Y")
    assert m.moments["room-cleanliness"].rating is not None
    assert m.moments["room-cleanliness"].rating.column == "Room cleanliness"
    assert m.moments["check-in"].measures["wait_minutes"].column == "Minutes waited"
    assert m.not_applicable == ["N/A", "NA", "Not applicable"]
    assert m.outcomes[1].scale == AnswerScale(low=0, high=10)
    # YAML's yes/no stay words: they are answers here, not truth values
    assert m.outcomes[2].scale is not None and m.outcomes[2].scale.labels == ("No", "Maybe", "Yes")
    m2 = load_map_text(
        "respondent: 17\ndate: {value: 2024-05-01}\nnot_applicable: 0\n"
        "moments: {check-in: 2024}\noutcomes: [{column: Left, type: defection, yes: [Yes, on]}]\n"
    ).map
    assert m2.respondent.column == "17" and m2.not_applicable == ["0"]
    assert m2.moments["check-in"].rating is not None
    assert m2.moments["check-in"].rating.column == "2024"
    assert m2.outcomes[0].yes == ["Yes", "on"]
    assert check_map(load_map_text(STAYS_MAP), JOURNEY) == []


def test_model_problems_are_at_their_line_and_column() -> None:
    text = (
        "respondent: {column: id, plurals: guests}\n"  # 1: unknown field
        "date: {column: when, value: '2024-01-01'}\n"  # 2: both
        "scale: Very bad … Very good\n"  # 3: labels left out
        "lived: sometimes\n"  # 4
        "moments:\n"
        "  Check In: q1\n"  # 6: not an id
        "  check-out: {}\n"  # 7: nothing to take
        "outcomes:\n"
        "  - {column: nps, type: recommendation}\n"  # 9: no scale
        "  - {column: left, type: defection, scale: 1-5}\n"  # 10: a happening on a scale
        "  - {column: sat, type: happiness, scale: 1-5}\n"  # 11: no such type
        "  - {column: ret, type: return_intent, scale: 1-5, days_after: 2}\n"  # 12
    )
    got = {(p.line, p.field): p for p in _problems(text)}
    assert got[(1, "respondent.plurals")].column == 26  # the key
    assert got[(1, "respondent.plurals")].what == "unknown field 'plurals'"
    assert "give the date's 'column', or one 'value'" in got[(2, "date")].what
    assert "leaves out the labels" in got[(3, "scale")].what
    assert "Very dissatisfied, Dissatisfied" in got[(3, "scale")].fix
    assert got[(3, "scale")].column == 8
    assert "'every_row' or 'answered'" in got[(4, "lived")].what
    assert got[(6, "moments.Check In")].column == 3  # the key
    assert "'Check In': String should match pattern" in got[(6, "moments.Check In")].what
    assert "needs a 'rating' column or 'measures'" in got[(7, "moments.check-out")].what
    assert "a recommendation answer needs its 'scale'" in got[(9, "outcomes[0]")].what
    assert "'defection' is a happening" in got[(10, "outcomes[1]")].what
    assert "happiness" in got[(11, "outcomes[2].type")].what
    assert "'days_after' is for happenings" in got[(12, "outcomes[3]")].what
    assert all(p.file == "MAP.yaml" and p.fix for p in got.values())


def test_yaml_problems_and_the_wrong_kind_of_file() -> None:
    assert _where("respondent: id\n  date: x\n")[0][:2] == (2, 7)
    (p,) = _problems("- a\n- b\n")
    assert "a survey map must be a mapping" in p.what and (p.line, p.column) == (1, 1)
    (p,) = _problems("respondent: id\nrespondent: x\n")
    assert "key 'respondent' appears twice (first at line 1)" in p.what and p.line == 2
    (p,) = _problems("")
    assert p.what == "the file is empty" and p.fix == "write a survey map into it"
    assert _where("respondent: id\ndate: {value: soon}\nmoments: {a: b}\n") == [(2, 7, "date")]
    bad_zone = _problems(
        "respondent: id\ndate: {column: d, timezone: Mars/Base}\nmoments: {a: b}\n"
    )
    assert "unknown time zone 'Mars/Base'" in bad_zone[0].what


def test_problems_with_the_journey_and_the_export(tmp_path: Path) -> None:
    text = (
        "journey: hotel-stai\n"
        "respondent: Guest\n"
        "date: {column: Stay date}\n"
        "moments:\n"
        "  breakfst: Breakfast\n"
        "  check-in: {rating: {column: Check-in, scale: [Bad, Good]}}\n"
        "  room-cleanliness: {measures: {mins: Minutes waited}}\n"
        "comments:\n"
        "  - {column: Comments, moment: lobby}\n"
        "  - {column: Comments}\n"
        "outcomes:\n"
        "  - {column: Comentaires, type: satisfaction, scale: 1-5, id: comment}\n"
    )
    mf = load_map_text(text, "MAP.yaml")
    header = ["Guest", "Stay date", "Check-in", "Breakfast", "Minutes waited", "Comments"]
    got = {(p.line, p.column): p for p in check_map(mf, JOURNEY, header, "stays.csv")}
    assert "the map is for journey 'hotel-stai', not 'hotel-stay'" in got[(1, 10)].what
    assert "no moment 'breakfst'" in got[(5, 3)].what and "'breakfast'" in got[(5, 3)].fix
    assert "2 labels for moment 'check-in', whose survey scale 1–5 has 5" in got[(6, 48)].what
    assert "measure 'mins' is not declared" in got[(7, 33)].what
    assert "no moment 'lobby'" in got[(9, 32)].what
    assert "same ids as those of comments[1] (…-comment)" in got[(12, 5)].what
    assert "has no column 'Comentaires'" in got[(12, 14)].what
    assert "did you mean 'Comments'" in got[(12, 14)].fix
    # a journey whose moments have no survey cannot judge answers
    bare = load_journey_text(
        HOTEL.replace(
            'survey:\n  scale: {min: 1, max: 5}\n  missed: "<= 2"\n  exceeded: ">= 4"\n', ""
        )
    )
    (p,) = check_map(load_map_text("respondent: a\ndate: b\nmoments: {breakfast: c}\n"), bare)
    assert "has no survey scale in the journey" in p.what and "add a 'survey'" in p.fix


def test_map_check_command(tmp_path: Path) -> None:
    good = write(tmp_path / "m.yaml", STAYS_MAP)
    code, out = cli("map", "check", good, "--journey", hotel(tmp_path))
    assert code == 0 and "✓" in out
    code, out = cli("map", "check", good, "--journey", tmp_path / "hotel-stay.yaml",
                    "--export", stays_csv(tmp_path))  # fmt: skip
    assert code == 0, out
    bad = write(tmp_path / "b.yaml", STAYS_MAP.replace("Breakfast", "Breakfst"))
    code, out = cli("map", "check", bad, "--journey", tmp_path / "hotel-stay.yaml",
                    "--export", tmp_path / "stays.csv")  # fmt: skip
    assert code == 1 and "b.yaml:9:14, field 'moments.breakfast.rating.column'" in out
    assert "has no column 'Breakfst'" in out
    code, out = cli(
        "map", "check", tmp_path / "none.yaml", "--journey", tmp_path / "hotel-stay.yaml"
    )
    assert code == 1 and "no such file" in out


def test_the_shipped_airline_map_is_valid() -> None:
    from moments.importers.airline import journey_path, map_path
    from moments.journey import load_journey

    mf = load_map(map_path())
    assert check_map(mf, load_journey(journey_path())) == []
    assert mf.map.id_prefix == "air-" and len(mf.map.moments) == 15
