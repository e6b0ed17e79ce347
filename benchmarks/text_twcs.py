"""Start and end valence of support conversations against hand labels (issue 5, benchmark 3).

Rebuilds the reply threads of the Customer Support on Twitter sample, runs the transcript
judge, and compares the customer's valence at the start and at the end with
docs/labels/twcs-valence.csv (labelled by hand; guide in docs/labels/transcript-valence.md).
Prints accuracy with n and a 95 % Wilson interval, the confusion tables, and two baselines:
VADER alone (no support cues) and always-the-majority-class. Per label batch as well: batch 3
was labelled after the judge's last change and never used to change it (the honest figure).

    python benchmarks/text_twcs.py [--data ../shared/data/twcs-sample/twcs_first5000.csv.gz]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from moments.text.conversation import twcs_turns
from moments.text.transcript import VALENCES, LexiconValence, ValenceModel, judge_conversations

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "twcs-sample" / "twcs_first5000.csv.gz"
LABELS = ROOT / "docs" / "labels" / "twcs-valence.csv"


def accuracy(gold: pd.Series, pred: pd.Series) -> str:
    n = len(gold)
    k = int((gold == pred).sum())
    lo, hi = proportion_confint(k, n, method="wilson") if n else (0.0, 0.0)
    return f"{k / n:6.1%} ({k}/{n}, 95% CI {lo:.1%}–{hi:.1%})" if n else "n/a (no cases)"


def confusion(gold: pd.Series, pred: pd.Series, title: str) -> None:
    table = pd.crosstab(
        pd.Categorical(gold, VALENCES), pd.Categorical(pred, VALENCES), dropna=False
    )
    table.index.name, table.columns.name = "label \\ judged", None
    print(f"\n{title}\n{table.to_string()}")


def evaluate(name: str, model: ValenceModel, turns: pd.DataFrame, labels: pd.DataFrame) -> None:
    t0 = time.perf_counter()
    judged = judge_conversations(turns, model)
    took = time.perf_counter() - t0
    judged["conversation_id"] = judged["conversation_id"].astype(str)
    m = labels.merge(judged, on="conversation_id", how="left", validate="one_to_one")
    lost = m["start_valence_y"].isna().sum()
    print(f"\n## {name}  ({len(judged):,} conversations judged in {took:.2f} s)")
    if lost:
        print(f"   {lost} labelled conversations were not found in the data")
    report(m)
    even = m["conversation_id"].astype(int) % 2 == 0
    first = m["batch"] == "1"
    parts = (
        ("batch 1, even ids (errors read while tuning the cues)", first & even),
        ("batch 1, odd ids (errors never read; texts read while labelling)", first & ~even),
        ("batch 2 (labelled after judge v1; its errors then read for v2)", m["batch"] == "2"),
        ("batch 3 (labelled after v2 was written; never used to change it)", m["batch"] == "3"),
    )
    for part, rows in parts:
        sub = m[rows]
        both = sub["end_valence_x"].notna() & sub["end_valence_y"].notna()
        print(
            f"   {part}:\n      start {accuracy(sub['start_valence_x'], sub['start_valence_y'])}; "
            f"end {accuracy(sub.loc[both, 'end_valence_x'], sub.loc[both, 'end_valence_y'])}"
        )


def report(m: pd.DataFrame) -> None:
    print(f"start valence: {accuracy(m['start_valence_x'], m['start_valence_y'])}")
    has_gold, has_pred = m["end_valence_x"].notna(), m["end_valence_y"].notna()
    both = has_gold & has_pred
    print(
        f"end present:   label and judge agree on whether there is an end in "
        f"{int((has_gold == has_pred).sum())}/{len(m)} conversations"
    )
    print(f"end valence:   {accuracy(m.loc[both, 'end_valence_x'], m.loc[both, 'end_valence_y'])}")
    ta_gold = (m["start_valence_x"] == "negative") & (m["end_valence_x"] == "positive")
    ta_pred = m["turned_around"].fillna(False).astype(bool)
    print(
        f"turned around: {accuracy(ta_gold[both], ta_pred[both])} (negative start → positive end)"
    )
    confusion(m["start_valence_x"], m["start_valence_y"], "start: rows = label, columns = judged")
    confusion(m.loc[both, "end_valence_x"], m.loc[both, "end_valence_y"], "end")
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--labels", type=Path, default=LABELS)
    args = ap.parse_args()
    turns = twcs_turns(args.data)
    labels = pd.read_csv(args.labels, dtype=str, keep_default_na=False).replace("", None)
    print(
        f"{turns['conversation_id'].nunique():,} threads from {len(turns):,} tweets; "
        f"{len(labels)} labelled conversations, {labels['end_valence'].notna().sum()} with an end ("
        + ", ".join(f"batch {b}: {(labels['batch'] == b).sum()}" for b in ("1", "2", "3"))
        + ")"
    )
    evaluate("lexicon (VADER + support cues) — the default", LexiconValence(), turns, labels)
    evaluate("VADER alone (baseline)", LexiconValence(0.0, 0.0, support=False), turns, labels)
    print("\n## majority class (baseline)")
    for batch in ("1", "2", "3"):
        for col in ("start_valence", "end_valence"):
            g = labels.loc[labels["batch"] == batch, col].dropna()
            top = g.value_counts().idxmax()
            print(
                f"batch {batch} {col}: always '{top}': {accuracy(g, pd.Series(top, index=g.index))}"
            )


if __name__ == "__main__":
    main()
