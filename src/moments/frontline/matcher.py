"""Suggest the playbook request a customer's first message is about.

A TF-IDF model (scikit-learn) over word uni/bigrams and character n-grams of each request's
name and ``says`` examples; a message scores each request by its best cosine similarity to one
of them. No download, deterministic, a few milliseconds per message.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from moments.errors import InputError, Problem
from moments.frontline.playbook import Playbook


class Suggestion(BaseModel):
    """A request the message may be about, with its similarity (0–1)."""

    playbook_id: str
    request_id: str
    request: str
    score: float

    @property
    def key(self) -> str:
        return f"{self.playbook_id}:{self.request_id}"


class RequestMatcher:
    """Fitted on the requests of some playbooks; ``suggest`` ranks them for a message."""

    def __init__(self, playbooks: Sequence[Playbook]) -> None:
        self.playbooks = list(playbooks)
        texts: list[str] = []
        owners: list[int] = []
        self.requests: list[tuple[str, str, str]] = []
        for pb in self.playbooks:
            for r in pb.requests:
                k = len(self.requests)
                self.requests.append((pb.id, r.id, r.name))
                for t in (r.name, *r.says):
                    texts.append(t)
                    owners.append(k)
        self.owners = np.array(owners, dtype=int)
        self.vectorizer: FeatureUnion | None = None
        if texts:
            self.vectorizer = FeatureUnion(
                [
                    ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                    (
                        "chars",
                        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
                    ),
                ]
            )
            self.examples = self.vectorizer.fit_transform(texts)

    def suggest(self, message: str, top: int = 3) -> list[Suggestion]:
        """The ``top`` requests most like ``message``, best first (none for empty text)."""
        if self.vectorizer is None or not message.strip():
            return []
        q = self.vectorizer.transform([message])
        # each half of the union is L2-normalised: halve the dot product for a 0–1 cosine
        sims = (self.examples @ q.T).toarray().ravel() / 2
        best = np.zeros(len(self.requests))
        np.maximum.at(best, self.owners, sims)
        order = np.lexsort((np.arange(len(best)), -best))[:top]
        return [
            Suggestion(
                playbook_id=self.requests[i][0],
                request_id=self.requests[i][1],
                request=self.requests[i][2],
                score=round(float(best[i]), 4),
            )
            for i in order
            if best[i] > 0
        ]


@dataclass(frozen=True)
class Labelled:
    journey: str
    message: str
    expected: str  # "playbook:request"


def read_labelled(path: str | Path) -> list[Labelled]:
    """A CSV of labelled first messages: journey, message, expected (``playbook:request``)."""
    p = Path(path)
    try:
        with p.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise InputError(Problem("no such file", "check the path", str(p))) from None
    need = {"journey", "message", "expected"}
    if rows and not need <= set(rows[0]):
        raise InputError(
            Problem(
                f"columns {sorted(need - set(rows[0]))} missing",
                "write a header: journey,message,expected",
                str(p),
                1,
            )
        )
    return [Labelled(r["journey"], r["message"], r["expected"]) for r in rows]


@dataclass(frozen=True)
class Evaluation:
    n: int
    top1: float
    top3: float
    misses: list[tuple[str, str, str]]  # message, expected, got

    def summary(self) -> str:
        return f"{self.n} messages: top-1 accuracy {self.top1:.1%}, top-3 {self.top3:.1%}"


def evaluate(playbooks: Sequence[Playbook], labelled: Sequence[Labelled]) -> Evaluation:
    """Top-1 and top-3 accuracy of the matcher on labelled messages, per journey's playbooks."""
    matchers = {
        j: RequestMatcher([p for p in playbooks if p.journey == j])
        for j in {x.journey for x in labelled}
    }
    hit1 = hit3 = 0
    misses = []
    for x in labelled:
        got = [s.key for s in matchers[x.journey].suggest(x.message, top=3)]
        hit1 += bool(got) and got[0] == x.expected
        hit3 += x.expected in got
        if not got or got[0] != x.expected:
            misses.append((x.message, x.expected, got[0] if got else ""))
    n = len(labelled)
    return Evaluation(n, hit1 / n if n else 0.0, hit3 / n if n else 0.0, misses)
