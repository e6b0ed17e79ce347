"""The demo's event tables, built from simulated visits: one per event kind, ids in time order."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from moments.demo import phrases
from moments.demo import simulate as sim
from moments.journey import Journey, Survey
from moments.store.schema import EVENT_KINDS

LOCATIONS = (*(f"store-{s}" for s in sim.STORES), "web", "contact-centre")
WEB_LOCATION, PHONE_LOCATION = len(sim.STORES), len(sim.STORES) + 1
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FEEDBACK_RATE = np.array([0.10, 0.12, 0.15, 0.18, 0.16, 0.17, 0.10, 0.22])
FEEDBACK_NOISE = 0.10
COMMENT_RATE, TWO_MOMENT_SHARE = 0.08, 0.2
_TYPES = ("purchase", "repeat_purchase", "referral", "review", "social_post", "defection")
_ARROW = {"string": pa.string(), "timestamp": pa.timestamp("us", tz="UTC"), "float": pa.float64()}


def build_tables(
    s: sim.Simulation, visits: sim.Visits, journey: Journey, rng: np.random.Generator
) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
    """(interactions, feedback, comments, outcomes) for the simulated visits."""
    return _Builder(s, visits, journey, rng).build()


class _Builder:
    def __init__(
        self, s: sim.Simulation, v: sim.Visits, journey: Journey, rng: np.random.Generator
    ) -> None:
        self.s, self.v, self.journey, self.rng = s, v, journey, rng
        self.end_us = int(s.utc_us(np.array([s.days * 1440.0]))[0])
        width = max(5, len(str(s.n)))
        self.customers = pa.array([f"c-{i:0{width}d}" for i in range(1, s.n + 1)], pa.string())
        self.units = [
            journey.measures[st.measure].unit
            if st is not None and st.measure in journey.measures
            else ""
            for st in s.standards
        ]

    def build(self) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
        rows, mom, utc = self._lived()
        return (
            self._interactions(rows, mom, utc),
            self._feedback(rows, mom, utc),
            self._comments(rows, mom, utc),
            self._outcomes(),
        )

    def _lived(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows, mom = np.nonzero(self.v.present)
        local = self.v.at[rows, mom]
        inside = (local >= 0) & (local < self.s.days * 1440)
        rows, mom = rows[inside], mom[inside]
        utc = self.s.utc_us(local[inside])
        order = np.lexsort((mom, rows, utc))
        return rows[order], mom[order], utc[order]

    @staticmethod
    def _table(kind: str, n: int, cols: dict[str, object], extra: dict[str, pa.Array]) -> pa.Table:
        """The kind's fields in order, typed as the store reads them, then ``extra`` columns."""
        fields = EVENT_KINDS[kind].fields
        arrays = [_arrow(cols.get(f.name), _ARROW[f.type], n) for f in fields]
        names = [f.name for f in fields] + list(extra)
        return pa.Table.from_arrays([*arrays, *extra.values()], names=names)

    def _text_fields(self, rows: np.ndarray, mom: np.ndarray) -> dict[str, list[str]]:
        v, s = self.v, self.s
        hedge = self.rng.integers(0, 5, len(rows))
        emp = v.employee[rows, mom]
        spare = self.rng.integers(0, len(phrases.FIRST_NAMES), len(rows))
        return {
            "store": [sim.STORE_NAMES[i] for i in v.store[rows]],
            "day": [WEEKDAYS[(s.dow0 + d) % 7] for d in v.day[rows]],
            "wait": [
                phrases.wait_phrase(float(x), self.units[k], h)
                for x, k, h in zip(v.measure[rows, mom], mom, hedge, strict=True)
            ],
            "name": [
                s.names[e] if e >= 0 else phrases.FIRST_NAMES[r]
                for e, r in zip(emp, spare, strict=True)
            ],
        }

    def _render(
        self,
        rows: np.ndarray,
        mom: np.ndarray,
        style: str,
        mom2: np.ndarray | None = None,
        rating: npt.NDArray[np.integer] | None = None,
    ) -> list[str]:
        fields = self._text_fields(rows, mom)
        moment2 = valence2 = None
        if mom2 is not None:
            has = mom2 >= 0
            m2 = np.where(has, mom2, mom)
            second = self._text_fields(rows, m2)
            fields |= {"wait2": second["wait"], "name2": second["name"]}
            moment2 = [sim.MOMENTS[k] if h else None for k, h in zip(m2, has, strict=True)]
            valence2 = self.v.valence[rows, m2]
        return phrases.render(
            self.rng,
            [sim.MOMENTS[k] for k in mom],
            self.v.valence[rows, mom],
            fields,
            style=style,
            moment2=moment2,
            valence2=valence2,
            rating=rating,
        )

    def _interactions(self, rows: np.ndarray, mom: np.ndarray, utc: np.ndarray) -> pa.Table:
        v, n = self.v, len(rows)
        kinds = np.array([{"store": 0, "phone": 2, "chat": 2}.get(c, 1) for c in self.s.channels])
        where = np.choose(
            kinds[mom], [v.store[rows], np.full(n, WEB_LOCATION), np.full(n, PHONE_LOCATION)]
        )
        extra: dict[str, pa.Array] = {}
        names = list(self.journey.measures)
        names += [st.measure for st in self.s.standards if st and st.measure not in names]
        for name in names:
            col = np.full(n, np.nan)
            for k, st in enumerate(self.s.standards):
                if st is not None and st.measure == name:
                    col[mom == k] = v.measure[rows[mom == k], k]
            extra[name] = pa.array(col, pa.float64(), mask=np.isnan(col))
        cols = {
            "event_id": [f"int-{i:08d}" for i in range(1, n + 1)],
            "customer_id": self.customers.take(pa.array(v.customer[rows])),
            "moment_id": _vocab(sim.MOMENTS, mom),
            "occurred_at": utc,
            "channel": _vocab(self.s.channels, mom),
            "employee_id": _vocab(self.s.employees, v.employee[rows, mom]),
            "location_id": _vocab(LOCATIONS, where),
        }
        return self._table("interaction", n, cols, extra)

    def _feedback(self, rows: np.ndarray, mom: np.ndarray, utc: np.ndarray) -> pa.Table:
        rng = self.rng
        sel = np.nonzero(rng.random(len(rows)) < FEEDBACK_RATE[mom])[0]
        r, m = rows[sel], mom[sel]
        hours = np.minimum(2 + rng.gamma(1.2, 15.0, len(sel)), 72)
        at = utc[sel] + _us(hours * 3600)
        val = self.v.valence[r, m].astype(np.int64)
        step = np.where(val < 0, 1, np.where(val > 0, -1, rng.choice([-1, 1], len(sel))))
        band = np.where(rng.random(len(sel)) < FEEDBACK_NOISE, val + step, val)
        score = np.full(len(sel), np.nan)
        u = rng.random(len(sel))
        for k, moment in enumerate(self.s.moments):
            points = _survey_points(self.journey.survey_for(moment))
            for b in (-1, 0, 1):
                here = (m == k) & (band == b)
                score[here] = points[b][(u[here] * len(points[b])).astype(int)]
        remark = np.nonzero(rng.random(len(sel)) < 0.3)[0]
        texts: list[str | None] = [None] * len(sel)
        for i, t in zip(remark, self._render(r[remark], m[remark], "remark"), strict=True):
            texts[i] = t
        keep = np.nonzero(at < self.end_us)[0]
        keep = keep[np.lexsort((sel[keep], at[keep]))]
        cols = {
            "event_id": [f"fb-{i:08d}" for i in range(1, len(keep) + 1)],
            "customer_id": self.customers.take(pa.array(self.v.customer[r[keep]])),
            "moment_id": _vocab(sim.MOMENTS, m[keep]),
            "occurred_at": at[keep],
            "score": score[keep],
            "interaction_id": [f"int-{i + 1:08d}" for i in sel[keep]],
            "comment": [texts[i] for i in keep],
        }
        return self._table("feedback", len(keep), cols, {})

    def _comments(self, rows: np.ndarray, mom: np.ndarray, utc: np.ndarray) -> pa.Table:
        rng, v = self.rng, self.v
        sel = np.nonzero(rng.random(len(rows)) < COMMENT_RATE)[0]
        r, m, k = rows[sel], mom[sel], len(sel)
        key = rng.random((k, len(sim.MOMENTS))) * v.present[r]
        key[np.arange(k), m] = 0
        m2 = np.where((rng.random(k) < TWO_MOMENT_SHARE) & (key.max(axis=1) > 0), key.argmax(1), -1)
        later = np.where(m2 >= 0, self.s.utc_us(v.at[r, np.maximum(m2, 0)]), 0)
        delay = _us((5 + np.minimum(rng.gamma(1.0, 300.0, k), 2000)) * 60)
        at = np.maximum(utc[sel], later) + delay
        texts = self._render(r, m, "comment", mom2=m2)
        keep = np.nonzero(at < self.end_us)[0]
        keep = keep[np.lexsort((sel[keep], at[keep]))]
        cols = {
            "event_id": [f"com-{i:08d}" for i in range(1, len(keep) + 1)],
            "customer_id": self.customers.take(pa.array(v.customer[r[keep]])),
            "occurred_at": at[keep],
            "text": [texts[i] for i in keep],
            "interaction_id": [f"int-{i + 1:08d}" for i in sel[keep]],
            "moment_id": _vocab(sim.MOMENTS, m[keep]),
            "channel": _vocab(self.s.channels, m[keep]),
        }
        return self._table("comment", len(keep), cols, {})

    def _salient(self, rows: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per visit the moment a review or post is about (matching ``target``) and a runner-up."""
        v = self.v
        key = v.present[rows] * (10 + 5 * (v.valence[rows] == target[:, None]))
        key = key + self.rng.random(key.shape)
        order = np.argsort(-key, axis=1)
        second = np.where(
            v.present[rows, order[:, 1]] & (self.rng.random(len(rows)) < 0.5), order[:, 1], -1
        )
        return order[:, 0], second

    def _outcomes(self) -> pa.Table:
        rng, v = self.rng, self.v
        nv = len(v.customer)
        u = rng.random((nv, 8))
        score = v.valence.sum(axis=1).astype(np.int64)
        neg, pos = (v.valence < 0).sum(axis=1), (v.valence > 0).sum(axis=1)
        last = np.where(v.present, v.at, v.at[:, [sim.GREET]]).max(axis=1)
        t0 = v.at[:, sim.GREET]
        bought = ~np.isnan(v.paid)
        review = u[:, 0] < 0.03 + 0.04 * (np.abs(score) >= 2)
        p_post = np.select(
            [score < 0, neg > 0, score >= 2],
            [sim.SOCIAL_POST_NET_NEGATIVE, sim.SOCIAL_POST_ANY_NEGATIVE, 0.03],
            0.006,
        )
        post = u[:, 1] < p_post
        p_ref = np.where(neg > 0, 0.003, np.where(pos >= 2, 0.08, 0.02))
        referral = u[:, 2] < p_ref
        rating = np.clip(np.round(3 + 0.9 * score + rng.normal(0, 0.6, nv)), 1, 5).astype(int)
        ref_day = v.day + 3 + np.floor(rng.gamma(1.5, 10.0, nv))
        parts = [  # (type, visit rows, local minutes)
            (0, np.nonzero(bought)[0], v.paid),
            (1, np.nonzero(v.repeat)[0], v.paid),
            (2, np.nonzero(referral)[0], ref_day * 1440 + 600 + 480 * u[:, 3]),
            (3, np.nonzero(review)[0], t0 + 60 * (3 + 110 * u[:, 4])),
            (4, np.nonzero(post)[0], last + 60 * (1 + 29 * u[:, 5])),
            (5, np.nonzero(v.defect)[0], last + 1440 * (1 + 29 * u[:, 6])),
        ]
        kind = np.concatenate([np.full(len(r), t) for t, r, _ in parts])
        rows = np.concatenate([r for _, r, _ in parts])
        local = np.concatenate([at[r] for _, r, at in parts])
        text: list[str | None] = [None] * len(rows)
        for typ, style in ((3, "review"), (4, "post")):
            idx = np.nonzero(kind == typ)[0]
            target = np.sign(score[rows[idx]])
            first, second = self._salient(rows[idx], target)
            ratings = rating[rows[idx]] if typ == 3 else None
            mom2 = second if typ == 3 else None
            for i, s in zip(idx, self._render(rows[idx], first, style, mom2, ratings), strict=True):
                text[i] = s
        keep = np.nonzero((local >= 0) & (local < self.s.days * 1440))[0]
        utc = self.s.utc_us(local[keep])
        order = np.lexsort((kind[keep], rows[keep], utc))
        keep, utc = keep[order], utc[order]
        r, t = rows[keep], kind[keep]
        cols = {
            "event_id": [f"out-{i:08d}" for i in range(1, len(keep) + 1)],
            "customer_id": self.customers.take(pa.array(v.customer[r])),
            "occurred_at": utc,
            "type": _vocab(_TYPES, t),
            "amount": np.where(t <= 1, v.amount[r], np.nan),
            "rating": np.where(t == 3, rating[r], np.nan),
            "text": [text[i] for i in keep],
            "location_id": _vocab(LOCATIONS, v.store[r]),
        }
        return self._table("outcome", len(keep), cols, {})


def _survey_points(survey: Survey | None) -> dict[int, np.ndarray]:
    """Answer points per band (-1 missed, 0 met, +1 exceeded) on a survey's scale."""
    if survey is None:
        return {-1: np.array([1.0, 2.0]), 0: np.array([3.0, 4.0]), 1: np.array([5.0])}
    pts = np.arange(survey.scale.min, survey.scale.max + 1, dtype=float)
    code = {"missed": -1, "met": 0, "exceeded": 1}
    bands = np.array([code[survey.band(p)] for p in pts])
    out = {b: pts[bands == b] for b in (-1, 0, 1)}
    if not len(out[0]):  # no "met" answers on this scale: the nearest answers stand in
        out[0] = np.array([out[-1].max(), out[1].min()])
    return out


def _us(seconds: np.ndarray) -> np.ndarray:
    """Whole seconds as microseconds."""
    return np.round(seconds).astype(np.int64) * 1_000_000


def _vocab(values: Sequence[str], idx: np.ndarray) -> pa.Array:
    idx = np.asarray(idx)
    return pa.array(list(values), pa.string()).take(
        pa.array(np.where(idx < 0, 0, idx), pa.int64(), mask=idx < 0)
    )


def _arrow(values: object, type_: pa.DataType, n: int) -> pa.Array:
    if values is None:
        return pa.nulls(n, type_)
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.cast(type_)
    if pa.types.is_timestamp(type_):
        return pa.array(np.asarray(values, np.int64), type_)
    if pa.types.is_floating(type_):
        arr = np.asarray(values, np.float64)
        return pa.array(arr, type_, mask=np.isnan(arr))
    return pa.array(values, type_)
