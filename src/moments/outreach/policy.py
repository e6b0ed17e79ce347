"""The contact policy turned into arrays an optimiser can respect, one row per customer.

Every rule becomes one of three things:

- a *per-offer* rule (eligibility, consent, contact details, suppression, a recent send of the
  same offer, no value): the pair (customer, offer) is out, with the first rule that failed
  kept in :attr:`Instance.reason` for the explanation;
- a *window* rule (caps per day / 7 days / 30 days, overall or per channel, and the cool-off,
  which is "at most one contact in any ``cool_off_days`` days"): rolling windows of days in the
  customer's own time zone that count the contacts already made. Over a horizon of ``D`` days
  each window covers an interval ``[a, b]`` of plan days, so each customer gets a *slack* per
  interval: how many more contacts fit in it, the tightest over every rule and window;
- a *day* rule (quiet hours, the send time of a channel already past on the first day): the
  channel is closed that day for customers in that time zone.

Channel capacity is the one constraint across customers; the optimiser handles it.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from moments.outreach.offers import DETAILS, Offer, Policy

SLACK_MAX = 100  # "no limit" in the int8 slack arrays

# why a (customer, offer) pair is out, in the order the rules are checked
REASONS = (
    "ok",
    "not_eligible",
    "not_valid_in_horizon",
    "no_value",
    "no_consent",
    "no_contact_details",
    "open_case",
    "recent_negative_moment",
    "offer_sent_recently",
)
REASON_TEXT = {
    "not_eligible": "not eligible for the offer ({rule})",
    "not_valid_in_horizon": "the offer is not valid in the planning horizon",
    "no_value": "the expected value does not cover the cost",
    "no_consent": "no consent to be contacted by {channel}",
    "no_contact_details": "no {channel} contact details in the profile",
    "open_case": "suppressed: an open case (only service recovery may go)",
    "recent_negative_moment": "suppressed: a negative moment in the last {days} days "
    "(only service recovery may go)",
    "offer_sent_recently": "the same offer was sent in the last {days} days",
}


@dataclass(frozen=True)
class WindowRule:
    """At most ``limit`` contacts in any ``window`` consecutive days, in ``scope`` (-1: all
    channels, else a channel index), counting inbound contacts too when ``inbound``."""

    name: str
    scope: int
    window: int
    limit: int
    inbound: bool = False


@dataclass
class Instance:
    """A planning problem: N customers × O offers × D days under the policy."""

    customers: np.ndarray  # (N,) ids
    offers: list[Offer]
    channels: list[str]  # the policy's channels; offer_channel indexes them
    offer_channel: np.ndarray  # (O,)
    value: np.ndarray  # (N, O) float32 expected value (value × probability − cost)
    prob: np.ndarray  # (N, O) float32
    reason: np.ndarray  # (N, O) int8 index into REASONS; 0 = may be sent
    valid: np.ndarray  # (O, D) bool
    tz_names: list[str]
    tz: np.ndarray  # (N,) index into tz_names
    open_tz: np.ndarray  # (T, C, D) bool: the channel may send that day in that zone
    send_at: np.ndarray  # (T, C, D) datetime64[us] UTC
    local_day0: list[_dt.date]  # (T,) the first plan day in each zone
    intervals: list[tuple[int, int]]
    slack: np.ndarray  # (1 + C, N, I) int8: scope 0 = all channels, 1 + c = channel c
    capacity: np.ndarray  # (C, D) int64; -1 = no limit
    rules: list[WindowRule]
    blocked: dict[str, np.ndarray] = field(default_factory=dict)  # rule → (N,) every day full
    start: _dt.datetime | None = None

    @property
    def n(self) -> int:
        return len(self.customers)

    @property
    def days(self) -> int:
        return int(self.valid.shape[1])

    @property
    def eligible(self) -> np.ndarray:
        return self.reason == 0

    def open_day(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """(n, C, D) bool for the customers in ``rows``."""
        return self.open_tz[self.tz[rows]]

    def intervals_with(self, day: int) -> np.ndarray:
        return np.array([k for k, (a, b) in enumerate(self.intervals) if a <= day <= b], int)

    def day_ok(self, slack: np.ndarray) -> np.ndarray:
        """(n, D) bool: one more contact fits on each day in the scope ``slack`` (n, I)."""
        out = np.ones((slack.shape[0], self.days), bool)
        for d in range(self.days):
            ks = self.intervals_with(d)
            if len(ks):
                out[:, d] = (slack[:, ks] >= 1).all(axis=1)
        return out


def window_rules(policy: Policy) -> list[WindowRule]:
    rules = [WindowRule(f"cap_{n}", -1, w, c) for n, w, c in policy.caps.windows()]
    chans = list(policy.channels)
    for c, (name, ch) in enumerate(policy.channels.items()):
        rules += [WindowRule(f"cap_{name}_{n}", c, w, k) for n, w, k in ch.caps.windows()]
    if policy.cool_off_days > 1:
        rules.append(WindowRule("cool_off", -1, policy.cool_off_days, 1, inbound=True))
    assert len(chans) == len(policy.channels)
    return rules


def rule_text(rule: str, policy: Policy) -> str:
    """A window rule's name in words, with its numbers."""
    if rule == "cool_off":
        return f"cool-off: {policy.cool_off_days} days after any contact"
    parts = rule.split("_")
    span = {"day": "a day", "week": "7 days", "month": "30 days"}[parts[-1]]
    if len(parts) == 2:
        limit = getattr(policy.caps, parts[-1])
        return f"cap: {limit} contact(s) in {span} reached"
    ch = "_".join(parts[1:-1])
    limit = getattr(policy.channels[ch].caps, parts[-1])  # type: ignore[index]
    return f"cap: {limit} {ch} contact(s) in {span} reached"


