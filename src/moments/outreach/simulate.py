"""The optimised plan next to two usual ways of sending: every eligible offer, and every eligible
offer under a simple frequency cap. Same customers, offers and history; counted the same way.

The baselines send each offer whose eligibility rule holds (and the customer can be reached on
its channel) on a random day of the horizon at a random hour between 07:00 and 22:59 in the
customer's zone, as uncoordinated campaign tools do (seeded). The frequency cap keeps each
customer's ``cap`` most valuable ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from moments.outreach.plan import PlanResult
from moments.outreach.policy import REASONS, Instance

NOT_ELIGIBLE = REASONS.index("not_eligible")
UNREACHABLE = (REASONS.index("no_consent"), REASONS.index("no_contact_details"))


def over_contacted(
    inst: Instance, rows: np.ndarray, offer: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """(N,) bool: the customer's contacts (with those before) break a cap or the cool-off."""
    over = np.zeros(inst.n, bool)
    chan = inst.offer_channel[offer]
    for scope in range(1 + len(inst.channels)):
        sel = np.ones(len(rows), bool) if scope == 0 else chan == scope - 1
        for k, (a, b) in enumerate(inst.intervals):
            m = sel & (day >= a) & (day <= b)
            if m.any():
                over |= np.bincount(rows[m], minlength=inst.n) > inst.slack[scope, :, k]
    return over


def _count(
    result: PlanResult, name: str, rows: np.ndarray, offer: np.ndarray, day: np.ndarray,
    quiet: np.ndarray,
) -> dict[str, object]:  # fmt: skip
    inst, f = result.instance, result.features
    case = f["open_case"].fillna(False).to_numpy(bool)
    recovery = np.array([o.service_recovery for o in inst.offers], bool)
    code = inst.reason[rows, offer]
    return {
        "strategy": name,
        "contacts": len(rows),
        "customers_contacted": len(np.unique(rows)),
        "expected_value": round(float(inst.value[rows, offer].astype(np.float64).sum()), 2),
        "over_contacted": int(over_contacted(inst, rows, offer, day).sum()),
        "in_quiet_hours": int(quiet.sum()),
        "open_case_marketing": int((case[rows] & ~recovery[offer]).sum()),
        "suppressed_sent": int((code == REASONS.index("recent_negative_moment")).sum()),
        "offer_repeated": int((code == REASONS.index("offer_sent_recently")).sum()),
    }


def simulate(result: PlanResult, seed: int = 7, cap: int | None = None) -> pd.DataFrame:
    """One row per strategy: contacts, customers reached, expected value, customers
    over-contacted, contacts in quiet hours, marketing to customers with an open case, sends
    during a suppression after a negative moment, and offers repeated too soon."""
    inst, sol, pol = result.instance, result.solution, result.policy
    rng = np.random.default_rng(seed)
    ours_quiet = np.zeros(len(sol.rows), bool)
    if pol.quiet_hours is not None and len(sol.rows):
        chan = inst.offer_channel[sol.offer]
        at = pd.to_datetime(inst.send_at[inst.tz[sol.rows], chan, sol.day]).tz_localize("UTC")
        ours_quiet = _quiet(result, sol.rows, at)
    out = [_count(result, "optimised plan", sol.rows, sol.offer, sol.day, ours_quiet)]

    code = inst.reason
    valid_any = np.asarray(inst.valid.any(axis=1), bool)
    may = (code != NOT_ELIGIBLE) & ~np.isin(code, UNREACHABLE) & valid_any[None, :]
    rows, offer = np.nonzero(may)
    day = rng.integers(0, inst.days, len(rows))
    minute = rng.integers(7 * 60, 23 * 60, len(rows))  # local time of day
    quiet = _quiet_minutes(result, minute)
    out.append(_count(result, "send every eligible offer", rows, offer, day, quiet))

    limit = cap or pol.caps.week or 2
    value = inst.value[rows, offer]
    order = np.lexsort((-value, rows))
    r_sorted = rows[order]
    rank = np.arange(len(order)) - np.searchsorted(r_sorted, r_sorted, side="left")
    keep = order[rank < limit]
    out.append(
        _count(
            result, f"frequency cap ({limit} per customer)", rows[keep], offer[keep], day[keep],
            quiet[keep],
        )
    )  # fmt: skip
    return pd.DataFrame(out)


def _quiet(result: PlanResult, rows: np.ndarray, at: pd.DatetimeIndex) -> np.ndarray:
    inst = result.instance
    minutes = np.zeros(len(rows), np.int64)
    zones = inst.tz[rows]
    for t in np.unique(zones):
        pick = zones == t
        local = at[pick].tz_convert(inst.tz_names[t])
        minutes[pick] = np.asarray(local.hour * 60 + local.minute)
    return _quiet_minutes(result, minutes)


def _quiet_minutes(result: PlanResult, minutes: np.ndarray) -> np.ndarray:
    q = result.policy.quiet_hours
    if q is None:
        return np.zeros(len(minutes), bool)
    lo = q.start.hour * 60 + q.start.minute
    hi = q.end.hour * 60 + q.end.minute
    if lo == hi:
        return np.zeros(len(minutes), bool)
    if lo < hi:
        return (minutes >= lo) & (minutes < hi)
    return (minutes >= lo) | (minutes < hi)
