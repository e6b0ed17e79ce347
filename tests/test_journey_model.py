"""The journey model: conditions, standards, scales, surveys and the journey itself."""

from __future__ import annotations

import math
import operator
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import moments.journey
from moments.journey.loader import load_journey
from moments.journey.model import (
    Condition,
    Journey,
    Moment,
    RuleError,
    Scale,
    Standard,
    Survey,
)

EXAMPLES = Path(moments.journey.__file__).parent / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))

# deterministic, and quick enough to run with every test run
PROPERTY = settings(derandomize=True, database=None, max_examples=100, deadline=None)

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
ORDER = {"missed": 0, "met": 1, "exceeded": 2}


def cond(text: str) -> Condition:
    return Condition.parse(text)


def survey(lo: int, hi: int, missed: str, exceeded: str) -> Survey:
    return Survey.model_validate(
        {"scale": {"min": lo, "max": hi}, "missed": missed, "exceeded": exceeded}
    )


def small_journey(**extra: object) -> dict[str, object]:
    moment = {"id": "m1", "name": "M", "owner": "o1", **extra}
    return {
        "id": "j",
        "name": "J",
        "owners": [{"id": "o1", "name": "O"}],
        "stages": [
            {
                "id": "s1",
                "name": "S",
                "touchpoints": [{"id": "t1", "name": "T", "channel": "web", "moments": [moment]}],
            }
        ],
    }


# --- the shipped examples ------------------------------------------------------------------


def test_the_shipped_examples() -> None:
    assert [p.name for p in EXAMPLE_FILES] == [
        "airline-flight.yaml",
        "bank-lost-wallet.yaml",
        "olist-order.yaml",
        "retail-store-visit.yaml",
    ]


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_loads_and_moments_lists_every_moment(path: Path) -> None:
    journey = load_journey(path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert journey.id == raw["id"] == path.stem

    expected = [
        (s["id"], t["id"], m["id"])
        for s in raw["stages"]
        for t in s["touchpoints"]
        for m in t["moments"]
    ]
    listed = journey.moments()
    assert [(s.id, t.id, m.id) for s, t, m in listed] == expected
    assert len({m.id for _, _, m in listed}) == len(listed)
    for stage, touchpoint, moment in listed:
        assert touchpoint in stage.touchpoints
        assert moment in touchpoint.moments
        assert journey.owner(moment.owner).id == moment.owner
        if moment.standard is not None:
            assert moment.standard.measure in journey.measures


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_examples_fall_back_to_the_journey_survey(path: Path) -> None:
    journey = load_journey(path)
    assert journey.survey is not None
    for _, _, moment in journey.moments():
        assert moment.survey is None
        assert journey.survey_for(moment) is journey.survey


def test_example_details_are_read_as_written() -> None:
    bank = load_journey(EXAMPLES / "bank-lost-wallet.yaml")
    assert [s.id for s in bank.stages] == ["report", "secure", "replace"]
    assert len(bank.moments()) == 7
    _, touchpoint, moment = bank.moments()[2]
    assert (touchpoint.channel, moment.id, moment.importance) == ("phone", "no-transfers", 5)
    assert moment.standard is not None
    assert (moment.standard.exceeded.op, moment.standard.exceeded.threshold) == ("<=", 0.0)
    assert bank.survey is not None
    assert [bank.survey.band(x) for x in range(11)] == ["missed"] * 7 + ["met"] * 2 + [
        "exceeded"
    ] * 2

    retail = load_journey(EXAMPLES / "retail-store-visit.yaml")
    assert len(retail.moments()) == 8
    assert retail.owner("stylists").kind == "function"
    assert retail.survey is not None
    assert retail.survey.scale.labels == {
        1: "Far below my expectations",
        3: "As I expected",
        5: "Far above my expectations",
    }
    advice = next(m for _, _, m in retail.moments() if m.id == "styling-advice")
    assert (advice.kind, advice.standard, advice.playbook) == ("differentiator", None, None)


# --- the journey ---------------------------------------------------------------------------


def test_defaults_of_a_moment() -> None:
    moment = Moment(id="m", name="M", owner="o")
    assert (moment.importance, moment.kind, moment.description) == (3, "basic", "")
    assert (moment.standard, moment.survey, moment.playbook, moment.keywords) == (
        None,
        None,
        None,
        [],
    )


def test_survey_for_prefers_the_moments_own_survey() -> None:
    own = {"scale": {"min": 1, "max": 3}, "missed": "<= 1", "exceeded": ">= 3"}
    default = {"scale": {"min": 0, "max": 10}, "missed": "<= 6", "exceeded": ">= 9"}

    with_own = Journey.model_validate({**small_journey(survey=own), "survey": default})
    moment = with_own.moments()[0][2]
    assert with_own.survey_for(moment) == Survey.model_validate(own)
    assert with_own.survey_for(moment) is moment.survey

    fallback = Journey.model_validate({**small_journey(), "survey": default})
    moment = fallback.moments()[0][2]
    assert fallback.survey_for(moment) is fallback.survey

    none = Journey.model_validate(small_journey())
    assert none.survey_for(none.moments()[0][2]) is None


def test_timezone_defaults_to_utc_and_must_be_a_known_zone() -> None:
    assert Journey.model_validate(small_journey()).timezone == "UTC"
    london = Journey.model_validate({**small_journey(), "timezone": "Europe/London"})
    assert london.timezone == "Europe/London"
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        Journey.model_validate({**small_journey(), "timezone": "Mars/Olympus"})


def test_owner_looks_up_by_id() -> None:
    journey = Journey.model_validate(small_journey())
    assert journey.owner("o1").name == "O"
    with pytest.raises(StopIteration):
        journey.owner("nobody")


def test_models_are_strict_and_frozen() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Moment.model_validate({"id": "m", "name": "M", "owner": "o", "colour": "red"})
    moment = Moment(id="m", name="M", owner="o")
    with pytest.raises(ValidationError, match="frozen"):
        moment.name = "N"  # type: ignore[misc]


@pytest.mark.parametrize("bad", ["Upper", "-dash-first", "", "has space", "a" * 81, "ünï"])
def test_ids_must_match_the_pattern(bad: str) -> None:
    with pytest.raises(ValidationError):
        Moment(id=bad, name="M", owner="o")


@pytest.mark.parametrize("good", ["a", "0", "a.b_c-d", "a" * 80])
def test_ids_that_match_the_pattern(good: str) -> None:
    assert Moment(id=good, name="M", owner="o").id == good


# --- conditions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "op", "threshold"),
    [
        ("<= 60", "<=", 60.0),
        (">=9", ">=", 9.0),
        ("  <  -1.5  ", "<", -1.5),
        ("> 0", ">", 0.0),
        ("<= 0.25", "<=", 0.25),
    ],
)
def test_condition_parse(text: str, op: str, threshold: float) -> None:
    c = Condition.parse(text)
    assert (c.op, c.threshold) == (op, threshold)
    assert Condition.parse(c) is c


