"""Choose a fine-tuned backend's epochs, blend weights and threshold on a held-out part of TRAIN.

SemEval-2014 restaurants train is split 80/20 (seeded). The backend is fine-tuned on the 80 %
for ``--epochs`` epochs (one linear-decay schedule), its linear second opinion trained on the
same 80 %. After each epoch the held-out 20 % is scored: for detection, every blend weight of
the linear model (0, 0.1, …, 1) at every threshold (micro-F1); for polarity, every blend weight
(4-way accuracy given the gold categories). The epoch is the one with the best mean of the two
on the held-out part, with its best weights and threshold; only then are the test figures *of
that choice* printed: the test file never chooses.

With ``-p ensemble=true`` (``mpnet-ft``'s default) the second net, which reads the text without
the category names, trains after the first: its epochs are logged with ``"net": "both"`` (the
finished first net averaged with it), and only the finished pair is chosen from, so
``--epochs`` is then fixed, not searched.

    python benchmarks/text_finetune_select.py --epochs 4 --out /tmp/ft_select.json
    python benchmarks/text_finetune_select.py --backend mpnet-ft --epochs 6 --out /tmp/mp.json
    python benchmarks/text_finetune_select.py -p category_prompt=false -p layer_decay=0.9

Slow on a CPU (minutes per epoch); uses CUDA when there is one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from moments.text.corpus import POLARITIES, Labelled, labels_of, read_comments
from moments.text.finetune import FineTunedModel
from moments.text.model import new_model, read_params

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval14-restaurants"
THRESHOLDS = [round(t, 2) for t in np.arange(0.05, 0.96, 0.01)]
WEIGHTS = [round(w, 1) for w in np.arange(0, 1.01, 0.1)]
CHOICE = ("linear_weight", "threshold", "linear_polarity_weight")
Probabilities = tuple[np.ndarray, np.ndarray]


def detection(det: np.ndarray, rows: list[Labelled], cats: list[str], t: float) -> dict:
    """Detection micro P/R/F1, at least one category per text."""
    chosen = det >= t
    empty = ~chosen.any(axis=1)
    chosen[np.flatnonzero(empty), det[empty].argmax(axis=1)] = True
    gold = np.zeros_like(chosen)
    for i, r in enumerate(rows):
        gold[i, [cats.index(c) for c, _ in r.categories]] = True
    tp = int((chosen & gold).sum())
    return {
        "P": 100 * tp / chosen.sum(),
        "R": 100 * tp / gold.sum(),
        "F1": 100 * 2 * tp / (chosen.sum() + gold.sum()),
    }


def polarity(pol: np.ndarray, rows: list[Labelled], cats: list[str], pols: list[str]) -> dict:
    """Accuracy 4-way, 3-way and binary of the polarity given the gold categories."""
    ok = {"4-way": [0, 0], "3-way": [0, 0], "binary": [0, 0]}
    for i, r in enumerate(rows):
        for c, g in r.categories:
            pred = pols[int(pol[i, cats.index(c)].argmax())]
            for name, subset in (
                ("4-way", POLARITIES),
                ("3-way", POLARITIES[:3]),
                ("binary", POLARITIES[:2]),
            ):
                if g in subset:
                    ok[name][0] += pred == g
                    ok[name][1] += 1
    return {k: 100 * a / n for k, (a, n) in ok.items()}


def mix(net: np.ndarray, lin: np.ndarray, w: float) -> np.ndarray:
    return (1 - w) * net + w * lin


def scores(
    net: Probabilities, lin: Probabilities, rows: list[Labelled], model: FineTunedModel, at: dict
) -> dict[str, float]:
    """Detection and polarity of the blend ``at`` (linear_weight, threshold, polarity weight)."""
    cats, pols = model.categories, model.polarities
    det = mix(net[0], lin[0], at["linear_weight"])
    return {
        **at,
        **detection(det, rows, cats, at["threshold"]),
        **polarity(mix(net[1], lin[1], at["linear_polarity_weight"]), rows, cats, pols),
    }


def choose(
    net: Probabilities, lin: Probabilities, rows: list[Labelled], model: FineTunedModel
) -> dict[str, float]:
    """The blend weights and threshold best on ``rows``, with their scores."""
    cats, pols = model.categories, model.polarities
    w, t = max(
        ((w, t) for w in WEIGHTS for t in THRESHOLDS),
        key=lambda wt: detection(mix(net[0], lin[0], wt[0]), rows, cats, wt[1])["F1"],
    )
    wp = max(WEIGHTS, key=lambda w: polarity(mix(net[1], lin[1], w), rows, cats, pols)["4-way"])
    at = {"linear_weight": w, "threshold": t, "linear_polarity_weight": wp}
    return scores(net, lin, rows, model, at)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--backend", default="minilm-ft", choices=["minilm-ft", "mpnet-ft"])
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, help="learning rate (default: the backend's)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="another backend setting, e.g. -p layer_decay=0.9 (repeatable)",
    )
    ap.add_argument("--out", type=Path, default=Path("ft_select.json"))
    a = ap.parse_args()
    train = read_comments(a.data / "train.jsonl", require_categories=True)
    test = read_comments(a.data / "test.jsonl", require_categories=True)
    order = np.random.default_rng(0).permutation(len(train))
    held = [train[i] for i in sorted(order[: len(train) // 5])]
    fit = [train[i] for i in sorted(order[len(train) // 5 :])]
    lr = {"lr": a.lr} if a.lr else {}
    # any weight above 0 has the linear model trained
    # the flags win over -p; the sweep weighs the linear model 0 to 1 whatever its weight here
    fixed = {"epochs": a.epochs, "seed": a.seed, "linear_weight": 0.5}
    model = new_model(a.backend, **{**read_params(a.param), **lr, **fixed})
    assert isinstance(model, FineTunedModel)
    log: list[dict[str, Any]] = []
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(a).items()}
    start = time.perf_counter()

    held_texts, test_texts = [c.text for c in held], [c.text for c in test]
    linear: dict[str, Probabilities] = {}  # the linear model does not change between epochs

    def on_epoch(epoch: int) -> None:
        took = time.perf_counter() - start
        assert model.linear is not None  # trained before the net
        if not linear:
            linear["held"] = model.linear.probabilities(held_texts)
            linear["test"] = model.linear.probabilities(test_texts)
        best = choose(model.net_probabilities(held_texts), linear["held"], held, model)
        at = {k: best[k] for k in CHOICE}
        net = model.net_probabilities(test_texts)
        log.append(
            {
                "epoch": epoch,
                "net": "both" if model.plain_net is not None else "first",
                "train_seconds": round(took),
                "heldout": best,
                "test_at_that_choice": scores(net, linear["test"], test, model, at),
            }
        )
        line = {"epoch": epoch, "net": log[-1]["net"], "seconds": round(took), "heldout": best}
        print(json.dumps(line), flush=True)
        a.out.write_text(json.dumps({"args": settings, "log": log}))

    model.on_epoch = on_epoch
    model.fit([c.text for c in fit], labels_of(fit))
    # an ensemble is chosen finished: its first net does not stop at the second's epochs
    candidates = log[-1:] if model.ensemble else log
    choice = max(candidates, key=lambda e: (e["heldout"]["F1"] + e["heldout"]["4-way"]) / 2)
    result: dict[str, Any] = {"args": settings, "log": log}
    result["chosen"] = {
        "epoch": choice["epoch"],
        **{k: choice["heldout"][k] for k in CHOICE},
        "test": choice["test_at_that_choice"],
    }
    a.out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result["chosen"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
