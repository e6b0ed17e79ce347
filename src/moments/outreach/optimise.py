"""Choose who gets which offer on which day, maximising expected value under the policy.

Two methods, both returning a :class:`Solution` with its value, an upper bound and the gap:

- :func:`solve_exact` — the whole problem as a mixed-integer programme solved by HiGHS (through
  ``scipy.optimize.milp``): one 0/1 variable per (customer, offer, open day); each offer at most
  once per customer; per customer, every interval of days within its slack (caps, cool-off);
  per channel and day, within capacity. For small problems (tens of thousands of variables
  solve in seconds).
- :func:`solve_scalable` — Lagrangian relaxation of the channel capacities. With a price per
  (channel, day), customers separate: each one's relaxed problem (at most ``M`` contacts in all
  and ``M_c`` per channel, the most its windows allow, each offer once at its cheapest open day)
  is a laminar matroid, solved exactly by greedy, vectorised over customers. That gives a valid
  upper bound for any prices. The prices are found in two steps: one level per limited channel
  by bisection (the dual is convex in it; its slope is capacity minus use), then a few
  subgradient steps per day. The plan itself is built by rounds: every customer proposes its
  best remaining (offer, day) at the prices among those its windows still allow; a full
  channel-day accepts the most valuable proposals; the rest propose again. The better of the
  plans at price 0 and at the best prices is kept. No loop runs per customer.

Every plan is checked against the instance by :func:`violations` before it is returned.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from moments.outreach.policy import Instance

EPS_DAY = 1e-6  # among equally priced days, the earliest


@dataclass
class Solution:
    rows: np.ndarray  # customer row per contact
    offer: np.ndarray
    day: np.ndarray
    value: float
    bound: float
    method: str
    seconds: float
    status: str = "ok"
    iterations: int = 0

    @property
    def gap(self) -> float:
        """(bound − value) / bound: how far from the best possible the plan may be."""
        if self.bound <= 0:
            return 0.0
        return max(0.0, (self.bound - self.value) / self.bound)

    @property
    def contacts(self) -> int:
        return len(self.rows)


class PolicyViolation(AssertionError):
    """A plan broke the policy: a bug, never a user error."""


# -- shared helpers ----------------------------------------------------------------------------
def _day_intervals(inst: Instance) -> list[np.ndarray]:
    return [inst.intervals_with(d) for d in range(inst.days)]


def _day_ok(slack: np.ndarray, per_day: list[np.ndarray]) -> np.ndarray:
    out = np.ones((slack.shape[0], len(per_day)), bool)
    for d, ks in enumerate(per_day):
        if len(ks):
            out[:, d] = (slack[:, ks] >= 1).all(axis=1)
    return out


def _take(slack: np.ndarray, rows: np.ndarray, days: np.ndarray, per_day: list[np.ndarray]) -> None:
    for d, ks in enumerate(per_day):
        r = rows[days == d]
        if len(r) and len(ks):
            # a customer appears at most once per call (one contact per round)
            slack[r[:, None], ks[None, :]] -= 1


def _max_count(
    slack: np.ndarray, open_: np.ndarray, most: np.ndarray, per_day: list[np.ndarray]
) -> np.ndarray:
    """The most contacts each customer's windows allow on its open days: earliest-first fill,
    which is optimal for window (consecutive-days) constraints of equal weight."""
    s = slack.astype(np.int16)
    count = np.zeros(len(s), np.int64)
    for d, ks in enumerate(per_day):
        rows = np.flatnonzero(open_[:, d] & (count < most))
        while len(rows):
            fits = (s[rows][:, ks] >= 1).all(axis=1) if len(ks) else np.ones(len(rows), bool)
            rows = rows[fits]
            if not len(rows):
                break
            if len(ks):
                s[rows[:, None], ks[None, :]] -= 1
            count[rows] += 1
            rows = rows[count[rows] < most[rows]]
    return count


def _groups(inst: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Offers with the same channel and validity days share their best day: (group per offer,
    channel per group, valid days per group)."""
    keys = [(int(c), inst.valid[j].tobytes()) for j, c in enumerate(inst.offer_channel)]
    uniq = sorted(set(keys))
    g_of = np.array([uniq.index(k) for k in keys], np.int64)
    g_chan = np.array([c for c, _ in uniq], np.int64)
    g_valid = np.array([np.frombuffer(v, bool) for _, v in uniq]).reshape(len(uniq), inst.days)
    return g_of, g_chan, g_valid


