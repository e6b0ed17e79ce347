"""The JSON API (OpenAPI at /docs): the same Workspace calls as the pages and the CLI."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, StrictFloat, StrictInt

from moments.analytics import DIMENSIONS
from moments.errors import InputError, Problem
from moments.report import SECTIONS, build_section, default_outcome
from moments.store.schema import OUTCOME_TYPES
from moments.survey import TokenError, record_answer
from moments.web.access import limit_survey
from moments.web.app import WorkspaceDep, rows
from moments.web.filters import FiltersDep

router = APIRouter(prefix="/api", tags=["api"])

Dimension = Literal[
    "moment",
    "touchpoint",
    "stage",
    "journey",
    "owner",
    "location",
    "employee",
    "channel",
    "customer",
    "segment",
    "day",
    "week",
    "month",
]
assert set(get_args(Dimension)) == set(DIMENSIONS)  # the API offers every dimension there is
OutcomeType = Literal[
    "purchase", "repeat_purchase", "referral", "review", "social_post", "defection",
    "satisfaction", "recommendation", "return_intent",
]  # fmt: skip
assert set(get_args(OutcomeType)) == set(OUTCOME_TYPES)


@router.get("/journeys", summary="Registered journeys with their stages and moments")
def journeys(ws: WorkspaceDep) -> list[dict[str, Any]]:
    return [j.model_dump(mode="json") for j in ws.journeys()]


@router.get("/moments", summary="Every registered moment with its owner and importance")
def moments_list(ws: WorkspaceDep) -> list[dict[str, Any]]:
    return rows(ws.moments().order_by(["journey_id", "position"]))


@router.get("/totals", summary="How many lived moments, and how they landed")
def totals(ws: WorkspaceDep, f: FiltersDep) -> dict[str, Any]:
    return rows(ws.totals(**f.kwargs()))[0]


@router.get("/scorecard", summary="The scorecard grouped by one or more dimensions")
def scorecard(
    ws: WorkspaceDep,
    f: FiltersDep,
    by: Annotated[list[Dimension], Query()] = ["moment"],  # noqa: B006 - FastAPI copies it
    moment: Annotated[str | None, Query(description="Only this moment id")] = None,
    owner: Annotated[str | None, Query(description="Only this owner id")] = None,
) -> list[dict[str, Any]]:
    if moment:
        ws.moment(moment)
    if owner:
        ws.owner(owner)
    return rows(ws.scorecard(by, moment_id=moment, owner_id=owner, **f.kwargs()))


@router.get("/trend", summary="The scorecard per day, week or month")
def trend(
    ws: WorkspaceDep,
    f: FiltersDep,
    period: Literal["day", "week", "month"] = "week",
    by: Annotated[list[Dimension] | None, Query()] = None,
    moment: Annotated[str | None, Query(description="Only this moment id")] = None,
) -> list[dict[str, Any]]:
    if moment:
        ws.moment(moment)
    return rows(ws.trend(by, period, moment_id=moment, **f.kwargs()))


@router.get("/moments/{moment_id}", summary="One moment: definition and scorecard")
def moment(moment_id: str, ws: WorkspaceDep, f: FiltersDep) -> dict[str, Any]:
    journey, m = ws.moment(moment_id)
    card = rows(ws.scorecard("moment", moment_id=moment_id, **f.kwargs()))
    return {
        "journey_id": journey.id,
        "moment": m.model_dump(mode="json"),
        "scorecard": card[0] if card else None,
    }


@router.get("/moments/{moment_id}/comments", summary="Judged lived moments with reasons and words")
def comments(
    moment_id: str,
    ws: WorkspaceDep,
    f: FiltersDep,
    valence: Literal["negative", "neutral", "positive", "unknown"] = "negative",
    q: Annotated[str | None, Query(description="Search reasons and comments")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[dict[str, Any]]:
    return rows(ws.evidence(moment_id, valence=valence, search=q, limit=limit, **f.kwargs()))


@router.get("/owners/{owner_id}", summary="An owner's moments, what to fix first")
def owner(owner_id: str, ws: WorkspaceDep, f: FiltersDep) -> dict[str, Any]:
    name, _ = ws.owner(owner_id)
    return {
        "owner_id": owner_id,
        "owner": name,
        "moments": rows(ws.fix_first(owner_id, **f.kwargs())),
    }


@router.get("/customers", summary="Customers with the most negative moments, and their weakest")
def customers(
    ws: WorkspaceDep,
    f: FiltersDep,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[dict[str, Any]]:
    return rows(ws.customers(f.start, f.end).limit(limit))


AnalysisName = Literal[
    "drivers", "basics", "weakest", "consistency", "risk", "impact", "model", "olist"
]
assert set(get_args(AnalysisName)) == set(SECTIONS)  # every analysis has an endpoint


@router.get("/analyses/{name}", summary="One of the method's analyses: findings and tables")
def analysis(
    name: AnalysisName,
    ws: WorkspaceDep,
    outcome: Annotated[
        OutcomeType | None, Query(description="Default: chosen from the data")
    ] = None,
    horizon: Annotated[int, Query(ge=1, le=3650, description="Days after an episode")] = 90,
) -> dict[str, Any]:
    chosen = outcome or default_outcome(ws)
    s = build_section(ws, name, chosen, horizon)
    return {
        "id": s.id,
        "title": s.title,
        "outcome": chosen,
        "error": s.error,
        "findings": s.findings,
        "tables": [
            {"title": t.title, "rows": json.loads(t.frame.to_json(orient="records"))}
            for t in s.tables
        ],
    }


class Answer(BaseModel):
    # strict: JSON true/false or "4" are not numbers on a scale
    score: StrictInt | StrictFloat = Field(description="On the moment's survey scale")
    comment: str | None = None


@router.post("/survey/{token}", summary="Record a customer's answer for a survey link")
def survey_answer(request: Request, token: str, answer: Answer, ws: WorkspaceDep) -> dict[str, Any]:
    limit_survey(request, token)
    try:
        result = record_answer(ws, token, answer.score, answer.comment)
    except TokenError as exc:
        raise InputError(Problem(str(exc), field="token")) from None
    return {
        "recorded": result.recorded,
        "event_id": result.event_id,
        "valence": result.valence,
        "message": result.message,
    }
