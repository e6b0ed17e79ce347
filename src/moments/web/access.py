"""Who may call which endpoint: the access rule of every route, log-in and CSRF checks.

Every route has a rule in ``RULES`` (a route without one is refused, and the tests fail), checked
by a dependency of the whole app before the route runs. The rule names the permissions needed
(``moments.access.roles``); what rows the caller then sees is narrowed by the scoped workspace
the route is given (``Workspace.scoped``), in the library, not here.

Callers are known by a session cookie (pages, after /login) or an API token
(``Authorization: Bearer mmt_…``, scripts). A store without users runs as the embedded
single-user default: everyone is the local user, which ``moments serve`` allows on a loopback
address only.
"""

from __future__ import annotations

import secrets
from typing import Any

import anyio
from fastapi import Request

from moments.access import tokens as tokens_mod
from moments.access import users as users_mod
from moments.access.ratelimit import RateLimiter
from moments.access.roles import LOCAL, Principal, require
from moments.access.sessions import COOKIE, CSRF_FIELD, CSRF_HEADER, csrf_ok, ended, read
from moments.errors import Forbidden, MomentsError

PUBLIC: tuple[str, ...] = ()  # no permission needed (log-in page, customer surveys)
Rule = tuple[str, ...]

RULES: dict[tuple[str, str], Rule] = {
    # the dashboard: analytics, narrowed to an owner's moments for owners
    ("GET", "/"): ("analytics",),
    ("GET", "/map"): ("analytics",),
    ("GET", "/moments/{moment_id}"): ("analytics", "evidence"),
    ("GET", "/owners"): ("analytics",),
    ("GET", "/owners/{owner_id}"): ("analytics",),
    ("GET", "/analyses"): ("analytics",),
    ("GET", "/analyses/{name}"): ("analytics",),
    ("GET", "/api/journeys"): ("analytics",),
    ("GET", "/api/moments"): ("analytics",),
    ("GET", "/api/totals"): ("analytics",),
    ("GET", "/api/scorecard"): ("analytics",),
    ("GET", "/api/trend"): ("analytics",),
    ("GET", "/api/moments/{moment_id}"): ("analytics",),
    ("GET", "/api/moments/{moment_id}/comments"): ("evidence",),
    ("GET", "/api/owners/{owner_id}"): ("analytics",),
    ("GET", "/api/customers"): ("analytics",),
    ("GET", "/api/analyses/{name}"): ("analytics",),
    # customers answering a survey link: the signed link is their only right
    ("GET", "/s/{token}"): PUBLIC,
    ("POST", "/s/{token}"): PUBLIC,
    ("POST", "/api/survey/{token}"): PUBLIC,
    # the frontline
    ("GET", "/card"): ("cards",),
    ("GET", "/card/{customer_id}"): ("cards",),
    ("POST", "/card/{customer_id}/offer"): ("cards", "cases.write"),
    ("GET", "/api/card"): ("cards",),
    ("GET", "/api/card/{customer_id}"): ("cards",),
    ("POST", "/api/card/{customer_id}/offer"): ("cards", "cases.write"),
    ("GET", "/cases"): ("cases",),
    ("GET", "/cases/{owner_id}"): ("cases",),
    ("POST", "/cases/{owner_id}/record"): ("cases.write",),
    ("GET", "/api/cases"): ("cases",),
    ("GET", "/api/cases/metrics"): ("cases",),
    ("GET", "/api/cases/{case_id}"): ("cases",),
    ("POST", "/api/cases/{case_id}/events"): ("cases.write",),
    ("POST", "/api/cases/open"): ("admin",),
    ("GET", "/coaching"): ("coaching",),
    ("POST", "/coaching"): ("coaching",),
    ("GET", "/outreach"): ("outreach",),
    ("GET", "/api/outreach/plan"): ("outreach",),
    # administration: people, tokens, the audit log, a customer's data on request
    ("GET", "/admin"): ("admin",),
    ("POST", "/admin/users"): ("admin",),
    ("POST", "/admin/users/{user_id}/disable"): ("admin",),
    ("POST", "/admin/tokens/{token_id}/revoke"): ("admin",),
    ("GET", "/api/admin/audit"): ("admin",),
    ("GET", "/api/admin/customers/{customer_id}"): ("admin",),
    ("POST", "/api/admin/customers/{customer_id}/erase"): ("admin",),
    # signing in and out
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
}
# Starlette routes outside the rule check: the OpenAPI description (no data) and static files
UNCHECKED = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/static")
# what a form may be sent as from another site without a CORS preflight
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
CSRF_COOKIE = "moments_csrf"


class Limits:
    """The app's rate limits (one set per app, so two apps in one process do not share them)."""

    def __init__(self) -> None:
        self.login = RateLimiter("log-in attempts", limit=10, window=300)
        self.survey = RateLimiter("survey answers from this address", limit=30, window=60)
        self.survey_link = RateLimiter("answers to this survey link", limit=10, window=600)


