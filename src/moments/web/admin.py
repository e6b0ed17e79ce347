"""The admin's pages and API: users, API tokens, the audit log, a customer's data (export and
erasure on request). Thin: every action is a library call that checks the role itself."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from moments.access import tokens as tokens_mod
from moments.access import users as users_mod
from moments.access.roles import require
from moments.web.app import WorkspaceDep, rows, templates

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/admin", tags=["admin"])

AUDIT_LIMIT = 200


def _audit(ws: WorkspaceDep, limit: int, action: str | None = None) -> list[dict[str, Any]]:
    return rows(ws.audit(action=action, limit=limit))


@pages.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, ws: WorkspaceDep) -> HTMLResponse:
    require(ws.principal, "admin")
    return templates.TemplateResponse(
        request,
        "admin.html",
        {
            "title": "Administration",
            "users": users_mod.users(ws.store),
            "tokens": tokens_mod.tokens(ws.store),
            "audit": _audit(ws, AUDIT_LIMIT),
        },
    )


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
