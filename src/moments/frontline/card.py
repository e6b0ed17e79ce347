"""The customer card: everything an agent needs at a moment of truth, on one screen.

Who the customer is, the moments they lived (valence and why), their cases, defection risk and
why, their weakest moment, recent contacts, the moments they will likely live next, and the
playbook for the moment at hand with the four steps for unwelcome news.

Everything about the customer comes from one query that filters every table by
``customer_id`` first (an index on it keeps that fast on millions of rows: :func:`index`); what
does not depend on the customer is built once per store state (:mod:`moments.frontline.context`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import ibis
import numpy as np
from pydantic import BaseModel

from moments.analytics import risk as risk_mod
from moments.errors import InputError, NotFound
from moments.frontline import cases as cases_mod
from moments.frontline.context import Context, context
from moments.frontline.guide import Facts, Guide, OptionView, fill, guide, options_for, when
from moments.frontline.matcher import Suggestion
from moments.frontline.playbook import Playbook
from moments.journey.model import duration_hours
from moments.store import Store
from moments.workspace import Workspace

TIMELINE = 50
RECENT = 10
NEXT = 3
INDEXED = ("judgements", "customers", "cases", "contacts", "comments", "feedback", "outcomes")


class Profile(BaseModel):
    customer_id: str
    segment: str | None = None
    email: str | None = None
    phone: str | None = None
    time_zone: str | None = None
    since: datetime | None = None


class Lived(BaseModel):
    lived_id: str
    moment_id: str
    moment: str
    stage: str
    owner_id: str | None
    occurred_at: datetime
    channel: str | None
    employee_id: str | None
    location_id: str | None
    valence: str
    source: str | None
    confidence: float | None
    reason: str | None
    words: str | None = None


class CaseEvent(BaseModel):
    occurred_at: datetime
    status: str
    owner_id: str | None
    note: str | None


class CaseView(BaseModel):
    case_id: str
    moment_id: str | None
    moment: str | None
    owner_id: str | None
    assignee: str | None
    status: str
    open: bool
    opened_at: datetime
    closed_at: datetime | None
    due_at: datetime
    overdue: bool
    events: list[CaseEvent]


class Contact(BaseModel):
    occurred_at: datetime
    channel: str | None
    direction: str | None
    purpose: str | None
    employee_id: str | None


class Outcome(BaseModel):
    occurred_at: datetime
    type: str
    amount: float | None
    text: str | None


class Risk(BaseModel):
    method: Literal["model", "counts", "defected"]
    probability: float | None
    band: str
    reasons: list[str]
    negatives: int
    negatives_window: int
    window: int
    note: str


class Weakest(BaseModel):
    moment_id: str
    moment: str
    negatives: int
    lived: int
    mean_score: float


class NextMoment(BaseModel):
    moment_id: str | None
    moment: str
    share: float
    customers: int


class RequestView(BaseModel):
    id: str
    name: str
    answer: str
    explain: str
    steps: list[str]
    options: list[OptionView]
    flex: list[dict[str, str]]
    avoid: list[str]
    guide: Guide | None


class PlaybookView(BaseModel):
    id: str
    name: str
    requests: list[RequestView]


class AtHand(BaseModel):
    moment_id: str
    moment: str
    owner_id: str
    lived_at: datetime | None
    valence: str | None


class Card(BaseModel):
    customer_id: str
    profile: Profile
    timeline: list[Lived]
    lived: int
    cases: list[CaseView]
    open_cases: int
    risk: Risk
    weakest: Weakest | None
    contacts: list[Contact]
    outcomes: list[Outcome]
    last_moment: AtHand | None
    next_moments: list[NextMoment]
    next_basis: str
    at_hand: AtHand | None
    playbooks: list[PlaybookView]
    message: str | None
    suggestions: list[Suggestion]


# -- the one query --------------------------------------------------------------------------
_WIDTH = ("k", "a", "b", "c", "d", "e", "f", "g", "h")


def _part(t: ibis.Table, name: str, at: Any, *cols: Any) -> ibis.Table:
    values = [c.cast("string") if c is not None else ibis.null("string") for c in cols]
    values += [ibis.null("string")] * (len(_WIDTH) - len(values))
    return t.select(
        part=ibis.literal(name), at=at, **{w: v for w, v in zip(_WIDTH, values, strict=True)}
    )


def customer_query(store: Store, customer_id: str) -> ibis.Table:
    """Every row about one customer in one query: lived moments, words, profile, cases,
    contacts and outcomes, each table filtered by the customer first."""

    def of(name: str) -> ibis.Table:
        t = store.table(name)
        return t.filter(t.customer_id == customer_id)

    j, c, f = of("judgements"), of("comments"), of("feedback")
    p, k, ct, o = of("customers"), of("cases"), of("contacts"), of("outcomes")
    # words without a lived moment are dropped in Python: a second filter on a table would
    # stop DuckDB using its customer_id index there (duckdb#24111)
    parts = [
        _part(
            j,
            "lived",
            j.occurred_at,
            j.lived_id,
            j.moment_id,
            j.channel,
            j.employee_id,
            j.location_id,
            j.valence,
            j.source,
            j.confidence,
            j.reason,
        ),
        _part(c, "said", c.occurred_at, c.interaction_id, c.text),
        _part(f, "said", f.occurred_at, f.interaction_id.coalesce(f.event_id), f.comment),
        _part(p, "profile", p.occurred_at, p.event_id, p.segment, p.email, p.phone, p.time_zone),
        _part(
            k,
            "case",
            k.occurred_at,
            k.event_id,
            k.case_id,
            k.status,
            k.moment_id,
            k.owner_id,
            k.note,
        ),
        _part(
            ct,
            "contact",
            ct.occurred_at,
            ct.event_id,
            ct.channel,
            ct.direction,
            ct.purpose,
            ct.employee_id,
        ),
        _part(o, "outcome", o.occurred_at, o.event_id, o.type, o.amount, o.text),
    ]
    return ibis.union(*parts)


def customer_rows(ws: Workspace, customer_id: str) -> list[dict[str, Any]]:
    """The rows of :func:`customer_query`. Compiling that union of seven filtered tables takes
    Ibis ~100 ms, far longer than running it on indexed tables (~2 ms), so the store compiles
    it once and runs it with the customer id bound."""
    return ws.store.bound_rows("card", lambda c: customer_query(ws.store, c), customer_id)


def index(ws: Workspace) -> list[str]:
    """Index ``customer_id`` in the tables the card reads (DuckDB and PostgreSQL alike), so a
    card reads a few rows instead of scanning millions. Safe to run again."""
    if ws.store.engine not in ("duckdb", "postgres"):
        raise InputError(
            f"cannot index a {ws.store.engine} store",
            "indexes are for DuckDB and PostgreSQL stores; cards work without them, slower",
        )
    for name in INDEXED:
        ws.store.create_index(name, "customer_id")
    return list(INDEXED)


# -- finding the customer -------------------------------------------------------------------
def find(ws: Workspace, query: str, limit: int = 10) -> list[Profile]:
    """Customers whose id or e-mail is ``query`` (any case), or whose phone number ends with its
    digits (7 or more, leading zeros dropped: '07700 900123' finds '+44 7700 900123')."""
    q = query.strip()
    if not q:
        raise InputError("nothing to search for", "give a customer id, e-mail or phone number")
    prof = ws.store.table("customers")
    cond = (prof.customer_id == q) | (prof.email.lower() == q.lower())
    digits = re.sub(r"\D", "", q).lstrip("0")
    if len(digits) >= 7 and not re.search(r"[A-Za-z@]", q):
        cond |= prof.phone.re_replace(r"\D", "").endswith(digits)
    # filter first, then keep each customer's latest profile: selective on millions of rows
    hits = prof.filter(cond).order_by(["customer_id", "occurred_at", "event_id"])
    latest: dict[str, dict[str, Any]] = {}
    for r in hits.to_pyarrow().to_pylist():
        latest[r["customer_id"]] = r
    found = [_profile(r) for r in list(latest.values())[:limit]]
    if not found:
        j = ws.judgements()
        if j.filter(j.customer_id == q).count().to_pyarrow().as_py():
            found = [Profile(customer_id=q)]
    return found


def _profile(r: dict[str, Any]) -> Profile:
    return Profile(
        customer_id=r["customer_id"],
        segment=r.get("segment"),
        email=r.get("email"),
        phone=r.get("phone"),
        time_zone=r.get("time_zone"),
        since=r.get("occurred_at"),
    )


def not_found(customer: str) -> NotFound:
    return NotFound(
        f"no customer '{customer}': check the customer id, e-mail or phone number "
        "(search by any of them), and that their events are loaded in this store"
    )


# -- the card ---------------------------------------------------------------------------------
def build_card(
    ws: Workspace,
    customer_id: str,
    message: str | None = None,
    moment_id: str | None = None,
    now: datetime | None = None,
    fit_risk: bool = True,
) -> Card:
    """The customer's card. ``message`` (their first words) suggests the playbook request;
    ``moment_id`` picks the moment at hand (default: their latest moment with a playbook)."""
    ctx = context(ws, fit_risk)
    if moment_id is not None and moment_id not in ctx.moments:
        ws.moment(moment_id)  # raises NotFound naming the moment
    rows = customer_rows(ws, customer_id)
    if not rows:
        raise not_found(customer_id)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    by: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by[r["part"]].append(r)
    said: defaultdict[str, list[str]] = defaultdict(list)
    words = [r for r in by["said"] if r["k"] is not None and r["a"] is not None]
    for r in sorted(words, key=lambda r: (r["at"], r["a"])):
        said[r["k"]].append(r["a"])
    lived = _lived(by["lived"], ctx, said)
    profiles = sorted(by["profile"], key=lambda r: (r["at"], r["k"]))
    profile = (
        Profile(
            customer_id=customer_id,
            segment=profiles[-1]["a"],
            email=profiles[-1]["b"],
            phone=profiles[-1]["c"],
            time_zone=profiles[-1]["d"],
            since=profiles[0]["at"],
        )
        if profiles
        else Profile(customer_id=customer_id)
    )
    case_views = _cases(by["case"], ctx, now)
    outcomes = [
        Outcome(occurred_at=r["at"], type=r["a"], amount=_float(r["b"]), text=r["c"])
        for r in sorted(by["outcome"], key=lambda r: (r["at"], r["k"]), reverse=True)
    ]
    contacts = [
        Contact(
            occurred_at=r["at"],
            channel=r["a"],
            direction=r["b"],
            purpose=r["c"],
            employee_id=r["d"],
        )
        for r in sorted(by["contact"], key=lambda r: (r["at"], r["k"]), reverse=True)
    ]
    last = _at_hand(lived[0], ctx) if lived else None
    next_moments, basis = _next(lived, ctx)
    at_hand = _pick_moment(lived, ctx, moment_id)
    journeys = frozenset(ctx.moments[x.moment_id].journey_id for x in lived)
    suggestions = ctx.matcher(journeys).suggest(message, top=3) if message else []
    if suggestions and moment_id is None:
        # what they ask about decides the moment at hand: the suggested playbook's first one
        pb = next(p for p in ctx.playbooks if p.id == suggestions[0].playbook_id)
        at_hand = _pick_moment(lived, ctx, pb.moments[0])
    views = _playbooks(ctx, at_hand, customer_id, case_views, suggestions, now)
    return Card(
        customer_id=customer_id,
        profile=profile,
        timeline=lived[:TIMELINE],
        lived=len(lived),
        cases=case_views,
        open_cases=sum(c.open for c in case_views),
        risk=_risk(lived, outcomes, ctx),
        weakest=_weakest(lived, ctx),
        contacts=contacts[:RECENT],
        outcomes=outcomes[:RECENT],
        last_moment=last,
        next_moments=next_moments,
        next_basis=basis,
        at_hand=at_hand,
        playbooks=views,
        message=message,
        suggestions=suggestions,
    )


def card_for(ws: Workspace, query: str, **kw: Any) -> Card:
    """The card of the one customer ``query`` (id, e-mail or phone) finds."""
    found = find(ws, query)
    if not found:
        raise not_found(query)
    if len(found) > 1:
        ids = ", ".join(p.customer_id for p in found)
        raise InputError(f"'{query}' matches {len(found)} customers ({ids})", "give the id")
    return build_card(ws, found[0].customer_id, **kw)


def _float(x: str | None) -> float | None:
    return float(x) if x not in (None, "") else None


def _lived(rows: list[dict[str, Any]], ctx: Context, said: dict[str, list[str]]) -> list[Lived]:
    out = []
    for r in sorted(rows, key=lambda r: (r["at"], r["k"]), reverse=True):
        info = ctx.moments.get(r["a"])
        out.append(
            Lived(
                lived_id=r["k"],
                moment_id=r["a"],
                moment=info.name if info else r["a"],
                stage=info.stage if info else "",
                owner_id=info.owner_id if info else None,
                occurred_at=r["at"],
                channel=r["b"],
                employee_id=r["c"],
                location_id=r["d"],
                valence=r["e"],
                source=r["f"],
                confidence=_float(r["g"]),
                reason=r["h"],
                words=" · ".join(said[r["k"]]) if r["k"] in said else None,
            )
        )
    return out


def _cases(rows: list[dict[str, Any]], ctx: Context, now: datetime) -> list[CaseView]:
    per: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        per[r["a"]].append(r)
    order = {s: i for i, s in enumerate(cases_mod.CASE_STATUSES)}
    out = []
    for case_id, evs in per.items():
        evs.sort(key=lambda r: (r["at"], order.get(r["b"], 0), r["k"]))
        opened = next((e for e in evs if e["b"] == "opened"), evs[0])
        closed = next((e for e in evs if e["b"] in cases_mod.CLOSING), None)
        moment_id = next((e["c"] for e in evs if e["c"]), None)
        info = ctx.moments.get(moment_id) if moment_id else None
        sla = info.sla if info and info.sla else cases_mod.DEFAULT_SLA
        due = opened["at"] + timedelta(hours=duration_hours(sla))
        assigned = [e["d"] for e in evs if e["b"] == "assigned" and e["d"]]
        out.append(
            CaseView(
                case_id=case_id,
                moment_id=moment_id,
                moment=info.name if info else moment_id,
                owner_id=opened["d"] or next((e["d"] for e in evs if e["d"]), None),
                assignee=assigned[-1] if assigned else None,
                status=evs[-1]["b"],
                open=closed is None,
                opened_at=opened["at"],
                closed_at=closed["at"] if closed else None,
                due_at=due,
                overdue=closed is None and now > due,
                events=[
                    CaseEvent(occurred_at=e["at"], status=e["b"], owner_id=e["d"], note=e["e"])
                    for e in evs
                ],
            )
        )
    out.sort(key=lambda c: (not c.open, -c.opened_at.timestamp(), c.case_id))
    return out


def _at_hand(x: Lived, ctx: Context) -> AtHand:
    info = ctx.moments.get(x.moment_id)
    return AtHand(
        moment_id=x.moment_id,
        moment=x.moment,
        owner_id=info.owner_id if info else "",
        lived_at=x.occurred_at,
        valence=x.valence,
    )


def _pick_moment(lived: list[Lived], ctx: Context, moment_id: str | None) -> AtHand | None:
    """The moment at hand: the one asked for, else the latest lived one with a playbook."""
    if moment_id is not None:
        for x in lived:
            if x.moment_id == moment_id:
                return _at_hand(x, ctx)
        info = ctx.moments[moment_id]
        return AtHand(
            moment_id=moment_id,
            moment=info.name,
            owner_id=info.owner_id,
            lived_at=None,
            valence=None,
        )
    for x in lived:
        if ctx.playbooks_for(x.moment_id):
            return _at_hand(x, ctx)
    return _at_hand(lived[0], ctx) if lived else None


def _next(lived: list[Lived], ctx: Context) -> tuple[list[NextMoment], str]:
    """What customers whose latest moment was the same (and landed the same way) lived next;
    without any, the next moments of the journey in order."""
    if not lived:
        return [], "no lived moments yet"
    last = lived[0]
    for key, basis in (
        (
            (last.moment_id, last.valence),
            f"customers whose moment '{last.moment_id}' was also {last.valence}",
        ),
        ((last.moment_id, None), f"customers who lived '{last.moment_id}'"),
    ):
        pairs = ctx.transitions.get(key)
        if pairs:
            total = sum(n for _, n in pairs)
            out = [
                NextMoment(
                    moment_id=m,
                    moment=ctx.moments[m].name
                    if m in ctx.moments
                    else (m or "no further moment yet"),
                    share=n / total,
                    customers=n,
                )
                for m, n in pairs[:NEXT]
            ]
            return out, f"what {basis} did next ({total:,} of them)"
    info = ctx.moments.get(last.moment_id)
    if info is None:
        return [], "moment not in a registered journey"
    later = sorted(
        (
            m
            for m in ctx.moments.values()
            if m.journey_id == info.journey_id and m.position > info.position
        ),
        key=lambda m: m.position,
    )[:NEXT]
    return (
        [NextMoment(moment_id=m.moment_id, moment=m.name, share=0.0, customers=0) for m in later],
        "the journey's next moments (no customer history to learn from yet)",
    )


def _weakest(lived: list[Lived], ctx: Context) -> Weakest | None:
    """Most negatives, then the lowest mean valence, then the latest: as the risk analysis."""
    judged = [x for x in lived if x.valence in ("negative", "neutral", "positive")]
    if not judged:
        return None
    score = {"negative": -1, "neutral": 0, "positive": 1}
    stats: dict[str, list[Any]] = {}
    for x in judged:
        s = stats.setdefault(x.moment_id, [0, 0, 0, x.occurred_at])
        s[0] += x.valence == "negative"
        s[1] += 1
        s[2] += score[x.valence]
        s[3] = max(s[3], x.occurred_at)
    mid = min(
        stats,
        key=lambda m: (-stats[m][0], stats[m][2] / stats[m][1], -stats[m][3].timestamp(), m),
    )
    s = stats[mid]
    name = ctx.moments[mid].name if mid in ctx.moments else mid
    return Weakest(moment_id=mid, moment=name, negatives=s[0], lived=s[1], mean_score=s[2] / s[1])


def _risk(lived: list[Lived], outcomes: list[Outcome], ctx: Context) -> Risk:
    window = ctx.risk_model.window if ctx.risk_model else risk_mod.WINDOW
    judged = [x for x in lived if x.valence in ("negative", "neutral", "positive")]
    as_of = ctx.as_of or datetime.now(UTC)
    judged = [x for x in judged if x.occurred_at < as_of]
    since = as_of - timedelta(days=window)
    negatives = [x for x in judged if x.valence == "negative"]
    recent = [x for x in negatives if x.occurred_at >= since]
    defected = [o for o in outcomes if o.type == "defection"]
    if defected:
        first = min(o.occurred_at for o in defected)
        return Risk(
            method="defected",
            probability=None,
            band="defected",
            reasons=[f"defected on {first:%Y-%m-%d}"],
            negatives=len(negatives),
            negatives_window=len(recent),
            window=window,
            note="",
        )
    model = ctx.risk_model
    if model is not None and judged:
        x = _features(judged, as_of, window, model.columns)
        # the pipeline (standard scaler, logistic regression) by hand: no DataFrame per card
        scaler, logit = model.model.steps[0][1], model.model.steps[-1][1]  # type: ignore[attr-defined]
        contrib = ((x - scaler.mean_) / scaler.scale_) * logit.coef_[0]
        prob = float(1 / (1 + np.exp(-(contrib.sum() + logit.intercept_[0]))))
        why = risk_mod._reasons(x, contrib, list(model.columns), window, 3)[0]
        band = next(b for b, t in risk_mod.BANDS if prob >= t)
        return Risk(
            method="model",
            probability=prob,
            band=band,
            reasons=[r for r in why.split("; ") if r],
            negatives=len(negatives),
            negatives_window=len(recent),
            window=window,
            note=ctx.risk_note,
        )
    # the seeds: customers defect after fewer than three bad experiences
    band = "high" if len(recent) >= 2 else "elevated" if recent else "low"
    counts = Counter(x.moment_id for x in recent)
    reasons = [f"{len(recent)} negative moment(s) in the last {window} days"] if recent else []
    if counts:
        listed = ", ".join(m if n == 1 else f"{m} ×{n}" for m, n in counts.most_common())
        reasons.append(f"negative: {listed}")
    return Risk(
        method="counts",
        probability=None,
        band=band,
        reasons=reasons,
        negatives=len(negatives),
        negatives_window=len(recent),
        window=window,
        note=ctx.risk_note,
    )


def _features(judged: list[Lived], as_of: datetime, window: int, columns: list[str]) -> np.ndarray:
    """The risk model's features for one customer as one row in ``columns`` order, computed as
    :func:`risk.features` and :func:`risk._matrix` do (a test holds them to it)."""
    since = as_of - timedelta(days=window)
    when_s = as_of.timestamp()
    negatives = sum(x.valence == "negative" for x in judged)
    row: dict[str, float] = {
        "lived": len(judged),
        "negatives": negatives,
        "positives": sum(x.valence == "positive" for x in judged),
        "negatives_window": sum(x.valence == "negative" and x.occurred_at >= since for x in judged),
        "lived_window": sum(x.occurred_at >= since for x in judged),
        "days_since_last": np.log1p(
            max((when_s - max(x.occurred_at.timestamp() for x in judged)) // 86400, 0)
        ),
        "tenure_days": np.log1p(
            max((when_s - min(x.occurred_at.timestamp() for x in judged)) // 86400, 0)
        ),
        "negatives=1": float(negatives == 1),
        "negatives=2": float(negatives == 2),
        "negatives>=3": float(negatives >= 3),
    }
    for x in judged:
        if x.valence == "negative" and x.occurred_at >= since:
            row[f"neg:{x.moment_id}"] = row.get(f"neg:{x.moment_id}", 0) + 1
    return np.array([[float(row.get(c, 0.0)) for c in columns]])


def _facts(
    customer_id: str,
    at_hand: AtHand | None,
    case_views: list[CaseView],
    request: str,
    ctx: Context,
    now: datetime,
) -> Facts:
    due = None
    if at_hand is not None:
        open_ = [c for c in case_views if c.open and c.moment_id == at_hand.moment_id]
        if open_:
            due = open_[0].due_at
        else:
            info = ctx.moments.get(at_hand.moment_id)
            due = now + timedelta(
                hours=duration_hours(info.sla if info and info.sla else cases_mod.DEFAULT_SLA)
            )
    return Facts(
        customer=customer_id,
        request=request.lower(),
        moment=at_hand.moment if at_hand else "this moment",
        date=when(at_hand.lived_at if at_hand and at_hand.lived_at else now),
        due=when(due) if due else "the date we promise",
    )


def _playbooks(
    ctx: Context,
    at_hand: AtHand | None,
    customer_id: str,
    case_views: list[CaseView],
    suggestions: list[Suggestion],
    now: datetime,
) -> list[PlaybookView]:
    shown: list[Playbook] = ctx.playbooks_for(at_hand.moment_id) if at_hand else []
    for s in suggestions[:1]:
        pb = next(p for p in ctx.playbooks if p.id == s.playbook_id)
        if pb not in shown:
            shown.insert(0, pb)
    first = suggestions[0].key if suggestions else None
    views = []
    for pb in shown:
        requests = []
        for r in pb.requests:
            facts = _facts(customer_id, at_hand, case_views, r.name, ctx, now)
            requests.append(
                RequestView(
                    id=r.id,
                    name=r.name,
                    answer=r.response.answer,
                    explain=fill(r.response.explain, facts),
                    steps=list(r.response.steps),
                    options=options_for(r, facts),
                    flex=[{"policy": f.policy, "by": f.by, "limit": f.limit} for f in r.flex],
                    avoid=pb.words_to_avoid(r),
                    guide=guide(pb, r, facts),
                )
            )
        # the suggested request first
        requests.sort(key=lambda v: f"{pb.id}:{v.id}" != first)
        views.append(PlaybookView(id=pb.id, name=pb.name, requests=requests))
    return views


# -- acting on the card ------------------------------------------------------------------------
def pick_option(
    ws: Workspace,
    customer_id: str,
    playbook_id: str,
    request_id: str,
    option_id: str,
    moment_id: str | None = None,
    employee_id: str | None = None,
    channel: str = "phone",
    at: datetime | None = None,
) -> str:
    """Record that the agent offered a playbook option: a ``contacted`` event on the customer's
    open case for the moment (one is opened for its owner when there is none) and a contact.
    Returns the case id."""
    ctx = context(ws)
    pb = next((p for p in ctx.playbooks if p.id == playbook_id), None)
    if pb is None:
        raise NotFound(f"no playbook '{playbook_id}' for the registered journeys")
    try:
        request = pb.request(request_id)
    except KeyError:
        raise NotFound(f"no request '{request_id}' in playbook '{playbook_id}'") from None
    option = next((o for o in request.options if o.id == option_id), None)
    if option is None:
        raise NotFound(f"no option '{option_id}' for request '{request_id}'")
    moment_id = moment_id if moment_id in pb.moments else pb.moments[0]
    at = (at or datetime.now(UTC)).astimezone(UTC)
    if not find(ws, customer_id):
        raise not_found(customer_id)
    s = cases_mod.states(ws, cases_mod.events(ws, customer_id=customer_id))
    open_ = (
        s.filter(s.open & (s.moment_id == moment_id))
        .order_by(ibis.desc("opened_at"))
        .to_pyarrow()
        .to_pylist()
    )
    facts = Facts(customer=customer_id, request=request.name.lower())
    text = fill(option.text, facts)
    if open_:
        case_id = open_[0]["case_id"]
    else:
        case_id = cases_mod.open_case(
            ws, customer_id, moment_id, f"at the card: {request.name}", at
        )
        at = at + timedelta(microseconds=1)
    cases_mod.record(
        ws,
        case_id,
        "contacted",
        f"offered: {text} ({pb.id}/{request.id}/{option.id})",
        owner_id=employee_id,
        at=at,
    )
    ws.append(
        "contact",
        [
            {
                "event_id": f"contact-{case_id}-{at:%Y%m%dT%H%M%S%f}",
                "customer_id": customer_id,
                "occurred_at": at,
                "channel": channel,
                "direction": "inbound",
                "purpose": f"{request.name}: offered {option.id}",
                "employee_id": employee_id,
            }
        ],
        source="<card>",
    )
    return case_id