def limit_survey(request: Request, token: str) -> None:
    """Count one survey submission from this address and for this link (429 when over)."""
    limits: Limits = request.app.state.limits
    limits.survey.hit(f"ip:{client_ip(request)}")
    limits.survey_link.hit(f"link:{token[:200]}")


class LoginRequired(MomentsError):
    """No valid session or token (401 for the API, a redirect to /login for pages)."""


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def rule_for(request: Request) -> Rule | None:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    method = "GET" if request.method == "HEAD" else request.method
    return RULES.get((method, path)) if path is not None else None


def principal_of(request: Request) -> Principal:
    """Who is asking (cached on the request). Raises ``LoginRequired`` when log-in is on and
    neither a valid token nor a valid session came with the request."""
    found: Principal | None = getattr(request.state, "principal", None)
    if found is not None:
        return found
    shared = request.app.state.shared
    if not shared.auth:
        request.state.principal = LOCAL
        request.state.csrf = request.cookies.get(CSRF_COOKIE) or _new_csrf(request)
        return LOCAL
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        with shared.lock:
            p = tokens_mod.principal_for_token(shared.ws.store, header[7:].strip())
        if p is None:
            raise LoginRequired("the API token is not valid (revoked, unknown or malformed)")
        request.state.principal, request.state.via = p, "token"
        return p
    session = read(shared.secret, request.cookies.get(COOKIE))
    if session is not None:
        with shared.lock:
            p = users_mod.active_principal(shared.ws.store, session.user_id, session.stamp)
            if p is not None and ended(shared.ws.store, session):
                p = None
        if p is not None:
            request.state.principal, request.state.via = p, "session"
            request.state.csrf = session.csrf
            return p
    raise LoginRequired("log in to see this")


# threads that look callers up in the store wait for its lock there, never on the event loop
_LOOKUPS = anyio.CapacityLimiter(64)


async def aprincipal_of(request: Request) -> Principal:
    """:func:`principal_of` for async code: the store lookup (which waits for the store's
    lock while another request runs a query) happens on a worker thread, so the server keeps
    answering meanwhile."""
    found: Principal | None = getattr(request.state, "principal", None)
    if found is not None or not request.app.state.shared.auth:
        return found or principal_of(request)
    return await anyio.to_thread.run_sync(principal_of, request, limiter=_LOOKUPS)


def _new_csrf(request: Request) -> str:
    token = secrets.token_urlsafe(24)
    request.state.set_csrf_cookie = token
    return token


async def enforce(request: Request) -> None:
    """The app-wide check: the route's rule, then CSRF for forms sent with a cookie."""
    rule = rule_for(request)
    if rule is None:
        raise Forbidden(
            f"{request.method} {request.scope.get('route') and request.scope['route'].path} "
            "has no access rule; refused until one is added to moments.web.access.RULES"
        )
    if rule == PUBLIC:
        return
    principal = await aprincipal_of(request)
    for permission in rule:
        require(principal, permission)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        await _check_csrf(request)


async def _check_csrf(request: Request) -> None:
    """A form can be sent from any site with the user's cookies; JSON cannot without a CORS
    preflight (which this app never grants), and browsers name the sending site (Origin,
    Sec-Fetch-Site) on every other cross-site request, which is refused. So forms must carry
    the session's CSRF token; token-authenticated requests carry no cookies and need none."""
    if getattr(request.state, "via", None) == "token":
        return
    origin = request.headers.get("origin")
    cross = request.headers.get("sec-fetch-site") == "cross-site"
    if cross or (origin and _host(origin) != request.headers.get("host")):
        raise Forbidden(f"a request from {origin or 'another site'} may not change anything here")
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    signed_in = getattr(request.state, "via", None) == "session"
    # a signed-in browser must send the token with anything but JSON; the single-user default
    # (scripts on the same machine, no cookie to abuse) with forms
    if (ctype == "application/json") or (not signed_in and ctype not in FORM_TYPES):
        return
    expected: str | None = getattr(request.state, "csrf", None)
    presented = request.headers.get(CSRF_HEADER)
    if presented is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    if expected is None or not csrf_ok(expected, presented):
        raise Forbidden(
            "the form's CSRF token is missing or stale; reload the page and send it again"
        )


def _host(origin: str) -> str:
    return origin.split("://", 1)[-1].rstrip("/")


def csrf_token(request: Request) -> str:
    """For templates: the token to put in every form that changes something."""
    token: str | None = getattr(request.state, "csrf", None)
    if token is None:
        try:
            principal_of(request)
        except LoginRequired:
            return ""
        token = getattr(request.state, "csrf", None)
    return token or ""


def csrf_input(request: Request) -> Any:
    from markupsafe import Markup

    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, csrf_token(request)
    )
