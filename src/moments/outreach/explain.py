"""Why each customer got a message, or which rule stopped them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from moments.outreach.plan import PlanResult
from moments.outreach.policy import REASON_TEXT, REASONS, rule_text

NOT_ELIGIBLE = REASONS.index("not_eligible")


def explain(
    result: PlanResult, customers: Sequence[str] | None = None, texts: bool = True
) -> pd.DataFrame:
    """Per customer: ``contacted``, the binding ``rule`` (``sent`` when contacted) and ``why``
    in words (without ``texts``: the rule only, vectorised, for many customers). For a customer
    left out, the rule is the one that stopped their most valuable offer among those whose
    eligibility rule holds."""
    inst, sol, pol = result.instance, result.solution, result.policy
    rows = (
        np.arange(inst.n)
        if customers is None
        else pd.Index(inst.customers).get_indexer(list(customers))
    )
    if customers is not None and (rows < 0).any():
        from moments.errors import NotFound

        missing = [c for c, r in zip(customers, rows, strict=True) if r < 0]
        raise NotFound(f"no customer {', '.join(map(str, missing[:5]))} in the plan's customers")
    n_off = len(inst.offers)
    sent = np.zeros(inst.n, bool)
    sent[sol.rows] = True
    chosen: dict[int, list[str]] = {}
    if customers is not None:
        want = set(rows.tolist())
        for r, o, d in zip(sol.rows, sol.offer, sol.day, strict=True):
            if int(r) in want:
                chosen.setdefault(int(r), []).append(f"{inst.offers[o].id} on day {d}")
    reason = inst.reason[rows]
    value = np.where(reason != NOT_ELIGIBLE, inst.value[rows], -np.inf)
    ok = reason == 0
    # the offer to explain: the most valuable that may be sent, else the most valuable whose
    # rule holds
    pick = np.where(
        ok.any(axis=1),
        np.where(ok, value, -np.inf).argmax(axis=1),
        value.argmax(axis=1),
    )
    code = reason[np.arange(len(rows)), pick] if n_off else np.zeros(len(rows), np.int8)
    any_rule = (reason != NOT_ELIGIBLE).any(axis=1) if n_off else np.zeros(len(rows), bool)
    rule = np.array([REASONS[c] for c in code], object)
    rule[~any_rule] = "not_eligible"
    chan = inst.offer_channel[pick] if n_off else np.zeros(len(rows), np.int64)
    # a pair that may be sent, yet was not: a window rule, a closed channel or capacity
    free = ok.any(axis=1) & ~sent[rows]
    stopped = np.zeros(len(rows), bool)
    for r in inst.rules:
        hit = free & ~stopped & inst.blocked[r.name][rows] & ((r.scope < 0) | (chan == r.scope))
        rule[hit] = r.name
        stopped |= hit
    closed = free & ~stopped & ~inst.open_tz[inst.tz[rows], chan, :].any(axis=1)
    rule[closed] = "quiet_hours"
    stopped |= closed
    used = np.zeros((len(inst.channels), inst.days), np.int64)
    np.add.at(used, (inst.offer_channel[sol.offer], sol.day), 1)
    full = (inst.capacity >= 0) & (used >= inst.capacity)
    cap_hit = free & ~stopped & full[chan].all(axis=1)
    rule[cap_hit] = "capacity"
    stopped |= cap_hit
    rule[free & ~stopped] = "not_chosen"
    rule[sent[rows]] = "sent"

    if not texts:
        return pd.DataFrame(
            {"customer_id": inst.customers[rows], "contacted": sent[rows], "rule": rule}
        )
    why = []
    for i, (r, ru, o) in enumerate(zip(rows, rule, pick, strict=True)):
        del i
        offer = inst.offers[o] if n_off else None
        ch = inst.channels[inst.offer_channel[o]] if n_off else ""
        if ru == "sent":
            got = chosen.get(int(r))
            why.append("planned: " + ", ".join(got) if got else "planned")
        elif ru == "not_eligible":
            why.append("not eligible for any offer")
        elif ru in REASON_TEXT:
            days = (
                pol.suppress.negative_moment_days
                if ru == "recent_negative_moment"
                else (offer.repeat_after_days if offer else 0)
            )
            rule_src = result.book.rules[o].source if n_off else ""
            text = REASON_TEXT[ru].format(rule=rule_src, channel=ch, days=days)
            why.append(f"{offer.id if offer else ''}: {text}")
        elif ru == "quiet_hours":
            why.append(f"{ch}: no send time left outside quiet hours in the horizon")
        elif ru == "capacity":
            why.append(f"{ch}: capacity full on every open day (customers worth more first)")
        elif ru == "not_chosen":
            why.append("other contacts were worth more within the caps")
        else:
            why.append(rule_text(ru, pol))
    return pd.DataFrame(
        {
            "customer_id": inst.customers[rows],
            "contacted": sent[rows],
            "rule": rule,
            "why": why,
        }
    )


RULE_WORDS = {
    "sent": "gets a message",
    "not_eligible": "eligible for no offer",
    "not_valid_in_horizon": "no offer is valid in the planning horizon",
    "no_value": "no offer's expected value covers its cost",
    "no_consent": "no consent for the offer's channel",
    "no_contact_details": "no contact details for the offer's channel",
    "open_case": "suppressed: an open case",
    "recent_negative_moment": "suppressed: a recent negative moment",
    "offer_sent_recently": "the offer was sent recently",
    "quiet_hours": "the channel is closed at every hour the plan could use (quiet hours)",
    "capacity": "the channel's capacity is used up",
    "not_chosen": "others were worth more within the caps",
}


def rule_counts(result: PlanResult) -> pd.DataFrame:
    """How many customers each rule decided: contacted, or stopped by it, with the rule in
    words (``meaning``)."""
    e = explain(result, texts=False)
    out = e.groupby("rule").size().rename("customers").reset_index()
    words = dict(RULE_WORDS)
    channels = result.instance.channels
    for r in result.instance.rules:
        where = "on any channel" if r.scope < 0 else f"by {channels[r.scope]}"
        words[r.name] = f"at most {r.limit} contacts in {r.window} days {where}"
    out["meaning"] = out["rule"].map(words).fillna(out["rule"])
    return out.sort_values("customers", ascending=False, kind="stable").reset_index(drop=True)
