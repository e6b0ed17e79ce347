"""Who may call what over HTTP: every route has a rule, every role gets exactly its rule, owners
see only their moments, log-in with sessions and CSRF, tokens, rate limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import _IncludedRouter
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

import moments
from moments.access import tokens as tokens_mod
from moments.access import users as users_mod
from moments.access.roles import PERMISSIONS
from moments.access.sessions import COOKIE
from moments.errors import InputError
from moments.store.schema import ROLES
from moments.survey import make_token, store_secret
from moments.web.access import PUBLIC, RULES, UNCHECKED
from moments.web.app import check_binding, create_app

PASSWORD = "a long enough password"
ACCOUNTS = {
    "admin": {},
    "cx_leader": {},
    "owner": {"owner_id": "stylists"},  # owns dressing-room and styling-advice
    "agent": {},
    "coach": {"team": ("e1",)},
    "marketer": {},
}
# a value for each path parameter that names something in the small store
SAMPLES = {
    "moment_id": "checkout",
    "owner_id": "store-ops",
    "name": "consistency",
    "customer_id": "c1",
    "case_id": "case-1",
    "token": "not-a-token",
    "user_id": "nobody",
    "token_id": "000000000000",
}
BODIES = {
    "/api/card/{customer_id}/offer": {"playbook": "x", "request": "y", "option": "z"},
    "/api/cases/{case_id}/events": {"status": "updated", "note": "called back"},
    "/api/survey/{token}": {"score": 5},
}


def walk(routes: list[BaseRoute]) -> Iterator[Any]:
    for r in routes:
        if isinstance(r, _IncludedRouter):
            yield from walk(r.effective_candidates())  # type: ignore[arg-type]
        else:
            yield getattr(r, "original_route", r)


def endpoints(app: FastAPI) -> list[tuple[str, str]]:
    out = []
    for r in walk(app.router.routes):
        if r.path in UNCHECKED:
            continue
        out += [(m, r.path) for m in sorted(getattr(r, "methods", None) or ()) if m != "HEAD"]
    return out


@pytest.fixture
def store(loaded: moments.Workspace) -> Iterator[moments.Workspace]:
    """The small judged store with one user per role (and a token each) — log-in is on."""
    for role, extra in ACCOUNTS.items():
        users_mod.add_user(loaded.store, f"{role.replace('_', '-')}-1", role, PASSWORD, **extra)
    yield loaded


@pytest.fixture
def served(store: moments.Workspace) -> Iterator[tuple[TestClient, dict[str, str]]]:
    tokens = {
        role: tokens_mod.create_token(store.store, f"{role.replace('_', '-')}-1", "tests")[1]
        for role in ROLES
    }
    path = store.store.location
    store.close()
    app = create_app(path)
    assert app.state.shared.auth
    with TestClient(app, follow_redirects=False) as client:
        yield client, tokens
    app.state.shared.ws.close()


def test_every_route_has_an_access_rule_and_every_rule_a_route(loaded: moments.Workspace) -> None:
    path = loaded.store.location
    loaded.close()
    app = create_app(path)
    try:
        routes = set(endpoints(app))
    finally:
        app.state.shared.ws.close()
    assert routes - set(RULES) == set(), "routes without a rule in moments.web.access.RULES"
    assert set(RULES) - routes == set(), "rules for routes that do not exist"
    for rule in RULES.values():
        assert all(any(p in perms for perms in PERMISSIONS.values()) for p in rule)


def _call(client: TestClient, method: str, path: str, token: str) -> Any:
    url = re.sub(r"\{(\w+)\}", lambda m: SAMPLES[m.group(1)], path)
    headers = {"Authorization": f"Bearer {token}"}
    if method == "GET":
        return client.get(url, headers=headers)
    if path == "/coaching":
        return client.post(url, headers=headers, files={"file": ("t.csv", b"a,b\n", "text/csv")})
    return client.post(url, headers=headers, json=BODIES.get(path, {}))


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_each_endpoint_as_its_rule_says(
    served: tuple[TestClient, dict[str, str]], role: str
) -> None:
    client, tokens = served
    for method, path in endpoints(client.app):  # type: ignore[arg-type]
        if path in ("/logout", "/login") and method == "POST":
            continue  # tested with their forms below
        rule = RULES[(method, path)]
        r = _call(client, method, path, tokens[role])
        allowed = all(p in PERMISSIONS[role] for p in rule)
        where = f"{role} {method} {path}: {r.status_code} {r.text[:200]}"
        assert r.status_code < 500, where
        if rule == PUBLIC or allowed:
            assert r.status_code not in (401, 403), where
        else:
            assert r.status_code == 403, where
        # no token at all: only the public routes answer
        if rule != PUBLIC and method == "GET" and path.startswith("/api/"):
            assert (
                client.get(re.sub(r"\{(\w+)\}", lambda m: SAMPLES[m.group(1)], path)).status_code
                == 401
            )


def test_an_owner_sees_only_their_moments_over_the_api_and_pages(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = served
    owner = {"Authorization": f"Bearer {tokens['owner']}"}
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    full = client.get("/api/scorecard", headers=admin).json()
    mine = client.get("/api/scorecard", headers=owner).json()
    assert {r["moment_id"] for r in full} > {r["moment_id"] for r in mine}
    assert {r["moment_id"] for r in mine} <= {"dressing-room", "styling-advice"}
    assert (
        client.get("/api/scorecard", headers=admin).json() == full
    )  # the cache keeps callers apart
    for url in ("/api/moments/checkout", "/api/moments/checkout/comments", "/moments/checkout",
                "/api/owners/store-ops", "/owners/store-ops"):  # fmt: skip
        assert client.get(url, headers=owner).status_code == 404, url
        assert client.get(url, headers=admin).status_code == 200, url
    customers = client.get("/api/customers", headers=owner).json()
    # only c3 (dressing room) and c9 (styling advice) lived the stylists' moments
    assert {c["customer_id"] for c in customers} == {"c3", "c9"}
    assert client.get("/api/card/c1", headers=owner).status_code == 403


def _login(client: TestClient, user_id: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    token = re.findall(r'name="csrf_token" value="([^"]+)"', page.text)[0]
    return client.post(
        "/login",
        data={"user_id": user_id, "password": password, "csrf_token": token, "next": "/cases"},
    )


def test_log_in_sessions_csrf_and_log_out(served: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = served
    first = client.get("/owners?x=1")
    assert first.status_code == 303 and first.headers["location"] == "/login?next=/owners%3Fx%3D1"
    assert client.get("/api/totals").status_code == 401
    assert _login(client, "owner-1", "wrong password!").status_code == 401
    ok = _login(client, "owner-1")
    assert ok.status_code == 303 and ok.headers["location"] == "/cases"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    page = client.get("/cases/stylists")
    assert page.status_code == 200 and "owner-1 · owner" in page.text
    csrf = re.findall(r'name="csrf_token" value="([^"]+)"', client.get("/cases/stylists").text)
    # a form without the session's CSRF token changes nothing; from another site neither
    form = {"case_id": "case-1", "status": "updated", "note": "x"}
    assert client.post("/cases/stylists/record", data=form).status_code == 403
    cross = client.post(
        "/cases/stylists/record", data=form, headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    if csrf:  # the queue shows a form only for open cases
        sent = client.post("/cases/stylists/record", data={**form, "csrf_token": csrf[0]})
        assert sent.status_code not in (401, 403)
    assert client.get("/api/card/c1").status_code == 403  # an owner is no agent
    session = client.cookies.get(COOKIE)
    client.post("/logout")
    assert client.get("/api/totals").status_code == 401
    client.cookies.set(COOKIE, session)  # a copy of the cookie is refused after log-out too
    assert client.get("/api/totals").status_code == 401
    assert client.get("/cases/stylists").status_code == 303
    client.cookies.clear()
    assert _login(client, "owner-1").status_code == 303  # a new session works
    assert client.get("/cases/stylists").status_code == 200
    client.post("/logout")


def test_disabled_users_and_revoked_tokens_stop_at_once(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = served
    store = client.app.state.shared.ws.store  # type: ignore[attr-defined]
    agent = {"Authorization": f"Bearer {tokens['agent']}"}
    assert client.get("/api/card/c1", headers=agent).status_code == 200
    token_id = tokens["agent"].split("_")[1]
    tokens_mod.revoke_token(store, token_id)
    assert client.get("/api/card/c1", headers=agent).status_code == 401
    _login(client, "marketer-1")
    assert client.get("/outreach").status_code == 200
    users_mod.set_password(store, "marketer-1", "a brand new password")
    assert client.get("/outreach").status_code == 303  # a new password ends old sessions
    _login(client, "marketer-1", "a brand new password")
    assert client.get("/outreach").status_code == 200
    users_mod.disable_user(store, "marketer-1")
    assert client.get("/outreach").status_code == 303  # back to the log-in page
    assert client.get("/api/card/c1", headers={"Authorization": "Bearer mmt_x"}).status_code == 401


def test_log_in_attempts_and_survey_answers_are_rate_limited(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = served
    codes = [_login(client, "agent-1", "not the password").status_code for _ in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429
    # the right password does not get through either until the window has passed
    blocked = _login(client, "agent-1")
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    ws = client.app.state.shared.ws  # type: ignore[attr-defined]
    token = make_token(store_secret(ws), "c1", "checkout")
    answers = [
        client.post(f"/api/survey/{token}", json={"score": 5}).status_code for _ in range(11)
    ]
    assert answers[0] == 200 and answers[10] == 429


def test_the_single_user_default_serves_loopback_only(loaded: moments.Workspace) -> None:
    check_binding("127.0.0.1", auth=False)
    check_binding("::1", auth=False)
    check_binding("0.0.0.0", auth=True)
    with pytest.raises(InputError, match="add an admin first"):
        check_binding("0.0.0.0", auth=False)
    path = loaded.store.location
    loaded.close()
    app = create_app(path)
    with TestClient(app) as client:
        assert not app.state.shared.auth
        assert "single-user default" in client.get("/login").text
        assert client.get("/api/totals").status_code == 200
    app.state.shared.ws.close()


def test_the_admin_manages_users_tokens_audit_and_a_customers_data(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = served
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    assert _login(client, "admin-1").status_code == 303
    page = client.get("/admin")
    assert page.status_code == 200 and 'data-user="agent-1"' in page.text
    assert "login" in page.text  # the audit log shows the log-in just made
    csrf = re.findall(r'name="csrf_token" value="([^"]+)"', page.text)[0]
    assert client.post("/admin/users/agent-1/disable").status_code == 403  # no CSRF token
    done = client.post("/admin/users/agent-1/disable", data={"csrf_token": csrf})
    assert done.status_code == 303
    assert (
        client.get(
            "/api/card/c1", headers={"Authorization": f"Bearer {tokens['agent']}"}
        ).status_code
        == 401
    )
    # a new user from the form: refused with the reason (what was typed kept, never the
    # password), then added, logged, and able to log in
    coach = {"user_id": "coach-2", "name": "Ann", "role": "coach", "team": "e1, e2"}
    assert client.post("/admin/users", data={**coach, "password": "x" * 12}).status_code == 403
    short = client.post("/admin/users", data={**coach, "password": "short", "csrf_token": csrf})
    assert short.status_code == 422 and 'id="add-problem"' in short.text
    assert 'value="coach-2"' in short.text and "short" not in short.text.split('id="add-user"')[1]
    taken = client.post(
        "/admin/users",
        data={**coach, "user_id": "owner-1", "password": "y" * 12, "csrf_token": csrf},
    )
    assert taken.status_code == 422 and "exists already" in taken.text
    added = client.post("/admin/users", data={**coach, "password": "z" * 12, "csrf_token": csrf})
    assert added.status_code == 303
    assert 'data-user="coach-2"' in client.get("/admin").text
    audit = client.get("/api/admin/audit", headers=admin, params={"action": "user"}).json()
    assert [(a["actor"], a["target"]) for a in audit if a["action"] == "user.disable"] == [
        ("admin-1", "agent-1")
    ]
    newest_add = next(a for a in audit if a["action"] == "user.add")
    assert (newest_add["actor"], newest_add["target"]) == ("admin-1", "coach-2")
    with TestClient(client.app, follow_redirects=False) as other:  # type: ignore[arg-type]
        assert _login(other, "coach-2", "z" * 12).status_code == 303
    before = client.get("/api/totals", headers=admin).json()
    data = client.get("/api/admin/customers/c1", headers=admin).json()
    assert data and any(rows for rows in data.values())
    erased = client.post("/api/admin/customers/c1/erase", headers=admin)
    assert erased.status_code == 200, erased.text
    assert client.get("/api/totals", headers=admin).json() == before  # the counts stay honest
    assert client.post("/api/admin/customers/c1/erase", headers=admin).status_code == 404
    actions = [a["action"] for a in client.get("/api/admin/audit", headers=admin).json()]
    assert "customer.erase" in actions and "customer.export" in actions
