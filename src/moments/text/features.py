"""Features of a text shared by the text backends: n-grams and a sentiment lexicon.

Word 1–2-grams and character 2–5-grams (within word boundaries), lower-cased and with accents
folded, so that Portuguese "não entregue" and "nao entregue" read the same. The lexicon is
VADER's (English, shipped inside the ``vaderSentiment`` package): other languages get zeros
from it, and the n-grams carry them alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

WORD_PATTERN = r"(?u)\b\w+\b"
LEXICON_FEATURES = 4  # negative, neutral, positive, compound

# Words too common to be shown as evidence on their own (English and Portuguese, accents
# folded). Negations are not here: "not", "nao", "nunca" carry a verdict.
FILLER = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "that",
        "the",
        "their",
        "them",
        "there",
        "they",
        "this",
        "to",
        "us",
        "was",
        "we",
        "were",
        "which",
        "with",
        "you",
        "your",
        "o",
        "os",
        "as",
        "um",
        "uma",
        "uns",
        "umas",
        "e",
        "de",
        "do",
        "da",
        "dos",
        "das",
        "em",
        "no",
        "na",
        "nos",
        "nas",
        "por",
        "pelo",
        "pela",
        "para",
        "com",
        "que",
        "se",
        "ao",
        "aos",
        "eu",
        "ele",
        "ela",
        "eles",
        "elas",
        "meu",
        "minha",
        "seu",
        "sua",
        "foi",
        "ser",
        "esta",
        "este",
        "isso",
        "mas",
        "ou",
    ]
)


def is_filler(gram: str) -> bool:
    """True when every word of the n-gram is a filler word."""
    return all(w in FILLER for w in gram.split())


class NGrams:
    """Word and character n-gram TF-IDF; the word block comes first, and its names can be read."""

    def __init__(self, word_max: int = 2, char_min: int = 2, char_max: int = 5) -> None:
        self.words = TfidfVectorizer(
            ngram_range=(1, word_max),
            sublinear_tf=True,
            strip_accents="unicode",
            token_pattern=WORD_PATTERN,
            dtype=np.float32,
        )
        self.chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(char_min, char_max),
            sublinear_tf=True,
            strip_accents="unicode",
            min_df=2,
            dtype=np.float32,
        )

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        w = self.words.fit_transform(texts)
        try:
            c = self.chars.fit_transform(texts)
        except ValueError:  # too few texts for min_df=2: every character n-gram is rare
            self.chars.set_params(min_df=1)
            c = self.chars.fit_transform(texts)
        self.n_words = w.shape[1]
        self.names = self.words.get_feature_names_out()
        return sp.hstack([w, c], format="csr")

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return sp.hstack([self.words.transform(texts), self.chars.transform(texts)], format="csr")


@cache
def _vader() -> SentimentIntensityAnalyzer | None:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:  # the lexicon is optional: the n-grams still work without it
        return None
    return SentimentIntensityAnalyzer()


def lexicon_available() -> bool:
    return _vader() is not None


def lexicon(texts: Sequence[str]) -> np.ndarray:
    """VADER's negative, neutral, positive and compound scores per text (zeros without it)."""
    out = np.zeros((len(texts), LEXICON_FEATURES), dtype=np.float32)
    vader = _vader()
    if vader is None:
        return out
    for i, t in enumerate(texts):
        if t.strip():
            s = vader.polarity_scores(t)
            out[i] = (s["neg"], s["neu"], s["pos"], s["compound"])
    return out
