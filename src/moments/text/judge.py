"""A trained text model as the judge of lived moments that have only words as evidence.

For each lived moment the model predicts the polarity of that moment's id (given-category
mode: the interaction already says which moment it was), and the judgement's reason names the
model, its version and the words that carried the verdict. A ``conflict`` (both praise and
complaint) is judged neutral, and the reason says it was mixed.
"""

from __future__ import annotations

from pathlib import Path

from moments.text.model import TextModel, load_model
from moments.text.registry import TextItem, TextJudgement

VALENCE = {
    "positive": "positive",
    "negative": "negative",
    "neutral": "neutral",
    "conflict": "neutral",
}


class ModelJudge:
    """Serves :class:`~moments.text.registry.TextJudge` from a trained :class:`TextModel`."""

    def __init__(self, model: TextModel, source: str = "") -> None:
        self.model = model
        self.name = f"{model.describe()}" + (f" ({Path(source).name})" if source else "")

    @classmethod
    def load(cls, path: str | Path) -> ModelJudge:
        return cls(load_model(path), str(path))

    def judge(self, items: list[TextItem]) -> list[TextJudgement]:
        if not items:
            return []
        known = set(self.model.categories)
        found = self.model.predict([i.text for i in items], given=[[i.moment_id] for i in items])
        out = []
        for item, mentions in zip(items, found, strict=True):
            if not mentions or not item.text.strip():
                continue  # nothing to go on: leave the moment unjudged
            m = mentions[0]
            words = ", ".join(f"'{w}'" for w in m.evidence) or "no single word stands out"
            reason = f"{m.polarity} ({words})"
            if m.polarity == "conflict":
                reason = f"mixed: praise and complaint ({words})"
            if item.moment_id not in known:
                reason += "; the model was not trained on this moment"
            out.append(TextJudgement(item.lived_id, VALENCE[m.polarity], m.confidence, reason))
        return out
