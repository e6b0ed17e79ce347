"""The frontline in the web app: the customer card for agents, case queues per owner, and their
JSON API. Each route calls :mod:`moments.frontline` and only formats the result."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from moments.errors import InputError
from moments.frontline import card as card_mod
from moments.frontline import cases as cases_mod
from moments.frontline.card import Card, Profile
from moments.web.app import WorkspaceDep, rows, templates

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["frontline"])

MessageQ = Annotated[
    str | None, Query(max_length=2000, description="The customer's first words: suggests requests")
]
MomentQ = Annotated[str | None, Query(description="The moment at hand (a moment id)")]


# -- pages -------------------------------------------------------------------------------------
@pages.get("/card", response_class=HTMLResponse)
def card_search(
    request: Request,
    ws: WorkspaceDep,
    q: Annotated[str | None, Query(max_length=200, description="Id, e-mail or phone")] = None,
) -> Response:
    ctx: dict[str, Any] = {"title": "Customer card", "q": q or "", "found": [], "message": None}
    if not q or not q.strip():
        return templates.TemplateResponse(request, "card_search.html", ctx)
    found = card_mod.find(ws, q)
    if len(found) == 1:
        return RedirectResponse(f"/card/{quote(found[0].customer_id, safe='')}", status_code=303)
    if not found:
        ctx["message"] = str(card_mod.not_found(q))
        return templates.TemplateResponse(request, "card_search.html", ctx, status_code=404)
    ctx["found"] = found
    return templates.TemplateResponse(request, "card_search.html", ctx)


@pages.get("/card/{customer_id}", response_class=HTMLResponse)
def card_page(
    request: Request,
    customer_id: str,
    ws: WorkspaceDep,
    message: MessageQ = None,
    moment: MomentQ = None,
) -> HTMLResponse:
    c = card_mod.build_card(ws, customer_id, message=message or None, moment_id=moment or None)
    return templates.TemplateResponse(
        request, "card.html", {"title": f"Card · {customer_id}", "card": c}
    )


@pages.post("/card/{customer_id}/offer")
def card_offer(
    customer_id: str,
    ws: WorkspaceDep,
    playbook: Annotated[str, Form()],
    request_id: Annotated[str, Form(alias="request")],
    option: Annotated[str, Form()],
    moment: Annotated[str, Form()] = "",
    employee: Annotated[str, Form()] = "",
    message: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """The agent offered a playbook option: a 'contacted' event on the case, then the card."""
    card_mod.pick_option(
        ws, customer_id, playbook, request_id, option, moment or None, employee or None
    )
    query = urlencode({k: v for k, v in (("moment", moment), ("message", message)) if v})
    target = f"/card/{quote(customer_id, safe='')}{'?' + query if query else ''}#cases"
    return RedirectResponse(target, status_code=303)


@pages.get("/cases", response_class=HTMLResponse)
def cases_page(request: Request, ws: WorkspaceDep) -> HTMLResponse:
    ctx = {"title": "Cases", "metrics": rows(cases_mod.metrics(ws))}
    return templates.TemplateResponse(request, "cases.html", ctx)


@pages.get("/cases/{owner_id}", response_class=HTMLResponse)
def queue_page(
    request: Request,
    owner_id: str,
    ws: WorkspaceDep,
    include_closed: Annotated[bool, Query(alias="all")] = False,
) -> HTMLResponse:
    name, _ = ws.owner(owner_id)
    now = datetime.now(UTC)
    queue = _with_due(rows(cases_mod.queue(ws, owner_id, include_closed)), now)
    mine = [m for m in rows(cases_mod.metrics(ws)) if m["owner_id"] == owner_id]
    ctx = {
        "title": f"{name}: case queue",
        "owner_id": owner_id,
        "owner_name": name,
        "queue": queue,
        "metrics": mine[0] if mine else None,
        "include_closed": include_closed,
        "statuses": [s for s in cases_mod.CASE_STATUSES if s != "opened"],
    }
    return templates.TemplateResponse(request, "queue.html", ctx)


@pages.post("/cases/{owner_id}/record")
def queue_record(
    owner_id: str,
    ws: WorkspaceDep,
    case_id: Annotated[str, Form()],
    status: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    to: Annotated[str, Form()] = "",
) -> RedirectResponse:
    cases_mod.record(ws, case_id, status, note=note or None, owner_id=to or None)
    return RedirectResponse(f"/cases/{quote(owner_id, safe='')}", status_code=303)


def _with_due(items: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    from datetime import timedelta

    for r in items:
        r["due_at"] = r["opened_at"] + timedelta(hours=r["sla_hours"])
        r["overdue"] = r["closed_at"] is None and now > r["due_at"]
    return items


# -- API ---------------------------------------------------------------------------------------
@api.get("/card", summary="Find customers by id, e-mail or phone number")
def api_customers(
    ws: WorkspaceDep, q: Annotated[str, Query(max_length=200, description="Id, e-mail or phone")]
) -> list[Profile]:
    return card_mod.find(ws, q)


@api.get("/card/{customer_id}", summary="The customer card for an agent at a moment of truth")
def api_card(
    customer_id: str, ws: WorkspaceDep, message: MessageQ = None, moment: MomentQ = None
) -> Card:
    return card_mod.build_card(ws, customer_id, message=message or None, moment_id=moment or None)


class Offer(BaseModel):
    playbook: str
    request: str
    option: str
    moment: str | None = None
    employee: str | None = None


@api.post("/card/{customer_id}/offer", summary="Record a playbook option offered to a customer")
def api_offer(customer_id: str, body: Offer, ws: WorkspaceDep) -> dict[str, str]:
    case_id = card_mod.pick_option(
        ws, customer_id, body.playbook, body.request, body.option, body.moment, body.employee
    )
    return {"case_id": case_id}


@api.get("/cases", summary="Cases with their state (open ones by default)")
def api_cases(
    ws: WorkspaceDep,
    owner: Annotated[str | None, Query(description="Only this owner's queue")] = None,
    include_closed: Annotated[bool, Query(alias="all")] = False,
) -> list[dict[str, Any]]:
    if owner:
        ws.owner(owner)
        return rows(cases_mod.queue(ws, owner, include_closed))
    s = cases_mod.states(ws)
    return rows((s if include_closed else s.filter(s.open)).order_by(["opened_at", "case_id"]))


@api.get("/cases/metrics", summary="Per owner: time to close, within SLA, recovery rate")
def api_case_metrics(ws: WorkspaceDep) -> list[dict[str, Any]]:
    return rows(cases_mod.metrics(ws))


@api.get("/cases/{case_id}", summary="One case's state and events")
def api_case(case_id: str, ws: WorkspaceDep) -> dict[str, Any]:
    state = cases_mod.case(ws, case_id)
    return {**state, "events": rows(cases_mod.events(ws, case_id=case_id))}


class CaseEventIn(BaseModel):
    status: str = Field(description="assigned, contacted, updated, resolved or closed")
    note: str | None = None
    owner_id: str | None = Field(None, description="the assignee, for 'assigned'")


@api.post("/cases/{case_id}/events", summary="Add an event to a case")
def api_case_event(case_id: str, body: CaseEventIn, ws: WorkspaceDep) -> dict[str, str]:
    return {"event_id": cases_mod.record(ws, case_id, body.status, body.note, body.owner_id)}


@api.post("/cases/open", summary="Open cases for negative judgements on key moments")
def api_open_cases(
    ws: WorkspaceDep,
    since: Annotated[datetime | None, Query(description="Only negatives lived since")] = None,
) -> dict[str, Any]:
    if since is not None and since.tzinfo is None:
        raise InputError("'since' has no time zone", "add one, e.g. 2026-03-01T00:00:00Z")
    run = cases_mod.open_cases(ws, since=since)
    return {"opened": run.opened, "already": run.already, "key_moments": run.key_moments}
