"""Coaching: score support conversations against the four steps and the four expectations.

Each agent turn is checked for ten criteria (:data:`CRITERIA`, patterns in
:mod:`moments.frontline.coaching_rules`), each with the words that show it. A conversation is
scored per agent who took part in it:

* **the four steps for unwelcome news** — explain the situation factually without blame,
  acknowledge feelings, offer options, confirm understanding — each present or missing with
  the turn and words that show it; they count when the conversation carries unwelcome news
  (the customer reports a problem, or the agent says no or announces a delay);
* **the four expectations** — Respect (courtesy, personal address, no blame), Solutions
  (options offered), Simplicity (no internal jargon or process detail, a clear next step),
  Responsibility (a promise with a time, not broken: a later agent turn before the time ran
  out, or no customer turn after it chasing in vain).

The score is the share of the criteria that apply which are met. Per employee: scores by week,
and the conversations to coach on (lowest scores first, with what was missing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd

from moments.access.roles import Principal
from moments.frontline.coaching_rules import CRITERIA, find, promise_hours
from moments.text.conversation import checked_turns
from moments.text.transcript import ValenceModel, judge_conversations

STEPS = ("explain", "acknowledge", "options", "confirm")
EXPECTATIONS = ("respect", "solutions", "simplicity", "responsibility")
FAULTS = ("blame", "jargon")

_UNWELCOME = re.compile(
    r"\b(?:unfortunately|unable\s+to|can(?:'|no)?t\b|cannot|not\s+(?:able|possible|available)|"
    r"no\s+longer|isn'?t\s+(?:available|possible)|turned\s+off|delay\w*|won'?t\s+be|"
    r"we\s+don'?t|out\s+of\s+stock|sold\s+out|not\s+aware)",
    re.IGNORECASE,
)


def score_turns(turns: pd.DataFrame) -> pd.DataFrame:
    """Every agent turn with one True/False column per criterion and ``<criterion>_evidence``."""
    t = checked_turns(turns)
    agent = t[t["role"] == "agent"].reset_index(drop=True)
    texts = agent["text"].tolist()
    for c in CRITERIA:
        found = [find(c, x) for x in texts]
        agent[c] = [f is not None for f in found]
        agent[f"{c}_evidence"] = [f or "" for f in found]
    return agent


@dataclass
class Coaching:
    """What :func:`coach` finds: per conversation and agent, per employee and week, examples."""

    conversations: pd.DataFrame
    weekly: pd.DataFrame
    examples: pd.DataFrame

    def seen_by(self, principal: Principal) -> Coaching:
        """What ``principal`` may see: a coach only their team's employees, others all."""
        if principal.role != "coach":
            return self
        team = list(principal.team)
        return Coaching(
            *(
                f[f["employee_id"].isin(team)]
                for f in (self.conversations, self.weekly, self.examples)
            )
        )


