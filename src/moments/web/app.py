"""The web app: dashboard pages, the customer's survey and a JSON API over one Workspace."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

import moments
from moments.access.ratelimit import RateLimited
from moments.errors import Forbidden, InputError, MomentsError, NotFound, Problem
from moments.report import render as report_render
from moments.settings import Settings
from moments.survey import store_secret
from moments.web import charts
from moments.web.cache import ResponseCache

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(
    net_colour=charts.net_colour, text_colour=charts.text_colour, mix_bar=charts.mix_bar
)
report_render.install(templates.env)


def _whoami(request: Request) -> Any:
    return getattr(request.state, "principal", None)


def _csrf_input(request: Request) -> Any:
    from moments.web.access import csrf_input

    return csrf_input(request)


templates.env.globals.update(whoami=_whoami, csrf_input=_csrf_input)


class CsrfCookie:
    """Sets the CSRF cookie of the single-user default when a page handed out a new token."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_cookie(message: dict[str, Any]) -> None:
            token = scope.get("state", {}).get("set_csrf_cookie")
            if message["type"] == "http.response.start" and token:
                from moments.web.access import CSRF_COOKIE

                cookie = f"{CSRF_COOKIE}={token}; HttpOnly; Path=/; SameSite=Strict"
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())],
                }
            await send(message)

        await self.app(scope, receive, with_cookie)


class _Shared:
    """One workspace per app; DuckDB connections are not for concurrent threads, so a lock.

    ``auth``: whether log-in is required (the store has users); ``secret`` signs sessions.
    """

    def __init__(self, ws: moments.Workspace, auth: bool, secure_cookies: bool) -> None:
        self.ws = ws
        self.lock = threading.Lock()
        self.auth = auth
        self.secure_cookies = secure_cookies
        self.secret = store_secret(ws)


async def get_workspace(request: Request) -> AsyncIterator[moments.Workspace]:
    """The workspace as the caller may see it (their scope); the whole store for the public
    routes (a customer's survey link), which only ever write that customer's answer."""
    from moments.web.access import PUBLIC, aprincipal_of, rule_for

    shared: _Shared = request.app.state.shared
    public = rule_for(request) == PUBLIC
    principal = None if public else await aprincipal_of(request)
    # Wait for the lock on a thread outside the pool that runs the endpoints: when all of that
    # pool's threads waited here, the request holding the lock could never run (a deadlock
    # under ~40 concurrent requests). Shielded, so a client gone away never leaves it held.
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(shared.lock.acquire, limiter=anyio.CapacityLimiter(1))
    try:
        yield shared.ws if principal is None else shared.ws.scoped(principal)
    finally:
        shared.lock.release()


WorkspaceDep = Annotated[moments.Workspace, Depends(get_workspace)]


def rows(expr: Any) -> list[dict[str, Any]]:
    """An Ibis expression's result as a list of dicts, for templates and JSON."""
    return expr.to_pyarrow().to_pylist()


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _cache_identity(scope: dict[str, Any]) -> str | None:
    """Who asks, for the response cache: checked like any request (token, session, disabled
    user); ``None`` when nobody valid asks, so the app answers (401, a redirect)."""
    from moments.web.access import LoginRequired, aprincipal_of

    try:
        p = await aprincipal_of(Request(scope))
    except LoginRequired:
        return None
    return f"{p.user_id}|{p.role}|{p.owner_id or ''}|{','.join(p.team)}"


def check_binding(host: str, auth: bool) -> None:
    """Refuse to serve the no-log-in default on anything but a loopback address."""
    if auth:
        return
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise InputError(
            Problem(
                f"serving on {host} would let anyone who reaches it in without logging in",
                "add an admin first (`moments users add NAME --role admin`), or serve on 127.0.0.1",
                field="host",
            )
        )


