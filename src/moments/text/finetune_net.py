"""The torch part of the ``minilm-ft`` backend: one encoder pass per text, a head per category.

The whole all-MiniLM-L6-v2 encoder is fine-tuned jointly for both questions. Each category has
its own attention over the text's tokens (a learned query), so that "cold" can be read for food
and not for ambience; the category's vector (that attention's pooling, next to the mean of the
tokens) feeds a per-category detector (is it mentioned?) and a polarity classifier shared by the
categories (with a bias per category). One pass serves every category: on a 2-core CPU this is
about five times cheaper than one (text, category) pair per category as in Sun et al. (2019).

Evidence is gradient × input on the word embeddings of the text's tokens towards the predicted
polarity of one category, summed per word.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedModel
from transformers.utils import logging as hf_logging

hf_logging.disable_progress_bar()  # the weights are local: no download to follow


def pick_device(device: str | None = None) -> torch.device:
    """CUDA when available, else the CPU (or the one named)."""
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_tokenizer(path: str) -> Any:
    return AutoTokenizer.from_pretrained(path, local_files_only=True)


@dataclass(frozen=True)
class Prompt:
    """The category names, read by the encoder after each text (a sentence pair).

    ``spans[k]``: the positions of category k's tokens within the prompt's ``length`` tokens.
    """

    text: str
    spans: tuple[tuple[int, ...], ...]
    length: int


def pair_length(max_len: int, prompt: Prompt) -> int:
    """The longest text + names pair: the text keeps its own ``max_len`` tokens."""
    return max_len + prompt.length + 2  # the pair's extra separators


def make_prompt(tokenizer: Any, categories: Sequence[str]) -> Prompt:
    text, starts = "", []
    for c in categories:
        text += ", " if text else ""
        starts.append(len(text))
        text += c
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    spans = tuple(
        tuple(j for j, (a, _) in enumerate(enc["offset_mapping"]) if s <= a < s + len(c))
        for s, c in zip(starts, categories, strict=True)
    )
    return Prompt(text, spans, len(enc["input_ids"]))


class CategoryNet(nn.Module):
    """Encoder; per category an attention pooling, a detector and polarity logits.

    ``prompted``: the text is followed by the category names (a :class:`Prompt`), and each
    category's vector also holds the mean of its name's tokens as read next to the text.
    """

    def __init__(
        self,
        encoder: PreTrainedModel,
        categories: int,
        polarities: int,
        dropout: float = 0.1,
        prompted: bool = False,
    ) -> None:
        super().__init__()
        d = encoder.config.hidden_size
        width = (3 if prompted else 2) * d
        self.encoder, self.prompted = encoder, prompted
        self.queries = nn.Parameter(torch.randn(categories, d) * 0.02)
        self.dropout = nn.Dropout(dropout)
        self.detect_w = nn.Parameter(torch.randn(categories, width) * 0.02)
        self.detect_b = nn.Parameter(torch.zeros(categories))
        self.polarity = nn.Linear(width, polarities)
        self.polarity_b = nn.Parameter(torch.zeros(categories, polarities))

    @classmethod
    def pretrained(
        cls, path: str, categories: int, polarities: int, seed: int, prompted: bool = False
    ) -> CategoryNet:
        """The encoder's weights from a local folder (never the model hub), seeded new heads."""
        encoder = AutoModel.from_pretrained(path, local_files_only=True, dtype=torch.float32)
        torch.manual_seed(seed)
        return cls(encoder, categories, polarities, prompted=prompted)

    @classmethod
    def from_state(
        cls, config: dict[str, Any], categories: int, polarities: int, state: dict[str, Any]
    ) -> CategoryNet:
        """Rebuild a trained net from its encoder config and its weights (numpy arrays)."""
        settings = dict(config)
        kind = settings.pop("model_type")  # bert (MiniLM), mpnet, …
        encoder = AutoModel.from_config(AutoConfig.for_model(kind, **settings))
        width = np.asarray(state["detect_w"]).shape[1]
        net = cls(encoder, categories, polarities, prompted=width == 3 * encoder.config.hidden_size)
        net.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()})
        return net

    def state(self) -> dict[str, np.ndarray]:
        return {k: v.detach().cpu().numpy().copy() for k, v in self.state_dict().items()}

    def heads(self) -> list[nn.Parameter]:
        return [p for n, p in self.named_parameters() if not n.startswith("encoder.")]

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        inputs_embeds: torch.Tensor | None = None,
        names: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Detection logits (batch × categories), polarity logits (batch × categories × P).

        ``names`` (prompted nets): batch × categories × tokens, the weights that average each
        category's name tokens.
        """
        h = self.encoder(
            input_ids=None if inputs_embeds is not None else input_ids,
            inputs_embeds=inputs_embeds,
            attention_mask=attention_mask,
        ).last_hidden_state
        mask = attention_mask.to(h.dtype)
        mean = (h * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
        scores = torch.einsum("btd,kd->bkt", h, self.queries) / math.sqrt(h.shape[-1])
        scores = scores.masked_fill(mask.unsqueeze(1) == 0, -1e4)
        pooled = torch.einsum("bkt,btd->bkd", torch.softmax(scores, dim=-1), h)
        parts = [pooled, mean.unsqueeze(1).expand_as(pooled)]
        if self.prompted:
            assert names is not None, "a prompted net reads the category names"
            parts.append(torch.einsum("bkt,btd->bkd", names.to(h.dtype), h))
        v = torch.cat(parts, dim=-1)
        v = self.dropout(v)
        detect = (v * self.detect_w).sum(-1) + self.detect_b
        return detect, self.polarity(v) + self.polarity_b


def tokenise(
    tokenizer: Any, texts: Sequence[str], max_len: int, prompt: Prompt | None = None
) -> list[list[int]]:
    """Token ids per text; with a prompt, the text then the category names (a text too long
    is cut at the same length as without the names)."""
    return list(_encode(tokenizer, list(texts), max_len, prompt)["input_ids"])


def _encode(
    tokenizer: Any, texts: str | list[str], max_len: int, prompt: Prompt | None, **options: Any
) -> Any:
    """The tokenizer's encoding of one text or several, alone or followed by the names."""
    if prompt is None:
        return tokenizer(texts, truncation=True, max_length=max_len, **options)
    names = prompt.text if isinstance(texts, str) else [prompt.text] * len(texts)
    limit = pair_length(max_len, prompt)
    return tokenizer(texts, names, truncation="only_first", max_length=limit, **options)


