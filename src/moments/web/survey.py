"""The customer's one-moment survey at /s/{token}: a small, mobile-friendly form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from moments.errors import InputError
from moments.survey import (
    ALREADY,
    TokenError,
    already_answered,
    read_token,
    record_answer,
    store_secret,
    survey_form,
)
from moments.web.app import WorkspaceDep, templates

router = APIRouter(include_in_schema=False)


def _invalid(request: Request, exc: TokenError) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "survey_invalid.html",
        {"title": "Survey link", "message": str(exc)},
        status_code=410 if "expired" in str(exc).lower() else 400,
    )


@router.get("/s/{token}", response_class=HTMLResponse)
def survey_page(request: Request, token: str, ws: WorkspaceDep) -> HTMLResponse:
    try:
        invite = read_token(store_secret(ws), token)
    except TokenError as exc:
        return _invalid(request, exc)
    form = survey_form(ws, invite)
    if already_answered(ws, token):
        return templates.TemplateResponse(
            request, "survey_done.html", {"title": "Thank you", "message": ALREADY}
        )
    return templates.TemplateResponse(
        request, "survey.html", {"title": "Your view", "form": form, "token": token}
    )


@router.post("/s/{token}", response_class=HTMLResponse)
def survey_submit(
    request: Request,
    token: str,
    ws: WorkspaceDep,
    score: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> HTMLResponse:
    try:
        invite = read_token(store_secret(ws), token)
    except TokenError as exc:
        return _invalid(request, exc)
    form = survey_form(ws, invite)
    try:
        result = record_answer(ws, token, score, comment)
    except InputError as exc:
        return templates.TemplateResponse(
            request,
            "survey.html",
            {
                "title": "Your view",
                "form": form,
                "token": token,
                "error": exc.problems[0].what,
                "score": score,
                "comment": comment,
            },
            status_code=422,
        )
    return templates.TemplateResponse(
        request, "survey_done.html", {"title": "Thank you", "message": result.message}
    )
