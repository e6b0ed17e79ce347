"""The outreach plan: a page listing who gets which message when and why, and its JSON API
(with the packaged retail offers and contact policy)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from moments.outreach.explain import rule_counts
from moments.outreach.plan import PlanResult, make_plan
from moments.web.app import WorkspaceDep, templates

router = APIRouter()

HorizonQ = Annotated[int, Query(ge=1, le=28, description="days to plan")]
StartQ = Annotated[
    datetime | None, Query(description="plan from this time (ISO 8601 with a zone); default now")
]
LimitQ = Annotated[int, Query(ge=1, le=5000, description="contacts to list")]


def _plan(ws: WorkspaceDep, horizon: int, start: datetime | None) -> PlanResult:
    return make_plan(ws.store, None, None, horizon, start)


def _rows(result: PlanResult, limit: int) -> list[dict[str, Any]]:
    frame = result.frame().head(limit)
    frame["send_at"] = frame["send_at"].map(lambda t: t.isoformat())
    return frame.to_dict("records")


@router.get("/api/outreach/plan", tags=["outreach"])
def plan_api(
    ws: WorkspaceDep, horizon: HorizonQ = 7, start: StartQ = None, limit: LimitQ = 500
) -> dict[str, Any]:
    """The optimised plan: summary (value, bound, gap), the first ``limit`` contacts with
    their reasons, and how many customers each rule decided."""
    result = _plan(ws, horizon, start)
    return {
        "summary": result.summary(),
        "contacts": _rows(result, limit),
        "rules": rule_counts(result).to_dict("records"),
    }


@router.get("/outreach", response_class=HTMLResponse, include_in_schema=False)
def plan_page(
    request: Request, ws: WorkspaceDep, horizon: HorizonQ = 7, start: StartQ = None
) -> HTMLResponse:
    result = _plan(ws, horizon, start)
    ctx = {
        "title": "Outreach plan",
        "summary": result.summary(),
        "contacts": _rows(result, 200),
        "rules": rule_counts(result).to_dict("records"),
        "horizon": horizon,
    }
    return templates.TemplateResponse(request, "outreach.html", ctx)
