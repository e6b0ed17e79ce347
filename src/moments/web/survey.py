"""The customer's one-moment survey at /s/{token}: a small, mobile-friendly form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from moments.errors import InputError
from moments.survey import (
    ALREADY,
    ExpiredToken,
    TokenError,
    already_answered,
    read_token,
    record_answer,
    store_secret,
    survey_form,
)
from moments.survey.answers import MAX_COMMENT
from moments.web.access import limit_survey
from moments.web.app import WorkspaceDep, templates

router = APIRouter(include_in_schema=False)


def _invalid(request: Request, exc: TokenError | InputError) -> HTMLResponse:
    if isinstance(exc, TokenError):
        message, status = str(exc), 410 if isinstance(exc, ExpiredToken) else 400
    else:  # a well-signed link to a moment that is no longer surveyed: no staff details
        message, status = "This survey is no longer available.", 410
    return templates.TemplateResponse(
        request,
        "survey_invalid.html",
        {"title": "Survey link", "message": message},
        status_code=status,
    )


@router.get("/s/{token}", response_class=HTMLResponse)
def survey_page(request: Request, token: str, ws: WorkspaceDep) -> HTMLResponse:
    try:
        invite = read_token(store_secret(ws), token)
        form = survey_form(ws, invite)
    except (TokenError, InputError) as exc:
        return _invalid(request, exc)
    if already_answered(ws, token):
        return templates.TemplateResponse(
            request, "survey_done.html", {"title": "Thank you", "message": ALREADY}
        )
    return templates.TemplateResponse(
        request,
        "survey.html",
        {"title": "Your view", "form": form, "token": token, "max_comment": MAX_COMMENT},
    )


@router.post("/s/{token}", response_class=HTMLResponse)
def survey_submit(
    request: Request,
    token: str,
    ws: WorkspaceDep,
    score: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> HTMLResponse:
    limit_survey(request, token)
    try:
        invite = read_token(store_secret(ws), token)
        form = survey_form(ws, invite)
    except (TokenError, InputError) as exc:
        return _invalid(request, exc)
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
                "error": exc.problems[0].what
                + (f" — {exc.problems[0].fix}" if exc.problems[0].fix else ""),
                "max_comment": MAX_COMMENT,
                "score": score,
                "comment": comment,
            },
            status_code=422,
        )
    return templates.TemplateResponse(
        request, "survey_done.html", {"title": "Thank you", "message": result.message}
    )
