from __future__ import annotations

import pytest

from moments.errors import InputError
from moments.journey import load_journey
from moments.text.router import Cues, JourneyRouter, fold
from tests.conftest import RETAIL as RETAIL_YAML

RETAIL = load_journey(RETAIL_YAML)


def test_routes_by_keywords_and_reports_comments_with_no_known_moment() -> None:
    r = JourneyRouter.from_journeys([RETAIL]).fit([], [])
    found = r.predict(["The queue at the till was awful", "Lovely weather on Tuesday"])
    assert [m.category for m in found[0]] == ["checkout"]
    assert found[0][0].polarity == "negative" and "queue" in found[0][0].cues
    assert found[1] == []  # no known moment: reported, not forced into one


def test_keywords_match_whole_words_without_case_or_accents() -> None:
    r = JourneyRouter({"delivery": Cues("Delivery", keywords=["não entregue", "atraso"])}).fit(
        [], []
    )
    found = r.predict(["Produto NAO ENTREGUE ainda", "atrasou?", "sem atrasos"])
    assert [m.category for m in found[0]] == ["delivery"]
    assert found[1] == [] and found[2] == []  # 'atraso' is not a word of these
    assert fold("Não É") == "nao e"


def test_example_phrases_and_labelled_comments_route_similar_words() -> None:
    cues = {
        "delivery": Cues("Delivery", examples=["the parcel never arrived"]),
        "quality": Cues("Quality", examples=["the product broke after a day"]),
    }
    r = JourneyRouter(cues).fit(
        ["delivered two weeks late, annoying", "arrived early, great", "poor stitching, bad"],
        [[("delivery", "negative")], [("delivery", "positive")], [("quality", "negative")]],
    )
    found = r.predict(["my parcel never arrived", "stitching came apart, bad", "hello there"])
    assert [m.category for m in found[0]] == ["delivery"]
    assert found[0][0].cues[0].startswith("like 'the parcel")
    assert [m.category for m in found[1]] == ["quality"]
    assert found[2] == []
    assert set(r.polarities) == {"positive", "negative"}  # learnt from the labels


def test_given_categories_predicts_polarity_only() -> None:
    r = JourneyRouter.from_journeys([RETAIL]).fit([], [])
    (m,) = r.predict(["It was wonderful"], given=[["greeting"]])[0]
    assert (m.category, m.polarity) == ("greeting", "positive")


def test_a_journey_without_keywords_or_examples_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="no moment has keywords or example phrases"):
        JourneyRouter({"a": Cues("A")}).fit([], [])