@pytest.mark.parametrize(
    "text", ["60", "=< 60", "== 5", "= 5", "<= abc", "<= 1e3", "<= .5", "<=", "", "< 5 or > 9", 60]
)
def test_condition_parse_rejects(text: object) -> None:
    with pytest.raises(ValueError, match="is not a condition") as info:
        Condition.parse(text)
    assert isinstance(info.value, RuleError)
    assert "e.g. '<= 60'" in info.value.fix


@pytest.mark.parametrize(
    ("text", "holds", "fails"),
    [
        ("<= 60", [60, 59.9, -1], [60.1, 61]),
        ("< 60", [59, 59.999], [60, 61]),
        (">= 9", [9, 10], [8.99, 0]),
        ("> 9", [9.01, 10], [9, 8]),
    ],
)
def test_condition_holds(text: str, holds: list[float], fails: list[float]) -> None:
    c = cond(text)
    assert all(c.holds(v) for v in holds)
    assert not any(c.holds(v) for v in fails)


def test_condition_direction_and_text() -> None:
    assert cond("<= 1").lower_is_better and cond("< 1").lower_is_better
    assert not cond(">= 1").lower_is_better and not cond("> 1").lower_is_better
    assert str(cond("<= 60")) == "≤ 60"
    assert str(cond(">= 2.5")) == "≥ 2.5"
    assert str(cond("< 1")) == "< 1"


def test_conditions_serialize_as_text_that_reads_back() -> None:
    standard = Standard(measure="x", exceeded="<= 0.00001", met="<=1234567.25")  # type: ignore[arg-type]
    dumped = standard.model_dump()
    assert dumped == {"measure": "x", "exceeded": "<= 0.00001", "met": "<= 1234567.25"}
    assert Standard.model_validate(dumped) == standard
    assert Standard.model_validate_json(standard.model_dump_json()) == standard