def score_conversations(turns: pd.DataFrame, valence: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (conversation, agent): steps, expectations, follow-through, score, missing.

    ``valence`` is :func:`judge_conversations`' result for the same turns (computed when None):
    its start/end valence and turned-around flag are kept as the moment's outcome.
    """
    t = checked_turns(turns)
    scored = score_turns(t)
    by_turn = {(r["conversation_id"], r["turn_id"]): r for r in scored.to_dict(orient="records")}
    if valence is None:
        valence = judge_conversations(t)
    outcome = valence.set_index("conversation_id")[
        ["start_valence", "end_valence", "turned_around"]
    ]
    negative_start = set(outcome.index[outcome["start_valence"] == "negative"])
    groups: dict[Any, list[dict[str, Any]]] = {}
    for r in t.to_dict(orient="records"):
        r["time"] = None if pd.isna(r["time"]) else r["time"]
        groups.setdefault(r["conversation_id"], []).append(r)
    rows = []
    for conv_id, recs in groups.items():
        agents = [r for r in recs if r["role"] == "agent"]
        if not agents:
            continue
        problem = conv_id in negative_start
        for agent_id in dict.fromkeys(_agent_key(r) for r in agents):
            mine = [by_turn[(conv_id, r["turn_id"])] for r in agents if _agent_key(r) == agent_id]
            rows.append(_score(conv_id, agent_id, recs, mine, problem))
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=_COLUMNS)
    out = out.join(outcome, on="conversation_id")
    return out[_COLUMNS]


_COLUMNS = [
    "conversation_id", "employee_id", "started_at", "week", "agent_turns", "unwelcome_news",
    *[f"step_{s}" for s in STEPS], *[f"step_{s}_evidence" for s in STEPS],
    *EXPECTATIONS, *[f"{e}_evidence" for e in EXPECTATIONS], "follow_through",
    "score", "missing", "start_valence", "end_valence", "turned_around",
]  # fmt: skip


def _agent_key(r: dict[str, Any]) -> str:
    v = r.get("speaker_id")
    return "(unknown)" if v is None or (isinstance(v, float) and v != v) else str(v)


def _first(turns: list[dict[str, Any]], criterion: str) -> str:
    """``turn_id: words`` of the first turn showing ``criterion`` ('' when none does)."""
    for r in turns:
        if r[criterion]:
            return f"{r['turn_id']}: {r[f'{criterion}_evidence']}"
    return ""


def _score(
    conv_id: object,
    agent_id: str,
    recs: list[dict[str, Any]],
    mine: list[dict[str, Any]],
    problem: bool,
) -> dict[str, Any]:
    unwelcome = problem or any(_UNWELCOME.search(str(r["text"])) for r in mine)
    ev = {s: _first(mine, s) for s in STEPS}
    steps = {s: bool(ev[s]) for s in STEPS}
    # explaining while blaming is not the factual explanation the first step asks for
    blame = _first(mine, "blame")
    if blame and steps["explain"]:
        steps["explain"] = False
        ev["explain"] = f"{ev['explain']} (but blames: {blame})"
    courtesy, personal, jargon = (
        _first(mine, "courtesy"),
        _first(mine, "personal"),
        _first(mine, "jargon"),
    )
    next_step, promise = _first(mine, "next_step"), _first(mine, "promise")
    follow = _follow_through(recs, mine)
    exp = {
        "respect": bool(courtesy and personal and not blame),
        "solutions": bool(ev["options"]),
        "simplicity": bool(next_step and not jargon),
        "responsibility": bool(promise) and follow != "broken",
    }
    exp_ev = {
        "respect": "; ".join(
            x
            for x in (
                f"courtesy {courtesy}" if courtesy else "no courtesy",
                f"personal {personal}" if personal else "no personal address",
                f"blame {blame}" if blame else "",
            )
            if x
        ),
        "solutions": ev["options"] or "no option offered",
        "simplicity": "; ".join(
            x
            for x in (
                f"next step {next_step}" if next_step else "no clear next step",
                f"jargon {jargon}" if jargon else "",
            )
            if x
        ),
        "responsibility": f"promise {promise} ({follow})" if promise else "no promise with a time",
    }
    applies = ([f"step_{s}" for s in STEPS] if unwelcome else []) + list(EXPECTATIONS)
    met = {**{f"step_{s}": steps[s] for s in STEPS}, **exp}
    missing = [k for k in applies if not met[k]]
    times = [r["time"] for r in mine if r["time"] is not None and not pd.isna(r["time"])]
    started = min(times) if times else None
    return {
        "conversation_id": conv_id,
        "employee_id": agent_id,
        "started_at": started,
        "week": (started - timedelta(days=started.weekday())).date() if started else None,
        "agent_turns": len(mine),
        "unwelcome_news": unwelcome,
        **{f"step_{s}": steps[s] for s in STEPS},
        **{f"step_{s}_evidence": ev[s] for s in STEPS},
        **exp,
        **{f"{e}_evidence": exp_ev[e] for e in EXPECTATIONS},
        "follow_through": follow,
        "score": round(1 - len(missing) / len(applies), 3),
        "missing": ", ".join(missing),
    }


def _follow_through(recs: list[dict[str, Any]], mine: list[dict[str, Any]]) -> str:
    """none (no timed promise) | kept | broken | open (we cannot tell yet)."""
    promised = [r for r in mine if r["promise"]]
    if not promised:
        return "none"
    r = promised[0]
    hours = promise_hours(str(r["text"]))
    at = r["time"]
    if hours is None or at is None or pd.isna(at):
        return "open"
    due = at + timedelta(hours=hours)
    after = [x for x in recs if x["time"] is not None and not pd.isna(x["time"]) and x["time"] > at]
    if any(x["role"] == "agent" and x["time"] <= due for x in after):
        return "kept"
    if any(x["role"] == "customer" and x["time"] > due for x in after):
        return "broken"
    return "open"


def coach(
    turns: pd.DataFrame,
    examples: int = 3,
    model: ValenceModel | None = None,
) -> Coaching:
    """Scores per conversation, per employee and week, and ``examples`` to coach on each."""
    t = checked_turns(turns)
    conv = score_conversations(t, judge_conversations(t, model))
    if conv.empty:
        weekly = pd.DataFrame(
            columns=["employee_id", "week", "conversations", "score", *EXPECTATIONS,
                     "turned_around"]
        )  # fmt: skip
        return Coaching(conv, weekly, conv.copy())
    c = conv.copy()
    c["turned_around_n"] = c["turned_around"].astype("Float64")
    weekly = (
        c.groupby(["employee_id", "week"], dropna=False)
        .agg(
            conversations=("conversation_id", "count"),
            score=("score", "mean"),
            respect=("respect", "mean"),
            solutions=("solutions", "mean"),
            simplicity=("simplicity", "mean"),
            responsibility=("responsibility", "mean"),
            turned_around=("turned_around_n", "mean"),
        )
        .reset_index()
        .sort_values(["employee_id", "week"])
        .reset_index(drop=True)
    )
    for col in ("score", *EXPECTATIONS, "turned_around"):
        weekly[col] = weekly[col].astype(float).round(3)
    ex = (
        conv.sort_values(["employee_id", "score", "conversation_id"], kind="stable")
        .groupby("employee_id", sort=True)
        .head(examples)
        .reset_index(drop=True)
    )
    return Coaching(conv, weekly, ex)
