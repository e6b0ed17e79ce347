"""The web app: dashboard pages, the customer's survey and a JSON API over one Workspace."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

import moments
from moments.errors import InputError, MomentsError, NotFound
from moments.report import render as report_render
from moments.settings import Settings
from moments.web import charts
from moments.web.cache import ResponseCache

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(
    net_colour=charts.net_colour, text_colour=charts.text_colour, mix_bar=charts.mix_bar
)
report_render.install(templates.env)


class _Shared:
    """One workspace per app; DuckDB connections are not for concurrent threads, so a lock."""

    def __init__(self, ws: moments.Workspace) -> None:
        self.ws = ws
        self.lock = threading.Lock()


def get_workspace(request: Request) -> Iterator[moments.Workspace]:
    shared: _Shared = request.app.state.shared
    with shared.lock:
        yield shared.ws


WorkspaceDep = Annotated[moments.Workspace, Depends(get_workspace)]


def rows(expr: Any) -> list[dict[str, Any]]:
    """An Ibis expression's result as a list of dicts, for templates and JSON."""
    return expr.to_pyarrow().to_pylist()


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(url: str | Path | None = None, settings: Settings | None = None) -> FastAPI:
    """The app over the store at ``url`` (default: the configured one)."""
    from moments.web import api, coaching, frontline, pages, survey
    from moments.web import outreach as outreach_web

    app = FastAPI(
        title="defining-moments",
        description="Defining moments of your customer journeys: scorecards, evidence, surveys.",
        version=moments.__version__,
    )
    shared = _Shared(moments.open(url, settings=settings, create=False))
    app.state.shared = shared
    app.add_middleware(ResponseCache, generation=lambda: shared.ws.generation)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(survey.router)
    app.include_router(pages.router)
    app.include_router(frontline.api)
    app.include_router(frontline.pages)
    app.include_router(coaching.router)
    app.include_router(outreach_web.router)

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