def _batch(
    ids: Sequence[list[int]],
    rows: Sequence[int],
    device: torch.device,
    prompt: Prompt | None = None,
) -> dict:
    width = max(len(ids[r]) for r in rows)
    x = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for j, r in enumerate(rows):
        x[j, : len(ids[r])] = torch.tensor(ids[r])
        mask[j, : len(ids[r])] = 1
    batch = {"input_ids": x.to(device), "attention_mask": mask.to(device)}
    if prompt is not None:
        names = torch.zeros((len(rows), len(prompt.spans), width))
        for j, r in enumerate(rows):
            start = len(ids[r]) - 1 - prompt.length  # the names, then one closing token
            for k, span in enumerate(prompt.spans):
                names[j, k, [start + t for t in span]] = 1.0 / len(span)
        batch["names"] = names.to(device)
    return batch


@dataclass
class TrainSettings:
    epochs: int = 4
    lr: float = 5e-5
    head_lr: float = 1e-3
    batch_size: int = 32
    weight_decay: float = 0.01
    warmup: float = 0.1
    seed: int = 0
    layer_decay: float = 1.0  # each encoder layer's lr is this times the one above's
    schedule_epochs: int | None = None  # the lr decays over this many (default: epochs)


_LAYER = re.compile(r"^encoder\.encoder\.layer\.(\d+)\.")


