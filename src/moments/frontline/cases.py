"""Closed loop: a negative judgement on a key moment opens a case for the moment's owner.

A **key moment** here is one the journey marks as mattering most: ``importance`` 4 or 5, or
``kind: differentiator``. Each negative lived moment there opens one case (``case-<lived_id>``,
so running it again opens nothing new) for the moment's owner, due within the moment's ``sla``
(default 72h). A case is a series of ``case`` events — opened, assigned (``owner_id`` = the
assignee), contacted (``note`` = what was offered), updated, resolved (``note`` = the reason),
closed — and its state is derived by a query, like everything else in the store.

Metrics per owner: time to close (hours from opened to the first resolved/closed event), the
share closed within the SLA (of the cases closed, plus the open ones already past due), and the
**recovery rate**: of the closed cases whose customer has lived a judged moment since, the
share whose next judged moment is positive.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import ibis
import pyarrow as pa

from moments.errors import InputError, NotFound
from moments.governance import audit
from moments.journey.model import Journey, Moment, duration_hours
from moments.store.schema import CASE_STATUSES
from moments.workspace import Workspace

KEY_IMPORTANCE = 4
DEFAULT_SLA = "72h"
CLOSING = ("resolved", "closed")
_ORDER = {s: i for i, s in enumerate(CASE_STATUSES)}  # ties at one instant: later in the life


def is_key(moment: Moment) -> bool:
    """Key for the closed loop: importance ≥ 4 or a differentiator."""
    return moment.importance >= KEY_IMPORTANCE or moment.kind == "differentiator"


@dataclass(frozen=True)
class KeyMoment:
    moment_id: str
    name: str
    owner_id: str
    sla: str
    sla_hours: float


def key_moments(journeys: Sequence[Journey]) -> dict[str, KeyMoment]:
    out = {}
    for j in journeys:
        for _, _, m in j.moments():
            if is_key(m):
                sla = m.sla or DEFAULT_SLA
                out[m.id] = KeyMoment(m.id, m.name, m.owner, sla, duration_hours(sla))
    return out


def sla_hours(journeys: Sequence[Journey]) -> dict[str, float]:
    """Every moment's SLA in hours (the default where the journey sets none)."""
    return {m.id: duration_hours(m.sla or DEFAULT_SLA) for j in journeys for _, _, m in j.moments()}


@dataclass(frozen=True)
class CaseRun:
    opened: int
    already: int
    key_moments: list[str]

    def __str__(self) -> str:
        return (
            f"{self.opened} case(s) opened, {self.already} already open or handled, on key "
            f"moments {', '.join(self.key_moments) or '(none)'}"
        )


def _utc(at: datetime | None) -> datetime:
    at = at or datetime.now(UTC)
    if at.tzinfo is None:
        raise InputError(f"time '{at}' has no time zone", "give a time zone, e.g. +00:00")
    return at.astimezone(UTC)


def open_cases(
    ws: Workspace, since: datetime | None = None, now: datetime | None = None
) -> CaseRun:
    """Open a case for each negative judgement on a key moment (since ``since``) that has none.

    Idempotent: a lived moment's case is ``case-<lived_id>``; one already there is left alone."""
    now = _utc(now)
    keys = key_moments(ws.journeys())
    j = ws.judgements()
    neg = j.filter((j.valence == "negative") & j.moment_id.isin(list(keys) or [""]))
    if since is not None:
        neg = neg.filter(neg.occurred_at >= ibis.literal(_utc(since), "timestamp('UTC')"))
    neg = neg.mutate(case_id=ibis.literal("case-") + neg.lived_id)
    existing = ws.events("case").select("case_id").distinct()
    new = neg.anti_join(existing, "case_id")
    total = int(neg.count().to_pyarrow().as_py())
    rows = (
        new.select("case_id", "lived_id", "customer_id", "moment_id", "reason")
        .order_by("case_id")
        .to_pyarrow()
        .to_pylist()
    )
    events = [
        {
            "event_id": f"{r['case_id']}:opened",
            "case_id": r["case_id"],
            "customer_id": r["customer_id"],
            "occurred_at": now,
            "status": "opened",
            "moment_id": r["moment_id"],
            "interaction_id": r["lived_id"],
            "owner_id": keys[r["moment_id"]].owner_id,
            "note": f"negative: {r['reason'] or 'no reason recorded'}",
        }
        for r in rows
    ]
    if events:
        # each case is logged as itself (case.opened), with its event, both or neither
        with ws.store.transaction():
            report = ws.append("case", events, source="<closed loop>", audit=False)
            if report.quarantined:
                raise InputError(report.problems)
            audit.record_many(
                ws.store,
                ws.principal.user_id,
                [
                    (
                        "case.opened",
                        str(e["case_id"]),
                        {
                            "event_id": e["event_id"],
                            "moment_id": e["moment_id"],
                            "owner_id": e["owner_id"],
                            "by": "closed loop",
                        },
                    )
                    for e in events
                ],
            )
    return CaseRun(len(events), total - len(events), sorted(keys))


