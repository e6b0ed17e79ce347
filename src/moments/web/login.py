"""Log-in and log-out pages, and a health check for load balancers and scripts."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from moments.access import users as users_mod
from moments.access.sessions import COOKIE, MAX_AGE, csrf_ok, end, ended, issue, read
from moments.web.access import CSRF_COOKIE, client_ip
from moments.web.app import templates

router = APIRouter(include_in_schema=False)


def _safe_next(value: str | None) -> str:
    """Only a path on this site (no scheme, no //host): never an open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _secure(request: Request) -> bool:
    return request.app.state.shared.secure_cookies or request.url.scheme == "https"


def _form(request: Request, status: int = 200, **extra: Any) -> HTMLResponse:
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"title": "Log in", "login_csrf": token, "next": "/", **extra},
        status_code=status,
    )
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    if not request.app.state.shared.auth:
        return _form(request, local=True)
    return _form(request, next=_safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    user_id: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    from moments.governance.audit import record

    shared = request.app.state.shared
    if not shared.auth:
        return RedirectResponse("/", status_code=303)
    if not csrf_ok(request.cookies.get(CSRF_COOKIE) or "", csrf_token):
        return _form(request, 403, error="The form was stale; please try again.", next=next)
    user_id = user_id.strip().lower()
    limit = request.app.state.limits.login
    limit.hit(f"ip:{client_ip(request)}", f"user:{user_id}")
    with shared.lock:
        principal = users_mod.authenticate(shared.ws.store, user_id, password)
        record(
            shared.ws.store,
            user_id or "?",
            "login" if principal else "login.failed",
            user_id,
            {"ip": client_ip(request)},
        )
    if principal is None:
        return _form(
            request, 401, error="Wrong user id or password.", next=_safe_next(next), user_id=user_id
        )
    limit.reset(f"user:{user_id}")
    with shared.lock:
        stamp = users_mod.session_stamp(shared.ws.store, principal.user_id)
    value, _ = issue(shared.secret, principal.user_id, stamp)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE, value, max_age=MAX_AGE, httponly=True, samesite="lax", secure=_secure(request)
    )
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    shared = request.app.state.shared
    session = read(shared.secret, request.cookies.get(COOKIE))
    if shared.auth and session is not None:
        with shared.lock:
            if not ended(shared.ws.store, session):
                end(shared.ws.store, session, {"ip": client_ip(request)})
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/healthz")
def healthz(request: Request) -> dict[str, Any]:
    """Alive, and whether log-in is required."""
    return {"ok": True, "auth": request.app.state.shared.auth}
