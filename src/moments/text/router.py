"""Route comments to the moments of a journey from its keywords and example phrases.

No labelled data is needed: a comment goes to a moment when it contains one of the moment's
keywords (as a whole word or phrase, case and accents ignored) or reads like one of its example
phrases (character n-gram cosine similarity at least ``min_similarity``). A few labelled
comments, when given, are used as more examples, and their polarities train the polarity model;
without them polarity comes from the VADER lexicon (English). A comment that matches no moment
is reported as mentioning no known moment, never forced into one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from moments.errors import InputError, Problem
from moments.journey.model import Journey
from moments.text.corpus import POLARITIES
from moments.text.features import NGrams, lexicon
from moments.text.model import Labels, Mention, TextModel, clip, register_model

KEYWORD_CONFIDENCE = 0.9
LEXICON_CUT = 0.05  # VADER's own cut between neutral and positive/negative compound scores


@dataclass
class Cues:
    """What identifies one moment in words."""

    name: str
    keywords: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)


def fold(text: str) -> str:
    """Lower case without accents: 'Não Entregue' → 'nao entregue'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def cues_from_journeys(journeys: Iterable[Journey]) -> dict[str, Cues]:
    """Each moment's name, keywords and example phrases, by moment id."""
    out: dict[str, Cues] = {}
    for j in journeys:
        for _, _, m in j.moments():
            out[m.id] = Cues(m.name, list(m.keywords), list(m.examples))
    return out


@register_model
class JourneyRouter(TextModel):
    """Moments found by their keywords and example phrases; polarity by lexicon or labels."""

    name: ClassVar[str] = "journey"
    version: ClassVar[int] = 1

    def __init__(
        self,
        cues: Mapping[str, Cues] | None = None,
        min_similarity: float = 0.45,
        polarity_c: float = 3.0,
    ) -> None:
        self.cues = {
            k: Cues(v.name, list(v.keywords), list(v.examples)) for k, v in (cues or {}).items()
        }
        self.min_similarity = min_similarity
        self.polarity_c = polarity_c
        self.categories = sorted(self.cues)
        self.polarities = ["positive", "negative", "neutral"]
        self.polarity: LogisticRegression | None = None

    @classmethod
    def from_journeys(cls, journeys: Iterable[Journey], **params: Any) -> JourneyRouter:
        return cls(cues_from_journeys(journeys), **params)

    def fit(self, texts: Sequence[str], labels: Labels) -> Self:
        """Add labelled comments as examples of their moments; learn polarity from them."""
        texts = clip(texts)
        for t, pairs in zip(texts, labels, strict=True):
            for c, _ in pairs:
                self.cues.setdefault(c, Cues(c)).examples.append(t)
        self.categories = sorted(self.cues)
        if not any(c.keywords or c.examples for c in self.cues.values()):
            raise InputError(
                Problem(
                    "no moment has keywords or example phrases",
                    "add 'keywords:' or 'examples:' to the journey's moments, or give labelled "
                    "comments",
                    field="keywords",
                )
            )
        self._index()
        pol_texts = [t for t, pairs in zip(texts, labels, strict=True) for _ in pairs]
        pols = [p for pairs in labels for _, p in pairs]
        if len(set(pols)) > 1:
            self.ngrams = NGrams()
            x = self.ngrams.fit_transform(pol_texts)
            from scipy.sparse import csr_matrix, hstack

            self.polarity = LogisticRegression(C=self.polarity_c, max_iter=2000).fit(
                hstack([x, csr_matrix(lexicon(pol_texts))], format="csr"), pols
            )
            self.polarities = [p for p in POLARITIES if p in set(pols)]
        return self

    def _index(self) -> None:
        self._patterns = {
            c: [
                (
                    k,
                    re.compile(
                        r"(?<!\w)" + r"\s+".join(map(re.escape, fold(k).split())) + r"(?!\w)"
                    ),
                )
                for k in cue.keywords
                if fold(k).strip()
            ]
            for c, cue in self.cues.items()
        }
        self._owners = [c for c in self.categories for _ in self.cues[c].examples]
        examples = [e for c in self.categories for e in self.cues[c].examples]
        self._examples = examples
        self._vec: TfidfVectorizer | None = None
        if examples:
            self._vec = TfidfVectorizer(
                analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, strip_accents="unicode"
            )
            self._ex = self._vec.fit_transform(examples)

    def route(self, texts: Sequence[str]) -> list[list[tuple[str, float, tuple[str, ...]]]]:
        """Per text, (moment, confidence, evidence) for every moment it mentions."""
        if not hasattr(self, "_patterns"):
            self._index()
        texts = clip(texts)
        sims = None
        if self._vec is not None and texts:
            sims = (self._vec.transform(texts) @ self._ex.T).toarray()
        out = []
        for i, t in enumerate(texts):
            folded = fold(t)
            hits: dict[str, tuple[float, tuple[str, ...]]] = {}
            for c, patterns in self._patterns.items():
                found = tuple(k for k, p in patterns if p.search(folded))
                if found:
                    hits[c] = (KEYWORD_CONFIDENCE, found)
            if sims is not None:
                for j in np.flatnonzero(sims[i] >= self.min_similarity):
                    c, s = self._owners[j], float(sims[i, j])
                    if c not in hits or hits[c][0] < s:
                        hits[c] = (min(s, 1.0), (f"like '{self._examples[j][:80]}'",))
            out.append([(c, s, ev) for c, (s, ev) in sorted(hits.items(), key=lambda h: -h[1][0])])
        return out

    def predict(
        self, texts: Sequence[str], given: Sequence[Sequence[str]] | None = None
    ) -> list[list[Mention]]:
        texts = clip(texts)
        if given is None:
            found = self.route(texts)
        else:
            found = [[(c, 1.0, ()) for c in dict.fromkeys(g)] for g in given]
        pols, conf = self._polarity(texts)
        return [
            [Mention(c, pols[i], float(s * conf[i]), cues=ev) for c, s, ev in f]
            for i, f in enumerate(found)
        ]

    def _polarity(self, texts: list[str]) -> tuple[list[str], np.ndarray]:
        lex = lexicon(texts)
        if self.polarity is None:
            compound = lex[:, 3]
            pols = [
                "positive" if v >= LEXICON_CUT else "negative" if v <= -LEXICON_CUT else "neutral"
                for v in compound
            ]
            return pols, np.clip(0.5 + np.abs(compound) / 2, 0.5, 1.0)
        from scipy.sparse import csr_matrix, hstack

        proba = self.polarity.predict_proba(
            hstack([self.ngrams.transform(texts), csr_matrix(lex)], format="csr")
        )
        return [str(self.polarity.classes_[b]) for b in proba.argmax(axis=1)], proba.max(axis=1)

    def summary(self) -> dict[str, Any]:
        return {
            **super().summary(),
            "moments": {
                c: {"keywords": len(v.keywords), "examples": len(v.examples)}
                for c, v in sorted(self.cues.items())
            },
            "polarity": "trained" if self.polarity is not None else "lexicon (English)",
        }