# --- standards -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exceeded", "met"),
    [
        ("<= 30", "<= 120"),
        ("< 30", "<= 30"),
        ("< 30", "< 30"),
        ("<= 30", "<= 30"),
        (">= 9", ">= 7"),
        ("> 9", ">= 9"),
        ("<= 0", "<= 1"),
        ("<= -5", "< -4.5"),
    ],
)
def test_standard_accepts_ordered_thresholds(exceeded: str, met: str) -> None:
    s = Standard(measure="wait", exceeded=exceeded, met=met)  # type: ignore[arg-type]
    assert (s.exceeded, s.met) == (cond(exceeded), cond(met))


@pytest.mark.parametrize(
    ("exceeded", "met"), [("<= 30", ">= 120"), ("> 9", "< 7"), (">= 1", "<= 1")]
)
def test_standard_rejects_opposite_directions(exceeded: str, met: str) -> None:
    with pytest.raises(ValidationError, match="opposite directions"):
        Standard(measure="wait", exceeded=exceeded, met=met)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exceeded", "met"),
    [
        ("<= 120", "<= 30"),
        ("< 31", "< 30"),
        ("<= 30", "< 30"),  # 30 would exceed the standard without meeting it
        (">= 7", ">= 9"),
        (">= 9", "> 9"),
        ("> -1", "> 0"),
    ],
)
def test_standard_rejects_thresholds_in_the_wrong_order(exceeded: str, met: str) -> None:
    with pytest.raises(ValidationError, match="wrong order"):
        Standard(measure="wait", exceeded=exceeded, met=met)  # type: ignore[arg-type]


def test_standard_rule_errors_carry_a_fix() -> None:
    with pytest.raises(ValidationError) as info:
        Standard(measure="wait", exceeded="<= 9", met="<= 1")  # type: ignore[arg-type]
    cause = info.value.errors()[0]["ctx"]["error"]
    assert isinstance(cause, RuleError)
    assert cause.what.startswith("thresholds in the wrong order") and cause.fix


# --- scales and surveys --------------------------------------------------------------------


@pytest.mark.parametrize(("lo", "hi"), [(5, 1), (3, 3), (0, -1)])
def test_scale_min_must_be_below_max(lo: int, hi: int) -> None:
    with pytest.raises(ValidationError, match="must be below max"):
        Scale(min=lo, max=hi)


def test_scale_labels_must_lie_on_the_scale() -> None:
    assert Scale(min=1, max=5, labels={1: "low", 5: "high"}).labels[5] == "high"
    with pytest.raises(ValidationError, match=r"labels \[0, 6\] fall outside"):
        Scale(min=1, max=5, labels={0: "x", 3: "y", 6: "z"})


def test_survey_band() -> None:
    s = survey(0, 10, "<= 6", ">= 9")
    assert [s.band(x) for x in range(11)] == ["missed"] * 7 + ["met"] * 2 + ["exceeded"] * 2
    assert (s.band(6.5), s.band(8.99), s.band(-3), s.band(42)) == (
        "met",
        "met",
        "missed",
        "exceeded",
    )
    adjacent = survey(1, 2, "< 2", "> 1")  # no answer in between: 'met' is empty
    assert (adjacent.band(1), adjacent.band(2)) == ("missed", "exceeded")


@pytest.mark.parametrize(
    ("missed", "exceeded"),
    [("<= 6", ">= 6"), ("<= 8", ">= 3"), ("< 7", "> 5"), ("> 8", "< 2"), ("<= 10", ">= 10")],
)
def test_survey_rejects_overlapping_or_reversed_bands(missed: str, exceeded: str) -> None:
    with pytest.raises(ValidationError, match="must lie below"):
        survey(0, 10, missed, exceeded)


@pytest.mark.parametrize(
    ("lo", "hi", "missed", "exceeded"),
    [
        (0, 10, "<= 6", ">= 11"),
        (0, 10, "< 0", ">= 9"),
        (0, 10, "<= -1", ">= 20"),
        (1, 4, "< 1", "> 4"),
        (1, 5, "<= 2", "> 5"),
    ],
)
def test_survey_rejects_bands_outside_the_scale(
    lo: int, hi: int, missed: str, exceeded: str
) -> None:
    with pytest.raises(ValidationError, match="must each cover at least one answer"):
        survey(lo, hi, missed, exceeded)


# --- properties ----------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
op_names = st.sampled_from(sorted(OPS))


@PROPERTY
@given(op=op_names, threshold=finite, value=finite)
def test_holds_agrees_with_the_operator(op: str, threshold: float, value: float) -> None:
    assert Condition(op=op, threshold=threshold).holds(value) is OPS[op](value, threshold)  # type: ignore[arg-type]


