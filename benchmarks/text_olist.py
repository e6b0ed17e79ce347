"""Olist reviews (pt-BR): detect the reason of a review comment, with stratified cross-validation.

Data: ``shared/data/olist/classified/olist_classified_public_dataset.csv.gz`` (3,584 reviews,
3 annotators each; ``most_voted_class`` and ``most_voted_subclass`` are the labels; 171 rows
without a class are left out). The text is the review title and message. A text backend is
trained on 4/5 and scores the other 1/5, five times (folds stratified by class, seed 0).

Reported per class and per subclass: precision, recall, F1 of the backend as it predicts
(it may name several reasons, or none), and the macro-F1 when the most likely reason is taken
as the one answer ("top-1"). Target: macro-F1 ≥ 0.85 on the 3 classes.

    python benchmarks/text_olist.py
    python benchmarks/text_olist.py --backend linear --folds 5
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from moments.text.model import new_model

DATA = (
    Path(__file__).resolve().parents[2]
    / "shared/data/olist/classified/olist_classified_public_dataset.csv.gz"
)
CLASSES = {
    "problemas_de_entrega": "delivery problem",
    "problemas_de_qualidade": "quality problem",
    "satisfeito_com_pedido": "satisfied",
}
SUBCLASSES = {
    "atrasado": "late",
    "entrega_parcial": "partial delivery",
    "antes_prazo": "early",
    "outro_entrega": "other delivery",
    "diferente_do_anunciado": "not as advertised",
    "baixa_qualidade": "low quality",
    "devolucao": "return",
    "outro_pedido": "other order",
    "satisfeito": "satisfied",
}
TARGET = 0.85


def load(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    df = df[df["most_voted_class"].notna()].copy()
    title = df["review_comment_title"].fillna("").astype(str)
    msg = df["review_comment_message"].fillna("").astype(str)
    df["text"] = (title + ". " + msg).str.strip(". ").where(title != "", msg)
    df["cls"] = df["most_voted_class"].map(CLASSES)
    df["sub"] = df["most_voted_subclass"].map(SUBCLASSES).fillna("other order")
    df["polarity"] = np.where(df["cls"] == "satisfied", "positive", "negative")
    return df.reset_index(drop=True)


def cross_validate(
    df: pd.DataFrame, column: str, backend: str, folds: int
) -> tuple[list[set[str]], list[str], float, float]:
    """Out-of-fold predictions: the set of reasons named, the top-1 reason; fit and predict s."""
    named: list[set[str]] = [set() for _ in range(len(df))]
    top: list[str] = [""] * len(df)
    fit_s = predict_s = 0.0
    cv = StratifiedKFold(folds, shuffle=True, random_state=0)
    texts = df["text"].tolist()
    for train, test in cv.split(texts, df["cls"]):
        labels = [[(df[column][i], df["polarity"][i])] for i in train]
        start = time.perf_counter()
        model = new_model(backend).fit([texts[i] for i in train], labels)
        fit_s += time.perf_counter() - start
        start = time.perf_counter()
        found = model.predict([texts[i] for i in test])
        predict_s += time.perf_counter() - start
        for i, mentions in zip(test, found, strict=True):
            named[i] = {m.category for m in mentions}
            top[i] = max(mentions, key=lambda m: m.confidence).category if mentions else ""
    return named, top, fit_s, predict_s


def report(df: pd.DataFrame, column: str, named: list[set[str]], top: list[str]) -> float:
    gold = df[column].tolist()
    labels = sorted(set(gold))
    y = np.array([[g == c for c in labels] for g in gold])
    p = np.array([[c in n for c in labels] for n in named])
    prec, rec, f1, support = precision_recall_fscore_support(y, p, zero_division=0)
    top_f1 = f1_score(gold, top, labels=labels, average=None, zero_division=0)
    print(f"  {'reason':<20}{'P':>7}{'R':>7}{'F1':>7}{'top-1 F1':>10}{'n':>6}")
    for k, c in enumerate(labels):
        print(f"  {c:<20}{prec[k]:7.3f}{rec[k]:7.3f}{f1[k]:7.3f}{top_f1[k]:10.3f}{support[k]:6d}")
    macro = float(np.mean(f1))
    macro_top = float(np.mean(top_f1))
    print(f"  {'macro':<20}{'':>14}{macro:7.3f}{macro_top:10.3f}")
    return macro_top


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--backend", default="linear")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    if not args.data.is_file():
        print(f"no data at {args.data}: this benchmark needs shared/data/olist/classified")
        return 0
    df = load(args.data)
    print(
        f"Olist classified reviews: {len(df)} with a class; backend '{args.backend}', "
        f"{args.folds}-fold stratified cross-validation (seed 0)"
    )
    results = {}
    for column, title in (("cls", "3 classes"), ("sub", "subclasses")):
        named, top, fit_s, predict_s = cross_validate(df, column, args.backend, args.folds)
        print(
            f"\n{title}: trained {args.folds}× in {fit_s:.1f} s, predicted "
            f"{len(df) / predict_s:,.0f} reviews/s"
        )
        results[column] = report(df, column, named, top)
    macro = results["cls"]
    print(
        f"\n  {'PASS' if macro >= TARGET else 'FAIL'}  top-1 macro-F1 on the 3 classes "
        f"{macro:.3f} (target ≥ {TARGET})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