def events(ws: Workspace, case_id: str | None = None, customer_id: str | None = None) -> ibis.Table:
    """Case events, oldest first."""
    e = ws.events("case")
    if case_id is not None:
        e = e.filter(e.case_id == case_id)
    if customer_id is not None:
        e = e.filter(e.customer_id == customer_id)
    return e.order_by(["occurred_at", "event_id"])


def states(ws: Workspace, events_: ibis.Table | None = None) -> ibis.Table:
    """One row per case: customer, moment, owner (at opening), assignee, latest status and note,
    opened_at, closed_at, last_at, sla_hours and ``open``."""
    e = ws.events("case") if events_ is None else events_
    rank = e.status.substitute(_ORDER, else_=0)
    order = e.occurred_at.epoch_seconds().cast("int64") * 10 + rank
    agg = e.group_by("case_id").agg(
        customer_id=e.customer_id.max(),
        moment_id=e.moment_id.max(),
        owner_id=e.owner_id.min(where=e.status == "opened"),
        any_owner=e.owner_id.min(),
        assignee=e.owner_id.argmax(order, where=e.status == "assigned"),
        status=e.status.argmax(order),
        note=e.note.argmax(order),
        opened_at=e.occurred_at.min(where=e.status == "opened"),
        first_at=e.occurred_at.min(),
        closed_at=e.occurred_at.min(where=e.status.isin(CLOSING)),
        last_at=e.occurred_at.max(),
        events=e.count(),
    )
    agg = agg.mutate(
        owner_id=agg.owner_id.coalesce(agg.any_owner),
        opened_at=agg.opened_at.coalesce(agg.first_at),
        open=agg.closed_at.isnull(),
    ).drop("any_owner", "first_at")
    sla = ibis.memtable(
        pa.table(
            {
                "sla_moment": list(hours := sla_hours(ws.journeys())) or [""],
                "sla_hours": list(hours.values()) or [duration_hours(DEFAULT_SLA)],
            }
        )
    )
    out = agg.left_join(sla, agg.moment_id == sla.sla_moment).drop("sla_moment")
    return out.mutate(sla_hours=out.sla_hours.fill_null(duration_hours(DEFAULT_SLA)))


def queue(ws: Workspace, owner_id: str, include_closed: bool = False) -> ibis.Table:
    """An owner's cases (owned or assigned to them), open ones first, oldest first."""
    s = states(ws)
    s = s.filter((s.owner_id == owner_id) | (s.assignee == owner_id))
    if not include_closed:
        s = s.filter(s.open)
    return s.order_by([ibis.desc("open"), "opened_at", "case_id"])


def case(ws: Workspace, case_id: str) -> dict[str, object]:
    """One case's state; ``NotFound`` when there is none."""
    rows = states(ws, events(ws, case_id=case_id)).to_pyarrow().to_pylist()
    if not rows:
        raise NotFound(f"no case '{case_id}': check the id (see 'moments cases list')")
    return rows[0]


def record(
    ws: Workspace,
    case_id: str,
    status: str,
    note: str | None = None,
    owner_id: str | None = None,
    at: datetime | None = None,
    actor: str | None = None,
) -> str:
    """Add an event to an existing case; returns its event id. The change is recorded in the
    audit log as ``case.<status>`` by ``actor`` (default: the workspace's principal)."""
    if status not in CASE_STATUSES or status == "opened":
        allowed = ", ".join(s for s in CASE_STATUSES if s != "opened")
        raise InputError(f"unknown case status '{status}'", f"use one of: {allowed}")
    if status == "assigned" and not owner_id:
        raise InputError("an assignment needs the assignee", "give --to OWNER_OR_PERSON_ID")
    if status in CLOSING and not note:
        raise InputError(f"a case is {status} with a reason", "give the reason with --note")
    current = case(ws, case_id)
    at = _utc(at)
    event_id = f"{case_id}:{status}:{at:%Y%m%dT%H%M%S%f}"
    row = {
        "event_id": event_id,
        "case_id": case_id,
        "customer_id": current["customer_id"],
        "occurred_at": at,
        "status": status,
        "moment_id": current["moment_id"],
        "owner_id": owner_id,
        "note": note,
    }
    _append_audited(ws, row, actor, {"owner_id": owner_id} if owner_id else {})
    return event_id


