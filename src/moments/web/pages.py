"""HTML pages for people: overview, journey map, moment, owners. Each calls the Workspace."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from moments.errors import InputError, NotFound
from moments.report import SECTIONS, build_section, default_outcome
from moments.store.schema import OUTCOME_TYPES
from moments.web import charts
from moments.web.app import WorkspaceDep, rows, templates
from moments.web.filters import FiltersDep

router = APIRouter(include_in_schema=False)


def _trend_chart(rows: list[dict[str, Any]], label: str) -> str:
    return charts.line([(str(r["week"]), r["net"]) for r in rows], label=label)


def _context(ws: WorkspaceDep, f: FiltersDep, **extra: Any) -> dict[str, Any]:
    locations = [
        r["location_id"]
        for r in rows(ws.judgements().select("location_id").distinct().order_by("location_id"))
        if r["location_id"]
    ]
    segments = [
        r["segment"]
        for r in rows(ws.profiles().select("segment").distinct().order_by("segment"))
        if r["segment"]
    ]
    return {
        "filters": f,
        "locations": locations,
        "segments": segments,
        "query": f.query(),
        **extra,
    }


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, ws: WorkspaceDep, f: FiltersDep) -> HTMLResponse:
    kw = f.kwargs()
    total = rows(ws.totals(**kw))[0]
    weeks = rows(ws.trend(period="week", **kw))
    ctx = _context(
        ws,
        f,
        title="Overview",
        total=total,
        trend=_trend_chart(weeks, "net by week, all moments"),
        key=rows(ws.key_moments(**kw)),
        weakest=rows(ws.weakest_moments(**kw)),
        movers=rows(
            ws.movers(location_id=kw["location_id"], channel=kw["channel"], segment=kw["segment"])
        ),
        moment_count=len(rows(ws.moments().select("moment_id"))),
    )
    return templates.TemplateResponse(request, "overview.html", ctx)


@router.get("/map", response_class=HTMLResponse)
def journey_map(request: Request, ws: WorkspaceDep, f: FiltersDep) -> HTMLResponse:
    card = {r["moment_id"]: r for r in rows(ws.scorecard("moment", **f.kwargs()))}
    journeys = []
    for j in ws.journeys():
        stages = []
        for s in j.stages:
            tps = []
            for tp in s.touchpoints:
                tiles = [
                    {"m": m, "owner": j.owner(m.owner).name, "card": card.get(m.id)}
                    for m in tp.moments
                ]
                tps.append({"tp": tp, "tiles": tiles})
            stages.append({"stage": s, "touchpoints": tps})
        journeys.append({"journey": j, "stages": stages})
    ctx = _context(ws, f, title="Journey map", journeys=journeys)
    return templates.TemplateResponse(request, "map.html", ctx)


@router.get("/moments/{moment_id}", response_class=HTMLResponse)
def moment_page(
    request: Request,
    moment_id: str,
    ws: WorkspaceDep,
    f: FiltersDep,
    q: Annotated[str | None, Query(description="Search the reasons and comments")] = None,
) -> HTMLResponse:
    journey, moment = ws.moment(moment_id)
    kw = f.kwargs()
    card = rows(ws.scorecard("moment", moment_id=moment_id, **kw))
    weeks = rows(ws.trend(period="week", moment_id=moment_id, **kw))
    standard = None
    if moment.standard:
        st = moment.standard
        meas = journey.measures[st.measure]
        unit = f" {meas.unit}" if meas.unit else ""
        standard = {
            "measure": st.measure,
            "label": meas.label,
            "exceeded": f"{st.exceeded}{unit}",
            "met": f"{st.met}{unit}",
        }
    ctx = _context(
        ws,
        f,
        title=moment.name,
        journey=journey,
        moment=moment,
        owner=journey.owner(moment.owner),
        card=card[0] if card else None,
        trend=_trend_chart(weeks, f"net by week, {moment.id}"),
        standard=standard,
        survey=journey.survey_for(moment),
        by_location=rows(ws.scorecard(["moment", "location"], moment_id=moment_id, **kw)),
        by_employee=rows(
            ws.scorecard(["moment", "employee"], moment_id=moment_id, **kw)
            .filter(lambda t: t.employee_id.notnull())
            .order_by(["net", "employee_id"])
            .limit(15)
        ),
        negatives=rows(ws.evidence(moment_id, search=q, limit=40, **kw)),
        q=q or "",
    )
    return templates.TemplateResponse(request, "moment.html", ctx)


@router.get("/owners", response_class=HTMLResponse)
def owners(request: Request, ws: WorkspaceDep, f: FiltersDep) -> HTMLResponse:
    ctx = _context(ws, f, title="Owners", owners=rows(ws.scorecard("owner", **f.kwargs())))
    return templates.TemplateResponse(request, "owners.html", ctx)


@router.get("/owners/{owner_id}", response_class=HTMLResponse)
def owner_page(request: Request, owner_id: str, ws: WorkspaceDep, f: FiltersDep) -> HTMLResponse:
    name, moment_ids = ws.owner(owner_id)
    kw = f.kwargs()
    ranked = rows(ws.fix_first(owner_id, **kw))
    trends = {}
    for mid in moment_ids:
        weeks = rows(ws.trend(period="week", moment_id=mid, **kw))
        trends[mid] = charts.line(
            [(str(r["week"]), r["net"]) for r in weeks],
            width=220,
            height=60,
            label=f"net by week, {mid}",
        )
    ctx = _context(
        ws,
        f,
        title=f"{name}: my moments",
        owner_id=owner_id,
        owner_name=name,
        ranked=ranked,
        trends=trends,
        negatives=rows(ws.evidence(owner_id=owner_id, limit=20, **kw)),
    )
    return templates.TemplateResponse(request, "owner.html", ctx)


AnalysisOutcome = Annotated[
    str | None, Query(description="Outcome for key moments, basics and weakest link")
]
AnalysisHorizon = Annotated[int, Query(ge=1, le=3650, description="Days after an episode")]


@router.get("/analyses", response_class=HTMLResponse)
def analyses(request: Request, ws: WorkspaceDep) -> HTMLResponse:
    ctx = {"title": "Analyses", "sections": SECTIONS, "current": None, "section": None,
           "outcome": default_outcome(ws), "horizon": 90, "outcomes": OUTCOME_TYPES}  # fmt: skip
    return templates.TemplateResponse(request, "analyses.html", ctx)


@router.get("/analyses/{name}", response_class=HTMLResponse)
def analysis_page(
    request: Request,
    name: str,
    ws: WorkspaceDep,
    outcome: AnalysisOutcome = None,
    horizon: AnalysisHorizon = 90,
) -> HTMLResponse:
    if name not in SECTIONS:
        raise NotFound(f"no analysis '{name}': there are {', '.join(SECTIONS)}")
    if outcome is not None and outcome not in OUTCOME_TYPES:
        raise InputError(f"unknown outcome '{outcome}'", f"use one of: {', '.join(OUTCOME_TYPES)}")
    outcome = outcome or default_outcome(ws)
    ctx = {
        "title": SECTIONS[name][0],
        "sections": SECTIONS,
        "current": name,
        "section": build_section(ws, name, outcome, horizon),
        "outcome": outcome,
        "horizon": horizon,
        "outcomes": OUTCOME_TYPES,
    }
    return templates.TemplateResponse(request, "analyses.html", ctx)
