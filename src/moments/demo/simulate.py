"""The customer process behind the demo data: visits, lived moments, valences and outcomes.

Customers are simulated visit by visit, vectorised over customers at each step. What a visit
contains, how its moments turn out and whether the customer comes back follow the constants
below; the effects planted for the analytics to recover are described in ``generator.PLANTED``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from moments.demo.phrases import FIRST_NAMES
from moments.journey.model import Journey, Standard

TZ = ZoneInfo("Europe/London")
STORES = ("riverside", "harbour", "old-town", "parkside", "station")
STORE_NAMES = ("Riverside", "Harbour", "Old Town", "Parkside", "Station Road")
STORE_WEIGHTS = (0.26, 0.20, 0.20, 0.18, 0.16)
RIVERSIDE, SATURDAY = 0, 5
CONTACT_CENTRE = len(STORES)  # employee pool index of the contact centre

MOMENTS = (
    "check-stock-online", "find-parking", "greeting", "dressing-room",
    "styling-advice", "checkout", "order-confirmation", "returns-call",
)  # fmt: skip
WEB, PARK, GREET, DRESS, STYLE, CHECKOUT, CONFIRM, CALL = range(len(MOMENTS))

# P(missed / negative), P(met / neutral), P(exceeded / positive) of each moment
BANDS = np.array(
    [
        (0.10, 0.55, 0.35),
        (0.12, 0.55, 0.33),
        (0.08, 0.55, 0.37),
        (0.10, 0.50, 0.40),
        (0.07, 0.50, 0.43),
        (0.07, 0.60, 0.33),
        (0.05, 0.60, 0.35),
        (0.12, 0.58, 0.30),
    ]
)
RIVERSIDE_SATURDAY_CHECKOUT = (0.72, 0.23, 0.05)
RIVERSIDE_SATURDAY_STRETCH = 2.5  # missed queues there run this much longer past the standard

# log-odds of another visit after a visit: base plus, per lived moment, (negative, positive)
RETURN_BASE = 0.8
RETURN_EFFECT = np.array(
    [
        (-0.20, 0.10),
        (-0.90, 0.00),
        (-0.30, 0.15),
        (-1.30, 1.80),
        (-0.20, 0.15),
        (-0.30, 0.10),
        (-0.15, 0.05),
        (-0.30, 0.10),
    ]
)
DEFECT_AT_SECOND_NEGATIVE = 0.45
DEFECT_OTHERWISE = 0.012
SOCIAL_POST_NET_NEGATIVE, SOCIAL_POST_ANY_NEGATIVE = 0.45, 0.25

WEEKDAY_P = np.array([0.11, 0.11, 0.12, 0.13, 0.15, 0.26, 0.12])  # Monday … Sunday
HOUR_P = np.array([0.5, 0.8, 1.0, 1.2, 1.2, 1.3, 1.4, 1.4, 1.3, 0.8])  # arrivals 9:00 … 18:59
SUNDAY_HOUR_P = np.array([0.8, 1.0, 1.2, 1.3, 1.0])  # 10:00 … 14:59 (Sunday trading 10–16)
_OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
_PAD_HOURS = 4 * 24
_MINUTES = {"s": 1 / 60, "sec": 1 / 60, "seconds": 1 / 60, "min": 1.0, "minutes": 1.0, "h": 60.0}


def _pick(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    return np.searchsorted(np.cumsum(p) / p.sum(), rng.random(n), side="right")


def _bands(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """-1 / 0 / +1 per row, from rows of (P negative, P neutral, P positive)."""
    u = rng.random(len(probs))
    return (u >= probs[:, 0]).astype(np.int8) + (u >= probs[:, 0] + probs[:, 1]) - 1


def judge(std: Standard, x: np.ndarray) -> np.ndarray:
    """The standard applied to measures: +1 exceeded, 0 met, -1 missed (NaN counts as missed)."""
    e, m = std.exceeded, std.met
    return np.where(
        _OPS[e.op](x, e.threshold), 1, np.where(_OPS[m.op](x, m.threshold), 0, -1)
    ).astype(np.int8)


def _measure(
    rng: np.random.Generator, std: Standard, band: np.ndarray, stretch: np.ndarray
) -> np.ndarray:
    """A measure value inside the band (+1 exceeded, 0 met, -1 missed) of the standard."""
    e, m = std.exceeded.threshold, std.met.threshold
    n = len(band)
    u, x = rng.random(n), rng.exponential(1.0, n)
    span = abs(m - e) or max(abs(m), 1.0)
    if std.exceeded.lower_is_better:
        exc = e - abs(e) * 0.75 * u
        met = e + span * (0.02 + 0.98 * u)
        miss = m + span * (0.05 + 0.8 * stretch * x)
    else:
        exc = e + span * (0.02 + 0.6 * x)
        met = m + span * 0.98 * u
        miss = m - span * (0.05 + u)
    value = np.select([band == 1, band == 0], [exc, met], miss)
    if min(e, m) >= 0:
        value = np.maximum(value, 0.0)
    base = min((abs(t) for t in (e, m) if t), default=1.0)
    return np.round(value, 0 if base >= 10 else 1 if base >= 0.5 else 2)


@dataclass
class Visits:
    """One row per store visit; (visits × moments) matrices for what was lived."""

    customer: np.ndarray
    store: np.ndarray
    day: np.ndarray  # days since the first day of the period (local calendar)
    present: np.ndarray  # bool: the moment was lived on this visit
    valence: np.ndarray  # int8 latent valence, 0 where not lived
    measure: np.ndarray  # float, NaN where not lived or no standard
    at: np.ndarray  # float local minutes since the start of the period
    employee: np.ndarray  # int index into the employee list, -1 for none
    paid: np.ndarray  # local minutes when she paid (NaN: no purchase)
    amount: np.ndarray
    repeat: np.ndarray  # bool: a purchase that is not the customer's first
    defect: np.ndarray  # bool: she defects after this visit


class Simulation:
    """Draws the visits of ``customers`` customers over ``days`` days ending on ``end``."""

    def __init__(
        self, rng: np.random.Generator, journey: Journey, customers: int, days: int, end: dt.date
    ) -> None:
        self.rng, self.n, self.days = rng, customers, days
        self.start = end - dt.timedelta(days=days - 1)
        self.dow0 = self.start.weekday()
        found = {m.id: (t, m) for _, t, m in journey.moments()}
        self.moments = [found[m][1] for m in MOMENTS]
        self.channels = [found[m][0].channel for m in MOMENTS]
        self.standards = [m.standard for m in self.moments]
        self.minutes = [
            _MINUTES.get(journey.measures[s.measure].unit, 0.0)
            if s is not None and s.measure in journey.measures
            else 0.0
            for s in self.standards
        ]
        staff = rng.integers(6, 11, size=len(STORES) + 1)
        self.staff_offset = np.concatenate([[0], np.cumsum(staff)[:-1]])
        self.staff = staff
        places = [*STORES, "contact-centre"]
        self.employees = [
            f"e-{p}-{i + 1:02d}" for p, k in zip(places, staff, strict=True) for i in range(k)
        ]
        self.names = [
            FIRST_NAMES[i] for i in rng.integers(0, len(FIRST_NAMES), len(self.employees))
        ]
        self.home = _pick(rng, np.array(STORE_WEIGHTS), customers)
        self.car = rng.random(customers) < 0.72
        self.web = rng.beta(1.5, 3.0, customers)
        base = dt.datetime.combine(self.start, dt.time(), tzinfo=TZ)  # local wall-clock hours
        self._offsets = np.array(
            [
                int(((base + dt.timedelta(hours=h)).utcoffset() or dt.timedelta()).total_seconds())
                for h in range(-_PAD_HOURS, (days + 120) * 24)
            ]
        )
        self.purchases = np.zeros(customers, np.int64)
        self.negatives = np.zeros(customers, np.int64)

    def _snap(self, day: np.ndarray) -> np.ndarray:
        """Moves each day forward to a weekday drawn from the weekday pattern."""
        target = _pick(self.rng, WEEKDAY_P, len(day))
        return day + (target - (self.dow0 + day)) % 7

    def _staff(self, pool: np.ndarray) -> np.ndarray:
        return self.staff_offset[pool] + (self.rng.random(len(pool)) * self.staff[pool]).astype(int)

    def _mins(self, k: int, measure: np.ndarray) -> np.ndarray:
        return np.nan_to_num(measure[:, k] * self.minutes[k])

    def run(self) -> Visits:
        rng, days = self.rng, self.days
        existing = rng.random(self.n) < 0.7
        first = np.where(
            existing, rng.integers(0, min(45, days), self.n), rng.integers(0, days, self.n)
        )
        day = self._snap(first)
        day = np.where(day >= days, day - 7, day).clip(0, days - 1)
        customer = np.arange(self.n)
        blocks: list[Visits] = []
        while customer.size:
            v = self.visit(customer, day)
            blocks.append(v)
            last = np.where(v.present, v.at, v.at[:, [GREET]]).max(axis=1) // 1440
            gap = 3 + rng.gamma(1.5, 15.0, customer.size)
            nxt = self._snap((last + gap).astype(np.int64))
            eff = np.where(v.valence < 0, RETURN_EFFECT[:, 0], RETURN_EFFECT[:, 1])
            logit = RETURN_BASE + (eff * (v.valence != 0)).sum(axis=1)
            back = rng.random(customer.size) < 1 / (1 + np.exp(-logit))
            keep = back & ~v.defect & (nxt < days)
            customer, day = customer[keep], nxt[keep]
        return Visits(
            *(np.concatenate([getattr(b, f) for b in blocks]) for f in Visits.__dataclass_fields__)
        )

    def visit(self, customer: np.ndarray, day: np.ndarray) -> Visits:
        rng, n, nm = self.rng, customer.size, len(MOMENTS)
        store = np.where(rng.random(n) < 0.9, self.home[customer], rng.integers(0, len(STORES), n))
        dow = (self.dow0 + day) % 7
        hour = np.where(dow == 6, 10 + _pick(rng, SUNDAY_HOUR_P, n), 9 + _pick(rng, HOUR_P, n))
        t0 = day * 1440.0 + hour * 60 + rng.random(n) * 60
        p = np.zeros((n, nm), bool)
        p[:, WEB] = rng.random(n) < self.web[customer]
        p[:, PARK] = self.car[customer] & (rng.random(n) < 0.95)
        p[:, GREET] = True  # every visit is greeted or not: the moment is always lived
        p[:, DRESS] = rng.random(n) < 0.55
        p[:, STYLE] = rng.random(n) < np.where(p[:, DRESS], 0.45, 0.2)
        buy = rng.random(n) < np.where(p[:, DRESS], 0.75, 0.5)
        p[:, CHECKOUT] = buy
        p[:, CONFIRM] = buy & (rng.random(n) < 0.7)
        p[:, CALL] = buy & (rng.random(n) < 0.1)

        busy = (store == RIVERSIDE) & (dow == SATURDAY)
        val = np.zeros((n, nm), np.int8)
        meas = np.full((n, nm), np.nan)
        for k in range(nm):
            probs = np.broadcast_to(BANDS[k], (n, 3))
            stretch = np.ones(n)
            if k == CHECKOUT:
                probs = np.where(busy[:, None], RIVERSIDE_SATURDAY_CHECKOUT, probs)
                stretch = np.where(busy, RIVERSIDE_SATURDAY_STRETCH, 1.0)
            band = _bands(rng, probs)
            std = self.standards[k]
            if std is None:
                val[:, k] = band
            else:
                meas[:, k] = _measure(rng, std, band, stretch)
                val[:, k] = judge(std, meas[:, k])
        val[~p] = 0
        meas[~p] = np.nan

        at = np.zeros((n, nm))
        u = rng.random((n, 8))
        same_day = u[:, 0] < 0.6
        at[:, WEB] = np.where(
            same_day, t0 - 30 - 150 * u[:, 1], (day - 1) * 1440.0 + 1080 + 330 * u[:, 1]
        )
        at[:, PARK] = t0 - 1 - 3 * u[:, 2] - self._mins(PARK, meas)
        at[:, GREET] = t0
        at[:, DRESS] = t0 + 4 + 16 * u[:, 3]
        at[:, STYLE] = t0 + 3 + 27 * u[:, 4]
        at[:, CHECKOUT] = (
            t0 + 15 + 35 * u[:, 5] + np.where(p[:, DRESS], 10 + self._mins(DRESS, meas), 0)
        )
        paid = at[:, CHECKOUT] + self._mins(CHECKOUT, meas) + 1 + 2 * u[:, 6]
        at[:, CONFIRM] = paid + self._mins(CONFIRM, meas)
        call_day = day + 1 + np.floor(rng.gamma(2.0, 2.5, n))
        at[:, CALL] = call_day * 1440.0 + 510 + 660 * u[:, 7]

        emp = np.full((n, nm), -1)
        emp[:, GREET] = self._staff(store)
        emp[:, DRESS] = emp[:, STYLE] = self._staff(store)
        emp[:, CHECKOUT] = self._staff(store)
        emp[:, CALL] = self._staff(np.full(n, CONTACT_CENTRE))
        emp[~p] = -1

        repeat = buy & (self.purchases[customer] > 0)
        self.purchases[customer] += buy
        negatives = (val < 0).sum(axis=1)
        before = self.negatives[customer]
        self.negatives[customer] += negatives
        crossed = (before < 2) & (before + negatives >= 2)
        defect = rng.random(n) < np.where(crossed, DEFECT_AT_SECOND_NEGATIVE, DEFECT_OTHERWISE)
        amount = np.round(np.exp(rng.normal(np.log(90.0), 0.45, n)), 2)
        return Visits(
            customer,
            store,
            day,
            p,
            val,
            meas,
            at,
            emp,
            np.where(buy, paid, np.nan),
            np.where(buy, amount, np.nan),
            repeat,
            defect,
        )

    def utc_us(self, local_minutes: np.ndarray) -> np.ndarray:
        """Local (Europe/London) minutes since the start of the period → UTC epoch microseconds."""
        secs = np.round(np.asarray(local_minutes) * 60).astype(np.int64)
        idx = np.clip(secs // 3600 + _PAD_HOURS, 0, len(self._offsets) - 1)
        epoch = (self.start - dt.date(1970, 1, 1)).days * 86400
        return (epoch + secs - self._offsets[idx]) * 1_000_000