def _cheapest(
    feasible: np.ndarray, price: np.ndarray, g_chan: np.ndarray, g_valid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per customer and group: (price of the cheapest feasible day, that day); inf if none."""
    n, days = feasible.shape[0], feasible.shape[2]
    cost = np.full((n, len(g_chan)), np.inf, np.float64)
    day = np.zeros((n, len(g_chan)), np.int64)
    tie = EPS_DAY * np.arange(days)
    for g, (c, valid) in enumerate(zip(g_chan, g_valid, strict=True)):
        mask = feasible[:, c, :] & valid[None, :]
        p = np.where(mask, (price[c] + tie)[None, :], np.inf)
        day[:, g] = p.argmin(axis=1)
        best = p[np.arange(n), day[:, g]]
        cost[:, g] = np.where(np.isfinite(best), best - tie[day[:, g]], np.inf)
    return cost, day


# -- the scalable method -----------------------------------------------------------------------
def solve_scalable(
    inst: Instance,
    iterations: int = 10,
    time_limit: float | None = None,
    bisections: int = 16,
    tolerance: float = 1e-3,
) -> Solution:
    t0 = time.perf_counter()
    per_day = _day_intervals(inst)
    n_chan, days = len(inst.channels), inst.days
    value = np.where(inst.eligible, inst.value, -np.inf).astype(np.float32)
    rows = np.flatnonzero(np.isfinite(value).any(axis=1))
    v = value[rows]
    open_ = inst.open_day(rows)
    slack = inst.slack[:, rows, :]
    cap = np.where(inst.capacity < 0, np.inf, inst.capacity).astype(np.float64)
    g_of, g_chan, g_valid = _groups(inst)
    oc = inst.offer_channel

    ok_all = _day_ok(slack[0], per_day)
    feas0 = open_ & ok_all[:, None, :] & (cap > 0)[None, :, :]
    for c in range(n_chan):
        feas0[:, c, :] &= _day_ok(slack[1 + c], per_day)
    n_cand = np.isfinite(v).sum(axis=1)
    m_all = _max_count(slack[0], feas0.any(axis=1), n_cand, per_day)
    m_chan = np.zeros((len(rows), n_chan), np.int64)
    for c in range(n_chan):
        both = np.minimum(slack[0], slack[1 + c])
        m_chan[:, c] = _max_count(both, feas0[:, c, :], np.minimum(n_cand, m_all), per_day)

    limited = np.isfinite(cap)
    k_cap = np.where(limited, cap, 0.0)
    feas0_sub = feas0

    def dual(
        price: np.ndarray, sub: np.ndarray, cols: tuple[np.ndarray, np.ndarray] | None = None
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """The relaxed customers' best total at these prices (without the price × capacity
        term), the channel-day usage, and which customers chose a capacity-limited channel.
        ``cols``: (values, group per column) when the columns are compressed."""
        feas = feas0 if len(sub) == len(feas0) else feas0_sub
        cost, day = _cheapest(feas, price, g_chan, g_valid)
        vals, col_g = cols if cols is not None else (v[sub], g_of)
        col_c = g_chan[col_g]
        r = vals - cost[:, col_g]
        taken = np.zeros(r.shape, bool)
        n_all = np.zeros(len(r), np.int64)
        n_c = np.zeros((len(r), n_chan), np.int64)
        m_a, m_c = m_all[sub], m_chan[sub]
        total = 0.0
        usage = np.zeros((n_chan, days))
        ar = np.arange(len(r))
        for _ in range(int(m_a.max(initial=0))):
            room = (n_c < m_c)[:, col_c] & (n_all < m_a)[:, None] & ~taken & (r > 0)
            rr = np.where(room, r, -np.inf)
            j = rr.argmax(axis=1)
            best = rr[ar, j]
            pick = np.isfinite(best)
            if not pick.any():
                break
            i, jp = ar[pick], j[pick]
            taken[i, jp] = True
            n_all[i] += 1
            n_c[i, col_c[jp]] += 1  # one choice per customer per round: no repeats
            total += float(best[pick].sum())
            key = col_c[jp] * days + day[i, col_g[jp]]
            usage += np.bincount(key, minlength=n_chan * days).reshape(n_chan, days)
        priced = (taken & limited[col_c].any(axis=1)[None, :]).any(axis=1)
        return total, usage, priced

    def compress(sub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per group, only the best few values per customer: a group's offers share their
        price, so no more than the channel's most contacts can ever be chosen from it."""
        blocks, groups = [], []
        for g in range(len(g_chan)):
            idx = np.flatnonzero(g_of == g)
            k = min(len(idx), int(m_chan[sub, g_chan[g]].max(initial=0)))
            if k == 0:
                continue
            top = -np.sort(-v[sub][:, idx], axis=1)[:, :k]
            blocks.append(top)
            groups.append(np.full(k, g))
        if not blocks:
            return np.zeros((len(sub), 0), np.float32), np.zeros(0, np.int64)
        return np.concatenate(blocks, axis=1), np.concatenate(groups)

    def primal(price: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        used = ~np.isfinite(v)
        sl = slack.copy()
        left = cap.copy()
        active = np.arange(len(rows))
        out_r, out_o, out_d = [], [], []
        while len(active):
            s0 = sl[0][active]
            feas = open_[active] & _day_ok(s0, per_day)[:, None, :] & (left > 0)[None, :, :]
            for c in range(n_chan):
                feas[:, c, :] &= _day_ok(sl[1 + c][active], per_day)
            cost, day = _cheapest(feas, price, g_chan, g_valid)
            r = v[active] - cost[:, g_of]
            r[used[active]] = -np.inf
            j = r.argmax(axis=1)
            best = r[np.arange(len(active)), j]
            prop = best > 0
            if not prop.any():
                break
            a, j, best = active[prop], j[prop], best[prop]
            d = day[prop][np.arange(len(a)), g_of[j]]
            c = oc[j]
            key = c * days + d
            order = np.lexsort((-best, key))
            ks = key[order]
            first = np.searchsorted(ks, ks, side="left")
            rank = np.empty(len(order), np.int64)
            rank[order] = np.arange(len(order)) - first
            accept = rank < left.ravel()[key]
            aa, ja, da, ca = a[accept], j[accept], d[accept], c[accept]
            used[aa, ja] = True
            _take(sl[0], aa, da, per_day)
            for ch in range(n_chan):
                pick = ca == ch
                if pick.any():
                    _take(sl[1 + ch], aa[pick], da[pick], per_day)
            left -= np.bincount(ca * days + da, minlength=n_chan * days).reshape(n_chan, days)
            out_r.append(aa)
            out_o.append(ja)
            out_d.append(da)
            active = a
        if not out_r:
            e = np.zeros(0, np.int64)
            return e, e, e
        return np.concatenate(out_r), np.concatenate(out_o), np.concatenate(out_d)

    def worth(r_: np.ndarray, o_: np.ndarray) -> float:
        return float(v[r_, o_].astype(np.float64).sum())

    price = np.zeros((n_chan, days))
    best_price = price.copy()
    everyone = np.arange(len(rows))
    fixed, usage, priced = dual(price, everyone)
    upper = fixed
    pr, po, pd_ = primal(price)
    lower = worth(pr, po)
    done = 0
    if limited.any() and upper > lower:
        # prices only lower the worth of capacity-limited offers, so a customer whose relaxed
        # choice has none at price 0 keeps it at every price: only the others are re-solved
        sub = everyone[priced]
        feas0_sub = feas0[sub]
        cols = compress(sub)
        part, usage, _ = dual(price, sub, cols)
        fixed -= part

        def at(price: np.ndarray) -> np.ndarray:
            nonlocal upper, best_price, usage
            part, usage, _ = dual(price, sub, cols)
            value = fixed + part + float((price * k_cap).sum())
            if value < upper - 1e-9:
                upper, best_price = value, price.copy()
            return usage

        # 1. one price per limited channel for all its days: the dual is convex in it, so
        #    bisection on the sign of its slope (capacity − use) finds the best level
        top = float(np.nanmax(np.where(np.isfinite(v), v, np.nan), initial=0.0)) + 1.0
        chans = [c for c in range(n_chan) if limited[c].any()]
        for _ in range(2 if len(chans) > 1 else 1):
            for c in chans:
                lo, hi = 0.0, top
                for _ in range(bisections):
                    if upper - lower <= tolerance * abs(upper):
                        break
                    done += 1
                    price = best_price.copy()
                    price[c] = np.where(limited[c], (lo + hi) / 2, 0.0)
                    use = at(price)
                    if (k_cap[c] - use[c])[limited[c]].sum() < 0:
                        lo = (lo + hi) / 2
                    else:
                        hi = (lo + hi) / 2
        # 2. then a price per day: subgradient steps from there, keeping the best bound
        price, theta = best_price.copy(), 0.5
        use = at(price)
        for _ in range(iterations):
            if time_limit is not None and time.perf_counter() - t0 > time_limit:
                break
            done += 1
            grad = np.where(limited, k_cap - use, 0.0)
            norm = float((grad**2).sum())
            if norm == 0 or upper - lower <= tolerance * abs(upper):
                break
            before = upper
            price = np.maximum(0.0, price - theta * (upper - lower) / norm * grad)
            use = at(price)
            if upper >= before:
                price, theta = best_price.copy(), theta / 2
                use = at(price)
        if upper - lower > tolerance * abs(upper):  # the plan at price 0 may be good enough
            r2, o2, d2 = primal(best_price)
        else:
            r2, o2, d2 = pr, po, pd_
        if worth(r2, o2) > lower:
            pr, po, pd_, lower = r2, o2, d2, worth(r2, o2)
    sol = Solution(
        rows[pr], po, pd_, lower, max(upper, lower), "scalable", time.perf_counter() - t0,
        iterations=done,
    )  # fmt: skip
    _assert_ok(inst, sol)
    return sol


# -- the exact method --------------------------------------------------------------------------
def solve_exact(inst: Instance, time_limit: float = 60.0, gap: float = 1e-4) -> Solution:
    """HiGHS on the whole programme; ``status`` says whether it proved optimality in time."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    t0 = time.perf_counter()
    per_day = _day_intervals(inst)
    n_chan, days, n_int = len(inst.channels), inst.days, len(inst.intervals)
    cap = inst.capacity
    ok = np.zeros((inst.n, n_chan, days), bool)
    ok_all = _day_ok(inst.slack[0], per_day)
    for c in range(n_chan):
        ok[:, c, :] = ok_all & _day_ok(inst.slack[1 + c], per_day)
    ok &= inst.open_day() & (cap != 0)[None, :, :]
    pi, po = np.nonzero(inst.eligible & (inst.value > 0))
    if not len(pi):
        return Solution(*(np.zeros(0, np.int64),) * 3, 0.0, 0.0, "exact", 0.0, "optimal")
    pc = inst.offer_channel[po]
    can = ok[pi, pc, :] & inst.valid[po, :]  # (pairs, D)
    vp, vd = np.nonzero(can)
    vi, vo, vc = pi[vp], po[vp], pc[vp]
    nv = len(vp)
    if nv == 0:
        empty = np.zeros(0, np.int64)
        return Solution(empty, empty, empty, 0.0, 0.0, "exact", time.perf_counter() - t0, "optimal")
    r_idx, c_idx, ub = [vp], [np.arange(nv)], [np.ones(len(pi))]
    next_row = len(pi)
    # windows: rows keyed by (scope, customer, interval), kept only where they can bind
    keys, cols = [], []
    for d, ks in enumerate(per_day):
        sel = np.flatnonzero(vd == d)
        for k in ks:
            keys.append((0 * inst.n + vi[sel]) * n_int + k)
            cols.append(sel)
            keys.append(((1 + vc[sel]) * inst.n + vi[sel]) * n_int + k)
            cols.append(sel)
    if keys:
        kk, cc = np.concatenate(keys), np.concatenate(cols)
        uniq, inv, counts = np.unique(kk, return_inverse=True, return_counts=True)
        scope, rest = np.divmod(uniq, inst.n * n_int)
        cust, k = np.divmod(rest, n_int)
        rhs = inst.slack[scope, cust, k].astype(np.float64)
        binding = (counts > rhs) & ~_dominated(inst, scope, cust, k)
        rowmap = np.full(len(uniq), -1, np.int64)
        rowmap[binding] = next_row + np.arange(int(binding.sum()))
        keep = rowmap[inv] >= 0
        r_idx.append(rowmap[inv][keep])
        c_idx.append(cc[keep])
        ub.append(rhs[binding])
        next_row += int(binding.sum())
    for c in range(n_chan):
        for d in range(days):
            if cap[c, d] >= 0:
                sel = np.flatnonzero((vc == c) & (vd == d))
                if len(sel) > cap[c, d]:
                    r_idx.append(np.full(len(sel), next_row))
                    c_idx.append(sel)
                    ub.append(np.array([float(cap[c, d])]))
                    next_row += 1
    a = coo_matrix(
        (np.ones(sum(len(x) for x in r_idx)), (np.concatenate(r_idx), np.concatenate(c_idx))),
        shape=(next_row, nv),
    ).tocsr()
    obj = inst.value[vi, vo].astype(np.float64)
    res = milp(
        -obj,
        constraints=[LinearConstraint(a, -np.inf, np.concatenate(ub))],
        integrality=np.ones(nv),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit, "mip_rel_gap": gap, "disp": False},
    )
    if res.x is None:
        raise RuntimeError(f"HiGHS found no plan: {res.message}")
    x = res.x > 0.5
    value = float(obj[x].sum())
    bound = -float(res.mip_dual_bound) if res.mip_dual_bound is not None else value
    status = "optimal" if res.status == 0 else f"stopped: {res.message}"
    sol = Solution(
        vi[x], vo[x], vd[x], value, max(bound, value), "exact", time.perf_counter() - t0, status
    )
    _assert_ok(inst, sol)
    return sol


def _dominated(inst: Instance, scope: np.ndarray, cust: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Rows implied by another: a window inside a wider one (of the same scope, or of all
    channels) whose slack is no larger."""
    out = np.zeros(len(k), bool)
    for k1, (a1, b1) in enumerate(inst.intervals):
        sel = np.flatnonzero(k == k1)
        if not len(sel):
            continue
        mine = inst.slack[scope[sel], cust[sel], k1]
        for k2, (a2, b2) in enumerate(inst.intervals):
            if a2 <= a1 and b1 <= b2:
                wider_all = inst.slack[0, cust[sel], k2]
                hit = wider_all <= mine if k2 != k1 else (scope[sel] > 0) & (wider_all <= mine)
                if k2 != k1:
                    hit |= inst.slack[scope[sel], cust[sel], k2] <= mine
                out[sel] |= hit
    return out


def solve(inst: Instance, method: str = "auto", time_limit: float = 60.0) -> Solution:
    """``exact``, ``scalable``, or ``auto``: exact while the programme is small."""
    if method == "auto":
        pairs = int((inst.eligible & (inst.value > 0)).sum())
        method = "exact" if pairs * inst.days <= 50_000 else "scalable"
    if method == "exact":
        return solve_exact(inst, time_limit=time_limit)
    if method == "scalable":
        return solve_scalable(inst, time_limit=time_limit)
    raise ValueError(f"unknown method {method!r}")


# -- checking ----------------------------------------------------------------------------------
def violations(inst: Instance, rows: np.ndarray, offer: np.ndarray, day: np.ndarray) -> list[str]:
    """Every way the contacts break the instance's rules (empty when none)."""
    out: list[str] = []
    if len(rows) == 0:
        return out
    c = inst.offer_channel[offer]
    pair = np.sort(rows.astype(np.int64) * len(inst.offers) + offer)
    if (pair[1:] == pair[:-1]).any():
        out.append("an offer goes to the same customer twice")
    if (inst.reason[rows, offer] != 0).any():
        out.append("a contact breaks a per-offer rule (eligibility, consent, suppression)")
    if not inst.valid[offer, day].all():
        out.append("an offer is sent outside its validity")
    if not inst.open_tz[inst.tz[rows], c, day].all():
        out.append("a contact falls in quiet hours or before the plan starts")
    n_int = len(inst.intervals)
    for scope in range(1 + len(inst.channels)):
        sel = np.ones(len(rows), bool) if scope == 0 else c == scope - 1
        for k, (a, b) in enumerate(inst.intervals):
            m = sel & (day >= a) & (day <= b)
            if not m.any():
                continue
            count = np.bincount(rows[m], minlength=inst.n)
            if (count > inst.slack[scope, :, k]).any():
                out.append(f"window {a}–{b} over its slack in scope {scope}")
    del n_int
    for ch in range(len(inst.channels)):
        for d in range(inst.days):
            if inst.capacity[ch, d] >= 0 and ((c == ch) & (day == d)).sum() > inst.capacity[ch, d]:
                out.append(f"{inst.channels[ch]} over capacity on day {d}")
    return out


def _assert_ok(inst: Instance, sol: Solution) -> None:
    found = violations(inst, sol.rows, sol.offer, sol.day)
    if found:
        raise PolicyViolation(f"{sol.method} plan breaks the policy: {'; '.join(found)}")