def intervals_for(rules: Sequence[WindowRule], days: int) -> list[tuple[int, int]]:
    """Every interval of plan days some rule's window covers."""
    out: set[tuple[int, int]] = set()
    for r in rules:
        for e in range(days + r.window - 1):
            out.add((max(0, e - r.window + 1), min(e, days - 1)))
    return sorted(out)


def zone_days(
    policy: Policy, tz_names: Sequence[str], start: _dt.datetime, days: int
) -> tuple[np.ndarray, np.ndarray, list[_dt.date]]:
    """(open (T, C, D), send_at (T, C, D) UTC, first local day per zone)."""
    chans = list(policy.channels.values())
    open_ = np.zeros((len(tz_names), len(chans), days), bool)
    send = np.zeros((len(tz_names), len(chans), days), "datetime64[us]")
    day0s = []
    start_ts = pd.Timestamp(start).tz_convert("UTC")
    for t, name in enumerate(tz_names):
        day0 = start_ts.tz_convert(name).date()
        day0s.append(day0)
        for c, ch in enumerate(chans):
            for d in range(days):
                local = pd.Timestamp(_dt.datetime.combine(day0 + _dt.timedelta(days=d), ch.send_at))
                at = local.tz_localize(name, nonexistent="shift_forward", ambiguous=True)
                quiet = policy.quiet_hours is not None and policy.quiet_hours.covers(at.time())
                send[t, c, d] = np.datetime64(at.tz_convert("UTC").tz_localize(None), "us")
                open_[t, c, d] = at >= start_ts and not quiet
    return open_, send, day0s