def create_app(
    url: str | Path | None = None,
    settings: Settings | None = None,
    auth: bool | None = None,
    secure_cookies: bool = False,
) -> FastAPI:
    """The app over the store at ``url`` (default: the configured one).

    ``auth``: require log-in (default: when the store has users; without any, the app is the
    embedded single-user default, to be served on a loopback address only).
    ``secure_cookies``: mark cookies Secure (behind HTTPS).
    """
    from moments.access.users import has_users
    from moments.web import access, admin, api, coaching, frontline, guard, login, pages, survey
    from moments.web import outreach as outreach_web

    app = FastAPI(
        title="defining-moments",
        description="Defining moments of your customer journeys: scorecards, evidence, surveys. "
        "Scripts authenticate with `Authorization: Bearer <token>` (`moments tokens create`).",
        version=moments.__version__,
        dependencies=[Depends(guard.refuse_nul), Depends(access.enforce)],
    )
    default_openapi = app.openapi

    def openapi_with_tokens() -> dict[str, Any]:
        # tell clients (and /docs' Authorize button) how scripts authenticate
        schema = default_openapi()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["bearer"] = {"type": "http", "scheme": "bearer", "description": "mmt_… token"}
        schema["security"] = [{"bearer": []}]
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if access.RULES.get((method.upper(), path)) == access.PUBLIC:
                    operation["security"] = []  # a survey link needs no log-in
        return schema

    app.openapi = openapi_with_tokens  # type: ignore[method-assign]
    ws = moments.open(url, settings=settings, create=False)
    auth = has_users(ws.store) if auth is None else auth
    shared = _Shared(ws, auth, secure_cookies)
    app.state.shared = shared
    app.state.limits = access.Limits()
    app.add_middleware(
        ResponseCache, generation=lambda: shared.ws.generation, identity=_cache_identity
    )
    app.add_middleware(CsrfCookie)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(survey.router)
    app.include_router(pages.router)
    app.include_router(frontline.api)
    app.include_router(frontline.pages)
    app.include_router(coaching.router)
    app.include_router(outreach_web.router)
    app.include_router(login.router)
    app.include_router(admin.pages)
    app.include_router(admin.api)

    @app.exception_handler(access.LoginRequired)
    async def _login(request: Request, exc: access.LoginRequired) -> Response:
        if _wants_json(request):
            return JSONResponse(
                {"message": str(exc), "field": None},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if _wants_json(request):
            return JSONResponse({"message": str(exc), "field": None}, status_code=403)
        return templates.TemplateResponse(
            request, "error.html", {"title": "Not allowed", "message": str(exc)}, status_code=403
        )

    @app.exception_handler(RateLimited)
    async def _limited(request: Request, exc: RateLimited) -> Response:
        headers = {"Retry-After": str(exc.retry_after)}
        if _wants_json(request):
            return JSONResponse({"message": str(exc), "field": None}, 429, headers=headers)
        return templates.TemplateResponse(
            request,
            "error.html",
            {"title": "Slow down", "message": str(exc)},
            status_code=429,
            headers=headers,
        )

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        if _wants_json(request):
            return JSONResponse({"message": str(exc), "field": None}, status_code=404)
        return templates.TemplateResponse(
            request, "error.html", {"title": "Not found", "message": str(exc)}, status_code=404
        )

    @app.exception_handler(InputError)
    async def _bad_input(request: Request, exc: InputError) -> Response:
        p = exc.problems[0]
        body = {"message": p.what + (f" — {p.fix}" if p.fix else ""), "field": p.field}
        if _wants_json(request):
            return JSONResponse(body, status_code=422)
        return templates.TemplateResponse(
            request,
            "error.html",
            {"title": "Cannot show that", "message": body["message"]},
            status_code=422,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        err = exc.errors()[0]
        loc = err.get("loc", ())
        # loc is (where, name, …): ("query", "by", 0), ("body", "score", "int")
        field = str(loc[1]) if len(loc) > 1 else None
        message = f"{field}: {err['msg']}" if field else err["msg"]
        if _wants_json(request):
            return JSONResponse({"message": message, "field": field}, status_code=422)
        return templates.TemplateResponse(
            request,
            "error.html",
            {"title": "Cannot show that", "message": message},
            status_code=422,
        )

    @app.exception_handler(MomentsError)
    async def _other(request: Request, exc: MomentsError) -> Response:
        if _wants_json(request):
            return JSONResponse({"message": str(exc), "field": None}, status_code=400)
        return HTMLResponse(str(exc), status_code=400)

    return app
