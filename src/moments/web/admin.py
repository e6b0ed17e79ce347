"""The admin's pages and API: users, API tokens, the audit log, a customer's data (export and
erasure on request). Thin: every action is a library call that checks the role itself."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from moments.access import tokens as tokens_mod
from moments.access import users as users_mod
from moments.access.roles import require
from moments.errors import InputError
from moments.store.schema import ROLES
from moments.web.app import WorkspaceDep, rows, templates

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/admin", tags=["admin"])

AUDIT_LIMIT = 200


def _audit(ws: WorkspaceDep, limit: int, action: str | None = None) -> list[dict[str, Any]]:
    return rows(ws.audit(action=action, limit=limit))


def _page(
    request: Request, ws: WorkspaceDep, added: dict[str, str] | None = None, problem: str = ""
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "admin.html",
        {
            "title": "Administration",
            "users": users_mod.users(ws.store),
            "tokens": tokens_mod.tokens(ws.store),
            "audit": _audit(ws, AUDIT_LIMIT),
            "roles": ROLES,
            "added": added or {},
            "problem": problem,
        },
        status_code=422 if problem else 200,
    )


@pages.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, ws: WorkspaceDep) -> HTMLResponse:
    require(ws.principal, "admin")
    return _page(request, ws)


@pages.post("/admin/users", response_class=HTMLResponse)
def add_user(
    request: Request,
    ws: WorkspaceDep,
    user_id: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=40)],
    password: Annotated[str, Form(max_length=1000)],
    name: Annotated[str, Form(max_length=200)] = "",
    owner_id: Annotated[str, Form(max_length=200)] = "",
    team: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Add a user (the form on /admin); a refusal shows the page again with the reason and
    what was typed, the password left out."""
    require(ws.principal, "admin")
    typed = {"user_id": user_id, "role": role, "name": name, "owner_id": owner_id, "team": team}
    try:
        users_mod.add_user(
            ws.store,
            user_id.strip(),
            role,
            password,
            name=name.strip(),
            owner_id=owner_id.strip() or None,
            team=tuple(t.strip() for t in team.split(",") if t.strip()),
            actor=ws.principal.user_id,
        )
    except InputError as e:
        p = e.problems[0]
        return _page(request, ws, typed, p.what + (f" — {p.fix}" if p.fix else ""))
    ws.generation += 1
    return RedirectResponse("/admin", status_code=303)


@pages.post("/admin/users/{user_id}/disable")
def disable_user(user_id: str, ws: WorkspaceDep) -> Response:
    require(ws.principal, "admin")
    users_mod.disable_user(ws.store, user_id, actor=ws.principal.user_id)
    ws.generation += 1
    return RedirectResponse("/admin", status_code=303)


@pages.post("/admin/tokens/{token_id}/revoke")
def revoke_token(token_id: str, ws: WorkspaceDep) -> Response:
    require(ws.principal, "admin")
    tokens_mod.revoke_token(ws.store, token_id, actor=ws.principal.user_id)
    ws.generation += 1
    return RedirectResponse("/admin", status_code=303)


@api.get("/audit", summary="The audit log, newest first: who did what to what")
def audit_api(
    ws: WorkspaceDep,
    action: Annotated[
        str | None, Query(description="Only this action and its sub-actions, e.g. load or case")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = AUDIT_LIMIT,
) -> list[dict[str, Any]]:
    require(ws.principal, "admin")
    return _audit(ws, limit, action)


@api.get("/customers/{customer_id}", summary="Everything stored about one customer (export)")
def customer_export(customer_id: str, ws: WorkspaceDep) -> dict[str, Any]:
    require(ws.principal, "admin")
    return ws.customer_data(customer_id)


@api.post(
    "/customers/{customer_id}/erase",
    summary="Erase a customer on request: personal data removed, counts kept",
)
def customer_erase(customer_id: str, ws: WorkspaceDep) -> dict[str, Any]:
    require(ws.principal, "admin")
    result = ws.erase_customer(customer_id)
    return result if isinstance(result, dict) else {"erased": True, "detail": str(result)}