def build(
    customers: pd.DataFrame,
    offers: Sequence[Offer],
    policy: Policy,
    eligible: np.ndarray,
    prob: np.ndarray,
    start: _dt.datetime,
    days: int,
    history: pd.DataFrame | None = None,
    consents: pd.DataFrame | None = None,
) -> Instance:
    """The instance for ``customers`` (columns customer_id, time_zone, has_email, has_phone,
    open_case, days_since_last_negative), ``eligible`` (N, O) from the offers' rules and the
    acceptance probabilities ``prob`` (N, O).

    ``history``: past contacts (customer_id, occurred_at UTC, channel, direction, purpose);
    ``consents``: the latest status per customer and channel (customer_id, channel, status).
    """
    n, o = len(customers), len(offers)
    chans: list[str] = list(policy.channels)
    offer_channel = np.array([chans.index(x.channel) for x in offers], np.int64)
    index = pd.Index(customers["customer_id"].to_numpy())
    zones = customers["time_zone"].fillna(policy.time_zone).replace("", policy.time_zone)
    tz_codes, tz_names = pd.factorize(zones)
    tz_list = [str(z) for z in tz_names]
    open_tz, send_at, day0s = zone_days(policy, tz_list, start, days)

    value = np.array([x.value for x in offers], np.float32)
    cost = np.array([x.cost for x in offers], np.float32)
    prob = np.asarray(prob, np.float32)
    ev = (prob * value[None, :] - cost[None, :]).astype(np.float32)

    # validity by the plan's dates in UTC: one calendar for every zone, a day's slack at most
    valid = np.ones((o, days), bool)
    first = pd.Timestamp(start).tz_convert("UTC").date()
    for j, x in enumerate(offers):
        for d in range(days):
            day = first + _dt.timedelta(days=d)
            valid[j, d] = (x.valid_from is None or day >= x.valid_from) and (
                x.valid_until is None or day <= x.valid_until
            )

    reason = np.zeros((n, o), np.int8)

    def mark(code: str, mask: np.ndarray) -> None:
        reason[np.logical_and(reason == 0, mask)] = REASONS.index(code)

    mark("not_eligible", ~np.asarray(eligible, bool))
    never = np.asarray(~valid.any(axis=1), bool)
    mark("not_valid_in_horizon", np.broadcast_to(never[None, :], (n, o)))
    mark("no_value", ev <= 0)
    consent = _consent_ok(index, chans, policy, consents)  # (N, C)
    mark("no_consent", ~consent[:, offer_channel])
    details = np.ones((n, len(chans)), bool)
    for c, ch in enumerate(chans):
        col = {"email": "has_email", "phone": "has_phone"}.get(DETAILS.get(ch, ""))
        if col is not None:
            details[:, c] = customers[col].fillna(False).to_numpy(bool)
    mark("no_contact_details", ~details[:, offer_channel])
    recovery = np.array([x.service_recovery for x in offers], bool)
    if policy.suppress.open_case:
        case = customers["open_case"].fillna(False).to_numpy(bool)
        mark("open_case", case[:, None] & ~recovery[None, :])
    if policy.suppress.negative_moment_days > 0:
        since = customers["days_since_last_negative"].to_numpy(float)
        recent = np.nan_to_num(since, nan=np.inf) <= policy.suppress.negative_moment_days
        mark("recent_negative_moment", recent[:, None] & ~recovery[None, :])

    rules = window_rules(policy)
    intervals = intervals_for(rules, days)
    hist = _history_days(history, index, tz_codes, tz_list, day0s, start)
    if len(hist):
        for j, x in enumerate(offers):
            if x.repeat_after_days <= 0:
                continue
            h = hist[(hist["purpose"] == x.id) & (hist["day"] > -x.repeat_after_days)]
            rows = h["row"].to_numpy()
            sent = np.zeros(n, bool)
            sent[rows] = True
            mark_col = (reason[:, j] == 0) & sent
            reason[mark_col, j] = REASONS.index("offer_sent_recently")

    slack = np.full((1 + len(chans), n, len(intervals)), SLACK_MAX, np.int8)
    blocked: dict[str, np.ndarray] = {}
    for r in rules:
        per = np.full((n, len(intervals)), SLACK_MAX, np.int16)
        h = hist
        if len(h):
            if not r.inbound:
                h = h[h["direction"] != "inbound"]
            if r.scope >= 0:
                h = h[h["channel"] == chans[r.scope]]
        rows_h, days_h = h["row"].to_numpy(np.int64), h["day"].to_numpy(np.int64)
        for e in range(days + r.window - 1):
            a, b = max(0, e - r.window + 1), min(e, days - 1)
            count = np.zeros(n, np.int64)
            if len(h):
                inside = (days_h >= e - r.window + 1) & (days_h <= e)
                count = np.bincount(rows_h[inside], minlength=n)
            k = intervals.index((a, b))
            per[:, k] = np.minimum(per[:, k], np.clip(r.limit - count, 0, SLACK_MAX))
        s = 0 if r.scope < 0 else 1 + r.scope
        slack[s] = np.minimum(slack[s], per.astype(np.int8))
        full = np.ones(n, bool)
        for d in range(days):
            ks = [k for k, (a, b) in enumerate(intervals) if a <= d <= b]
            full &= (per[:, ks] <= 0).any(axis=1)
        blocked[r.name] = full

    capacity = np.full((len(chans), days), -1, np.int64)
    for c, ch_policy in enumerate(policy.channels.values()):
        if ch_policy.capacity_per_day is not None:
            capacity[c, :] = ch_policy.capacity_per_day
    return Instance(
        customers=index.to_numpy(),
        offers=list(offers),
        channels=chans,
        offer_channel=offer_channel,
        value=ev,
        prob=prob,
        reason=reason,
        valid=valid,
        tz_names=tz_list,
        tz=tz_codes.astype(np.int32),
        open_tz=open_tz,
        send_at=send_at,
        local_day0=day0s,
        intervals=intervals,
        slack=slack,
        capacity=capacity,
        rules=rules,
        blocked=blocked,
        start=start,
    )


