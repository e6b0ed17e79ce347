"""The coaching scorer against hand-labelled agent turns (issue 8, part 5).

Scores every agent turn of the Customer Support on Twitter sample and compares each criterion
with docs/labels/coaching-turns.csv (guide: docs/labels/coaching.md): accuracy with a 95 %
Wilson interval, Cohen's kappa, and the counts behind them, overall and per label batch
(batch 1: the patterns were written after reading these turns; batch 2: labelled after the
first patterns, its disagreements then read to revise them; batch 3: labelled after the
revision and never used to change anything — the honest generalisation figure). Then the
per-employee coaching summary of the whole sample.

    python benchmarks/coaching.py [--data ../shared/data/twcs-sample/twcs_first5000.csv.gz]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.proportion import proportion_confint

from moments.frontline.coaching import coach, score_turns
from moments.frontline.coaching_rules import CRITERIA
from moments.text.conversation import twcs_turns

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "twcs-sample" / "twcs_first5000.csv.gz"
LABELS = ROOT / "docs" / "labels" / "coaching-turns.csv"


def agreement(gold: pd.Series, pred: pd.Series) -> dict[str, object]:
    n = len(gold)
    k = int((gold == pred).sum())
    lo, hi = proportion_confint(k, n, method="wilson")
    both_one_class = gold.nunique() == 1 and pred.nunique() == 1
    kappa = float("nan") if both_one_class else cohen_kappa_score(gold, pred)
    return {
        "n": n,
        "labelled 1": int(gold.sum()),
        "scored 1": int(pred.sum()),
        "both 1": int((gold & pred).sum()),
        "accuracy": f"{k / n:.1%}",
        "95% CI": f"{lo:.1%}–{hi:.1%}",
        "kappa": round(kappa, 2),
    }


def table(m: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {c: agreement(m[f"{c}_gold"].astype(bool), m[c].astype(bool)) for c in CRITERIA}
    ).T


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--labels", type=Path, default=LABELS)
    args = ap.parse_args()
    turns = twcs_turns(args.data)
    t0 = time.perf_counter()
    scored = score_turns(turns)
    took = time.perf_counter() - t0
    labels = pd.read_csv(args.labels, dtype={"tweet_id": str})
    labels = labels.rename(columns={c: f"{c}_gold" for c in CRITERIA})
    m = labels.merge(scored, left_on="tweet_id", right_on="turn_id", how="left")
    lost = int(m["turn_id"].isna().sum())
    print(
        f"{len(scored):,} agent turns scored in {took:.2f} s; {len(labels)} labelled turns"
        + (f" ({lost} not found in the data)" if lost else "")
    )
    m = m[m["turn_id"].notna()]
    pd.set_option("display.width", 140)
    print("\n## all labelled turns\n" + table(m).to_string())
    print("\n## batch 1 (patterns written after reading these turns: fit, not generalisation)")
    print(table(m[m["batch"] == 1]).to_string())
    print("\n## batch 2 (labelled after patterns v1; its disagreements then read for v2)")
    print(table(m[m["batch"] == 2]).to_string())
    print("\n## batch 3 (labelled after patterns v2 were written; never used to change them)")
    print(table(m[m["batch"] == 3]).to_string())
    for b in (1, 2, 3):
        g = m[m["batch"] == b]
        base = {c: f"{max(g[f'{c}_gold'].mean(), 1 - g[f'{c}_gold'].mean()):.1%}" for c in CRITERIA}
        print(
            f"\nbatch {b} majority-class accuracy: "
            + ", ".join(f"{k} {v}" for k, v in base.items())
        )

    t0 = time.perf_counter()
    result = coach(turns)
    took = time.perf_counter() - t0
    conv = result.conversations
    print(
        f"\n## coaching summary: {len(conv):,} (conversation, employee) pairs from "
        f"{conv['conversation_id'].nunique():,} conversations in {took:.2f} s"
    )
    print(f"mean score {conv['score'].mean():.2f}; share meeting each expectation:")
    for e in ("respect", "solutions", "simplicity", "responsibility"):
        print(f"  {e:15s} {conv[e].mean():.1%}")
    un = conv[conv["unwelcome_news"]]
    print(f"unwelcome news in {len(un):,} pairs; share with each step:")
    for s in ("explain", "acknowledge", "options", "confirm"):
        print(f"  {s:15s} {un[f'step_{s}'].mean():.1%}")
    top = conv["employee_id"].value_counts().head(5).index
    print("\nweekly scores of the five busiest employees:")
    print(result.weekly[result.weekly["employee_id"].isin(top)].to_string(index=False))


if __name__ == "__main__":
    main()
