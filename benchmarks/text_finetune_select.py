"""Choose a fine-tuned backend's epochs and detection threshold on a held-out part of TRAIN.

SemEval-2014 restaurants train is split 80/20 (seeded). The backend is fine-tuned on the 80 %
for ``--epochs`` epochs (one linear-decay schedule); after each epoch the held-out 20 % is scored
for every threshold, and the test file's probabilities are written aside. The epoch and the
threshold are then chosen on the held-out part alone (best mean of detection micro-F1 and 4-way
accuracy), and the test figures *of that choice* are printed: the test file never chooses.

    python benchmarks/text_finetune_select.py --epochs 4 --out /tmp/ft_select.json
    python benchmarks/text_finetune_select.py --backend mpnet-ft --lr 4e-5 --out /tmp/mp.json

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
from moments.text.model import new_model

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval14-restaurants"
THRESHOLDS = [round(t, 2) for t in np.arange(0.05, 0.96, 0.01)]


def scores(
    det: np.ndarray, pol: np.ndarray, rows: list[Labelled], model: FineTunedModel, t: float
) -> dict[str, float]:
    """Detection micro P/R/F1 (at least one category per text) and polarity given the gold."""
    cats, pols = model.categories, model.polarities
    chosen = det >= t
    empty = ~chosen.any(axis=1)
    chosen[np.flatnonzero(empty), det[empty].argmax(axis=1)] = True
    gold = np.zeros_like(chosen)
    ok = {"4-way": [0, 0], "3-way": [0, 0], "binary": [0, 0]}
    for i, r in enumerate(rows):
        for c, g in r.categories:
            k = cats.index(c)
            gold[i, k] = True
            pred = pols[int(pol[i, k].argmax())]
            for name, subset in (
                ("4-way", POLARITIES),
                ("3-way", POLARITIES[:3]),
                ("binary", POLARITIES[:2]),
            ):
                if g in subset:
                    ok[name][0] += pred == g
                    ok[name][1] += 1
    tp = int((chosen & gold).sum())
    out = {
        "P": 100 * tp / chosen.sum(),
        "R": 100 * tp / gold.sum(),
        "F1": 100 * 2 * tp / (chosen.sum() + gold.sum()),
    }
    out.update({k: 100 * a / n for k, (a, n) in ok.items()})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--backend", default="minilm-ft", choices=["minilm-ft", "mpnet-ft"])
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, default=8e-5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("ft_select.json"))
    a = ap.parse_args()
    train = read_comments(a.data / "train.jsonl", require_categories=True)
    test = read_comments(a.data / "test.jsonl", require_categories=True)
    order = np.random.default_rng(0).permutation(len(train))
    held = [train[i] for i in sorted(order[: len(train) // 5])]
    fit = [train[i] for i in sorted(order[len(train) // 5 :])]
    model = new_model(a.backend, epochs=a.epochs, lr=a.lr, seed=a.seed)
    assert isinstance(model, FineTunedModel)
    log: list[dict[str, Any]] = []
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(a).items()}
    start = time.perf_counter()

    def on_epoch(epoch: int) -> None:
        took = time.perf_counter() - start
        det, pol = model.probabilities([c.text for c in held])
        best = max(
            ({"threshold": t, **scores(det, pol, held, model, t)} for t in THRESHOLDS),
            key=lambda s: (s["F1"] + s["4-way"]) / 2,
        )
        tdet, tpol = model.probabilities([c.text for c in test])
        log.append(
            {
                "epoch": epoch,
                "train_seconds": round(took),
                "heldout": best,
                "test_at_that_threshold": scores(tdet, tpol, test, model, best["threshold"]),
            }
        )
        print(json.dumps({"epoch": epoch, "seconds": round(took), "heldout": best}), flush=True)
        a.out.write_text(json.dumps({"args": settings, "log": log}))

    model.on_epoch = on_epoch
    model.fit([c.text for c in fit], labels_of(fit))
    choice = max(log, key=lambda e: (e["heldout"]["F1"] + e["heldout"]["4-way"]) / 2)
    result: dict[str, Any] = {"args": settings, "log": log}
    result["chosen"] = {
        "epoch": choice["epoch"],
        "threshold": choice["heldout"]["threshold"],
        "test": choice["test_at_that_threshold"],
    }
    a.out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result["chosen"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
