"""The eligibility language: safe (nothing is evaluated), typed, and compiled to Ibis with the
same answers as the rule written out in Python."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moments.outreach.eligibility import ExpressionError, check, parse
from moments.outreach.features import FEATURES
from tests.fuzz import FUZZ, clean

ROWS = pd.DataFrame(
    {
        "segment": ["loyal", "new", None, "regular"],
        "days_since_last_visit": [3.0, 50.0, None, 30.0],
        "visits_90d": [5.0, 0.0, 1.0, 2.0],
        "open_case": [False, True, None, False],
    }
)
KINDS = {"segment": "text", "days_since_last_visit": "number", "visits_90d": "number",
         "open_case": "bool"}  # fmt: skip


def answers(text: str) -> list[bool]:
    rule = parse(text, KINDS)
    t = ibis.memtable(ROWS)
    return ibis.duckdb.connect().execute(t.select(ok=rule.to_ibis(t)))["ok"].tolist()


def test_rules_compile_to_the_expected_answers() -> None:
    assert answers("days_since_last_visit >= 30") == [False, True, False, True]
    assert answers("segment in ['loyal', 'regular'] and not open_case") == [
        True, False, False, True,
    ]  # fmt: skip
    assert answers("segment == 'new' or visits_90d * 2 > 5") == [True, True, False, False]
    assert answers("10 <= days_since_last_visit < 40") == [False, False, False, True]
    assert answers("segment not in ['new']") == [True, False, False, True]


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("__import__('os').system('x')", "unknown function"),
        ("segment.upper() == 'X'", "unknown function"),
        ("segment.real == 1", "not allowed"),
        ("(lambda: 1)()", "unknown function"),
        ("[x for x in visits_90d]", "not allowed"),
        ("visits_90d", "gives a number"),
        ("segment > 'a'", "compared with == or !="),
        ("visits_90d >= 'ten'", "cannot compare"),
        ("foo >= 1", "unknown feature 'foo'"),
        ("visits_90d >= ", "not a valid expression"),
        ("negative_moment('checkout')", "takes 2 argument"),
        ("negative_moment('checkout', -3)", "written out"),
        ("lived('checkout', 2.5)", "whole number"),
        ("segment in 'loyal'", "needs a list"),
    ],
)
def test_unsafe_or_wrong_rules_are_refused_with_advice(text: str, what: str) -> None:
    with pytest.raises(ExpressionError) as e:
        parse(text, FEATURES)
    assert what in e.value.what
    assert e.value.fix


def test_functions_name_the_features_they_need() -> None:
    rule = parse("negative_moment('checkout', 14) and outcomes('purchase', 90) >= 2", FEATURES)
    assert sorted(d.column for d in rule.needs) == [
        "__negative_moment__checkout__14",
        "__outcomes__purchase__90",
    ]


TOKENS = st.sampled_from(
    [*"ab_()[]'.,=<>!+-*/ 0123456789", "segment", "visits_90d", " and ", " or ", "not ",
     " in ", "lambda", "import", "__class__", "lived(", "'checkout'"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKENS, max_size=14).map("".join))
def test_any_text_either_parses_or_is_refused_cleanly(text: str) -> None:
    try:
        rule = parse(text, FEATURES)
    except ExpressionError as e:
        assert e.what and e.fix
    else:
        assert rule.source == text.strip()


def huge_number(digits: int) -> str:
    return "visits_90d > " + "7" * digits  # over 4300 digits: more than Python makes an int of


NESTED = st.builds(
    lambda op, n, tail: op * n + tail,
    st.sampled_from(["not ", "-", "(", "[", "visits_90d + ", "lived("]),
    st.sampled_from([1, 10, 63, 64, 65, 200, 3000]),
    st.sampled_from(["open_case", "1 > 2", "1", ""]),
)


@FUZZ
@given(st.one_of(st.text(max_size=80), NESTED, st.integers(4000, 4400).map(huge_number)))
def test_any_text_at_all_is_a_rule_or_a_located_problem(text: str) -> None:
    try:
        parse(text, FEATURES)
    except ExpressionError as e:
        assert e.what and e.fix
    clean(lambda: check(text, FEATURES, "offers.yaml", 3), "offers.yaml")


def test_deep_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(ExpressionError, match="nested more than 64 levels"):
        parse("not " * 3000 + "open_case", FEATURES)
    assert parse("not " * 20 + "open_case", FEATURES).names == {"open_case"}
