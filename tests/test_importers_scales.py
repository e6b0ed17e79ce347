"""The answer-scale parser of MAP.yaml: ranges, labels, and reading answers on them."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moments.importers.scales import AnswerScale, normal, parse_scale
from moments.journey.model import RuleError

PROPERTY = settings(derandomize=True, database=None, max_examples=100, deadline=None)
ends = st.integers(min_value=-20, max_value=200)
DASHES = ("-", "–", "—", "..", " to ", " - ", " .. ")
label_text = st.text(
    alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters=" '-"),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() != "")


@PROPERTY
@given(low=ends, size=st.integers(min_value=1, max_value=100), dash=st.sampled_from(DASHES))
def test_a_range_reads_however_it_is_written(low: int, size: int, dash: str) -> None:
    high = low + size
    expected = AnswerScale(low=low, high=high)
    assert parse_scale(f"{low}{dash}{high}") == expected
    assert parse_scale(f" {low}{dash}{high} ") == expected
    assert parse_scale({"min": low, "max": high}) == expected
    assert parse_scale(expected.spec()) == expected  # the map writes it back as it reads it


@PROPERTY
@given(low=ends, size=st.integers(min_value=0, max_value=50))
def test_a_range_must_rise(low: int, size: int) -> None:
    with pytest.raises(RuleError, match="the first number must be the lower"):
        parse_scale(f"{low + size}-{low}")


@PROPERTY
@given(
    labels=st.lists(label_text, min_size=2, max_size=11, unique_by=normal),
    low=st.integers(min_value=-1, max_value=3),
)
def test_labels_number_in_order_and_match_ignoring_case_and_spaces(
    labels: list[str], low: int
) -> None:
    spec = labels if low == 1 else {"labels": labels, "min": low}
    scale = parse_scale(spec)
    assert scale.points == len(labels) and scale.low == low
    assert parse_scale(scale.spec()) == scale
    for i, label in enumerate(labels):
        assert scale.number(label) == low + i
        if label.upper().lower() == label.lower():  # not so for ß (SS)
            shouted = "  " + "   ".join(label.upper().split()) + " "
            assert scale.number(shouted) == low + i
    got = scale.numbers(pa.array([*labels, "certainly not a label!", None]))
    assert got.to_pylist() == [str(low + i) for i in range(len(labels))] + [None, None]
    # on a journey scale from 1, the same labels are 1..n
    assert scale.onto(1).number(labels[-1]) == len(labels)


@PROPERTY
@given(low=st.integers(min_value=0, max_value=5), size=st.integers(min_value=1, max_value=10))
def test_answers_on_a_range_read_with_or_without_their_label(low: int, size: int) -> None:
    high = low + size
    scale = parse_scale(f"{low}-{high}")
    for x in range(low, high + 1):
        assert scale.number(str(x)) == x
        assert scale.number(f"{x} - Extremely likely") == x
        assert scale.number(f" {x} ") == x
    assert scale.number(str(high + 1)) is None  # outside: no answer of this scale
    assert scale.number("soon") is None
    # vectorised, the number as written (an answer outside the scale is left to the load path)
    got = scale.numbers(pa.array([str(high), f"{high + 1}", "10 = best", "soon", None]))
    assert got.to_pylist() == [str(high), str(high + 1), "10", None, None]
    assert scale.share(low) == 0.0 and scale.share(high) == 1.0


@pytest.mark.parametrize(
    ("spec", "what"),
    [
        ("Very dissatisfied … Very satisfied", "leaves out the labels"),
        ("Very dissatisfied ... Very satisfied", "leaves out the labels"),
        ("five", "is not a scale"),
        (["Only one"], "at least two labels"),
        (["Good", "good "], "are the same answer"),
        (["Bad", ""], "a label is empty"),
        ({"min": 1}, "a scale has 'min' and 'max'"),
        ({"min": 1.5, "max": 5}, "is not a whole number"),
        ({"labels": "Bad, Good"}, "'labels' must be a list"),
        ("0-5000", "more than 1000 answers"),
        (7, "is not a scale"),
    ],
)
def test_a_bad_scale_says_how_to_write_it(spec: object, what: str) -> None:
    with pytest.raises(RuleError, match=what) as e:
        parse_scale(spec)
    assert e.value.fix  # and what to do


def test_a_scale_says_what_it_expects() -> None:
    assert parse_scale("1-5").expected() == "a number from 1 to 5"
    five = parse_scale(["Very poor", "Poor", "Fair", "Good", "Excellent"])
    assert five.expected() == "one of: Very poor, Poor, Fair, Good, Excellent"
    assert str(five) == "Very poor … Excellent (5 labels)"
    many = parse_scale([f"L{i}" for i in range(10)])
    assert many.expected() == "one of: L0, L1, L2, …"