def lr_scale(name: str, layers: int, decay: float) -> float:
    """The share of the encoder's learning rate one parameter gets under layer-wise decay: 1 at
    the top layer (and for everything not in a layer), ``decay`` per layer below it, the
    embeddings one step below the first layer."""
    if name.startswith("encoder.embeddings."):
        return decay**layers
    hit = _LAYER.match(name)
    return decay ** (layers - 1 - int(hit.group(1))) if hit else 1.0


def _batches(ids: Sequence[list[int]], size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of texts of similar length (less padding), in a shuffled order."""
    order = list(range(len(ids)))
    rng.shuffle(order)
    out = []
    chunk = size * 20
    for c in range(0, len(order), chunk):
        part = sorted(order[c : c + chunk], key=lambda r: len(ids[r]))
        out += [part[b : b + size] for b in range(0, len(part), size)]
    rng.shuffle(out)
    return out


def train(
    net: CategoryNet,
    ids: Sequence[list[int]],
    detect: np.ndarray,
    polarity: np.ndarray,
    settings: TrainSettings,
    device: torch.device,
    on_epoch: Callable[[int], None] | None = None,
    max_steps: int | None = None,
    prompt: Prompt | None = None,
    on_step: Callable[[], None] | None = None,
) -> CategoryNet:
    """Fine-tune everything: AdamW, linear warm-up then decay, seeded batches.

    ``detect``: texts × categories, 1 where mentioned. ``polarity``: texts × categories, the
    polarity's index where mentioned, else -1 (not counted). On the CPU the same seed gives the
    same net; on CUDA, bf16 autocast is used.
    """
    torch.manual_seed(settings.seed)
    rng = random.Random(settings.seed)
    net.to(device).train()
    y_det = torch.tensor(detect, dtype=torch.float32)
    y_pol = torch.tensor(polarity, dtype=torch.long)
    per_epoch = math.ceil(len(ids) / settings.batch_size)
    total = per_epoch * settings.epochs if max_steps is None else max_steps
    # training may stop before the schedule's end (epoch 5 of a 6-epoch schedule)
    span = (
        total if max_steps is not None else max(total, per_epoch * (settings.schedule_epochs or 0))
    )
    warm = max(1, int(settings.warmup * span))
    heads = {id(p) for p in net.heads()}
    layers = int(net.encoder.config.num_hidden_layers)
    groups: dict[tuple[bool, bool, float], list[nn.Parameter]] = {}
    for name, p in net.named_parameters():
        head = id(p) in heads
        scale = 1.0 if head else lr_scale(name, layers, settings.layer_decay)
        groups.setdefault((head, p.ndim >= 2, scale), []).append(p)
    opt = torch.optim.AdamW(
        [
            {
                "params": ps,
                "lr": settings.head_lr if head else settings.lr * scale,
                "weight_decay": settings.weight_decay if matrix else 0.0,
            }
            for (head, matrix, scale), ps in sorted(groups.items())
        ]
    )
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (span - s) / max(1, span - warm)))
    )
    bce, ce = nn.BCEWithLogitsLoss(), nn.CrossEntropyLoss(ignore_index=-1)
    cuda = device.type == "cuda"
    step = 0
    for epoch in range(settings.epochs):
        for rows in _batches(ids, settings.batch_size, rng):
            if step >= total:
                break
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda):
                det, pol = net(**_batch(ids, rows, device, prompt))
            yp = y_pol[rows].to(device)
            loss = bce(det.float(), y_det[rows].to(device))
            if (yp >= 0).any():
                loss = loss + ce(pol.float().reshape(-1, pol.shape[-1]), yp.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if on_step is not None:
                on_step()
        if on_epoch is not None:
            net.eval()
            on_epoch(epoch + 1)
            net.train()
    net.eval()
    return net


def _by_length(ids: Sequence[list[int]], size: int) -> list[list[int]]:
    order = sorted(range(len(ids)), key=lambda r: len(ids[r]))
    return [order[b : b + size] for b in range(0, len(order), size)]


@torch.no_grad()
def probabilities(
    net: CategoryNet,
    ids: Sequence[list[int]],
    device: torch.device,
    batch_size: int = 64,
    prompt: Prompt | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """P(mentioned) (texts × categories) and P(polarity) (texts × categories × P)."""
    net.to(device).eval()
    k, p = net.detect_b.shape[0], net.polarity_b.shape[1]
    det = np.zeros((len(ids), k), dtype=np.float32)
    pol = np.zeros((len(ids), k, p), dtype=np.float32)
    for rows in _by_length(ids, batch_size):
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda"):
            d, q = net(**_batch(ids, rows, device, prompt))
        det[rows] = torch.sigmoid(d.float()).cpu().numpy()
        pol[rows] = torch.softmax(q.float(), dim=-1).cpu().numpy()
    return det, pol


def saliency(
    net: CategoryNet,
    ids: Sequence[list[int]],
    asks: Sequence[tuple[int, int, int]],
    device: torch.device,
    batch_size: int = 64,
    prompt: Prompt | None = None,
) -> list[np.ndarray]:
    """Per ask (text, category, polarity): gradient × input per token of log p(polarity)."""
    net.to(device).eval()
    embed = net.encoder.get_input_embeddings()
    rows_ids = [ids[t] for t, _, _ in asks]
    out: list[np.ndarray] = [np.zeros(0)] * len(asks)
    for rows in _by_length(rows_ids, batch_size):
        batch = _batch(rows_ids, rows, device, prompt)
        x = embed(batch["input_ids"]).detach().requires_grad_(True)
        _, pol = net(
            batch["input_ids"], batch["attention_mask"], inputs_embeds=x, names=batch.get("names")
        )
        cat = torch.tensor([asks[r][1] for r in rows], device=device)
        cls = torch.tensor([asks[r][2] for r in rows], device=device)
        logp = torch.log_softmax(pol.float(), dim=-1)
        picked = logp[torch.arange(len(rows), device=device), cat, cls]
        # only the input's gradient: the weights' gradients are not needed here
        (grad,) = torch.autograd.grad(picked.sum(), x)
        scores = (grad * x).sum(-1).detach().cpu().numpy()
        for j, r in enumerate(rows):
            out[r] = scores[j, : len(rows_ids[r])]
    return out


def words_of(
    tokenizer: Any, text: str, max_len: int, prompt: Prompt | None = None
) -> tuple[list[str], list[int]]:
    """The words of ``text`` as the tokenizer reads it, and per token position the word index
    (-1 for the special tokens and the prompt's)."""
    enc = _encode(tokenizer, text, max_len, prompt, return_offsets_mapping=True)
    word_ids = [
        w if q == 0 else None for w, q in zip(enc.word_ids(), enc.sequence_ids(), strict=True)
    ]
    spans: dict[int, list[int]] = {}
    for w, (a, b) in zip(word_ids, enc["offset_mapping"], strict=True):
        if w is not None:
            spans.setdefault(w, [a, b])[1] = b
    keys = sorted(spans)
    index = {w: k for k, w in enumerate(keys)}
    words = [text[spans[w][0] : spans[w][1]] for w in keys]
    return words, [-1 if w is None else index[w] for w in word_ids]


def top_words(
    words: Sequence[str], positions: Sequence[int], scores: np.ndarray, keep: Callable[[str], bool]
) -> list[tuple[str, float]]:
    """The text's words with a positive summed score, strongest first."""
    per = np.zeros(len(words))
    for p, w in enumerate(positions):
        if w >= 0 and p < len(scores):
            per[w] += scores[p]
    best: dict[str, float] = {}
    for k in np.argsort(-per, kind="stable"):
        if per[k] <= 0:
            break
        word = words[k].lower()
        if keep(word) and word not in best:
            best[word] = float(per[k])
    return list(best.items())
