"""How well a text model does on labelled comments, as the SemEval-2014 task measured it.

*Detection*: precision, recall and F1 per category and micro-averaged over (comment, category)
pairs. *Polarity given the gold category*: accuracy over every gold pair (4-way: a gold
``conflict`` counts as an error unless ``conflict`` was predicted), over the pairs that are not
conflict (3-way) and over the positive/negative ones (binary). The model is the same in all three;
it is only scored on fewer pairs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from moments.text.corpus import Labelled
from moments.text.model import Mention, TextModel

SUBSETS = {
    "4-way": ("positive", "negative", "neutral", "conflict"),
    "3-way": ("positive", "negative", "neutral"),
    "binary": ("positive", "negative"),
}


@dataclass(frozen=True)
class Detection:
    category: str
    support: int
    predicted: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        total = self.predicted + self.support
        return 2 * self.correct / total if total else 0.0


@dataclass
class Evaluation:
    comments: int
    detection: list[Detection]
    micro: Detection
    polarity: dict[str, tuple[int, int]]  # subset -> (correct, pairs)
    confusion: dict[tuple[str, str], int] = field(default_factory=dict)  # (gold, predicted)
    seconds: float = 0.0

    def accuracy(self, subset: str) -> float:
        correct, n = self.polarity[subset]
        return correct / n if n else 0.0

    @property
    def texts_per_second(self) -> float:
        return self.comments / self.seconds if self.seconds else 0.0


def evaluate(model: TextModel, comments: Sequence[Labelled]) -> Evaluation:
    """Score ``model`` on labelled comments: detection, then polarity given the gold categories.

    ``seconds`` is the time of the detection pass alone (categories and polarities of every
    comment, as ``moments text predict`` does it).
    """
    texts = [c.text for c in comments]
    start = time.perf_counter()
    found = model.predict(texts)
    seconds = time.perf_counter() - start
    given = model.predict(texts, given=[c.category_names for c in comments])
    return score(comments, found, given, seconds)


def score(
    comments: Sequence[Labelled],
    found: Sequence[Sequence[Mention]],
    given: Sequence[Sequence[Mention]],
    seconds: float = 0.0,
) -> Evaluation:
    """The scores of predictions already made (``found``: detection; ``given``: polarity)."""
    cats = sorted({c for x in comments for c in x.category_names})
    extra = sorted({m.category for f in found for m in f} - set(cats))
    rows = []
    for cat in [*cats, *extra]:
        support = sum(cat in c.category_names for c in comments)
        predicted = sum(any(m.category == cat for m in f) for f in found)
        correct = sum(
            cat in c.category_names and any(m.category == cat for m in f)
            for c, f in zip(comments, found, strict=True)
        )
        rows.append(Detection(cat, support, predicted, correct))
    micro = Detection(
        "micro",
        sum(r.support for r in rows),
        sum(r.predicted for r in rows),
        sum(r.correct for r in rows),
    )
    confusion: dict[tuple[str, str], int] = {}
    polarity = {k: (0, 0) for k in SUBSETS}
    for c, g in zip(comments, given, strict=True):
        said = {m.category: m.polarity for m in g}
        for cat, gold in c.categories:
            p = said.get(cat, "none")
            confusion[(gold, p)] = confusion.get((gold, p), 0) + 1
            for k, allowed in SUBSETS.items():
                if gold in allowed:
                    ok, n = polarity[k]
                    polarity[k] = (ok + (p == gold), n + 1)
    return Evaluation(len(comments), rows, micro, polarity, confusion, seconds)
