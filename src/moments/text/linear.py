"""The default text backend: linear models over n-grams, trained in seconds, no download.

*Which moments*: one linear SVM per category over word 1–2-grams and character 2–5-grams. A
logistic curve fitted to out-of-fold scores of the training data (5-fold cross-validation, never
the data scored later) turns a score into a probability, and a category is mentioned when that
probability is at least :data:`MENTIONED` (so the confidence given never contradicts the verdict;
cross-validated on SemEval-2014 restaurants train this beat each category's own F1-best
threshold, 82.1 against 81.2 F1). The curve's origin is that F1-best threshold, which also
decides where too few examples give no curve. When every training comment names at least one
category, every prediction does too (the most likely one when none passes), unless the text has
no known word at all.

*Which polarity*: one logistic regression over (text, category) pairs. Its features are the
text's n-grams, the text's words again in a block of their own per category (so "cold" can be
bad for food and fine for ambience), the category, and the VADER lexicon scores.

Evidence is read off the models: the n-grams of the text with the largest contribution to the
verdict.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.svm import LinearSVC

from moments.errors import InputError, Problem
from moments.text.corpus import POLARITIES
from moments.text.features import (
    LEXICON_FEATURES,
    NGrams,
    is_filler,
    lexicon,
    lexicon_available,
)
from moments.text.model import Labels, Mention, TextModel, clip, register_model

EVIDENCE = 3  # n-grams given as the evidence of one verdict
FOLDS = 5
MENTIONED = 0.5  # the probability from which a category counts as mentioned


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


class _Detector:
    """One category: a linear SVM, its decision threshold and a score → probability curve."""

    def __init__(self, c: float, seed: int) -> None:
        self.c, self.seed = c, seed
        self.svm: LinearSVC | None = None
        self.constant: float | None = None
        self.threshold = 0.0
        self.slope, self.offset = 1.0, 0.0

    def fit(self, x: sp.csr_matrix, y: np.ndarray) -> Self:
        positives = int(y.sum())
        if positives in (0, len(y)):
            self.constant = float(positives > 0)
            return self
        self.svm = LinearSVC(C=self.c, random_state=self.seed)
        folds = min(FOLDS, positives, len(y) - positives)
        if folds >= 2:
            cv = StratifiedKFold(folds, shuffle=True, random_state=self.seed)
            oof = cross_val_predict(self.svm, x, y, cv=cv, method="decision_function")
            self.threshold = _best_threshold(oof, y)
            curve = LogisticRegression(C=100.0).fit((oof - self.threshold).reshape(-1, 1), y)
            if curve.coef_[0, 0] > 0:  # else too few examples to tell: keep the plain curve
                self.slope = float(curve.coef_[0, 0])
                self.offset = float(curve.intercept_[0])
        self.svm.fit(x, y)
        return self

    def scores(self, x: sp.csr_matrix) -> np.ndarray:
        if self.svm is None:
            return np.full(x.shape[0], 1.0 if self.constant else -1.0)
        return np.asarray(self.svm.decision_function(x)) - self.threshold

    def probability(self, margin: np.ndarray) -> np.ndarray:
        if self.svm is None:
            return np.full(margin.shape, float(self.constant or 0.0))
        return _sigmoid(self.slope * margin + self.offset)

    def weights(self) -> np.ndarray | None:
        return None if self.svm is None else np.asarray(self.svm.coef_[0])


def _best_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """The threshold on ``scores`` with the best F1 for ``y`` (ties: the one nearest 0)."""
    order = np.argsort(-scores, kind="stable")
    s, t = scores[order], y[order]
    tp = np.cumsum(t)
    predicted = np.arange(1, len(s) + 1)
    f1 = 2 * tp / (predicted + t.sum())
    # a cut is only possible between distinct scores
    valid = np.r_[s[:-1] > s[1:], True]
    f1 = np.where(valid, f1, -1)
    best = np.flatnonzero(f1 == f1.max())
    cuts = [(s[i] + s[i + 1]) / 2 if i + 1 < len(s) else s[i] - 1e-6 for i in best]
    return float(min(cuts, key=abs))


@register_model
class LinearModel(TextModel):
    """Linear SVMs find the categories, a logistic regression their polarity."""

    name: ClassVar[str] = "linear"
    version: ClassVar[int] = 1

    def __init__(
        self,
        detect_c: float = 0.3,
        polarity_c: float = 3.0,
        lexicon_scale: float = 3.0,
        seed: int = 0,
    ) -> None:
        self.detect_c, self.polarity_c = detect_c, polarity_c
        self.lexicon_scale, self.seed = lexicon_scale, seed
        self.categories: list[str] = []
        self.polarities: list[str] = []

    # -- training ----------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Labels) -> Self:
        texts = clip(texts)
        if len(texts) != len(labels):
            raise InputError(f"{len(texts)} texts but {len(labels)} label lists")
        if not texts:
            raise InputError("no training comments", "give at least a few labelled comments")
        self.categories = sorted({c for pairs in labels for c, _ in pairs})
        seen = {p for pairs in labels for _, p in pairs}
        self.polarities = [p for p in POLARITIES if p in seen]
        if not self.categories:
            raise InputError(
                Problem(
                    "no comment names a category",
                    'label the training comments: "categories": [{"category", "polarity"}]',
                    field="categories",
                )
            )
        self.at_least_one = all(len(pairs) > 0 for pairs in labels)
        self.lexicon = lexicon_available()
        self.ngrams = self._features()
        x = self.ngrams.fit_transform(texts)
        index = {c: k for k, c in enumerate(self.categories)}
        y = np.zeros((len(texts), len(self.categories)), dtype=np.int8)
        for i, pairs in enumerate(labels):
            for c, _ in pairs:
                y[i, index[c]] = 1
        self.detectors = [
            _Detector(self.detect_c, self.seed).fit(x, y[:, k]) for k in index.values()
        ]

        rows = [i for i, pairs in enumerate(labels) for _ in pairs]
        cats = [index[c] for pairs in labels for c, _ in pairs]
        pols = np.array([p for pairs in labels for _, p in pairs])
        lex = self._lexicon(texts)[rows]
        features = self._pair_features(x[rows], np.array(cats), lex)
        self.polarity: LogisticRegression | None = None
        if len(self.polarities) > 1:
            # SAGA: L-BFGS takes minutes on a million weights; SAGA stopped at tol=1e-3 reaches
            # the same cross-validated accuracy in seconds (its early stop is not a problem)
            self.polarity = LogisticRegression(
                C=self.polarity_c, solver="saga", tol=1e-3, max_iter=300, random_state=self.seed
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                self.polarity.fit(features, pols)
        return self

    def _features(self) -> NGrams:
        """The text features (a subclass may add its own after the n-grams)."""
        return NGrams()

    def _lexicon(self, texts: Sequence[str]) -> np.ndarray:
        if not self.lexicon:
            return np.zeros((len(texts), LEXICON_FEATURES), dtype=np.float32)
        return lexicon(texts) * self.lexicon_scale

    def _pair_features(self, x: sp.csr_matrix, cats: np.ndarray, lex: np.ndarray) -> sp.csr_matrix:
        """Shared n-grams | the words again in their category's own block | category | lexicon.

        ``cats`` holds a category index per row, -1 for a category unseen in training.
        """
        n, k, v = x.shape[0], len(self.categories), self.ngrams.n_words
        words = x[:, :v].tocoo()
        known = cats[words.row] >= 0
        conj = sp.csr_matrix(
            (words.data[known], (words.row[known], cats[words.row[known]] * v + words.col[known])),
            shape=(n, k * v),
        )
        onehot = sp.csr_matrix(
            (np.ones(int((cats >= 0).sum())), (np.flatnonzero(cats >= 0), cats[cats >= 0])),
            shape=(n, k),
        )
        return sp.hstack([x, conj, onehot, sp.csr_matrix(lex)], format="csr")

    # -- prediction --------------------------------------------------------------------------
    def predict(
        self, texts: Sequence[str], given: Sequence[Sequence[str]] | None = None
    ) -> list[list[Mention]]:
        texts = clip(texts)
        if given is not None and len(given) != len(texts):
            raise InputError(f"{len(texts)} texts but {len(given)} lists of given categories")
        if not texts:
            return []
        x = self.ngrams.transform(texts)
        if given is None:
            found = self._detect(x)
        else:
            found = [[(c, 1.0, ()) for c in dict.fromkeys(g)] for g in given]
        index = {c: k for k, c in enumerate(self.categories)}
        rows = [i for i, f in enumerate(found) for _ in f]
        cats = np.array([index.get(c, -1) for f in found for c, _, _ in f], dtype=np.int64)
        out: list[list[Mention]] = [[] for _ in texts]
        if not rows:
            return out
        features = self._pair_features(x[rows], cats, self._lexicon(texts)[rows])
        pols, conf, evidence = self._polarity(features, cats)
        j = 0
        for i, f in enumerate(found):
            for c, p_cat, cues in f:
                out[i].append(Mention(c, pols[j], float(p_cat * conf[j]), evidence[j], cues))
                j += 1
        return out

    def probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """P(mentioned) per text and category, and P(polarity) per text, category, polarity
        (in the order of ``polarities``), as the fine-tuned backends give them."""
        texts = clip(texts)
        n, k = len(texts), len(self.categories)
        if not n:
            return np.zeros((0, k)), np.zeros((0, k, max(len(self.polarities), 1)))
        x = self.ngrams.transform(texts)
        det = self._mention_probabilities(x)
        if self.polarity is None:
            return det, np.ones((n, k, 1))
        rows, cats = np.repeat(np.arange(n), k), np.tile(np.arange(k), n)
        pol = self.polarity.predict_proba(
            self._pair_features(x[rows], cats, self._lexicon(texts)[rows])
        )
        classes = [str(c) for c in self.polarity.classes_]
        pol = pol[:, [classes.index(p) for p in self.polarities]]
        return det, pol.reshape(n, k, len(self.polarities))

    def _mention_probabilities(self, x: sp.csr_matrix) -> np.ndarray:
        """P(mentioned) per text and category."""
        return np.column_stack([d.probability(d.scores(x)) for d in self.detectors])

    def _detect(self, x: sp.csr_matrix) -> list[list[tuple[str, float, tuple[str, ...]]]]:
        probs = self._mention_probabilities(x)
        chosen = probs >= MENTIONED
        if self.at_least_one:
            empty = ~chosen.any(axis=1) & (x.getnnz(axis=1) > 0)
            chosen[np.flatnonzero(empty), probs[empty].argmax(axis=1)] = True
        words = self._word_rows(x)
        weights = [d.weights() for d in self.detectors]
        out = []
        for i in range(x.shape[0]):
            found = []
            for k in np.flatnonzero(chosen[i]):
                w = weights[k]
                ev = () if w is None else self._top_words(*words[i], w)
                found.append((self.categories[k], float(probs[i, k]), ev))
            out.append(found)
        return out

    def _polarity(
        self, features: sp.csr_matrix, cats: np.ndarray
    ) -> tuple[list[str], np.ndarray, list[tuple[str, ...]]]:
        if self.polarity is None:
            only = self.polarities[0] if self.polarities else "neutral"
            n = features.shape[0]
            return [only] * n, np.ones(n), [()] * n
        proba = self.polarity.predict_proba(features)
        best = proba.argmax(axis=1)
        labels = [str(self.polarity.classes_[b]) for b in best]
        words = self._word_rows(features)
        cache: dict[tuple[int, int], np.ndarray] = {}
        evidence = []
        for i, b in enumerate(best):
            key = (int(b), int(cats[i]))
            if key not in cache:
                cache[key] = self._push(*key)
            evidence.append(self._top_words(*words[i], cache[key]))
        return labels, proba.max(axis=1), evidence

    def _push(self, cls: int, cat: int) -> np.ndarray:
        """Per word n-gram, how much it pushes a comment about ``cat`` towards class ``cls``."""
        assert self.polarity is not None
        coef = self.polarity.coef_
        v, k = self.ngrams.n_words, len(self.categories)
        if coef.shape[0] == 1:  # two classes: one weight row, for classes_[1]
            row = coef[0] if cls == 1 else -coef[0]
        else:  # multinomial: towards this class more than towards the others on average
            row = coef[cls] - coef.mean(axis=0)
        w = np.array(row[:v], dtype=np.float64)
        if cat >= 0:
            conj0 = coef.shape[1] - LEXICON_FEATURES - k - k * v
            w += row[conj0 + cat * v : conj0 + (cat + 1) * v]
        return w

    def _word_rows(self, x: sp.csr_matrix) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per row, the columns and values of its word n-grams (the first block)."""
        v = self.ngrams.n_words
        out = []
        for i in range(x.shape[0]):
            lo, hi = x.indptr[i], x.indptr[i + 1]
            cols, vals = x.indices[lo:hi], x.data[lo:hi]
            keep = cols < v
            out.append((cols[keep], vals[keep]))
        return out

    def _top_words(
        self, cols: np.ndarray, vals: np.ndarray, weights: np.ndarray
    ) -> tuple[str, ...]:
        """The text's word n-grams that push a verdict most, strongest first."""
        if not len(cols):
            return ()
        contrib = vals * weights[cols]
        out: list[str] = []
        for o in np.argsort(-contrib, kind="stable"):
            if contrib[o] <= 0 or len(out) == EVIDENCE:
                break
            gram = str(self.ngrams.names[cols[o]])
            if not is_filler(gram):
                out.append(gram)
        return tuple(out)

    def explain(self, text: str) -> dict[str, Any]:
        """Every category's probability and threshold margin, and the polarity of each."""
        x = self.ngrams.transform(clip([text]))
        cols, vals = self._word_rows(x)[0]
        rows = []
        for k, d in enumerate(self.detectors):
            m = d.scores(x)
            w = d.weights()
            rows.append(
                {
                    "category": self.categories[k],
                    "probability": float(d.probability(m)[0]),
                    "margin": float(m[0]),
                    "words": list(self._top_words(cols, vals, w)) if w is not None else [],
                }
            )
        given = [list(self.categories)]
        for r, mention in zip(rows, self.predict([text], given)[0], strict=True):
            r["polarity"], r["polarity_confidence"] = mention.polarity, mention.confidence
            r["polarity_words"] = list(mention.evidence)
        return {"mentions": [m.to_json() for m in self.predict([text])[0]], "categories": rows}

    def summary(self) -> dict[str, Any]:
        return {
            **super().summary(),
            "params": {
                "detect_c": self.detect_c,
                "polarity_c": self.polarity_c,
                "lexicon_scale": self.lexicon_scale,
                "seed": self.seed,
            },
            "thresholds": {
                c: round(d.threshold, 4)
                for c, d in zip(self.categories, self.detectors, strict=True)
            },
            "lexicon": self.lexicon,
        }