def _append_audited(
    ws: Workspace, row: dict[str, object], actor: str | None, detail: dict[str, object]
) -> None:
    """Add one case event and its ``case.<status>`` audit entry, both or neither."""
    with ws.store.transaction():
        report = ws.append("case", [row], source="<case event>", audit=False)  # entry below
        if report.quarantined:
            raise InputError(report.problems)
        audit.record(
            ws.store,
            actor or ws.principal.user_id,
            f"case.{row['status']}",
            str(row["case_id"]),
            {"event_id": row["event_id"], "moment_id": row["moment_id"], **detail},
        )


def open_case(
    ws: Workspace,
    customer_id: str,
    moment_id: str,
    note: str,
    at: datetime | None = None,
    case_id: str | None = None,
    actor: str | None = None,
) -> str:
    """Open a case by hand (an agent at the card) for the moment's owner; returns its id."""
    _, moment = ws.moment(moment_id)
    at = _utc(at)
    # not named after the customer: the id is kept in the append-only audit log
    case_id = case_id or f"case-{moment_id}-{at:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:6]}"
    row = {
        "event_id": f"{case_id}:opened",
        "case_id": case_id,
        "customer_id": customer_id,
        "occurred_at": at,
        "status": "opened",
        "moment_id": moment_id,
        "owner_id": moment.owner,
        "note": note,
    }
    _append_audited(ws, row, actor, {"owner_id": moment.owner})
    return case_id


def metrics(ws: Workspace, now: datetime | None = None) -> ibis.Table:
    """Per owner: cases, open, overdue, closed, median hours to close, share closed within the
    SLA, and the recovery rate (next judged moment after closing positive)."""
    now_s = _utc(now).timestamp()
    s = states(ws)
    opened = s.opened_at.epoch_seconds().cast("float64")
    closed = s.closed_at.epoch_seconds().cast("float64")
    limit = s.sla_hours * 3600
    s = s.mutate(
        hours_to_close=(closed - opened) / 3600,
        within=(s.closed_at.notnull() & ((closed - opened) <= limit)).ifelse(1, 0),
        missed=(
            (s.closed_at.notnull() & ((closed - opened) > limit))
            | (s.closed_at.isnull() & ((now_s - opened) > limit))
        ).ifelse(1, 0),
        overdue=(s.closed_at.isnull() & ((now_s - opened) > limit)).ifelse(1, 0),
    )
    j = ws.judgements()
    j = j.filter(j.valence.isin(["negative", "neutral", "positive"]))
    c = s.filter(s.closed_at.notnull()).select("case_id", "customer_id", "closed_at")
    after = c.join(j, (c.customer_id == j.customer_id) & (j.occurred_at > c.closed_at))
    after = after.mutate(
        _n=ibis.row_number().over(group_by="case_id", order_by=[after.occurred_at, after.lived_id])
    )
    nxt = after.filter(after._n == 0).select(
        n_case=after.case_id, recovered=(after.valence == "positive").ifelse(1, 0)
    )
    s = s.left_join(nxt, s.case_id == nxt.n_case).drop("n_case")
    per = s.group_by("owner_id").agg(
        cases=s.count(),
        open=s.open.ifelse(1, 0).sum(),
        overdue=s.overdue.sum(),
        closed=s.closed_at.notnull().ifelse(1, 0).sum(),
        median_hours_to_close=s.hours_to_close.median(),
        within_sla=s.within.sum(),
        judged_sla=(s.within + s.missed).sum(),
        with_next=s.recovered.notnull().ifelse(1, 0).sum(),
        recovered=s.recovered.fill_null(0).sum(),
    )
    return per.mutate(
        within_sla_share=ibis.ifelse(
            per.judged_sla > 0, per.within_sla / per.judged_sla.nullif(0), ibis.null("float64")
        ),
        recovery_rate=ibis.ifelse(
            per.with_next > 0, per.recovered / per.with_next.nullif(0), ibis.null("float64")
        ),
    ).order_by("owner_id")
