from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moments.errors import InputError
from moments.text.corpus import labels_of
from moments.text.evaluate import evaluate
from moments.text.linear import MENTIONED, LinearModel, _best_threshold
from moments.text.model import load_model, save_model
from tests.text_comments import comments

TRAIN = comments(90, seed=0)
HELD_OUT = comments(60, seed=1)[:60]  # new combinations of the phrases, no extras


@pytest.fixture(scope="module")
def model() -> LinearModel:
    return LinearModel().fit([c.text for c in TRAIN], labels_of(TRAIN))


def test_learns_moments_and_polarity_it_was_not_shown(model: LinearModel) -> None:
    ev = evaluate(model, HELD_OUT)
    assert model.categories == sorted({c for x in TRAIN for c in x.category_names})
    assert ev.micro.f1 >= 0.9, ev.detection
    assert ev.accuracy("binary") >= 0.8, ev.confusion


def test_mentions_carry_confidence_and_evidence_from_the_text(model: LinearModel) -> None:
    text = "The cashier was rude and slow."
    (m,) = model.predict([text])[0]
    assert (m.category, m.polarity) == ("checkout", "negative")
    assert 0 < m.confidence <= 1
    assert m.evidence and all(w in text.lower() for w in m.evidence)
    assert "cashier" in " ".join(m.cues)


def test_given_categories_only_predicts_their_polarity(model: LinearModel) -> None:
    text = "The stylist was brilliant."
    out = model.predict([text, text], given=[["checkout", "styling-advice"], ["never-seen"]])
    assert [m.category for m in out[0]] == ["checkout", "styling-advice"]
    assert out[0][1].polarity == "positive"
    assert [m.category for m in out[1]] == ["never-seen"]  # unseen: the shared words decide
    with pytest.raises(InputError):
        model.predict([text], given=[])


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀🎉👍", "x" * 200_000, "The stylist was great mas a fila no caixa foi péssima"],
)
def test_odd_texts_get_a_clear_result(model: LinearModel, text: str) -> None:
    (mentions,) = model.predict([text])
    assert all(m.category in model.categories for m in mentions)
    if not text.strip() or text.startswith("😀"):
        assert mentions == []  # no known word: no known moment, not a forced guess


def test_every_comment_gets_a_moment_when_training_always_had_one(model: LinearModel) -> None:
    (mentions,) = model.predict(["The cubicle"])
    assert len(mentions) >= 1


def test_a_category_is_mentioned_from_its_probability_on(model: LinearModel) -> None:
    texts = [c.text for c in HELD_OUT] + ["The stylist was fine, I suppose.", "Parking."]
    for text, found in zip(texts, model.predict(texts), strict=True):
        rows = model.explain(text)["categories"]
        likely = [r["category"] for r in rows if r["probability"] >= MENTIONED]
        if likely:
            assert [m.category for m in found] == likely, text
        elif found:  # none likely enough: the most likely one, as training always had one
            best = max(rows, key=lambda r: r["probability"])
            assert [m.category for m in found] == [best["category"]], text


def test_probabilities_agree_with_explain_and_predict(model: LinearModel) -> None:
    texts = [c.text for c in HELD_OUT[:12]] + [""]
    det, pol = model.probabilities(texts)
    k, p = len(model.categories), len(model.polarities)
    assert det.shape == (len(texts), k) and pol.shape == (len(texts), k, p)
    np.testing.assert_allclose(pol.sum(axis=2), 1.0)
    for i, text in enumerate(texts):
        rows = model.explain(text)["categories"]
        np.testing.assert_allclose(det[i], [r["probability"] for r in rows])
        given = model.predict([text], given=[model.categories])[0]
        assert [model.polarities[b] for b in pol[i].argmax(axis=1)] == [m.polarity for m in given]
        np.testing.assert_allclose(pol[i].max(axis=1), [m.confidence for m in given])
    empty_det, empty_pol = model.probabilities([])
    assert empty_det.shape == (0, k) and empty_pol.shape == (0, k, p)


def test_save_and_load_give_the_same_predictions(model: LinearModel, tmp_path: Path) -> None:
    path = save_model(model, tmp_path / "m.joblib")
    again = load_model(path)
    texts = [c.text for c in HELD_OUT[:20]]
    assert again.predict(texts) == model.predict(texts)
    assert again.describe() == "linear v1"


@settings(max_examples=3, deadline=None)
@given(st.integers(0, 2**16))
def test_same_data_and_seed_give_the_same_model(seed: int) -> None:
    data = comments(40, seed=seed % 7)
    texts, labels = [c.text for c in data], labels_of(data)
    a = LinearModel(seed=seed).fit(texts, labels)
    b = LinearModel(seed=seed).fit(texts, labels)
    probe = [c.text for c in HELD_OUT[:15]]
    assert a.predict(probe) == b.predict(probe)


def test_training_needs_labelled_comments() -> None:
    with pytest.raises(InputError, match="no training comments"):
        LinearModel().fit([], [])
    with pytest.raises(InputError, match="no comment names a category"):
        LinearModel().fit(["a", "b"], [[], []])


def test_one_polarity_and_one_category_still_train() -> None:
    m = LinearModel().fit(["good food", "great food", "tasty"], [[("food", "positive")]] * 3)
    assert m.predict(["lovely food"])[0][0].polarity == "positive"


def test_threshold_maximises_f1_on_the_scores() -> None:
    scores = np.array([-2.0, -1.0, 0.5, 1.0, 2.0])
    y = np.array([0, 1, 1, 1, 1])
    t = _best_threshold(scores, y)
    assert -2.0 < t < -1.0  # keeps all four positives, drops the negative


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_a_well_formed_answer(model: LinearModel, text: str) -> None:
    (mentions,) = model.predict([text])
    (given_one,) = model.predict([text], given=[["checkout"]])
    for m in [*mentions, *given_one]:
        assert m.category in model.categories
        assert m.polarity in model.polarities
        assert 0.0 <= m.confidence <= 1.0
    assert [m.category for m in given_one] == ["checkout"]