@PROPERTY
@given(op=op_names, threshold=finite)
def test_holds_near_the_threshold(op: str, threshold: float) -> None:
    c = Condition(op=op, threshold=threshold)  # type: ignore[arg-type]
    below, above = math.nextafter(threshold, -math.inf), math.nextafter(threshold, math.inf)
    assert c.holds(threshold) is (op in ("<=", ">="))
    assert c.holds(below) is c.lower_is_better
    assert c.holds(above) is not c.lower_is_better


@PROPERTY
@given(op=op_names, threshold=finite)
def test_condition_text_reads_back_exactly(op: str, threshold: float) -> None:
    """The text a condition is written as (and dumped as) parses back to the same condition."""
    c = Condition(op=op, threshold=threshold)  # type: ignore[arg-type]
    standard = Standard(measure="x", exceeded=c, met=c)
    text = standard.model_dump()["exceeded"]
    assert isinstance(text, str) and "e" not in text.lower()
    assert Condition.parse(text) == c


# thresholds with many ties, so that '<' against '<=' at the same number is tried often
thresholds = st.one_of(st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0]), finite)


def exceeded_implies_met(exceeded: Condition, met: Condition) -> bool:
    """Oracle: every value that exceeds the standard also meets it (checked at witness points)."""
    a, b = exceeded.threshold, met.threshold
    points = [a, b, (Fraction(a) + Fraction(b)) / 2, -math.inf, math.inf]  # exact midpoint
    return all(met.holds(v) for v in points if exceeded.holds(v))  # type: ignore[arg-type]


@PROPERTY
@given(e_op=op_names, e_t=thresholds, m_op=op_names, m_t=thresholds)
def test_standard_accepts_iff_ordered_in_one_direction(
    e_op: str, e_t: float, m_op: str, m_t: float
) -> None:
    exceeded = Condition(op=e_op, threshold=e_t)  # type: ignore[arg-type]
    met = Condition(op=m_op, threshold=m_t)  # type: ignore[arg-type]
    same_direction = exceeded.lower_is_better == met.lower_is_better
    expected = same_direction and exceeded_implies_met(exceeded, met)
    try:
        Standard(measure="x", exceeded=exceeded, met=met)
    except ValidationError as e:
        assert not expected, e
        assert ("opposite directions" in str(e)) is not same_direction
    else:
        assert expected


@st.composite
def survey_inputs(draw: st.DrawFn) -> tuple[int, int, Condition, Condition]:
    lo = draw(st.integers(-5, 5))
    hi = draw(st.integers(lo + 1, lo + 10))
    t = st.one_of(
        st.integers(lo - 2, hi + 2), st.integers(2 * lo - 4, 2 * hi + 4).map(lambda x: x / 2)
    )
    missed = Condition(op=draw(op_names), threshold=draw(t))  # type: ignore[arg-type]
    exceeded = Condition(op=draw(op_names), threshold=draw(t))  # type: ignore[arg-type]
    return lo, hi, missed, exceeded


@PROPERTY
@given(survey_inputs())
def test_survey_accepts_iff_bands_are_separate(
    inputs: tuple[int, int, Condition, Condition],
) -> None:
    lo, hi, missed, exceeded = inputs
    points = range(lo, hi + 1)
    missed_band = [p for p in points if OPS[missed.op](p, missed.threshold)]
    exceeded_band = [p for p in points if OPS[exceeded.op](p, exceeded.threshold)]
    expected = bool(missed_band and exceeded_band) and max(missed_band) < min(exceeded_band)
    try:
        s = Survey(scale=Scale(min=lo, max=hi), missed=missed, exceeded=exceeded)
    except ValidationError:
        assert not expected
        return
    assert expected
    bands = [s.band(p) for p in points]
    assert set(bands) <= set(ORDER)
    assert [ORDER[b] for b in bands] == sorted(ORDER[b] for b in bands)
    assert [p for p, b in zip(points, bands, strict=True) if b == "missed"] == missed_band
    assert [p for p, b in zip(points, bands, strict=True) if b == "exceeded"] == exceeded_band


def test_absurdly_wide_scale_is_refused_quickly() -> None:
    """A typo such as max: 1000000000 must not make validation walk every answer."""
    import time

    from moments.journey.model import Survey

    t0 = time.perf_counter()
    with pytest.raises(ValidationError, match="more than 1000 answers"):
        Survey.model_validate(
            {"scale": {"min": 1, "max": 1_000_000_000}, "missed": "<= 2", "exceeded": ">= 5"}
        )
    assert time.perf_counter() - t0 < 1