def _consent_ok(
    index: pd.Index, chans: list[str], policy: Policy, consents: pd.DataFrame | None
) -> np.ndarray:
    out = np.zeros((len(index), len(chans)), bool)
    for c, ch in enumerate(chans):
        out[:, c] = policy.channels[ch].consent == "opt_out"  # type: ignore[index]
    if consents is None or not len(consents):
        return out
    rows = index.get_indexer(consents["customer_id"])
    chan_code, chan_names = pd.factorize(consents["channel"])
    opted_in = np.asarray(consents["status"] == "opted_in", bool)
    for code, ch in enumerate(chan_names):
        if ch in chans:
            pick = (chan_code == code) & (rows >= 0)
            out[rows[pick], chans.index(ch)] = opted_in[pick]
    return out


def _history_days(
    history: pd.DataFrame | None,
    index: pd.Index,
    tz_codes: np.ndarray,
    names: list[str],
    day0s: list[_dt.date],
    start: _dt.datetime,
) -> pd.DataFrame:
    """Contacts with the customer's row and the day relative to the first plan day, in the
    customer's zone (-1: the day before; 0 and later: contacts already sent or scheduled)."""
    cols = ["row", "day", "channel", "direction", "purpose"]
    if history is None or not len(history):
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("row", "day") else object)
                             for c in cols})  # fmt: skip
    h = history.copy()
    h["row"] = index.get_indexer(h["customer_id"])
    h = h[h["row"] >= 0]
    at = pd.to_datetime(h["occurred_at"], utc=True)
    day = np.zeros(len(h), np.int64)
    zone = tz_codes[h["row"].to_numpy()]
    for t in np.unique(zone):
        pick = zone == t
        local = at[pick].dt.tz_convert(names[t]).dt.tz_localize(None).dt.normalize()
        day0 = pd.Timestamp(day0s[t])
        day[pick] = ((local - day0) / pd.Timedelta(days=1)).to_numpy().astype(np.int64)
    h["day"] = day
    h["direction"] = h["direction"].fillna("outbound")
    return h[cols].reset_index(drop=True)
