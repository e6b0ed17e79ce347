from __future__ import annotations

import pytest

from moments.text.corpus import Labelled
from moments.text.evaluate import score
from moments.text.model import Mention


def test_detection_and_polarity_scores_as_semeval_counts_them() -> None:
    gold = [
        Labelled("1", "a", (("food", "positive"), ("service", "conflict"))),
        Labelled("2", "b", (("price", "neutral"),)),
        Labelled("3", "c", (("food", "negative"),)),
    ]
    found = [
        [Mention("food", "positive", 1.0)],
        [Mention("price", "neutral", 1.0), Mention("food", "neutral", 1.0)],
        [Mention("food", "negative", 1.0)],
    ]
    given = [
        [Mention("food", "positive", 1.0), Mention("service", "negative", 1.0)],
        [Mention("price", "positive", 1.0)],
        [Mention("food", "negative", 1.0)],
    ]
    ev = score(gold, found, given)
    by = {d.category: d for d in ev.detection}
    assert (by["food"].support, by["food"].predicted, by["food"].correct) == (2, 3, 2)
    assert by["service"].recall == 0.0
    assert ev.micro.precision == pytest.approx(3 / 4) and ev.micro.recall == pytest.approx(3 / 4)
    # 4-way: the conflict pair counts as an error; 3-way leaves it out; binary also the neutral
    assert ev.polarity == {"4-way": (2, 4), "3-way": (2, 3), "binary": (2, 2)}
    assert ev.confusion[("conflict", "negative")] == 1
